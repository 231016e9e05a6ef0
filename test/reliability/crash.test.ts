/**
 * Crash under load: a `hooklaunch serve` child is SIGKILLed at several moments while requests
 * pour in. After a restart, every request that got a 2xx is logged and launched exactly once,
 * and nothing is half-written (every run has its log line and jobs, every accepted line its run).
 * The bodies are larger than PAYLOAD_LOG_MIN_BYTES, so they go to the payload log beside the
 * database: each acknowledged one must be there byte for byte too.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempProject } from '../helpers/project.js';
import { serveProcess as serve, workSettled } from '../helpers/serve-process.js';
import { PAYLOAD_LOG_MIN_BYTES } from '../../core/store/sqlite/payload-log.js';
import { openSqliteStore } from '../../core/store/sqlite/sqlite-store.js';

const TRIGGER = '0190fe82-0000-7000-8000-000000000201';
const PAD = 'x'.repeat(PAYLOAD_LOG_MIN_BYTES);

describe('crash under load', () => {
  it.each([40, 150, 400])('keeps every acknowledged request when killed %i ms into the load', async (killAfterMs) => {
    const project = tempProject('- step:\n    name: record\n    image: x\n    command: echo {parameter-value:n} >> "$VH_REPOSITORY_DIR/launched.txt"\n    parameters: [{name: n, type: string}]\n');
    const config = join(project.dir, 'hooklaunch.yaml');
    const db = join(project.dir, 'state.db');
    writeFileSync(config, `store: {url: "sqlite:${db}"}\ntriggers:\n  - id: ${TRIGGER}\n    conditions: [{type: deduplicate, lookup: json, key: n}]\n    actions: [{type: run-execution, step: record, parameters: {n: "{payload.n}"}}]\n`);
    try {
      const first = await serve(config);
      const acknowledged: Array<{ n: string; runId: string; body: string }> = [];
      let sent = 0;
      let stop = false;
      const worker = async (): Promise<void> => {
        while (!stop) {
          const n = `r${sent++}`;
          const body = JSON.stringify({ n, pad: PAD });
          try {
            const res = await fetch(`${first.url}/api/v0/launch/${TRIGGER}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
            if (res.ok) acknowledged.push({ n, runId: ((await res.json()) as { run_id: string }).run_id, body });
          } catch {
            return; // the server died mid-request: no answer, so no promise was made
          }
        }
      };
      const workers = Array.from({ length: 16 }, worker);
      // The kill moment counts from the first acknowledgement, so a slow start cannot leave nothing to check.
      await expect.poll(() => acknowledged.length, { timeout: 10_000, interval: 5 }).toBeGreaterThan(0);
      await new Promise((resolve) => setTimeout(resolve, killAfterMs));
      first.child.kill('SIGKILL');
      stop = true;
      await Promise.all(workers);
      await first.exited;
      expect(acknowledged.length).toBeGreaterThan(0);

      const second = await serve(config);
      const check = new Database(db, { readonly: true });
      try {
        await expect.poll(() => workSettled(check), { timeout: 30_000, interval: 100 }).toBe(true);
        for (const { runId } of acknowledged) {
          expect(check.prepare(`SELECT outcome FROM requests WHERE run_id = ? AND outcome = 'accepted'`).all(runId)).toHaveLength(1);
          expect(check.prepare('SELECT state FROM jobs WHERE run_id = ?').all(runId)).toEqual([{ state: 'done' }]);
          expect(check.prepare('SELECT execution_id FROM executions WHERE run_id = ?').all(runId)).toHaveLength(1);
        }
        // Nothing half-written: runs, jobs and accepted log lines always come together.
        expect(check.prepare(`SELECT run_id FROM runs WHERE run_id NOT IN (SELECT run_id FROM requests WHERE outcome = 'accepted')`).all()).toEqual([]);
        expect(check.prepare(`SELECT run_id FROM requests WHERE outcome = 'accepted' AND run_id NOT IN (SELECT run_id FROM runs)`).all()).toEqual([]);
        expect(check.prepare('SELECT run_id FROM runs WHERE run_id NOT IN (SELECT run_id FROM jobs)').all()).toEqual([]);
        expect(check.prepare('SELECT COUNT(*) AS n FROM executions GROUP BY job_id HAVING n > 1').all()).toEqual([]);
        // Every acknowledged body, read the way a launch reads it (a store opened beside the server).
        const beside = await openSqliteStore(db);
        try {
          for (const { runId, body } of acknowledged) expect((await beside.getPayload(runId))?.body.toString()).toBe(body);
        } finally {
          await beside.close();
        }
      } finally {
        check.close();
        second.child.kill('SIGKILL');
      }
    } finally {
      project.remove();
    }
  });
});
