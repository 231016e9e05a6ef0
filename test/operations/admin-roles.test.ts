/**
 * Named admin tokens with roles (issue #13 point 5), through the real server: every
 * state-changing route of the admin API and the page against every role and no token; reads for
 * a viewer; the audit line naming the token; the old single `admin_token` as an admin; the page
 * offering a viewer no actions; a session dying with its token. Requests are built with node:http
 * (not fetch, which adds headers of its own) so the page's own headers are exactly what is sent.
 */
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectors } from '../../connectors/index.js';
import { loadConfig } from '../../core/config/load-config.js';
import { createAdminApp } from '../../core/http/admin-app.js';
import { createUiRouter } from '../../core/ui/ui-router.js';
import type { HttpContext } from '../../core/http/context.js';
import { startService } from '../../core/service.js';
import { silentLogger, startTestService, type TestService } from '../helpers/service.js';
import { sendRaw as send, type RawAnswer as Answer } from '../helpers/raw-http.js';

const TRIGGER = '0190fe82-0000-7000-8000-0000000000e1';
const TOKENS = {
  admin: 'roles-single-admin-token-0123',
  viewer: 'roles-ci-viewer-token-0123456',
  operator: 'roles-oncall-operator-token-01',
  platform: 'roles-platform-admin-token-012',
} as const;
const VALOHAI = '- step: {name: ok, image: x, command: "echo done"}\n';
const CONFIG = `
server:
  admin_token: ${TOKENS.admin}
  admin_tokens:
    - {name: ci, token: "\${env:CI_ADMIN_TOKEN}", role: viewer}
    - {name: oncall, token: ${TOKENS.operator}, role: operator}
    - {name: platform, token: ${TOKENS.platform}, role: admin}
triggers:
  - id: ${TRIGGER}
    title: Roles trigger
    conditions: [{type: web-request-auth, auth_type: static_token, key: X-Token, secret: roles-trigger-secret}]
    actions: [{type: run-execution, step: ok}]
`;


type Who = 'viewer' | 'operator' | 'admin' | 'platform' | 'none';
const WHO: Who[] = ['viewer', 'operator', 'admin', 'platform', 'none'];
const NAMES: Record<Exclude<Who, 'none'>, { name: string; role: string }> = {
  viewer: { name: 'ci', role: 'viewer' },
  operator: { name: 'oncall', role: 'operator' },
  admin: { name: 'admin', role: 'admin' },
  platform: { name: 'platform', role: 'admin' },
};

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

