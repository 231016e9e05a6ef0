/**
 * The Valohai launcher against msw standing in for the Valohai REST API. Expected request bodies
 * are written from valohai-cli's and valohai-yaml's code for the same step (cited at each one).
 */
import { execFileSync } from 'node:child_process';
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
const SHORT = '0190fe82-c984-7f66-8302-0000000000e4';
const BATCHED = '0190fe82-c984-7f66-8302-0000000000e5';
const RELEASE_SHA = 'b5b50f5d183ebc645460dba1329ee48798f31482';
const MAIN_OLD_SHA = 'a9f10d48ed9ece3997b40d2432c64eb08bd11e45';
const MAIN_SHA = 'c243d40ff7feb63aa7e15e8eda1d8859010ebc53';

/**
 * `GET /api/v0/commits/` answers as valohai-cli reads it: `{"results": [...]}`
 * (valohai/valohai-cli valohai_cli/models/project.py load_commit_list; the mock in
 * tests/commands/run_test_utils.py handle_commits_list), each commit shaped like the commit of
 * EXECUTION_DATA in tests/fixture_data.py: repository, identifier, ref, commit_time, url.
 */
function commitEntry(identifier: string, ref: string, commitTime: string) {
  return { repository: 8, identifier, ref, commit_time: commitTime, url: `${API}/api/v0/commits/${identifier}/` };
}
let commits = [
  commitEntry(MAIN_OLD_SHA, 'main', '2026-11-20T12:32:02Z'),
  commitEntry(RELEASE_SHA, 'release', '2026-11-21T13:33:03Z'),
  commitEntry(MAIN_SHA, 'main', '2026-11-26T16:36:06Z'),
];
const defaultCommits = commits;

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
    description: Train on the labels
    command:
      - pip install -r requirements.txt
      - python3 train.py {parameters}
    time-limit: 1h 30m
    no-output-timeout: 30m
    mounts:
      - /mnt/data:/data
    environment-variables:
      - {name: LOG_LEVEL, default: info}
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
  - id: ${SHORT}
    actions:
      - type: run-execution
        step: prepare
        commit: c243d40
  - id: ${BATCHED}
    batch: {max_items: 2}
    actions:
      - type: run-pipeline
        pipeline: train-on-labels
        payload_input: prepare.labels
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
/** Stands in for a server that ignores `?tag=` and lists the project's executions, newest first. */
let ignoreTagFilter = false;

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
    created.unshift({ collection, tags: body.tags, id });
    return HttpResponse.json({ id, counter, urls: { display: `${API}/p/org/proj/${collection}/${id}/` } }, { status: 201 });
  };
}

function list(collection: string) {
  return async ({ request }: { request: Request }) => {
    await record(request);
    const tag = new URL(request.url).searchParams.get('tag');
    const results = created.filter((c) => c.collection === collection && (ignoreTagFilter || c.tags.includes(tag ?? ''))).map((c) => ({ id: c.id, counter: 1, tags: c.tags }));
    return HttpResponse.json({ count: results.length, next: null, previous: null, results });
  };
}

