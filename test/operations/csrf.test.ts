/**
 * Cross-site request forgery against the admin API and the web page, through the real server.
 * A page on another port of the same host is the same *site*, so the browser sends the
 * SameSite=Strict session cookie with its auto-submitted POST, along with `Origin` naming that
 * page and `Sec-Fetch-Site: same-site` (Fetch Metadata). These requests are built by hand with
 * exactly those headers: node:http, because fetch adds headers of its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/service.js';
import { sendRaw as send, type RawAnswer as Answer } from '../helpers/raw-http.js';

const TRIGGER = '0190fe82-0000-7000-8000-0000000000c5';
const ADMIN = 'csrf-admin-token-0123456789';
const VALOHAI = '- step: {name: ok, image: x, command: "echo done"}\n';
const CONFIG = `
server: {admin_token: ${ADMIN}}
triggers:
  - id: ${TRIGGER}
    conditions: [{type: web-request-auth, auth_type: static_token, key: X-Token, secret: csrf-trigger-token}]
    actions: [{type: run-execution, step: ok}]
`;


describe('cookie-authenticated writes need the form token and this origin', () => {
  let t: TestService;
  let base: string;
  let cookie: string;
  let token: string;
  let requestId: string;
  // Another port of the same host: the attacker's page.
  let evil: string;

  const logSize = async () => (await t.service.store.listLog({ triggerId: TRIGGER, limit: 100 })).length;

  beforeAll(async () => {
    t = await startTestService(VALOHAI, CONFIG);
    base = t.service.url;
    const port = Number(new URL(base).port);
    evil = `http://${new URL(base).hostname}:${port === 65535 ? port - 1 : port + 1}`;
    const login = await send(`${base}/ui/login`, 'POST', { 'content-type': 'application/x-www-form-urlencoded', origin: base }, `token=${ADMIN}`);
    expect(login.status).toBe(303);
    cookie = String(login.headers['set-cookie']).split(';')[0]!;
    expect(cookie).toMatch(/^hooklaunch_session=[0-9a-f]{64}$/);
    const page = await send(`${base}/ui/`, 'GET', { cookie });
    token = /name="csrf" value="([0-9a-f]{64})"/.exec(page.body)![1]!;
    const launched = await fetch(t.url(TRIGGER), { method: 'POST', headers: { 'x-token': 'csrf-trigger-token' }, body: '{}' });
    expect(launched.status).toBe(200);
    requestId = launched.headers.get('x-request-id')!;
    await t.service.settled();
  });
  afterAll(async () => {
    await t?.close();
  });

  const routes = () => [
    ['test request', `${base}/api/v0/triggers/${TRIGGER}/test/`],
    ['replay', `${base}/api/v0/requests/${requestId}/replay/`],
  ];

  it.each([
    ['a form auto-submitted from another port (Origin + Sec-Fetch-Site: same-site)', () => ({ origin: evil, 'sec-fetch-site': 'same-site', 'content-type': 'application/x-www-form-urlencoded' })],
    ['a browser without Fetch Metadata (Origin of another port only)', () => ({ origin: evil, 'content-type': 'text/plain' })],
    ['the other page even knowing the token', () => ({ origin: evil, 'x-csrf-token': token })],
    ['a same-origin request without the token', () => ({ origin: base, 'sec-fetch-site': 'same-origin' })],
    ['no Origin and no Sec-Fetch-Site', () => ({ 'x-csrf-token': token })],
  ])('refuses %s with 403 and launches nothing', async (_name, headers) => {
    for (const [route, url] of routes()) {
      const before = await logSize();
      const answer = await send(url!, 'POST', { cookie, ...headers() }, 'body=x');
      expect(answer.status, route).toBe(403);
      expect(JSON.parse(answer.body), route).toMatchObject({ error: { code: 'cross_site_request' } });
      await t.service.settled();
      expect(await logSize(), route).toBe(before);
    }
  });

  it('lets a same-origin write carrying the token through, and bearer calls from anywhere', async () => {
    const before = await logSize();
    const replay = await send(routes()[1]![1]!, 'POST', { cookie, origin: base, 'sec-fetch-site': 'same-origin', 'x-csrf-token': token });
    expect(replay.status).toBe(200);
    expect(JSON.parse(replay.body)).toMatchObject({ replay_of: requestId, outcome: 'accepted' });
    const bearer = await send(routes()[0]![1]!, 'POST', { authorization: `Bearer ${ADMIN}`, origin: evil, 'content-type': 'application/json' }, '{"body": "{}"}');
    expect(bearer.status).toBe(200);
    await t.service.settled();
    expect(await logSize()).toBe(before + 2);
  });

  it("refuses the page's own form posted from another origin, even with the form token", async () => {
    const before = await logSize();
    const url = `${base}/ui/requests/${requestId}/replay`;
    const form = { cookie, 'content-type': 'application/x-www-form-urlencoded' };
    const forged = await send(url, 'POST', { ...form, origin: evil, 'sec-fetch-site': 'same-site' }, `csrf=${token}`);
    expect(forged.status).toBe(403);
    expect(forged.body).toContain('cross-origin request refused');
    expect(await logSize()).toBe(before);
    const own = await send(url, 'POST', { ...form, origin: base, 'sec-fetch-site': 'same-origin' }, `csrf=${token}`);
    expect(own.status).toBe(303);
    await t.service.settled();
    expect(await logSize()).toBe(before + 1);
  });
});
