/**
 * Valohai runs are followed to their real end (issue #12, point 1): run info, metrics and the
 * failure notification say what Valohai says, not "completed" at creation. msw stands in for the
 * API; the detail and events bodies are shaped like valohai-cli's fixtures (tests/fixtures/data.py
 * EXECUTION_DETAIL_DATA, PIPELINE_DATA, EVENT_RESPONSE_DATA) and its status lists
 * (valohai_cli/consts.py). The clock is injected and the follower driven by `tick()`: no sleeps.
 */
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../core/clock.js';
import { startTestService, type TestService } from '../helpers/service.js';

const API = 'https://valohai.test';
const ALERTS = 'https://alerts.example.test/hooklaunch';
const PROJECT = '0190fe82-aaaa-7f66-8302-000000000002';
const ADMIN = 'admin-token-for-status-tests';
const EXECUTION = '0190fe82-c984-7f66-8302-0000000005e1';
const PIPELINE = '0190fe82-c984-7f66-8302-0000000005e2';
const SHA = 'c243d40ff7feb63aa7e15e8eda1d8859010ebc53';

const VALOHAI = `
- step: {name: train, image: python:3.12, command: python3 train.py}
- pipeline:
    name: train-twice
    nodes:
      - {name: first, type: execution, step: train}
      - {name: second, type: execution, step: train}
    edges: []
`;
const CONFIG = `
server: {public_url: "https://hooks.example.test", admin_token: ${ADMIN}}
launcher: {kind: valohai, host: ${API}, token: vh-token, project: ${PROJECT}, commit: main}
notify: [{url: "${ALERTS}", kind: http}]
triggers:
  - {id: ${EXECUTION}, title: Train, actions: [{type: run-execution, step: train}]}
  - {id: ${PIPELINE}, title: Train twice, actions: [{type: run-pipeline, pipeline: train-twice}]}
`;

/** What Valohai answers for each execution and pipeline id, changed by the tests as "time" passes. */
const status = new Map<string, { status: string; status_detail?: string; nodes?: unknown[] }>();
const events = new Map<string, Array<{ time: string; stream: string; message: string }>>();
const alerts: Array<Record<string, unknown>> = [];
let created = 0;
let detailFailures = 0;

const api = setupServer(
  http.get(`${API}/api/v0/commits/`, () => HttpResponse.json({ results: [{ identifier: SHA, ref: 'main', commit_time: '2026-11-26T16:36:06Z' }] })),
  http.post(`${API}/api/v0/:collection/`, ({ params }) => {
    const id = `${String(params.collection).slice(0, -1)}-${++created}`;
    status.set(id, { status: params.collection === 'pipelines' ? 'started' : 'created' });
    return HttpResponse.json({ id, counter: created, urls: { display: `${API}/p/org/proj/${id}/` } }, { status: 201 });
  }),
  http.get(`${API}/api/v0/executions/:id/events/`, ({ params }) => HttpResponse.json({ total: 2, truncated: false, events: events.get(String(params.id)) ?? [] })),
  http.get(`${API}/api/v0/:collection/:id/`, ({ params }) => {
    if (detailFailures > 0) {
      detailFailures--;
      return HttpResponse.json({ detail: 'Service unavailable' }, { status: 503 });
    }
    const known = status.get(String(params.id));
    if (!known) return HttpResponse.json({ detail: 'Not found.' }, { status: 404 });
    return HttpResponse.json({ id: params.id, counter: 1, ...known, urls: { display: `${API}/p/org/proj/${String(params.id)}/` } });
  }),
  http.post(ALERTS, async ({ request }) => {
    alerts.push((await request.json()) as Record<string, unknown>);
    return new HttpResponse(null, { status: 204 });
  }),
);