const api = setupServer(
  http.get(`${API}/api/v0/commits/`, async ({ request }) => {
    await record(request);
    return HttpResponse.json({ count: commits.length, next: null, previous: null, results: commits });
  }),
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
    ignoreTagFilter = false;
    commits = defaultCommits;
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
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual(['GET /api/v0/commits/', 'POST /api/v0/executions/']);
    // The commit list valohai-cli asks for (valohai_cli/models/project.py load_commit_list).
    expect(seen[0]!.search).toBe(`?project=${PROJECT}&adhoc=false&limit=9000`);
    const request = seen[1];
    expect(request!.authorization).toBe(`Token ${TOKEN}`);
    const sent = JSON.parse(request!.text) as { inputs: { payload: string[] } };
    const url = sent.inputs.payload[0]!;
    expect(url).toMatch(payloadUrl(runId, 'payload.json'));
    // valohai/valohai-cli valohai_cli/commands/execution/run/dynamic_run_command.py execute():
    // {commit, inputs, parameters, project, step} then title and tags; every step parameter with
    // its default unless given (threshold 0.5), every input; `commit` resolved to an identifier
    // first (valohai_cli/utils/commits.py resolve_commit): the ref "release" is never sent as is.
    expect(request!.text).toBe(
      JSON.stringify({
        commit: RELEASE_SHA,
        inputs: { payload: [url] },
        parameters: { url: 'https://example.test/cat.jpg', threshold: 0.5 },
        project: PROJECT,
        step: 'predict',
        title: 'predict ada',
        tags: [`hooklaunch-${runId}.0`],
      }),
    );
    const info = await (await fetch(`${t.url(EXECUTION, 'run/')}?run_id=${runId}`)).json();
    // Created is not done: pending until the status follower hears Valohai say how it ended (issue #12).
    expect(info).toEqual({
      status: 'pending',
      result: [{ action: 'run_execution', execution_step: 'predict', execution_id: 'executions-1', execution_status: 'queued', execution_counter: 42, execution_url: `${API}/p/org/proj/executions/executions-1/` }],
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

  it('creates a pipeline converted as valohai-yaml converts it, at the commit the ref resolves to', async () => {
    const runId = await launch(PIPELINE, { items: ['a'] });
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual(['GET /api/v0/commits/', 'POST /api/v0/pipelines/']);
    const sent = JSON.parse(seen[1]!.text) as { nodes: Array<{ template: { inputs: { labels?: string[] } } }> };
    const url = sent.nodes[0]!.template.inputs.labels![0]!;
    expect(url).toMatch(payloadUrl(runId, 'payload.json'));
    // Written from valohai/valohai-yaml valohai_yaml/pipelines/conversion.py convert_pipeline /
    // convert_executionlike_node: node = Node.serialize() (objs/pipelines/node.py get_data puts
    // `on_error`, objs/base.py Item.serialize turns it into `on-error`; the default `stop-all`
    // is not left out there), template = {commit, step, **Step.serialize()} (objs/step.py:
    // name, image, command as written, mounts, description, time-limit in seconds; empty lists
    // left out) with `no-output-timeout` moved to runtime_config.no_output_timeout (always a
    // runtime_config), then Override.serialize_to_template (objs/pipelines/override.py):
    // environment-variables merged and serialised as EnvironmentVariable items
    // (objs/environment_variable.py, `optional` defaults to true), parameters and inputs as
    // {name: default} / {name: [defaults]}. Mounts "src:dst" are parsed (objs/mount.py) and
    // serialised with `readonly`. `commit` is what "main" resolves to: the newest commit on that
    // ref. hooklaunch adds the payload input and the trigger's `train.learning-rate`.
    expect(JSON.parse(seen[1]!.text)).toEqual({
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
          'on-error': 'stop-all',
          type: 'execution',
          template: {
            commit: MAIN_SHA,
            step: 'prepare',
            name: 'prepare',
            image: 'python:3.12',
            command: 'python3 prepare.py',
            runtime_config: {},
            parameters: {},
            inputs: { labels: [url] },
          },
        },
        {
          name: 'train',
          'on-error': 'continue',
          type: 'execution',
          template: {
            commit: MAIN_SHA,
            step: 'train',
            name: 'train',
            image: 'python:3.12',
            command: ['pip install -r requirements.txt', 'python3 train.py {parameters}'],
            mounts: [{ destination: '/data', readonly: false, source: '/mnt/data' }],
            description: 'Train on the labels',
            'time-limit': 5400,
            runtime_config: { no_output_timeout: 1800 },
            'environment-variables': [{ name: 'LOG_LEVEL', default: 'info', optional: true }],
            parameters: { epochs: 1, 'learning-rate': 0.25 },
            inputs: { dataset: ['s3://bucket/base.csv'] },
          },
        },
      ],
      // conversion.py convert_parameter: {config: parameter.serialize(), expression}.
      parameters: { epochs: { config: { name: 'epochs', targets: ['train.parameter.epochs'], default: 5 }, expression: 9 } },
    });
    const info = await (await fetch(`${t.url(PIPELINE, 'run/')}?run_id=${runId}`)).json();
    expect(info).toEqual({
      status: 'pending',
      result: [
        {
          action: 'run_pipeline',
          pipeline: 'train-on-labels',
          pipeline_id: 'pipelines-1',
          pipeline_status: 'started',
          pipeline_counter: 7,
          pipeline_url: `${API}/p/org/proj/pipelines/pipelines-1/`,
          pipeline_definition: expect.stringMatching(new RegExp(`^valohai\\.yaml of the working copy: cannot read valohai\\.yaml at ${MAIN_SHA}`)),
        },
      ],
    });
  });

  it('hands a batch to a pipeline as two signed URLs in its payload input: batch.jsonl and index.json (#17)', async () => {
    const answers = [];
    for (const n of [1, 2]) {
      const res = await fetch(t.url(BATCHED), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n }) });
      answers.push((await res.json()) as { run_id: string; batch: { id: string; position: number } });
    }
    const runId = answers[0]!.run_id;
    expect(answers.map((a) => [a.run_id, a.batch.position])).toEqual([
      [runId, 1],
      [runId, 2],
    ]);
    await t.service.batches.closeDue();
    await t.service.settled();
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual(['GET /api/v0/commits/', 'POST /api/v0/pipelines/']);
    const sent = JSON.parse(seen[1]!.text) as { tags: string[]; nodes: Array<{ name: string; template: { inputs: { labels?: string[] } } }> };
    expect(sent.tags).toEqual([`hooklaunch-${runId}.0`]);
    // A Valohai input is a list of URLs, each file named by its URL's last path segment.
    const urls = sent.nodes.find((n) => n.name === 'prepare')!.template.inputs.labels!;
    expect(urls).toHaveLength(2);
    expect(urls[0]).toMatch(payloadUrl(runId, 'batch.jsonl'));
    expect(urls[1]).toMatch(payloadUrl(runId, 'index.json'));
    const local = (u: string) => u.replace('https://hooks.example.test', t.service.url);
    const lines = await fetch(local(urls[0]!));
    expect(lines.headers.get('content-type')).toBe('application/x-ndjson');
    expect(await lines.text()).toBe('{"n":1}\n{"n":2}\n');
    const index = await fetch(local(urls[1]!));
    expect(index.headers.get('content-type')).toBe('application/json');
    expect(await index.json()).toMatchObject({ batch_id: answers[0]!.batch.id, run_id: runId, close_reason: 'max_items', items: [{ position: 1 }, { position: 2 }] });
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
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual([
      'GET /api/v0/commits/',
      'POST /api/v0/executions/',
      'GET /api/v0/executions/',
      'GET /api/v0/commits/',
      'POST /api/v0/executions/',
    ]);
    expect(seen[2]!.search).toBe(`?project=${PROJECT}&tag=hooklaunch-${runId}.0`);
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
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual(['GET /api/v0/commits/', 'POST /api/v0/executions/', 'GET /api/v0/executions/']);
    expect(created.map((c) => c.id)).toEqual(['executions-lost']);
    expect((await t.service.store.getRun(pendingRunId))!.jobs[0]!.result).toMatchObject({ kind: 'execution', executionId: 'executions-lost' });
  });

  it('records a permanent API error with its message and does not retry it', async () => {
    script = [() => HttpResponse.json({ step: [{ message: 'Step "predict" not found in commit release', code: 'does_not_exist' }] }, { status: 400 })];
    const runId = await launch(EXECUTION, { user: 'x', text: 't' });
    expect(seen.filter((s) => s.method === 'POST')).toHaveLength(1);
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
  it('adopts only an execution that carries the job tag, even when the API ignores the tag filter', async () => {
    // Someone else's execution, newest in the project, and a server that lists it for any tag.
    created.push({ collection: 'executions', tags: ['nightly'], id: 'executions-someone-else' });
    ignoreTagFilter = true;
    script = [() => HttpResponse.error()];
    const runId = await launch(EXECUTION, { user: 'x', text: 't' });
    const posts = seen.filter((s) => s.method === 'POST');
    expect(posts).toHaveLength(2);
    expect(created.filter((c) => c.tags.includes(`hooklaunch-${runId}.0`))).toHaveLength(1);
    const job = (await t.service.store.getRun(runId))!.jobs[0]!;
    expect(job).toMatchObject({ state: 'done', attempts: 2 });
    expect(job.result).toMatchObject({ kind: 'execution', executionId: 'executions-2' });
  });

  it('resolves a short identifier like valohai-cli, a ref before it, and retries a commit Valohai does not know yet', async () => {
    // valohai/valohai-cli valohai_cli/models/project.py resolve_commits: an identifier prefix
    // matches, newest first (tests/test_utils_commits.py: 'c243d40' → 'c243d40ff7fe...').
    await launch(SHORT, {});
    expect((JSON.parse(seen[1]!.text) as { commit: string }).commit).toBe(MAIN_SHA);

    // A branch whose name is hex is a branch, not an abbreviated identifier.
    seen.length = 0;
    commits = [...defaultCommits, commitEntry(RELEASE_SHA, 'c243d40', '2026-11-27T10:00:00Z')];
    await launch(SHORT, {});
    expect((JSON.parse(seen[1]!.text) as { commit: string }).commit).toBe(RELEASE_SHA);

    seen.length = 0;
    commits = [commitEntry(MAIN_SHA, 'main', '2026-11-26T16:36:06Z')];
    const runId = await launch(EXECUTION, { user: 'x', text: 't' });
    expect(seen.filter((s) => s.method === 'POST')).toHaveLength(0);
    const job = (await t.service.store.getRun(runId))!.jobs[0]!;
    expect(job).toMatchObject({ state: 'failed', attempts: 4, lastError: { code: 'valohai_commit_unknown' } });
    expect(job.lastError!.message).toContain('commit "release" is not known');
  });
});