describe('admin tokens with roles', () => {
  let t: TestService;
  let base: string;
  let requestId: string;
  const lines: LogLine[] = [];
  const sessions: Partial<Record<Who, { cookie: string; csrf: string }>> = {};

  const logSize = async () => (await t.service.store.listLog({ triggerId: TRIGGER, limit: 1000 })).length;
  const bearer = (who: Who): Record<string, string> => (who === 'none' ? {} : { authorization: `Bearer ${who === 'viewer' ? TOKENS.viewer : TOKENS[who]}` });
  /** The page's own form post: its session cookie, its form token, from its own origin. */
  const pagePost = (who: Who, path: string, fields: Record<string, string> = {}): Promise<Answer> => {
    const session = sessions[who];
    const form = new URLSearchParams({ ...fields, ...(session && { csrf: session.csrf }) }).toString();
    return send(`${base}${path}`, 'POST', { 'content-type': 'application/x-www-form-urlencoded', origin: base, 'sec-fetch-site': 'same-origin', ...(session && { cookie: session.cookie }) }, form);
  };

  beforeAll(async () => {
    const capture = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as LogLine);
        done();
      },
    });
    t = await startTestService(VALOHAI, CONFIG, { env: { CI_ADMIN_TOKEN: TOKENS.viewer }, service: { logger: pino({ level: 'info' }, capture) } });
    base = t.service.url;
    const launched = await fetch(t.url(TRIGGER), { method: 'POST', headers: { 'x-token': 'roles-trigger-secret' }, body: '{}' });
    expect(launched.status).toBe(200);
    requestId = launched.headers.get('x-request-id')!;
    await t.service.settled();
    for (const who of WHO) {
      if (who === 'none') continue;
      const token = who === 'viewer' ? TOKENS.viewer : TOKENS[who];
      const login = await send(`${base}/ui/login`, 'POST', { 'content-type': 'application/x-www-form-urlencoded', origin: base }, `token=${token}`);
      expect(login.status, who).toBe(303);
      expect(login.headers.location, who).toBe('/ui/');
      const cookie = String(login.headers['set-cookie']).split(';')[0]!;
      const page = await send(`${base}/ui/`, 'GET', { cookie });
      expect(page.body, who).toContain(`Logged in as ${NAMES[who].name} (${NAMES[who].role})`);
      sessions[who] = { cookie, csrf: /name="csrf" value="([0-9a-f]{64})"/.exec(page.body)![1]! };
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  it('gives each token its own session cookie', () => {
    const cookies = Object.values(sessions).map((s) => s.cookie);
    expect(new Set(cookies).size).toBe(4);
  });

  // Every non-GET route of the admin API and the page, the least role it needs, and how to call it.
  const routes: Array<{ route: string; least: 'viewer' | 'operator'; call: (who: Who) => Promise<Answer>; page: boolean }> = [
    { route: 'POST /api/v0/requests/:id/replay/', least: 'operator', page: false, call: (who) => send(`${base}/api/v0/requests/${requestId}/replay/`, 'POST', bearer(who)) },
    {
      route: 'POST /api/v0/triggers/:id/test/',
      least: 'operator',
      page: false,
      call: (who) => send(`${base}/api/v0/triggers/${TRIGGER}/test/`, 'POST', { ...bearer(who), 'content-type': 'application/json' }, '{"body": "{}"}'),
    },
    { route: 'POST /ui/requests/:id/replay', least: 'operator', page: true, call: (who) => pagePost(who, `/ui/requests/${requestId}/replay`) },
    { route: 'POST /ui/triggers/:id/test', least: 'operator', page: true, call: (who) => pagePost(who, `/ui/triggers/${TRIGGER}/test`, { body: '{}', content_type: 'application/json' }) },
    // Logging out changes only the browser's own state, so any role may.
    { route: 'POST /ui/logout', least: 'viewer', page: true, call: (who) => pagePost(who, '/ui/logout') },
  ];

  /** Every non-GET route as express holds it, the page's under /ui, so routes added later are found too. */
  function declaredWrites(): string[] {
    // liveTriggers set: the trigger-management routes are declared only when it is.
    const app = createAdminApp({ adminTokens: [], logger: silentLogger, publicUrl: undefined, liveTriggers: {} } as unknown as HttpContext, createUiRouter);
    type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle: { stack?: Layer[] }; slash?: boolean };
    const declared: string[] = [];
    const walk = (stack: Layer[], prefix: string): void => {
      for (const layer of stack) {
        if (layer.route) {
          const methods = Object.keys(layer.route.methods).filter((m) => m !== 'get' && m !== 'head' && m !== '_all');
          for (const m of methods) declared.push(`${m.toUpperCase()} ${prefix}${layer.route.path.replace('{/}', '/')}`);
        } else if (layer.handle.stack) {
          // A router mounted at the root (trigger and batch routes) keeps the prefix; the page's is mounted under /ui.
          walk(layer.handle.stack, layer.slash ? prefix : '/ui');
        }
      }
    };
    walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
    // Logging in needs no token, and '/{*rest}' is the form parser in front of the page's POST routes.
    return declared.filter((r) => r !== 'POST /ui/login' && r !== 'POST /ui/{*rest}');
  }

  it('refuses a viewer on every state-changing route the app declares, including ones this table lacks', async () => {
    const declared = declaredWrites();
    expect(declared).toEqual(expect.arrayContaining(routes.map((r) => r.route)));
    for (const route of declared) {
      if (routes.some((r) => r.route === route && r.least === 'viewer')) continue;
      const [method, path] = route.split(' ') as [string, string];
      const url = path.replaceAll(/:[A-Za-z]+/g, TRIGGER);
      const before = await logSize();
      const answer = path.startsWith('/ui/')
        ? await send(`${base}${url}`, method, { 'content-type': 'application/x-www-form-urlencoded', origin: base, 'sec-fetch-site': 'same-origin', cookie: sessions.viewer!.cookie }, `csrf=${sessions.viewer!.csrf}`)
        : await send(`${base}${url}`, method, { ...bearer('viewer'), 'content-type': 'application/json' }, '{}');
      expect(answer.status, route).toBe(403);
      expect(answer.body, route).toContain('token ci is a viewer');
      await t.service.settled();
      expect(await logSize(), route).toBe(before);
    }
  });

  it.each(routes.flatMap((r) => WHO.map((who) => [r.route, who] as const)))('%s as %s', async (route, who) => {
    const row = routes.find((r) => r.route === route)!;
    const allowed = who !== 'none' && (row.least === 'viewer' || who !== 'viewer');
    const before = await logSize();
    const answer = await row.call(who);
    await t.service.settled();
    const launched = (await logSize()) - before;
    if (allowed) {
      expect(answer.status, answer.body).toBe(row.page ? 303 : 200);
      expect(answer.headers.location ?? '').not.toContain('/ui/login?failed');
      if (row.least === 'operator') expect(launched).toBe(1);
    } else if (who === 'none') {
      // The API answers 401; the page sends the browser to its login form.
      if (row.page) expect([answer.status, answer.headers.location]).toEqual([303, '/ui/login']);
      else expect([answer.status, JSON.parse(answer.body).error.code]).toEqual([401, 'unauthorized']);
      expect(launched).toBe(0);
    } else {
      expect(answer.status).toBe(403);
      const message = `${route} needs the operator role; token ci is a viewer`;
      if (row.page) expect(answer.body).toContain(message);
      else expect(JSON.parse(answer.body)).toEqual({ error: { code: 'forbidden', message } });
      expect(launched).toBe(0);
    }
  });

  it("refuses a viewer's page session on the API's write routes too, its form token notwithstanding", async () => {
    const viewer = sessions.viewer!;
    const before = await logSize();
    const answer = await send(`${base}/api/v0/requests/${requestId}/replay/`, 'POST', { cookie: viewer.cookie, origin: base, 'sec-fetch-site': 'same-origin', 'x-csrf-token': viewer.csrf });
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'forbidden' } });
    // An operator's form token does not stand in for the viewer's, nor the other way round.
    const crossed = await send(`${base}/api/v0/requests/${requestId}/replay/`, 'POST', { cookie: sessions.operator!.cookie, origin: base, 'sec-fetch-site': 'same-origin', 'x-csrf-token': viewer.csrf });
    expect(JSON.parse(crossed.body)).toMatchObject({ error: { code: 'cross_site_request' } });
    await t.service.settled();
    expect(await logSize()).toBe(before);
  });

  it('lets a viewer read logs, requests, runs, triggers and metrics', async () => {
    const run = (await t.service.store.listLog({ triggerId: TRIGGER, limit: 1000 })).find((e) => e.runId)!.runId!;
    for (const path of ['/api/v0/triggers/', `/api/v0/triggers/${TRIGGER}/logs/`, '/api/v0/logs/', `/api/v0/requests/${requestId}/`, `/api/v0/runs/${run}/`, '/metrics']) {
      const answer = await send(`${base}${path}`, 'GET', bearer('viewer'));
      expect(answer.status, path).toBe(200);
      expect((await send(`${base}${path}`, 'GET', {})).status, path).toBe(401);
    }
    expect(JSON.parse((await send(`${base}/api/v0/logs/`, 'GET', bearer('viewer'))).body).entries.length).toBeGreaterThan(0);
    expect(JSON.parse((await send(`${base}/api/v0/logs/`, 'GET', { cookie: sessions.viewer!.cookie })).body).entries.length).toBeGreaterThan(0);
  });

  it('shows a viewer the pages without the replay and test forms, and an operator with them', async () => {
    const pages = [`/ui/requests/${requestId}`, `/ui/triggers/${TRIGGER}`];
    for (const [who, offered] of [['viewer', false], ['operator', true], ['admin', true]] as const) {
      const [request, trigger] = await Promise.all(pages.map((p) => send(`${base}${p}`, 'GET', { cookie: sessions[who]!.cookie })));
      expect(request!.status).toBe(200);
      expect(trigger!.status).toBe(200);
      expect(request!.body.includes('Replay against the current config'), who).toBe(offered);
      expect(trigger!.body.includes('Send test request'), who).toBe(offered);
    }
  });

  it('writes an audit line naming the token, its role, the route and the target of each write', async () => {
    lines.length = 0;
    await send(`${base}/api/v0/requests/${requestId}/replay/`, 'POST', bearer('operator'));
    await pagePost('platform', `/ui/triggers/${TRIGGER}/test`, { body: '{}' });
    await send(`${base}/api/v0/requests/${requestId}/replay/`, 'POST', bearer('viewer'));
    await send(`${base}/api/v0/logs/`, 'GET', bearer('operator'));
    await t.service.settled();
    const audit = lines.filter((l) => l.msg.startsWith('admin action'));
    expect(audit).toEqual([
      expect.objectContaining({ level: 30, msg: 'admin action', token: 'oncall', role: 'operator', route: 'POST /api/v0/requests/:id/replay/', target: requestId, status: 200 }),
      expect.objectContaining({ level: 30, msg: 'admin action', token: 'platform', role: 'admin', route: 'POST /ui/triggers/:id/test', target: TRIGGER, status: 303 }),
      expect.objectContaining({ level: 40, msg: 'admin action refused', token: 'ci', role: 'viewer', route: 'POST /api/v0/requests/:id/replay/', target: requestId, code: 'forbidden' }),
    ]);
    // Names, never tokens.
    expect(JSON.stringify(lines)).not.toMatch(new RegExp(Object.values(TOKENS).join('|')));
  });

  it("ends a token's sessions when the token changes, and keeps the others'", async () => {
    await t.service.close();
    const changed = await startService(loadConfig(join(t.project.dir, 'hooklaunch.yaml'), { CI_ADMIN_TOKEN: 'roles-ci-viewer-token-rotated' }, connectors), { port: 0, logger: silentLogger });
    try {
      const read = (cookie: string) => send(`${changed.url}/api/v0/logs/`, 'GET', { cookie });
      expect((await read(sessions.viewer!.cookie)).status).toBe(401);
      expect((await read(sessions.operator!.cookie)).status).toBe(200);
      expect((await send(`${changed.url}/api/v0/logs/`, 'GET', bearer('viewer'))).status).toBe(401);
      expect((await send(`${changed.url}/api/v0/logs/`, 'GET', { authorization: 'Bearer roles-ci-viewer-token-rotated' })).status).toBe(200);
    } finally {
      await changed.close();
    }
  });
});
