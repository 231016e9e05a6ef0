/** The Valohai launcher against msw standing in for the Valohai REST API. */
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/service.js';

const API = 'https://valohai.test';
const PROJECT = '0190fe82-aaaa-7f66-8302-000000000001';
const TOKEN = 'vh-token-for-tests';
const EXECUTION = '0190fe82-c984-7f66-8302-0000000000e1';
const PIPELINE = '0190fe82-c984-7f66-8302-0000000000e2';
const FETCH = '0190fe82-c984-7f66-8302-0000000000e3';

const VALOHAI = `
- step:
    name: predict
    image: python:3.12
    command: python3 predict.py {parameters}
    parameters:
      - {name: url, type: string}
      - {name: threshold, type: float, default: 0.5}
    inputs:
      - name: payload
- step:
    name: prepare
    image: python:3.12
    command: python3 prepare.py
    inputs:
      - name: labels
- step:
    name: train
    image: python:3.12
    command:
      - pip install -r requirements.txt
      - python3 train.py {parameters}
    parameters:
      - {name: epochs, type: integer, default: 1}
      - {name: learning-rate, type: float, default: 0.1}
    inputs:
      - name: dataset
        default: s3://bucket/base.csv
- pipeline:
    name: train-on-labels
    parameters:
      - {name: epochs, target: train.parameter.epochs, default: 5}
    nodes:
      - {name: prepare, type: execution, step: prepare}
      - {name: train, type: execution, step: train, on-error: continue}
    edges:
      - [prepare.output.*.csv, train.input.dataset]
      - [prepare.metadata.item_count, train.parameter.epochs]
`;

const CONFIG = `
server:
  public_url: https://hooks.example.test
launcher:
  kind: valohai
  host: ${API}
  token: \${env:VALOHAI_API_TOKEN}
  project: ${PROJECT}
  max_attempts: 4
triggers:
  - id: ${EXECUTION}
    title: Predict from Slack
    actions:
      - type: run-execution
        step: predict
        title: "predict {payload.user}"
        payload_input: payload
        commit: release
        parameters:
          url: "{payload.text}"
  - id: ${PIPELINE}
    actions:
      - type: run-pipeline
        pipeline: train-on-labels
        payload_input: prepare.labels
        parameters:
          epochs: 9
          train.learning-rate: 0.25
  - id: ${FETCH}
    actions:
      - type: fetch-repository
`;

interface Seen {
  method: string;
  path: string;
  search: string;
  text: string;
  authorization: string | null;
}

const seen: Seen[] = [];
const created: Array<{ collection: string; tags: string[]; id: string }> = [];
let script: Array<() => Response | undefined> = [];

async function record(request: Request): Promise<Seen> {
  const url = new URL(request.url);
  const entry = { method: request.method, path: url.pathname, search: url.search, text: await request.clone().text(), authorization: request.headers.get('authorization') };
  seen.push(entry);
  return entry;
}

function create(collection: string, counter: number) {
  return async ({ request }: { request: Request }) => {
    const entry = await record(request);
    const scripted = script.shift()?.();
    if (scripted) return scripted;
    const body = JSON.parse(entry.text) as { tags: string[] };
    const id = `${collection}-${created.length + 1}`;
    created.push({ collection, tags: body.tags, id });
    return HttpResponse.json({ id, counter, urls: { display: `${API}/p/org/proj/${collection}/${id}/` } }, { status: 201 });
  };
}

function list(collection: string) {
  return async ({ request }: { request: Request }) => {
    await record(request);
    const tag = new URL(request.url).searchParams.get('tag');
    const results = created.filter((c) => c.collection === collection && c.tags.includes(tag ?? '')).map((c) => ({ id: c.id, counter: 1 }));
    return HttpResponse.json({ count: results.length, next: null, previous: null, results });
  };
}

const api = setupServer(
  http.post(`${API}/api/v0/executions/`, create('executions', 42)),
  http.get(`${API}/api/v0/executions/`, list('executions')),
  http.post(`${API}/api/v0/pipelines/`, create('pipelines', 7)),
  http.get(`${API}/api/v0/pipelines/`, list('pipelines')),
  http.post(`${API}/api/v0/projects/:project/fetch/`, async ({ request }) => {
    await record(request);
    return HttpResponse.json({ commits: [{ ref: 'main', identifier: 'a'.repeat(40), commit_time: '2026-11-26T00:00:00Z' }], errors: [] });
  }),
);