describe('Valohai launcher: the pipeline definition comes from the commit the run targets', () => {
  const CURRENT = `
- step: {name: work, image: python:3.13, command: python3 work.py}
- pipeline:
    name: flow
    nodes:
      - {name: only, type: execution, step: work}
    edges: []
`;
  const AT_COMMIT = `
- step: {name: work, image: python:3.11, command: [python3 old.py], time-limit: 60}
- pipeline:
    name: flow
    nodes:
      - {name: only, type: execution, step: work, on-error: stop-next}
    edges: []
`;
  const FLOW = '0190fe82-c984-7f66-8302-0000000000f1';
  const WORK = '0190fe82-c984-7f66-8302-0000000000f2';
  let t: TestService;
  let committed = '';
  const git = (...args: string[]): string =>
    execFileSync('git', ['-C', t.project.dir, '-c', 'user.name=dev', '-c', 'user.email=dev@example.test', ...args], { encoding: 'utf8' }).trim();

  beforeAll(async () => {
    api.listen({
      onUnhandledRequest(request, print) {
        if (['127.0.0.1', 'localhost'].includes(new URL(request.url).hostname)) return;
        print.error();
      },
    });
    t = await startTestService(CURRENT, `${CONFIG.split('triggers:')[0]}triggers:\n  - id: ${FLOW}\n    actions:\n      - type: run-pipeline\n        pipeline: flow\n  - id: ${WORK}\n    actions:\n      - type: run-execution\n        step: work\n`, {
      env: { VALOHAI_API_TOKEN: TOKEN },
    });
    // A repository whose commit has another valohai.yaml than the working copy.
    execFileSync('git', ['init', '-q', '-b', 'main', t.project.dir]);
    t.project.write('valohai.yaml', AT_COMMIT);
    git('add', 'valohai.yaml');
    git('commit', '-q', '-m', 'older definition');
    committed = git('rev-parse', 'HEAD');
    t.project.write('valohai.yaml', CURRENT);
  });
  beforeEach(() => {
    seen.length = 0;
    created.length = 0;
    script = [];
    ignoreTagFilter = false;
  });
  afterAll(async () => {
    api.close();
    await t.close();
  });

  it('builds the nodes from valohai.yaml at that commit when the local repository has it', async () => {
    commits = [commitEntry(committed, 'main', '2026-11-26T16:36:06Z')];
    const res = await fetch(t.url(FLOW), { method: 'POST', body: '{}' });
    const { run_id: runId } = (await res.json()) as { run_id: string };
    await t.service.settled();
    // valohai-yaml conversion.py on the commit's step: command as written (a list there), time-limit 60.
    expect(JSON.parse(seen.find((s) => s.method === 'POST')!.text).nodes).toEqual([
      {
        name: 'only',
        'on-error': 'stop-next',
        type: 'execution',
        template: { commit: committed, step: 'work', name: 'work', image: 'python:3.11', command: ['python3 old.py'], 'time-limit': 60, runtime_config: {}, parameters: {}, inputs: {} },
      },
    ]);
    const info = (await (await fetch(`${t.url(FLOW, 'run/')}?run_id=${runId}`)).json()) as { result: Array<{ pipeline_definition: string }> };
    expect(info.result[0]!.pipeline_definition).toBe(`valohai.yaml at commit ${committed}`);
  });

  it('sends an execution with the step as it is at that commit', async () => {
    commits = [commitEntry(committed, 'main', '2026-11-26T16:36:06Z')];
    await fetch(t.url(WORK), { method: 'POST', body: '{}' });
    await t.service.settled();
    // dynamic_run_command.py execute() for the commit's step; time_limit from its time-limit
    // (valohai-cli tests/commands/execution/run/test_run.py test_run_time_limit).
    expect(JSON.parse(seen.find((s) => s.method === 'POST')!.text)).toEqual({
      commit: committed,
      inputs: {},
      parameters: {},
      project: PROJECT,
      step: 'work',
      title: 'work',
      time_limit: 60,
      tags: [expect.stringMatching(/^hooklaunch-/)],
    });
  });

  it('falls back to the working copy when the commit is not in the local repository, and says so', async () => {
    const unknown = 'f'.repeat(40);
    commits = [commitEntry(unknown, 'main', '2026-11-27T16:36:06Z')];
    const res = await fetch(t.url(FLOW), { method: 'POST', body: '{}' });
    const { run_id: runId } = (await res.json()) as { run_id: string };
    await t.service.settled();
    expect(JSON.parse(seen.find((s) => s.method === 'POST')!.text).nodes).toEqual([
      {
        name: 'only',
        'on-error': 'stop-all',
        type: 'execution',
        template: { commit: unknown, step: 'work', name: 'work', image: 'python:3.13', command: 'python3 work.py', runtime_config: {}, parameters: {}, inputs: {} },
      },
    ]);
    const info = (await (await fetch(`${t.url(FLOW, 'run/')}?run_id=${runId}`)).json()) as { result: Array<{ pipeline_definition: string }> };
    expect(info.result[0]!.pipeline_definition).toMatch(new RegExp(`^valohai\\.yaml of the working copy: cannot read valohai\\.yaml at ${unknown}: `));
  });
});
