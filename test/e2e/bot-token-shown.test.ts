/**
 * A Slack trigger's `bot_token` (`xoxb-…`) posts as the app in any channel it is in. Written in
 * clear in hooklaunch.yaml or sent in clear to the admin API, it was shown whole by `GET` of the
 * trigger, the create/patch answers, the revision history (API and page) and `export`, and stored
 * in clear, because only keys named `secret`/`*_secret` counted as secrets. Through the real HTTP
 * server: the token is shown nowhere, stored sealed, and the trigger still serves with it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slackRequest, slashCommandBody } from '../helpers/provider-requests.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { hooklaunch } from '../cli/cli.js';

const ADMIN = 'an-admin-token-for-bot-token-shown';
const SIGNING = 'slack-signing-secret-0123456789';
const FILE_ID = '0190fe82-0000-7000-8000-00000000b071';
const API_ID = '0190fe82-0000-7000-8000-00000000b072';
const FILE_BOT = 'xoxb-1111-file-bot-token-in-clear';
const API_BOT = 'xoxb-2222-api-bot-token-in-clear';
const API_BOT_NEW = 'xoxb-3333-api-bot-token-patched';
const CONFIG = `
server:
  admin_token: ${ADMIN}
triggers:
  - {id: ${FILE_ID}, connector: {type: slack, secret: "\${env:SLACK_SIGNING}", bot_token: ${FILE_BOT}, follow_up: false}, actions: [{type: run-execution, step: noop}]}
`;

describe('a Slack bot_token', () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService('- step: {name: noop, image: x, command: "true"}\n', CONFIG, { env: { SLACK_SIGNING: SIGNING } });
  });
  afterAll(() => t.close());

  const api = (method: string, path: string, body?: unknown) =>
    fetch(`${t.service.url}/api/v0/triggers/${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  const page = async (path: string) => (await fetch(`${t.service.url}/ui/${path}`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();

  it('written in clear in hooklaunch.yaml is not shown by GET of the trigger nor by export --all', async () => {
    const shown = await (await api('GET', `${FILE_ID}/`)).text();
    expect(shown).toContain('"type":"slack"');
    expect(shown).not.toContain(FILE_BOT);
    const exported = await hooklaunch(['export', '--all', '--url', t.service.url], { HOOKLAUNCH_ADMIN_TOKEN: ADMIN });
    expect(exported.stdout).toContain(FILE_ID);
    expect(exported.stdout + exported.stderr).not.toContain(FILE_BOT);
  }, 30_000);

  it('sent in clear to the admin API is sealed, and shown neither in answers, GET, revisions nor the page', async () => {
    const slack = (bot: string) => ({ type: 'slack', secret: SIGNING, bot_token: bot, follow_up: false });
    const created = await api('POST', '', { id: API_ID, connector: slack(API_BOT), actions: [{ type: 'run-execution', step: 'noop' }] });
    expect(created.status).toBe(201);
    const patched = await api('PATCH', `${API_ID}/`, { connector: { bot_token: API_BOT_NEW } });
    expect(patched.status).toBe(200);
    const shown = [
      await created.text(),
      await patched.text(),
      await (await api('GET', `${API_ID}/`)).text(),
      await (await api('GET', `${API_ID}/revisions/`)).text(),
      await page(`triggers/${API_ID}`),
      await page(`triggers/${API_ID}/edit`),
    ].join('\n');
    expect(shown).toContain('[sealed]');
    expect(shown).not.toContain(API_BOT);
    expect(shown).not.toContain(API_BOT_NEW);

    const row = (await t.service.store.listTriggerDefs()).find((d) => d.id === API_ID)!;
    expect(JSON.stringify(row.config)).not.toContain('xoxb-');

    // Still served: the compiler gets the opened token (its schema wants "xoxb-…").
    const signed = slackRequest(slashCommandBody({}), SIGNING, Math.floor(Date.now() / 1000));
    const res = await fetch(t.url(API_ID), { method: 'POST', headers: signed.headers, body: signed.body });
    expect(res.status).toBe(200);
  });
});
