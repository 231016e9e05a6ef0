/**
 * #15 point 3: `hooklaunch runs cancel` stops a Valohai execution through Valohai's API. The
 * stop call is the one valohai-cli makes: `vh execution stop` POSTs to the execution's
 * `urls.stop` (valohai_cli/utils/stop_command.py), which is `/api/v0/executions/<id>/stop/`
 * (tests/fixtures/data.py, EXECUTION_DETAIL_DATA in valohai/valohai-cli). `serve` runs as its own
 * process, so the API's stand-in is a loopback HTTP server rather than msw.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { tempProject, type TempProject } from '../helpers/project.js';
import { hooklaunch, serve, type Served } from './cli.js';

const TRIGGER = '0190fe82-0000-7000-8000-00000000c0c0';
const PROJECT = '0190fe82-aaaa-7f66-8302-000000000009';
const ADMIN = 'runs-cancel-valohai-admin-0123';
const SHA = 'c243d40ff7feb63aa7e15e8eda1d8859010ebc53';
const EXECUTION = '0190fe82-c984-7f66-8302-00000000e0e0';

/** Valohai as far as launching, following and stopping one execution goes; records every call. */
function standIn(): Promise<{ server: Server; host: string; calls: string[] }> {
  const calls: string[] = [];
  let status = 'queued';
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    calls.push(`${req.method} ${path} ${req.headers.authorization ?? ''}`);
    const json = (code: number, body: unknown): void => void res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    req.resume();
    req.on('end', () => {
      if (req.method === 'GET' && path === '/api/v0/commits/') return json(200, { results: [{ identifier: SHA, ref: 'main', commit_time: '2026-11-26T16:36:06Z' }] });
      if (req.method === 'GET' && path === '/api/v0/executions/') return json(200, { results: [] });
      if (req.method === 'POST' && path === '/api/v0/executions/') {
        status = 'started';
        return json(201, { id: EXECUTION, counter: 7, urls: { display: `http://valohai.test/p/org/proj/execution/${EXECUTION}/` } });
      }
      if (req.method === 'POST' && path === `/api/v0/executions/${EXECUTION}/stop/`) {
        status = 'stopped';
        return json(200, { message: 'OK' });
      }
      if (req.method === 'GET' && path === `/api/v0/executions/${EXECUTION}/events/`) return json(200, { total: 0, truncated: false, events: [] });
      if (req.method === 'GET' && path === `/api/v0/executions/${EXECUTION}/`) return json(200, { id: EXECUTION, counter: 7, status, step: 'train' });
      json(404, { detail: 'Not found.' });
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, host: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls })));
}

describe('hooklaunch runs cancel on the Valohai launcher', () => {
  let project: TempProject | undefined;
  let served: Served | undefined;
  let valohai: Server | undefined;
  afterEach(async () => {
    await served?.stop();
    served = undefined;
    valohai?.close();
    project?.remove();
  });

  it('POSTs to the execution\'s stop URL and the run ends stopped', async () => {
    const api = await standIn();
    valohai = api.server;
    project = tempProject('- step: {name: train, image: python:3.12, command: python3 train.py}\n');
    const config = project.write(
      'hooklaunch.yaml',
      `server: {public_url: "https://hooks.example.test", admin_token: ${ADMIN}}
store: {url: "sqlite:state.db"}
launcher: {kind: valohai, host: "${api.host}", token: vh-token, project: ${PROJECT}, commit: main}
triggers:
  - {id: ${TRIGGER}, title: Train, conditions: [{type: web-request-auth, auth_type: static_token, key: Authorization, prefix: "Bearer ", secret: train-token}], actions: [{type: run-execution, step: train}]}
`,
    );
    served = await serve(['-c', config, '--port', '0']);
    const sent = await hooklaunch(['send', 'Train', '-c', config, '--url', served.url]);
    const runId = /"run_id":"([^"]+)"/.exec(sent.stdout)?.[1];
    expect(runId, sent.stdout + sent.stderr).toBeDefined();
    const detail = async (): Promise<{ summary: { status: string }; executions: Array<{ status: string }> }> =>
      (await (await fetch(`${served!.url}/api/v0/runs/${runId}/`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as never;
    for (const deadline = Date.now() + 15_000; (await detail()).executions.length === 0; ) {
      if (Date.now() > deadline) throw new Error('the execution was never created on the stand-in');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    const cancelled = await hooklaunch(['runs', 'cancel', runId!, '-c', config]);
    expect(cancelled.stderr).toBe('');
    expect(cancelled.stdout).toBe(`${EXECUTION}  train  stopping\n`);
    expect(cancelled.code).toBe(0);
    expect(api.calls).toContain(`POST /api/v0/executions/${EXECUTION}/stop/ Token vh-token`);
    // The follower checks at once after a stop (its loop runs every second), not at its
    // spaced-out next check (5 s after the launch at first, later than this deadline).
    for (const deadline = Date.now() + 2_500; (await detail()).summary.status === 'pending'; ) {
      if (Date.now() > deadline) throw new Error('the stop never showed in the run');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await detail()).executions[0]!.status).toBe('stopped');
  }, 60_000);
});
