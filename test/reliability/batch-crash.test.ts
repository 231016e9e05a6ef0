/**
 * A batch survives SIGKILL (issue #17): a `hooklaunch serve` child is killed while deliveries pour
 * into an open batch. After a restart every delivery that got a 2xx is in its batch, at the place
 * its answer named, and each batch launches exactly once over all of them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempProject } from '../helpers/project.js';
import { serveProcess as serve, workSettled } from '../helpers/serve-process.js';

const TRIGGER = '0190fe82-0000-7000-8000-000000000b01';

describe('batch under SIGKILL', () => {
  it.each([30, 200])('keeps every acknowledged delivery of an open batch when killed %i ms into the load, and launches the batch once', async (killAfterMs) => {
    const project = tempProject(
      '- step:\n    name: record\n    image: x\n    command: wc -l < "$VH_INPUTS_DIR/payload/batch.jsonl" >> "$VH_REPOSITORY_DIR/launched.txt"\n    inputs: [{name: payload}]\n',
    );
    const config = join(project.dir, 'hooklaunch.yaml');
    const db = join(project.dir, 'state.db');
    // quiet 2 s: the batch stays open while the load runs, and closes soon after the restart.
    writeFileSync(
      config,
      `store: {url: "sqlite:${db}"}\ntriggers:\n  - id: ${TRIGGER}\n    conditions: [{type: deduplicate, lookup: json, key: n}]\n    batch: {window: 600, quiet: 2}\n    actions: [{type: run-execution, step: record, payload_input: payload}]\n`,
    );
    try {
      const first = await serve(config);
      const acknowledged: Array<{ n: string; batchId: string; position: number }> = [];
      let sent = 0;
      let stop = false;
      const worker = async (): Promise<void> => {
        while (!stop) {
          const n = `d${sent++}`;
          try {
            const res = await fetch(`${first.url}/api/v0/launch/${TRIGGER}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n }) });
            const body = (await res.json()) as { batch?: { id: string; position: number } };
            if (res.ok) acknowledged.push({ n, batchId: body.batch!.id, position: body.batch!.position });
          } catch {
            return; // the server died mid-request: no answer, so no promise was made
          }
        }
      };
      const workers = Array.from({ length: 16 }, worker);
      await expect.poll(() => acknowledged.length, { timeout: 10_000, interval: 5 }).toBeGreaterThan(0);
      await new Promise((resolve) => setTimeout(resolve, killAfterMs));
      first.child.kill('SIGKILL');
      stop = true;
      await Promise.all(workers);
      await first.exited;
      const batchIds = [...new Set(acknowledged.map((a) => a.batchId))];
      expect(batchIds).toHaveLength(1);

      const second = await serve(config);
      const check = new Database(db, { readonly: true });
      try {
        const launched = (): number => (check.prepare(`SELECT COUNT(*) AS n FROM batches WHERE state = 'launched'`).get() as { n: number }).n;
        await expect.poll(launched, { timeout: 20_000, interval: 100 }).toBe(1);
        await expect.poll(() => workSettled(check), { timeout: 20_000, interval: 100 }).toBe(true);
        const items = check.prepare('SELECT position, payload FROM batch_items WHERE batch_id = ? ORDER BY position').all(batchIds[0]) as Array<{ position: number; payload: Buffer }>;
        const byN = new Map(items.map((item) => [(JSON.parse(item.payload.toString()) as { n: string }).n, item.position]));
        for (const { n, position } of acknowledged) expect(byN.get(n)).toBe(position);
        // Positions are 1..N without a gap: what a killed commit wrote nothing of left no hole.
        expect(items.map((i) => i.position)).toEqual(items.map((_, i) => i + 1));
        expect(check.prepare('SELECT items FROM batches WHERE batch_id = ?').get(batchIds[0])).toEqual({ items: items.length });
        // Launched once, over every item.
        expect(check.prepare('SELECT COUNT(*) AS n FROM runs').get()).toEqual({ n: 1 });
        expect(check.prepare('SELECT COUNT(*) AS n FROM executions').get()).toEqual({ n: 1 });
        expect(readFileSync(join(project.dir, 'launched.txt'), 'utf8').trim().split('\n')).toEqual([String(items.length)]);
      } finally {
        check.close();
        second.child.kill('SIGKILL');
        await second.exited;
      }
    } finally {
      project.remove();
    }
  });
});
