/**
 * Launched work that fails is a failure everywhere (issue #12, point 2), and queue depth counts
 * executions waiting for the runner (point 7): through the real server, a loopback notification
 * sink, /metrics and the web page.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startSink } from '../helpers/template.js';
import { startTestService, type TestService } from '../helpers/service.js';

const FAILING = '0190fe82-0000-7000-8000-0000000000e1';
const PASSING = '0190fe82-0000-7000-8000-0000000000e2';
const BLOCKING = '0190fe82-0000-7000-8000-0000000000e3';
const PIPELINE = '0190fe82-0000-7000-8000-0000000000e4';
const ADMIN = 'execution-failures-admin-token';
const auth = { authorization: `Bearer ${ADMIN}` };

const VALOHAI = `
- step:
    name: fail
    image: python:3.12
    command: |
      python3 -c "import sys; print('loading rows'); print('Traceback (most recent call last):', file=sys.stderr); print('ValueError: row 7 has no id', file=sys.stderr); sys.exit(3)"
- step:
    name: ok
    image: python:3.12
    command: echo done
    inputs:
      - {name: none, optional: true}
- step:
    name: wait
    image: python:3.12
    command: 'while [ ! -f release ]; do sleep 0.05; done'
- pipeline:
    name: import-then-report
    nodes:
      - {name: import, type: execution, step: fail, on-error: stop-next}
      - {name: report, type: execution, step: ok}
    edges:
      - [import.output.*, report.input.none]
`;

const config = (sink: string) => `
server: {admin_token: ${ADMIN}}
launcher: {kind: local, concurrency: 1}
notify:
  - {url: "${sink}/alerts", kind: http}
triggers:
  - id: ${FAILING}
    title: Nightly import
    actions: [{type: run-execution, step: fail}]
  - id: ${PASSING}
    actions: [{type: run-execution, step: ok}]
  - id: ${BLOCKING}
    actions: [{type: run-execution, step: wait}]
  - id: ${PIPELINE}
    actions: [{type: run-pipeline, pipeline: import-then-report}]
`;

function metricValue(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (.+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = (match[2] ?? '').split(',').filter(Boolean);
    if (present.length === wanted.length && wanted.every((w) => present.includes(w))) return Number(match[3]);
  }
  return undefined;
}

describe('launched work that ends', () => {
  let t: TestService | undefined;
  let sink: Awaited<ReturnType<typeof startSink>> | undefined;
  afterEach(async () => {
    await t?.close();
    await sink?.close();
    t = sink = undefined;
  });

  it('counts a failed execution in /metrics, notifies with its last output lines, and shows it red on the page', async () => {
    sink = await startSink();
    t = await startTestService(VALOHAI, config(sink.url));
    const failed = (await (await fetch(t.url(FAILING), { method: 'POST', body: '{}' })).json()) as { run_id: string };
    await fetch(t.url(PASSING), { method: 'POST', body: '{}' });
    await t.service.settled();

    const metrics = await (await fetch(`${t.service.url}/metrics`, { headers: auth })).text();
    expect(metricValue(metrics, 'hooklaunch_executions_total', { status: 'error', launcher: 'local' })).toBe(1);
    expect(metricValue(metrics, 'hooklaunch_executions_total', { status: 'complete', launcher: 'local' })).toBe(1);

    await expect.poll(() => sink!.received.length).toBe(1);
    const [alert] = sink.received;
    expect(alert!.path).toBe('/alerts');
    const execution = (await t.service.store.getRun(failed.run_id))!.executions[0]!;
    expect(JSON.parse(alert!.body)).toEqual({
      event: 'execution_failed',
      trigger_id: FAILING,
      trigger_title: 'Nightly import',
      message: `hooklaunch: execution of fail (${execution.id}) of run ${failed.run_id} on trigger "Nightly import" ended in error: command exited with code 3`,
      run_id: failed.run_id,
      kind: 'execution',
      execution_id: execution.id,
      step: 'fail',
      launcher: 'local',
      status: 'error',
      reason: 'command exited with code 3',
      // stderr preferred: the stdout line "loading rows" is not the reason.
      last_output: ['Traceback (most recent call last):', 'ValueError: row 7 has no id'],
    });

    const [line] = await t.service.store.listLog({ triggerId: FAILING, limit: 1 });
    const page = await (await fetch(`${t.service.url}/ui/requests/${line!.requestId}`, { headers: auth })).text();
    expect(page).toContain('<span class="badge bad" id="run-status">error</span>');
    expect(page).toMatch(/<section class="notice bad" role="alert" id="run-failure">[\s\S]*command exited with code 3[\s\S]*ValueError: row 7 has no id[\s\S]*<\/section>/);
    const list = await (await fetch(`${t.service.url}/ui/triggers/${FAILING}`, { headers: auth })).text();
    expect(list).toContain(`<code>${failed.run_id}</code> <span class="badge bad">error</span>`);
  });

  it("notifies a failed pipeline once, with its failed node's output, and counts it", async () => {
    sink = await startSink();
    t = await startTestService(VALOHAI, config(sink.url));
    const { run_id } = (await (await fetch(t.url(PIPELINE), { method: 'POST', body: '{}' })).json()) as { run_id: string };
    await t.service.settled();
    const run = (await t.service.store.getRun(run_id))!;
    expect(run.pipelines[0]!.status).toBe('error');

    const metrics = await (await fetch(`${t.service.url}/metrics`, { headers: auth })).text();
    expect(metricValue(metrics, 'hooklaunch_pipelines_total', { status: 'error', launcher: 'local' })).toBe(1);
    // The failed node is an execution that ended in error; the skipped one never ran.
    expect(metricValue(metrics, 'hooklaunch_executions_total', { status: 'error', launcher: 'local' })).toBe(1);

    await expect.poll(() => sink!.received.length).toBe(1);
    expect(JSON.parse(sink.received[0]!.body)).toMatchObject({
      event: 'execution_failed',
      kind: 'pipeline',
      pipeline_id: run.pipelines[0]!.id,
      pipeline: 'import-then-report',
      status: 'error',
      reason: expect.stringContaining('node import: command exited with code 3'),
      last_output: ['Traceback (most recent call last):', 'ValueError: row 7 has no id'],
    });
    // No second notice for the node itself.
    await t.service.close();
    expect(sink.received).toHaveLength(1);
  });

  it('shows executions waiting for the runner in /metrics and on the page, next to the launch queue', async () => {
    t = await startTestService(VALOHAI, config('http://127.0.0.1:9'));
    for (let i = 0; i < 3; i++) await fetch(t.url(BLOCKING), { method: 'POST', body: '{}' });
    const scrape = async () => {
      const text = await (await fetch(`${t!.service.url}/metrics`, { headers: auth })).text();
      return {
        queued: metricValue(text, 'hooklaunch_executions_queued', { launcher: 'local' }),
        running: metricValue(text, 'hooklaunch_executions_running', { launcher: 'local' }),
        launches: metricValue(text, 'hooklaunch_launch_queue_depth', {}),
      };
    };
    // Concurrency 1: one runs, two wait for it; all three are launched.
    await expect.poll(scrape, { timeout: 10_000 }).toEqual({ queued: 2, running: 1, launches: 0 });
    const overview = await (await fetch(`${t.service.url}/ui/`, { headers: auth })).text();
    expect(overview).toContain('<b id="launch-queue-depth">0</b>');
    expect(overview).toContain('<b id="executions-queued">2</b>');
    expect(overview).toContain('<b id="executions-running">1</b>');

    t.project.write('release', '');
    await t.service.settled();
    expect(await scrape()).toEqual({ queued: 0, running: 0, launches: 0 });
  });
});
