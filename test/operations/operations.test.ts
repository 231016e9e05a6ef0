/** Metrics, request ids, readiness, replay and retention through a real service. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../core/clock.js';
import { signHmac } from '../../core/conditions/hmac.js';
import { startRetention } from '../../core/store/retention.js';
import { settledLogReads, silentLogger, startTestService, type TestService } from '../helpers/service.js';

const TRIGGER = '0190fe82-0000-7000-8000-0000000000b1';
const SIGNED = '0190fe82-0000-7000-8000-0000000000b2';
const ADMIN = 'operations-admin-token';
const VALOHAI = '- step: {name: ok, image: x, command: "echo done"}\n';
const config = (token: string) => `
server: {admin_token: ${ADMIN}}
triggers:
  - id: ${TRIGGER}
    title: Token trigger
    conditions: [{type: web-request-auth, auth_type: static_token, key: X-Token, secret: "${token}"}]
    actions: [{type: run-execution, step: ok}]
  - id: ${SIGNED}
    conditions:
      - {type: web-request-auth, auth_type: hmac, key: X-Sig, secret: "${token}", message: "{timestamp}.{body}"}
      - {type: timestamp, key: X-Ts, tolerance: 60}
    actions: [{type: run-execution, step: ok}]
`;
const auth = { authorization: `Bearer ${ADMIN}` };

function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-z_]+)(?:\{(.*)\})? (.+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = (match[2] ?? '').split(',').filter(Boolean);
    if (wanted.every((w) => present.includes(w)) && present.length === wanted.length) return Number(match[3]);
  }
  return undefined;
}

describe('operations', () => {
  let t: TestService | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('counts requests, launches and timings in /metrics, and answers with the logged request id', async () => {
    t = await startTestService(VALOHAI, config('right-secret-0123456789'));
    const post = (token: string) => fetch(t!.url(TRIGGER), { method: 'POST', headers: { 'x-token': token }, body: '{}' });
    const first = await post('right-secret-0123456789');
    await post('right-secret-0123456789');
    await post('wrong');
    await fetch(`${t.service.url}/api/v0/launch/0190fe82-0000-7000-8000-00000000dead/`, { method: 'POST', body: '{}' });
    await t.service.settled();

    const requestId = first.headers.get('x-request-id');
    expect((await t.service.store.listLog({ triggerId: TRIGGER, limit: 10 })).map((e) => e.requestId)).toContain(requestId);

    expect((await fetch(`${t.service.url}/metrics`)).status).toBe(401);
    const text = await (await fetch(`${t.service.url}/metrics`, { headers: auth })).text();
    expect(metricValue(text, 'hooklaunch_requests_total', { trigger: TRIGGER, outcome: 'accepted', code: '' })).toBe(2);
    // Node's own process metrics under the service's prefix, once (not hooklaunch_process_process_…).
    expect(text).toMatch(/^hooklaunch_process_cpu_user_seconds_total \d/m);
    expect(text).not.toContain('process_process');
    expect(metricValue(text, 'hooklaunch_requests_total', { trigger: TRIGGER, outcome: 'rejected', code: 'token_mismatch' })).toBe(1);
    expect(metricValue(text, 'hooklaunch_requests_total', { trigger: 'unknown', outcome: 'rejected', code: 'trigger_not_found' })).toBe(1);
    expect(metricValue(text, 'hooklaunch_launches_total', { action: 'run-execution', result: 'launched' })).toBe(2);
    expect(metricValue(text, 'hooklaunch_launch_latency_seconds_count', { action: 'run-execution' })).toBe(2);
    expect(metricValue(text, 'hooklaunch_verification_seconds_count', { trigger: TRIGGER })).toBe(3);
    expect(metricValue(text, 'hooklaunch_answer_seconds_count', { trigger: TRIGGER, outcome: 'accepted' })).toBe(2);
    expect(metricValue(text, 'hooklaunch_launch_queue_depth')).toBe(0);
    expect(metricValue(text, 'hooklaunch_launch_queue_oldest_seconds')).toBe(0);

    expect(await (await fetch(`${t.service.url}/readyz`)).json()).toEqual({ ok: true, detail: 'store reachable, launch worker running' });
    await t.service.worker.stop();
    expect((await fetch(`${t.service.url}/readyz`)).status).toBe(503);
  });
});

describe('replay and retention on one store', () => {
  let t: TestService | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('replays a rejected request after the secret is fixed, judging its timestamp as of arrival', async () => {
    const clock = fixedClock(Date.now());
    t = await startTestService(VALOHAI, config('old-secret-0123456789'), { clock });
    const body = '{"n":1}';
    const ts = String(Math.floor(clock.now() / 1000));
    const signature = signHmac({ secret: 'new-secret-0123456789', message: '{timestamp}.{body}' }, { body: Buffer.from(body), timestamp: ts });
    const res = await fetch(t.url(SIGNED), { method: 'POST', headers: { 'x-sig': signature, 'x-ts': ts, 'content-type': 'application/json' }, body });
    expect(await res.json()).toMatchObject({ error: { code: 'signature_mismatch' } });
    const rejectedId = res.headers.get('x-request-id')!;

    // The sender had the new secret all along: the operator fixes the config an hour later.
    t.project.write('hooklaunch.yaml', readFileSync(join(t.project.dir, 'hooklaunch.yaml'), 'utf8').replaceAll('old-secret-0123456789', 'new-secret-0123456789'));
    clock.advance(3_600_000);
    await t.service.close();
    const { loadConfig } = await import('../../core/config/load-config.js');
    const { connectors } = await import('../../connectors/index.js');
    const { startService } = await import('../../core/service.js');
    const service = settledLogReads(await startService(loadConfig(join(t.project.dir, 'hooklaunch.yaml'), {}, connectors), { port: 0, logger: silentLogger, clock }));
    try {
      const replay = await fetch(`${service.url}/api/v0/requests/${rejectedId}/replay/`, { method: 'POST', headers: auth });
      const answer = (await replay.json()) as { request_id: string; replay_of: string; outcome: string; run_id: string };
      expect(answer).toMatchObject({ replay_of: rejectedId, outcome: 'accepted', run_id: expect.any(String) });
      await service.settled();
      expect((await service.store.getRun(answer.run_id))!.executions[0]!.status).toBe('complete');
      const [latest] = await service.store.listLog({ triggerId: SIGNED, limit: 1 });
      expect(latest).toMatchObject({ requestId: answer.request_id, replayOf: rejectedId, outcome: 'accepted' });

      const again = await fetch(`${service.url}/api/v0/requests/nope/replay/`, { method: 'POST', headers: auth });
      expect(again.status).toBe(404);
      const unknown = await fetch(`${service.url}/api/v0/launch/0190fe82-0000-7000-8000-00000000dead/`, { method: 'POST', body: 'x' });
      const bodiless = await fetch(`${service.url}/api/v0/requests/${unknown.headers.get('x-request-id')}/replay/`, { method: 'POST', headers: auth });
      expect(await bodiless.json()).toMatchObject({ error: { message: expect.stringContaining('before its body was read') } });
    } finally {
      await service.close();
    }
  });

  it('purges old log entries and finished runs, never a pending one', async () => {
    const clock = fixedClock(Date.now());
    t = await startTestService(VALOHAI, config('ops-secret-0123456789'), { clock });
    const done = (await (await fetch(t.url(TRIGGER), { method: 'POST', headers: { 'x-token': 'ops-secret-0123456789' }, body: '{}' })).json()) as { run_id: string };
    await fetch(t.url(TRIGGER), { method: 'POST', headers: { 'x-token': 'bad' }, body: '{}' });
    await t.service.settled();
    const execution = (await t.service.store.getRun(done.run_id))!.executions[0]!;
    const workdir = join(t.project.dir, 'executions', execution.id);
    expect(existsSync(workdir)).toBe(true);
    await t.service.worker.stop();
    const pending = (await (await fetch(t.url(TRIGGER), { method: 'POST', headers: { 'x-token': 'ops-secret-0123456789' }, body: '{}' })).json()) as { run_id: string };

    clock.advance(3 * 86_400_000);
    const retention = startRetention(t.service.store, 2, clock, silentLogger, join(t.project.dir, 'executions'));
    await retention.runOnce();
    retention.stop();
    expect(await t.service.store.getRun(done.run_id)).toBeUndefined();
    expect(existsSync(workdir)).toBe(false);
    expect(await t.service.store.getRun(pending.run_id)).toBeDefined();
    const log = await t.service.store.listLog({ triggerId: TRIGGER, limit: 10 });
    expect(log.map((e) => e.runId)).toEqual([pending.run_id]);
  });
});
