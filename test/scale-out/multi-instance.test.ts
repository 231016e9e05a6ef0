/**
 * Two `hooklaunch serve` processes sharing one PostgreSQL database behave as one: rate limits and
 * dedupe exact across them, and a killed instance's claimed launches finished by the other.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../core/store/postgres/postgres-store.js';
import { POSTGRES_SKIP, freshDatabase } from '../helpers/postgres.js';
import { serveProcess as serve } from '../helpers/serve-process.js';

const TRIGGER = '0190fe82-0000-7000-8000-0000000000e1';
// Instances sharing a PostgreSQL store share one secret key, from the environment (README "Secrets at rest").
const SECRET_KEY = 'c0ffee00'.repeat(8);

describe.skipIf(POSTGRES_SKIP)(`several instances on one PostgreSQL store${POSTGRES_SKIP ? ` (skipped: ${POSTGRES_SKIP})` : ''}`, () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setUp(configYaml: (storeUrl: string) => string) {
    const database = await freshDatabase();
    cleanups.push(database.drop);
    const dir = mkdtempSync(join(tmpdir(), 'hooklaunch-scale-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'valohai.yaml'), '- step: {name: noop, image: x, command: "echo launched"}\n');
    const config = join(dir, 'hooklaunch.yaml');
    writeFileSync(config, configYaml(database.url));
    return { config, storeUrl: database.url };
  }

  async function start(config: string, instance: string, env?: NodeJS.ProcessEnv) {
    const server = await serve(config, { instance, env: { HOOKLAUNCH_SECRET_KEY: SECRET_KEY, ...env } });
    cleanups.push(() => void server.child.kill('SIGKILL'));
    return server;
  }

  it('launches exactly the quota across two instances, and nothing new when the requests are sent again', async () => {
    const { config, storeUrl } = await setUp(
      (url) => `store: {url: "${url}"}
triggers:
  - id: ${TRIGGER}
    conditions:
      - {type: web-request-auth, auth_type: static_token, key: X-Token, secret: scale}
      - {type: rate-limit, period: 3600, quota: 25}
      - {type: deduplicate, key: X-Delivery, window: 3600}
    actions: [{type: run-execution, step: noop}]
`,
    );
    const [a, b] = await Promise.all([start(config, 'a'), start(config, 'b')]);
    const keyIds = [a, b].map((s) => /"secretKey":\{"source":"HOOKLAUNCH_SECRET_KEY","id":"([0-9a-f]{16})"\}/.exec(s.startLog)?.[1]);
    expect(keyIds[0]).toBeDefined();
    expect(keyIds[1]).toBe(keyIds[0]);
    const send = (i: number) =>
      fetch(`${(i % 2 ? a : b).url}/api/v0/launch/${TRIGGER}/`, { method: 'POST', headers: { 'x-token': 'scale', 'x-delivery': `delivery-${i}` }, body: JSON.stringify({ i }) });
    const first = await Promise.all(Array.from({ length: 200 }, (_, i) => send(i)));
    const statuses = first.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(25);
    expect(statuses.filter((s) => s === 400)).toHaveLength(175);
    const bodies = (await Promise.all(first.map((r) => r.json()))) as Array<{ run_id?: string; error?: { code: string } }>;
    expect(bodies.filter((b) => b.error).every((b) => b.error!.code === 'rate_limited')).toBe(true);

    const again = await Promise.all(Array.from({ length: 200 }, (_, i) => send(i)));
    const againBodies = (await Promise.all(again.map((r) => r.json()))) as Array<{ run_id?: string }>;
    bodies.forEach((body, i) => {
      if (body.run_id) expect(againBodies[i]!.run_id).toBe(body.run_id);
    });

    const store = await openPostgresStore(storeUrl, 'observer');
    try {
      // A refusal is answered before its log line commits (the line follows within a group commit).
      await expect.poll(async () => (await store.listLog({ triggerId: TRIGGER, limit: 1000 })).length, { timeout: 5_000, interval: 50 }).toBe(400);
      const log = await store.listLog({ triggerId: TRIGGER, limit: 1000 });
      expect(log.filter((e) => e.outcome === 'accepted')).toHaveLength(25);
      expect(log.filter((e) => e.outcome === 'duplicate')).toHaveLength(25);
      const runIds = log.filter((e) => e.outcome === 'accepted').map((e) => e.runId!);
      await expect
        .poll(async () => (await Promise.all(runIds.map((id) => store.getRun(id)))).every((r) => r!.executions.length === 1 && r!.executions[0]!.status === 'complete'), { timeout: 20_000, interval: 200 })
        .toBe(true);
      const owners = new Set((await Promise.all(runIds.map((id) => store.getRun(id)))).map((r) => r!.jobs[0]!.attempts));
      expect(owners).toEqual(new Set([1]));
    } finally {
      await store.close();
    }
  });

  it('finishes the launches a killed instance had claimed, each exactly once', async () => {
    // A fake Valohai API per instance: A's never answers (A dies holding its claims), B's creates.
    const created: Array<{ tag: string; id: string }> = [];
    let hanging = 0;
    const fake = (answer: boolean): Promise<{ server: Server; url: string }> =>
      new Promise((resolve) => {
        const server = createServer((req, res) => {
          let body = '';
          req.on('data', (c: Buffer) => (body += c.toString()));
          req.on('end', () => {
            if (!answer) return void hanging++;
            const url = new URL(req.url ?? '/', 'http://x');
            res.setHeader('content-type', 'application/json');
            if (req.method === 'GET' && url.pathname === '/api/v0/commits/') {
              // The launcher resolves `main` to an identifier first (valohai-cli's resolve_commit).
              return void res.end(JSON.stringify({ results: [{ identifier: 'a'.repeat(40), ref: 'main', commit_time: '2026-11-26T00:00:00Z' }] }));
            }
            if (req.method === 'GET') {
              const results = created.filter((c) => c.tag === url.searchParams.get('tag')).map((c) => ({ ...c, tags: [c.tag] }));
              return void res.end(JSON.stringify({ count: results.length, results }));
            }
            const tag = (JSON.parse(body) as { tags: string[] }).tags[0]!;
            const execution = { tag, id: `exec-${created.length + 1}` };
            created.push(execution);
            res.statusCode = 201;
            res.end(JSON.stringify({ id: execution.id, counter: created.length, urls: { display: 'http://x' } }));
          });
        });
        server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` }));
      });
    const [slow, fast] = await Promise.all([fake(false), fake(true)]);
    cleanups.push(() => {
      slow.server.closeAllConnections();
      slow.server.close();
      fast.server.close();
    });
    const { config, storeUrl } = await setUp(
      (url) => `store: {url: "${url}"}
server: {public_url: "http://127.0.0.1:9", allow_insecure_public_url: true}
launcher:
  kind: valohai
  host: \${env:VALOHAI_HOST}
  token: t
  project: p
  lease: 2
  request_timeout: 60
triggers:
  - id: ${TRIGGER}
    actions: [{type: run-execution, step: noop}]
`,
    );
    const a = await start(config, 'a', { VALOHAI_HOST: slow.url });
    const runIds: string[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await fetch(`${a.url}/api/v0/launch/${TRIGGER}/`, { method: 'POST', body: JSON.stringify({ i }) });
      expect(res.status).toBe(200);
      runIds.push(((await res.json()) as { run_id: string }).run_id);
    }
    await expect.poll(() => hanging, { timeout: 10_000 }).toBeGreaterThan(0);
    a.child.kill('SIGKILL');
    await start(config, 'b', { VALOHAI_HOST: fast.url });

    const store = await openPostgresStore(storeUrl, 'observer');
    try {
      await expect
        .poll(async () => (await Promise.all(runIds.map((id) => store.getRun(id)))).every((r) => r!.jobs[0]!.state === 'done'), { timeout: 30_000, interval: 250 })
        .toBe(true);
      expect(created).toHaveLength(12);
      expect(new Set(created.map((c) => c.tag)).size).toBe(12);
      const runs = await Promise.all(runIds.map((id) => store.getRun(id)));
      expect(runs.some((r) => r!.jobs[0]!.attempts > 1)).toBe(true);
    } finally {
      await store.close();
    }
  });
});
