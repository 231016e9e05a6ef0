/**
 * Two `hooklaunch serve` processes on one PostgreSQL store share a batch (issue #17): deliveries
 * sent to either join the same open batch, positions never collide, and when the batch's quiet
 * time runs out both closers try to launch it and the database lets exactly one.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../core/store/postgres/postgres-store.js';
import { POSTGRES_SKIP, freshDatabase } from '../helpers/postgres.js';
import { serveProcess as serve } from '../helpers/serve-process.js';

const TRIGGER = '0190fe82-0000-7000-8000-0000000000b2';
const SECRET_KEY = 'c0ffee00'.repeat(8);

describe.skipIf(POSTGRES_SKIP)(`a batch shared by two instances on one PostgreSQL store${POSTGRES_SKIP ? ` (skipped: ${POSTGRES_SKIP})` : ''}`, () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('gathers deliveries sent to either instance into one batch and launches it once', async () => {
    const database = await freshDatabase();
    cleanups.push(database.drop);
    const dir = mkdtempSync(join(tmpdir(), 'hooklaunch-scale-batch-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'valohai.yaml'), '- step:\n    name: record\n    image: x\n    command: wc -l < "$VH_INPUTS_DIR/payload/batch.jsonl" >> "$VH_REPOSITORY_DIR/launched.txt"\n    inputs: [{name: payload}]\n');
    const config = join(dir, 'hooklaunch.yaml');
    writeFileSync(
      config,
      `store: {url: "${database.url}"}
triggers:
  - id: ${TRIGGER}
    conditions: [{type: deduplicate, lookup: json, key: n, window: 3600}]
    batch: {key: "{payload.dataset}", window: 600, quiet: 1}
    actions: [{type: run-execution, step: record, payload_input: payload}]
`,
    );
    const [a, b] = await Promise.all(['a', 'b'].map((instance) => serve(config, { instance, env: { HOOKLAUNCH_SECRET_KEY: SECRET_KEY } })));
    cleanups.push(() => void a!.child.kill('SIGKILL'), () => void b!.child.kill('SIGKILL'));
    const send = async (i: number) => {
      const res = await fetch(`${(i % 2 ? a! : b!).url}/api/v0/launch/${TRIGGER}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n: i, dataset: 'cars' }) });
      expect(res.status).toBe(200);
      return (await res.json()) as { run_id: string; batch: { id: string; position: number } };
    };
    // 60 at once, half to each instance; then 20 of them again (a provider's retries) to the other instance.
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => send(i)));
    expect(new Set(answers.map((x) => x.batch.id)).size).toBe(1);
    expect(answers.map((x) => x.batch.position).sort((p, q) => p - q)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    const retried = await Promise.all(Array.from({ length: 20 }, (_, i) => send(i + 1)));
    expect(new Set(retried.map((x) => x.run_id))).toEqual(new Set([answers[0]!.run_id]));

    const store = await openPostgresStore(database.url, 'observer');
    try {
      const batchId = answers[0]!.batch.id;
      // Both instances' closers find it due a second after the last delivery; one launches it.
      await expect.poll(async () => (await store.getBatch(batchId))?.state, { timeout: 15_000, interval: 100 }).toBe('launched');
      const runId = answers[0]!.run_id;
      await expect.poll(async () => (await store.getRun(runId))?.executions[0]?.status, { timeout: 20_000, interval: 100 }).toBe('complete');
      const run = (await store.getRun(runId))!;
      expect(run.jobs).toHaveLength(1);
      expect(run.jobs[0]!.attempts).toBe(1);
      expect(run.executions).toHaveLength(1);
      expect(await store.getBatch(batchId)).toMatchObject({ items: 60, closeReason: 'quiet' });
      expect(readFileSync(join(dir, 'launched.txt'), 'utf8').trim().split('\n')).toEqual(['60']);
      const log = await store.listLog({ triggerId: TRIGGER, limit: 1000 });
      expect(log.filter((e) => e.outcome === 'batched')).toHaveLength(60);
      // The sender is anonymous (no auth condition): identical repeats may be counted into one line.
      const duplicates = async () => (await store.listLog({ triggerId: TRIGGER, outcome: 'duplicate', limit: 1000 })).reduce((sum, e) => sum + 1 + e.repeats, 0);
      await expect.poll(duplicates, { timeout: 5_000, interval: 100 }).toBe(20);
      const payload = (await store.getPayload(runId))!;
      expect(payload.body.toString().trim().split('\n')).toHaveLength(60);
    } finally {
      await store.close();
    }
  });
});