describe('Valohai status following', () => {
  const clock = fixedClock(Date.UTC(2026, 10, 28, 12));
  let t: TestService;
  const launch = async (triggerId: string): Promise<string> => {
    const response = await fetch(t.url(triggerId), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n": 1}' });
    const { run_id } = (await response.json()) as { run_id: string };
    await t.service.settled();
    return run_id;
  };
  const runInfo = async (triggerId: string, runId: string) => (await (await fetch(`${t.url(triggerId, 'run/')}?run_id=${runId}`)).json()) as { status: string; result: Array<Record<string, unknown>> };
  /** Lets the next check fall due, then runs it. */
  const check = async (): Promise<number> => {
    clock.advance(61_000);
    return t.service.follower!.tick();
  };
  const metrics = async () => (await fetch(`${t.service.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();

  beforeAll(async () => {
    api.listen({ onUnhandledRequest: (request, print) => (new URL(request.url).hostname === '127.0.0.1' ? undefined : print.error()) });
    t = await startTestService(VALOHAI, CONFIG, { clock });
  });
  beforeEach(() => {
    alerts.length = 0;
    detailFailures = 0;
  });
  afterAll(async () => {
    await t.close();
    api.close();
  });

  it('follows an execution through queued and started to complete', async () => {
    const runId = await launch(EXECUTION);
    const id = (await runInfo(EXECUTION, runId)).result[0]!.execution_id as string;
    expect(await runInfo(EXECUTION, runId)).toMatchObject({ status: 'pending', result: [{ execution_status: 'queued', execution_url: `${API}/p/org/proj/${id}/` }] });
    expect(await metrics()).toMatch(/hooklaunch_executions_queued\{launcher="valohai"\} 1/);

    status.set(id, { status: 'started' });
    expect(await check()).toBe(1);
    expect(await runInfo(EXECUTION, runId)).toMatchObject({ status: 'pending', result: [{ execution_status: 'started' }] });
    expect(await metrics()).toMatch(/hooklaunch_executions_queued\{launcher="valohai"\} 0/);
    expect(await metrics()).toMatch(/hooklaunch_executions_running\{launcher="valohai"\} 1/);

    status.set(id, { status: 'complete' });
    expect(await check()).toBe(1);
    expect(await runInfo(EXECUTION, runId)).toMatchObject({ status: 'completed', result: [{ execution_status: 'complete' }] });
    expect(await check()).toBe(0); // no longer followed
    expect(await metrics()).toMatch(/hooklaunch_executions_total\{status="complete",launcher="valohai"\} 1/);
    expect(alerts).toEqual([]);
  });

  it('reports a failed execution as failed, with its last output, and alerts', async () => {
    const runId = await launch(EXECUTION);
    const id = (await runInfo(EXECUTION, runId)).result[0]!.execution_id as string;
    status.set(id, { status: 'crashed', status_detail: 'Exited with code 3' });
    events.set(id, [
      { time: '2026-11-28T12:00:01.000000', stream: 'status', message: 'Starting' },
      { time: '2026-11-28T12:00:02.000000', stream: 'stdout', message: 'epoch 1' },
      { time: '2026-11-28T12:00:03.000000', stream: 'stderr', message: 'ValueError: no labels' },
    ]);
    expect(await check()).toBe(1);
    const info = await runInfo(EXECUTION, runId);
    expect(info).toMatchObject({ status: 'error', result: [{ execution_status: 'error' }] });
    const run = await t.service.store.getRun(runId);
    expect(run!.executions[0]!.error).toBe('Valohai reports the execution crashed: Exited with code 3');
    expect((await t.service.store.executionLog(id)).map((c) => c.text).join('')).toContain('ValueError: no labels');
    expect(await metrics()).toMatch(/hooklaunch_executions_total\{status="error",launcher="valohai"\} 1/);
    await expect.poll(() => alerts.length).toBe(1);
    expect(alerts[0]).toMatchObject({ event: 'execution_failed', trigger_id: EXECUTION, last_output: ['ValueError: no labels'] });
  });

  it('keeps following through API failures and across a restart', async () => {
    const runId = await launch(EXECUTION);
    const id = (await runInfo(EXECUTION, runId)).result[0]!.execution_id as string;
    detailFailures = 1;
    expect(await check()).toBe(1); // a 503: tried again later
    expect((await runInfo(EXECUTION, runId)).status).toBe('pending');
    await t.restart({ clock });
    status.set(id, { status: 'complete' });
    expect(await check()).toBe(1);
    expect((await runInfo(EXECUTION, runId)).status).toBe('completed');
  });

  it('follows a pipeline and reports the node that failed', async () => {
    const runId = await launch(PIPELINE);
    const id = (await runInfo(PIPELINE, runId)).result[0]!.pipeline_id as string;
    expect((await runInfo(PIPELINE, runId)).status).toBe('pending');
    status.set(id, {
      status: 'error',
      nodes: [
        { name: 'first', status: 'complete', execution: { id: 'node-exec-1', status: 'complete' } },
        { name: 'second', status: 'error', execution: { id: 'node-exec-2', status: 'error' } },
      ],
    });
    events.set('node-exec-2', [{ time: '2026-11-28T12:00:03.000000', stream: 'stderr', message: 'CUDA out of memory' }]);
    expect(await check()).toBe(1);
    expect(await runInfo(PIPELINE, runId)).toMatchObject({ status: 'error', result: [{ pipeline_status: 'error' }] });
    expect(await metrics()).toMatch(/hooklaunch_pipelines_total\{status="error",launcher="valohai"\} 1/);
    await expect.poll(() => alerts.length).toBe(1);
    expect(alerts[0]).toMatchObject({ event: 'execution_failed', kind: 'pipeline', last_output: ['CUDA out of memory'] });
    expect(String(alerts[0]!.message)).toContain('node "second" ended error');
  });
});
