/**
 * Issue 14: SIGKILL in the middle of a group commit. 40 connections keep signed requests in
 * flight against a `hooklaunch serve` child with launches running on the local runner; the
 * moment the Nth 2xx arrives the process is killed, so the requests still in flight are inside
 * a batch being written. After a restart on the same database, read through the store API:
 * every request that was answered 2xx is logged as accepted under the run id it was answered
 * with, and no run (answered or not) was launched more than once.
 */
import { Agent, request } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { signHmac } from '../../core/conditions/hmac.js';
import { openStore } from '../../core/store/open-store.js';
import type { Store } from '../../core/store/store.js';
import { tempProject } from '../helpers/project.js';
import { killProcess, serveProcess } from '../helpers/serve-process.js';

const TRIGGER = '0190fe82-0000-7000-8000-000000000301';
const SECRET = 'group-commit-crash-secret';
const CONNECTIONS = 40;
const MAX_REQUESTS = 3000;

interface Answer {
  readonly status: number;
  readonly requestId: string | undefined;
  readonly body: string;
}

/** One signed request on the shared keep-alive agent; undefined when the server died before answering. */
function send(agent: Agent, url: string, n: number): Promise<Answer | undefined> {
  const body = JSON.stringify({ n: `r${n}` });
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = signHmac({ secret: SECRET, message: '{timestamp}.{body}' }, { body: Buffer.from(body), timestamp });
  return new Promise((resolve) => {
    const req = request(`${url}/api/v0/launch/${TRIGGER}/`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'x-timestamp': timestamp, 'x-signature': `sha256=${signature}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, requestId: res.headers['x-request-id'] as string | undefined, body: Buffer.concat(chunks).toString() }));
      res.on('error', () => resolve(undefined));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
    req.on('error', () => resolve(undefined));
    req.end(body);
  });
}

async function settled(store: Store): Promise<boolean> {
  const [stats, queued, started] = await Promise.all([store.queueStats(), store.executionsWithStatus('queued'), store.executionsWithStatus('started')]);
  return stats.depth === 0 && queued.length === 0 && started.length === 0;
}

describe('crash in the middle of a group commit', () => {
  it.each([1, 200])('keeps every 2xx and launches nothing twice when killed at the 2xx number %i', { timeout: 120_000 }, async (killAtAnswer) => {
    // Each time the step really runs, it appends its execution's id: the count of real launches.
    const project = tempProject('- step:\n    name: record\n    image: x\n    command: echo "$VH_JOB_ID" >> "$VH_REPOSITORY_DIR/launched.txt"\n    parameters: [{name: n, type: string}]\n');
    const config = join(project.dir, 'hooklaunch.yaml');
    const db = join(project.dir, 'state.db');
    writeFileSync(
      config,
      `store: {url: "sqlite:${db}"}
launcher: {kind: local, concurrency: 4}
triggers:
  - id: ${TRIGGER}
    conditions:
      - {type: web-request-auth, auth_type: hmac, key: X-Signature, prefix: "sha256=", secret: ${SECRET}, message: "{timestamp}.{body}"}
      - {type: timestamp, key: X-Timestamp, tolerance: 300}
    actions: [{type: run-execution, step: record, parameters: {n: "{payload.n}"}}]
`,
    );
    const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
    let store: Store | undefined;
    try {
      const first = await serveProcess(config);
      const acknowledged: Array<{ requestId: string; runId: string }> = [];
      const refused: Answer[] = [];
      let sent = 0;
      let killed = false;
      const worker = async (): Promise<void> => {
        while (!killed && sent < MAX_REQUESTS) {
          const answer = await send(agent, first.url, sent++);
          if (!answer) continue; // no answer, no promise made
          if (answer.status < 200 || answer.status > 299) {
            refused.push(answer);
            continue;
          }
          acknowledged.push({ requestId: answer.requestId!, runId: (JSON.parse(answer.body) as { run_id: string }).run_id });
          // At once, on this tick: the other requests in flight are in the batch being committed.
          if (acknowledged.length === killAtAnswer && !killed) {
            killed = true;
            first.child.kill('SIGKILL');
          }
        }
      };
      await Promise.all(Array.from({ length: CONNECTIONS }, worker));
      await killProcess(first.child);
      expect(refused.map((a) => `${a.status} ${a.body}`)).toEqual([]);
      expect(killed).toBe(true);
      expect(acknowledged.length).toBeGreaterThanOrEqual(killAtAnswer);

      const second = await serveProcess(config);
      try {
        store = await openStore(`sqlite:${db}`);
        await expect.poll(() => settled(store!), { timeout: 60_000, interval: 200 }).toBe(true);
        const accepted = await store.listLog({ triggerId: TRIGGER, outcome: 'accepted', limit: MAX_REQUESTS + 1 });
        const byRequest = new Map(accepted.map((entry) => [entry.requestId, entry.runId]));
        expect(byRequest.size).toBe(accepted.length);
        // Every 2xx is there, under the run id it was answered with.
        for (const { requestId, runId } of acknowledged) expect(byRequest.get(requestId), requestId).toBe(runId);
        // Every accepted run, answered or not, launched exactly one execution and finished its job;
        // the step ran once, or once more for each time a crash cut it short (the runner's
        // documented re-run, noted in the execution's log), never again after it completed.
        const ran = readFileSync(join(project.dir, 'launched.txt'), 'utf8').split('\n').filter(Boolean);
        const runsOf = new Map<string, number>();
        for (const line of ran) runsOf.set(line, (runsOf.get(line) ?? 0) + 1);
        const known = new Set<string>();
        for (const entry of accepted) {
          const run = await store.getRun(entry.runId!);
          expect(run?.jobs.map((j) => j.state), entry.runId).toEqual(['done']);
          expect(run?.executions.map((e) => e.status), entry.runId).toEqual(['complete']);
          const execution = run!.executions[0]!;
          const crashes = (await store.executionLog(execution.id)).filter((c) => c.stream === 'system' && c.text.startsWith('interrupted')).length;
          const times = runsOf.get(`exec-${execution.id}`) ?? 0;
          expect(times, execution.id).toBeGreaterThanOrEqual(1);
          expect(times, execution.id).toBeLessThanOrEqual(1 + crashes);
          known.add(`exec-${execution.id}`);
        }
        expect([...runsOf.keys()].filter((id) => !known.has(id))).toEqual([]);
      } finally {
        await killProcess(second.child);
      }
    } finally {
      agent.destroy();
      await store?.close();
      project.remove();
    }
  });
});