describe('Valohai launcher', () => {
  let t: TestService;
  beforeAll(async () => {
    api.listen({
      onUnhandledRequest(request, print) {
        if (['127.0.0.1', 'localhost'].includes(new URL(request.url).hostname)) return;
        print.error();
      },
    });
    t = await startTestService(VALOHAI, CONFIG, { env: { VALOHAI_API_TOKEN: TOKEN } });
  });
  beforeEach(() => {
    seen.length = 0;
    created.length = 0;
    script = [];
  });
  afterEach(() => api.resetHandlers());
  afterAll(async () => {
    api.close();
    await t.close();
  });

  async function launch(triggerId: string, body: unknown): Promise<string> {
    const res = await fetch(t.url(triggerId), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    const { run_id } = (await res.json()) as { run_id: string };
    await t.service.settled();
    return run_id;
  }

  const payloadUrl = (runId: string, file: string) => new RegExp(`^https://hooks\\.example\\.test/api/v0/payloads/${runId}/${file.replace('.', '\\.')}\\?expires=\\d+&signature=[0-9a-f]{64}$`);

  it('creates an execution with exactly the expected request, and reports it in run info', async () => {
    const payload = { user: 'ada', text: 'https://example.test/cat.jpg' };
    const runId = await launch(EXECUTION, payload);
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual(['POST /api/v0/executions/']);
    const [request] = seen;
    expect(request!.authorization).toBe(`Token ${TOKEN}`);
    const sent = JSON.parse(request!.text) as { inputs: { payload: string[] } };
    const url = sent.inputs.payload[0]!;
    expect(url).toMatch(payloadUrl(runId, 'payload.json'));
    expect(request!.text).toBe(
      JSON.stringify({
        project: PROJECT,
        commit: 'release',
        step: 'predict',
        title: 'predict ada',
        parameters: { url: 'https://example.test/cat.jpg' },
        inputs: { payload: [url] },
        tags: [`hooklaunch-${runId}.0`],
      }),
    );
    const info = await (await fetch(`${t.url(EXECUTION, 'run/')}?run_id=${runId}`)).json();
    expect(info).toEqual({
      status: 'completed',
      result: [{ action: 'run_execution', execution_step: 'predict', execution_id: 'executions-1', execution_counter: 42, execution_url: `${API}/p/org/proj/executions/executions-1/` }],
    });

    // The payload URL serves the exact bytes; a tampered or expired one is refused.
    const local = (u: string) => u.replace('https://hooks.example.test', t.service.url);
    const download = await fetch(local(url));
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/json');
    expect(await download.text()).toBe(JSON.stringify(payload));
    const tampered = local(url).replace(/signature=(.)/, (_m, c: string) => `signature=${c === '0' ? '1' : '0'}`);
    expect((await fetch(tampered)).status).toBe(403);
    expect(await (await fetch(local(url).replace(runId, `${runId.slice(0, -1)}${runId.endsWith('0') ? '1' : '0'}`))).json()).toMatchObject({ error: { code: 'url_signature_invalid' } });
    const longer = local(url).replace(/expires=(\d+)/, (_m, e: string) => `expires=${Number(e) + 1}`);
    expect((await fetch(longer)).status).toBe(403);
    const expired = local(t.service.payloadUrls.sign(runId, 'payload.json', Date.now() - 30 * 86_400_000));
    const refused = await fetch(expired);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { code: 'url_expired' } });
    expect((await fetch(`${t.service.url}/api/v0/payloads/${runId}/payload.json`)).status).toBe(403);
  });

  it('creates a pipeline converted from valohai.yaml with the payload on the right node', async () => {
    const runId = await launch(PIPELINE, { items: ['a'] });
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual(['POST /api/v0/pipelines/']);
    const text = seen[0]!.text;
    const url = (JSON.parse(text) as { nodes: Array<{ template: { inputs: { labels?: string[] } } }> }).nodes[0]!.template.inputs.labels![0]!;
    expect(url).toMatch(payloadUrl(runId, 'payload.json'));
    expect(text).toBe(
      JSON.stringify({
        project: PROJECT,
        title: 'train-on-labels',
        tags: [`hooklaunch-${runId}.0`],
        edges: [
          { source_node: 'prepare', source_type: 'output', source_key: '*.csv', target_node: 'train', target_type: 'input', target_key: 'dataset' },
          { source_node: 'prepare', source_type: 'metadata', source_key: 'item_count', target_node: 'train', target_type: 'parameter', target_key: 'epochs' },
        ],
        nodes: [
          {
            name: 'prepare',
            type: 'execution',
            on_error: 'stop-all',
            template: { commit: 'main', step: 'prepare', image: 'python:3.12', command: ['python3 prepare.py'], inputs: { labels: [url] }, parameters: {} },
          },
          {
            name: 'train',
            type: 'execution',
            on_error: 'continue',
            template: {
              commit: 'main',
              step: 'train',
              image: 'python:3.12',
              command: ['pip install -r requirements.txt', 'python3 train.py {parameters}'],
              inputs: { dataset: ['s3://bucket/base.csv'] },
              parameters: { epochs: 1, 'learning-rate': 0.25 },
            },
          },
        ],
        parameters: { epochs: { config: { name: 'epochs', targets: ['train.parameter.epochs'], default: 5 }, expression: 9 } },
      }),
    );
    const info = await (await fetch(`${t.url(PIPELINE, 'run/')}?run_id=${runId}`)).json();
    expect(info).toEqual({
      status: 'completed',
      result: [{ action: 'run_pipeline', pipeline: 'train-on-labels', pipeline_id: 'pipelines-1', pipeline_counter: 7, pipeline_url: `${API}/p/org/proj/pipelines/pipelines-1/` }],
    });
  });

  it('asks Valohai to fetch the repository', async () => {
    const runId = await launch(FETCH, {});
    expect(seen.map((s) => `${s.method} ${s.path} ${s.text}`)).toEqual([`POST /api/v0/projects/${PROJECT}/fetch/ `]);
    const info = await (await fetch(`${t.url(FETCH, 'run/')}?run_id=${runId}`)).json();
    expect(info).toEqual({ status: 'completed', result: [{ action: 'fetch_repository', commits: [{ ref: 'main', identifier: 'a'.repeat(40) }], errors: [] }] });
  });

  it('retries a 503 and creates exactly one execution', async () => {
    script = [() => HttpResponse.json({ detail: 'Service unavailable' }, { status: 503 })];
    const runId = await launch(EXECUTION, { user: 'x', text: 't' });
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual(['POST /api/v0/executions/', 'GET /api/v0/executions/', 'POST /api/v0/executions/']);
    expect(seen[1]!.search).toBe(`?project=${PROJECT}&tag=hooklaunch-${runId}.0`);
    expect(created).toHaveLength(1);
    const job = (await t.service.store.getRun(runId))!.jobs[0]!;
    expect(job).toMatchObject({ state: 'done', attempts: 2, result: { executionId: 'executions-1' } });
  });

  it('does not create a second execution when the first answer was lost', async () => {
    script = [
      () => {
        created.push({ collection: 'executions', tags: [`hooklaunch-${pendingRunId}.0`], id: 'executions-lost' });
        return HttpResponse.error();
      },
    ];
    let pendingRunId = '';
    await t.service.worker.stop();
    const res = await fetch(t.url(EXECUTION), { method: 'POST', body: JSON.stringify({ user: 'x', text: 't' }) });
    pendingRunId = ((await res.json()) as { run_id: string }).run_id;
    t.service.worker.start();
    await t.service.settled();
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual(['POST /api/v0/executions/', 'GET /api/v0/executions/']);
    expect(created.map((c) => c.id)).toEqual(['executions-lost']);
    expect((await t.service.store.getRun(pendingRunId))!.jobs[0]!.result).toMatchObject({ kind: 'execution', executionId: 'executions-lost' });
  });

  it('records a permanent API error with its message and does not retry it', async () => {
    script = [() => HttpResponse.json({ step: [{ message: 'Step "predict" not found in commit release', code: 'does_not_exist' }] }, { status: 400 })];
    const runId = await launch(EXECUTION, { user: 'x', text: 't' });
    expect(seen).toHaveLength(1);
    const job = (await t.service.store.getRun(runId))!.jobs[0]!;
    expect(job).toMatchObject({
      state: 'failed',
      attempts: 1,
      lastError: { code: 'valohai_400', message: 'Valohai API POST /api/v0/executions/ answered 400: step: Step "predict" not found in commit release (does_not_exist)' },
    });
    const info = await (await fetch(`${t.url(EXECUTION, 'run/')}?run_id=${runId}`)).json();
    expect(info).toEqual({ status: 'error', result: [] });
  });

  it('gives up after max_attempts when Valohai stays down', async () => {
    script = Array.from({ length: 10 }, () => () => HttpResponse.json({ detail: 'Bad gateway' }, { status: 502 }));
    const runId = await launch(EXECUTION, { user: 'x', text: 't' });
    const job = (await t.service.store.getRun(runId))!.jobs[0]!;
    expect(job).toMatchObject({ state: 'failed', attempts: 4, lastError: { code: 'valohai_502' } });
    expect(seen.filter((s) => s.method === 'POST')).toHaveLength(4);
  });
});
