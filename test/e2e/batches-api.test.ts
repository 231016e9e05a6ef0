/**
 * Issue #17 point 3 ("Visible"), through the real server: the admin API lists batches (by trigger
 * and state) in describeBatch's shape, reads one with its run once launched, closes one now
 * (operator only; launched / held by a rate limit / already launched / not found), and a batch
 * run's detail names its batch. The clock is injected: nothing closes by itself while the test looks.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../core/clock.js';
import { startTestService, type TestService } from '../helpers/service.js';

const TRIGGER = '0190fe82-c984-7f66-8302-0000000b0001';
const OTHER = '0190fe82-c984-7f66-8302-0000000b0002';
const OPERATOR = 'batches-operator-token-0123';
const VIEWER = 'batches-viewer-token-01234';
const T0 = Date.parse('2026-11-28T22:00:00.000Z');

const VALOHAI = `
- step:
    name: train
    image: busybox
    command: echo trained
    inputs:
      - name: payload
`;

const CONFIG = `
server:
  admin_tokens:
    - {name: ops, token: ${OPERATOR}, role: operator}
    - {name: look, token: ${VIEWER}, role: viewer}
triggers:
  - id: ${TRIGGER}
    title: Labels
    conditions: [{type: web-request-auth, auth_type: static_token, key: Authorization, prefix: "Bearer ", secret: labels-token}]
    batch: {key: "{payload.dataset}", window: 600, quiet: 120, max_items: 5}
    actions: [{type: run-execution, step: train}]
  - id: ${OTHER}
    title: Other
    conditions:
      - {type: web-request-auth, auth_type: static_token, key: Authorization, prefix: "Bearer ", secret: other-token}
      - {type: rate-limit, period: 3600, quota: 1}
    batch: {window: 60}
    actions: [{type: run-execution, step: train}]
`;

interface Described {
  id: string;
  trigger_id: string;
  key: string;
  state: string;
  items: number;
  max_items: number;
  run_id: string;
  opened_at: string;
  closes_by: string | null;
  close_reason: string | null;
}

describe('admin API: batches', () => {
  let svc: TestService;
  const clock = fixedClock(T0);
  beforeEach(async () => {
    clock.set(T0);
    svc = await startTestService(VALOHAI, CONFIG, { clock });
  });
  afterEach(async () => {
    await svc.close();
  });

  const deliver = async (trigger: string, token: string, body: unknown): Promise<{ batchId: string; position: string; runId: string }> => {
    const response = await fetch(svc.url(trigger), { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(response.status).toBe(200);
    return { batchId: response.headers.get('x-hooklaunch-batch-id')!, position: response.headers.get('x-hooklaunch-batch-position')!, runId: response.headers.get('x-hooklaunch-run-id')! };
  };
  const api = async (method: string, path: string, token = VIEWER): Promise<{ status: number; body: any }> => {
    const response = await fetch(`${svc.service.url}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, body: await response.json() };
  };

  it('lists batches by trigger and state, reads one, closes one now (operator), and the run names its batch', async () => {
    const cars1 = await deliver(TRIGGER, 'labels-token', { dataset: 'cars', item: 1 });
    clock.advance(5_000);
    const cars2 = await deliver(TRIGGER, 'labels-token', { dataset: 'cars', item: 2 });
    const bikes = await deliver(TRIGGER, 'labels-token', { dataset: 'bikes', item: 1 });
    const other = await deliver(OTHER, 'other-token', { x: 1 });
    expect(cars2).toEqual({ ...cars1, position: '2' });
    expect(new Set([cars1.batchId, bikes.batchId, other.batchId]).size).toBe(3);

    const all = await api('GET', '/api/v0/batches');
    expect(all.status).toBe(200);
    expect((all.body.batches as Described[]).map((b) => b.id).sort()).toEqual([cars1.batchId, bikes.batchId, other.batchId].sort());
    const mine = await api('GET', `/api/v0/batches?trigger=${TRIGGER}&state=open`);
    const cars = (mine.body.batches as Described[]).find((b) => b.key === 'cars')!;
    expect(mine.body.batches).toHaveLength(2);
    // Quiet 120 s after the second delivery (T0 + 5 s), inside the 600 s window.
    expect(cars).toMatchObject({ id: cars1.batchId, trigger_id: TRIGGER, state: 'open', items: 2, max_items: 5, run_id: cars1.runId, opened_at: new Date(T0).toISOString(), closes_by: new Date(T0 + 125_000).toISOString(), close_reason: null });
    expect((await api('GET', '/api/v0/batches?state=launched')).body.batches).toEqual([]);
    expect((await api('GET', '/api/v0/batches?state=closed')).status).toBe(400);
    expect((await api('GET', '/api/v0/batches?limit=0')).status).toBe(400);

    const one = await api('GET', `/api/v0/batches/${cars1.batchId}`);
    expect(one.body).toMatchObject({ batch: cars, run: null });
    // Its deliveries, in arrival order, each a request of the trigger log.
    const items = one.body.items as Array<{ position: number; request_id: string; received_at: string; size_bytes: number }>;
    expect(items.map((i) => [i.position, i.received_at, i.size_bytes])).toEqual([
      [1, new Date(T0).toISOString(), JSON.stringify({ dataset: 'cars', item: 1 }).length],
      [2, new Date(T0 + 5_000).toISOString(), JSON.stringify({ dataset: 'cars', item: 2 }).length],
    ]);
    expect((await api('GET', `/api/v0/requests/${items[1]!.request_id}`)).body).toMatchObject({ entry: { outcome: 'batched', runId: cars1.runId } });
    const missing = await api('GET', '/api/v0/batches/no-such-batch');
    expect(missing).toEqual({ status: 404, body: { error: { code: 'batch_not_found', message: 'no such batch' } } });

    // Closing is an operator's: a viewer is refused and nothing launches.
    const refused = await api('POST', `/api/v0/batches/${cars1.batchId}/close`, VIEWER);
    expect(refused.status).toBe(403);
    expect((await svc.service.store.getBatch(cars1.batchId))!.state).toBe('open');

    const closed = await api('POST', `/api/v0/batches/${cars1.batchId}/close`, OPERATOR);
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ outcome: 'launched', run_id: cars1.runId, message: `launched run ${cars1.runId} with 2 deliveries`, batch: { id: cars1.batchId, state: 'launched', close_reason: 'manual', closes_by: null } });
    const again = await api('POST', `/api/v0/batches/${cars1.batchId}/close/`, OPERATOR);
    expect(again.body).toMatchObject({ outcome: 'already_launched', run_id: cars1.runId });
    const unknown = await api('POST', '/api/v0/batches/no-such-batch/close', OPERATOR);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('batch_not_found');

    // Launched: the batch shows its run, and the run its batch.
    const launched = await api('GET', `/api/v0/batches/${cars1.batchId}`);
    expect(launched.body.run).toMatchObject({ run_id: cars1.runId, status: expect.stringMatching(/^(pending|completed)$/) });
    const run = await api('GET', `/api/v0/runs/${cars1.runId}`);
    expect(run.status).toBe(200);
    expect(run.body.batch).toMatchObject({ id: cars1.batchId, items: 2, state: 'launched', close_reason: 'manual' });
    // A delivery's own detail names its batch too.
    const logged = await api('GET', `/api/v0/triggers/${TRIGGER}/logs?outcome=batched`);
    const firstCars = (logged.body.entries as Array<{ requestId: string; message: string }>).find((e) => e.message === `item 1 of batch ${cars1.batchId}`)!;
    const request = await api('GET', `/api/v0/requests/${firstCars.requestId}`);
    expect(request.body.batch).toMatchObject({ id: cars1.batchId, run_id: cars1.runId });
    expect((await api('GET', `/api/v0/batches?trigger=${TRIGGER}&state=open,held`)).body.batches.map((b: Described) => b.key)).toEqual(['bikes']);
  });

  it('a manual close still counts against the rate limit: the batch is held, says why, and keeps its deliveries', async () => {
    const first = await deliver(OTHER, 'other-token', { n: 1 });
    expect((await api('POST', `/api/v0/batches/${first.batchId}/close`, OPERATOR)).body.outcome).toBe('launched');
    const second = await deliver(OTHER, 'other-token', { n: 2 });
    const third = await deliver(OTHER, 'other-token', { n: 3 });
    expect(third).toEqual({ ...second, position: '2' });
    expect(second.batchId).not.toBe(first.batchId);

    const held = await api('POST', `/api/v0/batches/${second.batchId}/close`, OPERATOR);
    expect(held.status).toBe(200);
    const until = new Date(T0 + 3_600_000).toISOString();
    expect(held.body).toMatchObject({ outcome: 'held', run_id: second.runId, message: `rate limit of 1 launches per 3600 s reached; the batch launches at ${until}` });
    expect(held.body.batch).toMatchObject({ state: 'held', items: 2, closes_by: until, note: held.body.message });
    expect((await api('GET', `/api/v0/batches?trigger=${OTHER}&state=held`)).body.batches.map((b: Described) => b.id)).toEqual([second.batchId]);
    expect((await api('GET', `/api/v0/batches/${second.batchId}`)).body.run).toBeNull();
  });
});
