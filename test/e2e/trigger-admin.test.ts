/**
 * Triggers managed through the admin API while the service runs (issue #13 points 1–3), through
 * the real HTTP server: create, change, pause and delete apply to the next request, no restart.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signHmac } from '../../core/conditions/hmac.js';
import { randomUUID } from 'node:crypto';
import { connectors } from '../../connectors/index.js';
import { githubRequest, gitlabRequest, slackRequest, slashCommandBody } from '../helpers/provider-requests.js';
import { startTestService, type TestService } from '../helpers/service.js';

const ADMIN = 'an-admin-token-for-tests';
const API_ID = '0190fe82-0000-7000-8000-00000000a001';
const FILE_ID = '0190fe82-0000-7000-8000-00000000f001';
const SECRET = 'trigger-admin-signing-secret';

const CONFIG = `
server:
  admin_token: ${ADMIN}
rejecting: {ratio: 0.5, min_requests: 2, window: 60}
triggers:
  - id: ${FILE_ID}
    title: From the file
    actions: [{type: run-execution, step: noop}]
`;

const hmac = { type: 'web-request-auth', auth_type: 'hmac', key: 'X-Signature', prefix: 'sha256=', secret: '${env:HOOK_SECRET}' };
const filterOn = (value: string) => ({ type: 'payload-filter', lookup: 'action', operation: 'equals', value });

describe('triggers managed through the admin API', () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService('- step: {name: noop, image: x, command: "true"}\n', CONFIG, { env: { HOOK_SECRET: SECRET, SLACK_SECRET: 'slack-signing-secret-0123', GITHUB_SECRET: 'github-webhook-secret-0123', GITLAB_SECRET: 'gitlab-webhook-token' } });
  });
  afterAll(() => t.close());

  const api = (method: string, path: string, body?: unknown) =>
    fetch(`${t.service.url}/api/v0/triggers/${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  const send = (action: string) => {
    const body = JSON.stringify({ action });
    return fetch(t.url(API_ID), { method: 'POST', headers: { 'content-type': 'application/json', 'x-signature': `sha256=${signHmac({ secret: SECRET }, { body: Buffer.from(body) })}` }, body });
  };
  const lastLogLineOf = async (id: string) =>
    ((await (await fetch(`${t.service.url}/api/v0/triggers/${id}/logs/?limit=1`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { entries: Array<Record<string, unknown>> }).entries[0];
  const lastLogLine = () => lastLogLineOf(API_ID);
  const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string; path: string; file?: string; line?: number } }).error;

  it('needs the admin token, and says when a body is not JSON', async () => {
    expect((await fetch(`${t.service.url}/api/v0/triggers/${FILE_ID}/`)).status).toBe(401);
    const res = await fetch(`${t.service.url}/api/v0/triggers/`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: '{"id": ' });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe('unparseable_body');
  });

  it('checks a body as hooklaunch.yaml is checked, naming the field at fault', async () => {
    const res = await api('POST', '', { id: API_ID, conditions: [hmac], actions: [{ type: 'run-execution', step: 'nope' }] });
    expect(res.status).toBe(422);
    expect(await errorOf(res)).toMatchObject({ code: 'config_invalid', path: 'actions[0].step', message: expect.stringContaining('no step "nope"') });
  });

  it('creates, changes, pauses, resumes and deletes a trigger, each applied to the next request', async () => {
    expect((await send('go')).status).toBe(404);

    const created = await api('POST', '', { id: API_ID, title: 'Made by API', conditions: [hmac, filterOn('go')], actions: [{ type: 'run-execution', step: 'noop' }] });
    expect(created.status).toBe(201);
    const made = (await created.json()) as { revision: number; managed_by: string; config: unknown };
    expect(made).toMatchObject({ managed_by: 'api', paused: false, config: { id: API_ID, conditions: [hmac, filterOn('go')] } });

    const accepted = await send('go');
    expect(accepted.status).toBe(200);
    expect(((await accepted.json()) as { run_id?: string }).run_id).toBeDefined();
    expect(await lastLogLine()).toMatchObject({ outcome: 'accepted', revision: made.revision });

    // A merge patch replaces a list whole (RFC 7386): the new filter wants "stop".
    const patched = await api('PATCH', `${API_ID}/`, { conditions: [hmac, filterOn('stop')], title: null });
    expect(patched.status).toBe(200);
    const changed = (await patched.json()) as { revision: number; config: Record<string, unknown> };
    expect(changed.revision).toBeGreaterThan(made.revision);
    expect(changed.config).not.toHaveProperty('title');
    const filtered = await send('go');
    expect(filtered.status).toBe(400);
    expect((await errorOf(filtered)).code).toBe('filtered_out');

    expect((await api('POST', `${API_ID}/pause/`)).status).toBe(200);
    const paused = await send('stop');
    expect(paused.status).toBe(409);
    expect((await errorOf(paused)).code).toBe('trigger_paused');
    expect(await lastLogLine()).toMatchObject({ outcome: 'rejected', code: 'trigger_paused' });

    expect((await api('POST', `${API_ID}/resume/`)).status).toBe(200);
    expect((await send('stop')).status).toBe(200);

    const history = (await (await api('GET', `${API_ID}/revisions/`)).json()) as { revisions: Array<{ revision: number; by: string; at: number; diff: Array<{ path: string; before?: unknown; after?: unknown }> }> };
    expect(history.revisions.map((r) => r.diff.map((d) => d.path))).toEqual([['paused'], ['paused'], ['conditions', 'title'], ['actions', 'conditions', 'id', 'title']]);
    expect(history.revisions.every((r) => r.by === 'admin' && r.at > 0)).toBe(true);
    expect(history.revisions[2]!.diff[0]).toEqual({ path: 'conditions', before: [hmac, filterOn('go')], after: [hmac, filterOn('stop')] });
    expect(history.revisions[0]!.diff[0]).toEqual({ path: 'paused', before: true, after: false });

    expect((await api('DELETE', `${API_ID}/`)).status).toBe(200);
    expect((await send('stop')).status).toBe(404);
  });

  it('keeps hooklaunch.yaml\'s triggers read-only, naming their file and line', async () => {
    const file = join(t.project.dir, 'hooklaunch.yaml');
    const line = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(`id: ${FILE_ID}`)) + 1;
    const res = await api('PATCH', `${FILE_ID}/`, { title: 'changed' });
    expect(res.status).toBe(409);
    expect(await errorOf(res)).toMatchObject({ code: 'trigger_file_managed', file, line, message: expect.stringContaining(`${file}:${line}`) });
    expect((await api('POST', `${FILE_ID}/pause/`)).status).toBe(409);
    expect((await api('POST', '', { id: FILE_ID, actions: [{ type: 'run-execution', step: 'noop' }] })).status).toBe(409);
    const shown = (await (await api('GET', `${FILE_ID}/`)).json()) as { managed_by: string; config: { title: string } };
    expect(shown).toMatchObject({ managed_by: 'file', line, config: { title: 'From the file' } });
    const page = await (await fetch(`${t.service.url}/ui/triggers/${FILE_ID}`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();
    expect(page).toContain(`${file}:${line}`);
  });

  it('answers a paused Slack slash command with an ephemeral 200 that says so', async () => {
    const SLACK_ID = '0190fe82-0000-7000-8000-00000000a002';
    const created = await api('POST', '', { id: SLACK_ID, connector: { type: 'slack', secret: '${env:SLACK_SECRET}' }, actions: [{ type: 'run-execution', step: 'noop' }] });
    expect(created.status).toBe(201);
    expect((await api('POST', `${SLACK_ID}/pause/`)).status).toBe(200);
    const signed = slackRequest(slashCommandBody({}), 'slack-signing-secret-0123', Math.floor(Date.now() / 1000));
    const res = await fetch(t.url(SLACK_ID), { method: 'POST', headers: signed.headers, body: signed.body });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ response_type: 'ephemeral', text: 'Not run: this trigger is paused in hooklaunch.' });
    expect(await lastLogLineOf(SLACK_ID)).toMatchObject({ outcome: 'rejected', code: 'trigger_paused', status: 200 });
  });

  // GitHub shows a failed delivery to redeliver; GitLab disables hooks for good on repeated 4xx in some releases, so it gets 503.
  it.each([
    { type: 'github', id: '0190fe82-0000-7000-8000-00000000a003', status: 409, request: async () => {
      const sample = connectors.get('github')!.sample!(connectors.get('github')!.params.parse({ secret: 'github-webhook-secret-0123' }));
      return githubRequest(JSON.parse(sample.body), 'github-webhook-secret-0123', 'push', randomUUID());
    } },
    { type: 'gitlab', id: '0190fe82-0000-7000-8000-00000000a004', status: 503, request: async () => gitlabRequest('gitlab-webhook-token') },
  ])('answers a paused $type delivery with $status trigger_paused, so it can be delivered again', async ({ type, id, status, request }) => {
    const secret = type === 'github' ? '${env:GITHUB_SECRET}' : '${env:GITLAB_SECRET}';
    expect((await api('POST', '', { id, connector: { type, secret }, actions: [{ type: 'run-execution', step: 'noop' }] })).status).toBe(201);
    expect((await api('POST', `${id}/pause/`)).status).toBe(200);
    const signed = await request();
    const res = await fetch(t.url(id), { method: 'POST', headers: signed.headers, body: signed.body });
    expect(res.status).toBe(status);
    expect((await errorOf(res)).code).toBe('trigger_paused');
    expect(await lastLogLineOf(id)).toMatchObject({ outcome: 'rejected', code: 'trigger_paused', status });
  });

  it("notifies an API-managed trigger's own targets", async () => {
    const received: string[] = [];
    const sink = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push(body);
        res.end();
      });
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    try {
      const id = '0190fe82-0000-7000-8000-00000000a005';
      const target = { url: `http://127.0.0.1:${(sink.address() as { port: number }).port}/alerts`, kind: 'http', on: ['rejecting'] };
      expect((await api('POST', '', { id, title: 'Alerting', conditions: [hmac], notify: [target], actions: [{ type: 'run-execution', step: 'noop' }] })).status).toBe(201);
      for (let i = 0; i < 2; i++) expect((await fetch(t.url(id), { method: 'POST', body: '{}' })).status).toBe(400);
      await expect.poll(() => received.length, { timeout: 3000, interval: 50 }).toBe(1);
      expect(JSON.parse(received[0]!)).toMatchObject({ event: 'rejecting', trigger_id: id, trigger_title: 'Alerting' });
    } finally {
      sink.close();
    }
  });

  it('`hooklaunch send` signs a request for an API-managed trigger with the secret its reference names', async () => {
    const id = '0190fe82-0000-7000-8000-00000000a006';
    expect((await api('POST', '', { id, conditions: [hmac], actions: [{ type: 'run-execution', step: 'noop' }] })).status).toBe(201);
    const cli = join(import.meta.dirname, '../../core/cli/main.ts');
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', cli, 'send', id, '--config', join(t.project.dir, 'hooklaunch.yaml'), '--url', t.service.url], { env: { ...process.env, HOOK_SECRET: SECRET } });
    expect(stdout).toMatch(/^200 OK/);
  });
});
