/**
 * PostgreSQL connections dropped under load (a server restart, a failover, an operator's
 * pg_terminate_backend) while group commits are in flight: the requests in flight fail with a 500
 * that says so, none is acknowledged without its line and run, and the service goes on serving.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../core/store/postgres/postgres-store.js';
import { POSTGRES_SKIP, POSTGRES_URL, freshDatabase } from '../helpers/postgres.js';
import { serveProcess as serve } from '../helpers/serve-process.js';

const TRIGGER = '0190fe82-0000-7000-8000-0000000000e9';

describe.skipIf(POSTGRES_SKIP)(`PostgreSQL connections dropped under load${POSTGRES_SKIP ? ` (skipped: ${POSTGRES_SKIP})` : ''}`, () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('fails the requests in flight with a 500, acknowledges none it did not commit, and serves on', async () => {
    const database = await freshDatabase();
    cleanups.push(database.drop);
    const dir = mkdtempSync(join(tmpdir(), 'hooklaunch-drop-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'valohai.yaml'), '- step: {name: noop, image: x, command: "echo launched"}\n');
    const config = join(dir, 'hooklaunch.yaml');
    writeFileSync(
      config,
      `store: {url: "${database.url}"}
triggers:
  - id: ${TRIGGER}
    conditions:
      - {type: web-request-auth, auth_type: static_token, key: X-Token, secret: drop}
      - {type: deduplicate, key: X-Delivery, window: 3600}
    actions: [{type: run-execution, step: noop}]
`,
    );
    const server = await serve(config, { env: { HOOKLAUNCH_SECRET_KEY: 'c0ffee00'.repeat(8) } });
    cleanups.push(() => void server.child.kill('SIGKILL'));
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    cleanups.push(() => admin.end());
    const databaseName = new URL(database.url).pathname.slice(1);

    type Sent = { i: number; status: number; body: string };
    const send = (i: number): Promise<Sent> =>
      fetch(`${server.url}/api/v0/launch/${TRIGGER}/`, { method: 'POST', headers: { 'x-token': 'drop', 'x-delivery': `d-${i}` }, body: JSON.stringify({ i }) }).then(
        async (r) => ({ i, status: r.status, body: await r.text() }),
        (error: unknown) => ({ i, status: -1, body: String(error) }),
      );
    const sent: Sent[] = [];
    let next = 0;
    let terminating = true;
    // 20 senders until the drops are over (bounded: at most 3,000 requests).
    const senders = Array.from({ length: 20 }, async () => {
      while (terminating && next < 3_000) sent.push(await send(next++));
    });
    let terminated = 0;
    for (let round = 0; round < 5; round++) {
      await new Promise((resolve) => setTimeout(resolve, 60));
      terminated += (await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [databaseName])).rowCount ?? 0;
    }
    terminating = false;
    await Promise.all(senders);
    expect(terminated).toBeGreaterThan(0);

    // Every request was answered: 202/200 when committed, a 500 that says so when its commit was lost.
    const failed = sent.filter((s) => s.status !== 200);
    for (const s of failed) {
      expect(s.status).toBe(500);
      expect(JSON.parse(s.body)).toMatchObject({ error: { code: 'internal_error' } });
    }
    // The service serves on, on new connections.
    const after = await send(100_000);
    expect(after.status).toBe(200);
    // The senders of the 500s retry: a delivery committed before its connection dropped is a
    // duplicate of its run, one that was not is launched now; none is launched twice.
    const retried = await Promise.all(failed.map((s) => send(s.i)));
    expect(retried.map((r) => r.status)).toEqual(failed.map(() => 200));

    const store = await openPostgresStore(database.url, 'observer');
    try {
      const runIds = [...sent, after].filter((s) => s.status === 200).map((s) => (JSON.parse(s.body) as { run_id: string }).run_id);
      const runs = await Promise.all(runIds.map((id) => store.getRun(id)));
      expect(runs.filter((run) => run === undefined)).toHaveLength(0);
      // Every acknowledged run has its accepted line (a 500'd one whose COMMIT went through before its
      // connection dropped may have one too: its answer said that whether it was recorded is unknown).
      const accepted = new Set((await store.listLog({ triggerId: TRIGGER, outcome: 'accepted', limit: 10_000 })).map((e) => e.runId));
      expect(runIds.filter((id) => !accepted.has(id))).toEqual([]);
      expect(accepted.size).toBeLessThanOrEqual(runIds.length + failed.length);
      // One run per delivery, whichever try launched it.
      expect(accepted.size).toBe(sent.length + 1);
      const retriedRuns = retried.map((r) => (JSON.parse(r.body) as { run_id: string }).run_id);
      expect(retriedRuns.filter((id) => !accepted.has(id))).toEqual([]);
    } finally {
      await store.close();
    }
    expect(server.child.exitCode).toBeNull();
  }, 60_000);
});
