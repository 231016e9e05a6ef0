/**
 * Secrets set through the admin API (issue #13 point 4), through the real HTTP server: sealed at
 * rest, shown as `[sealed]`, a generated one shown once; rotate-secret keeps the previous secret
 * valid for the overlap and only then drops it (clock injected, no sleeps).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../core/clock.js';
import { signHmac } from '../../core/conditions/hmac.js';
import { standardRequest, toWhsec } from '../helpers/provider-requests.js';
import { startTestService, type TestService } from '../helpers/service.js';

const ADMIN = 'an-admin-token-for-sealed-secrets';
const OPERATOR = 'an-operator-token-for-sealed-secrets';
const ID = '0190fe82-0000-7000-8000-00000000c001';
const TAMPERED_ID = '0190fe82-0000-7000-8000-00000000c002';
const SECRET = 'sealed-secret-in-clear-0123456789';
const CONFIG = `
server:
  admin_token: ${ADMIN}
  admin_tokens: [{name: ops, token: ${OPERATOR}, role: operator}]
triggers: []
`;

const hmac = (secret: unknown) => ({ type: 'web-request-auth', auth_type: 'hmac', key: 'X-Signature', prefix: 'sha256=', secret });
const trigger = (id: string, secret: unknown) => ({ id, conditions: [hmac(secret)], actions: [{ type: 'run-execution', step: 'noop' }] });

describe('secrets set through the admin API', () => {
  const clock = fixedClock(Date.parse('2026-11-28T12:00:00Z'));
  let t: TestService;
  const serviceLog: string[] = [];
  /** Every secret a test sent or was answered: none may reach the log. */
  const plaintexts = new Set<string>([SECRET]);
  beforeAll(async () => {
    const logger = pino({ level: 'debug' }, new Writable({ write: (chunk, _enc, done) => (serviceLog.push(String(chunk)), done()) }));
    t = await startTestService('- step: {name: noop, image: x, command: "true"}\n', CONFIG, { clock, service: { logger } });
  });
  afterAll(() => t.close());

  const api = (method: string, path: string, body?: unknown) =>
    fetch(`${t.service.url}/api/v0/triggers/${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  const sendSigned = async (id: string, secret: string) => {
    const body = JSON.stringify({ action: 'go' });
    const res = await fetch(t.url(id), { method: 'POST', headers: { 'content-type': 'application/json', 'x-signature': `sha256=${signHmac({ secret }, { body: Buffer.from(body) })}` }, body });
    // A refusal by the trigger is named by its code; 200 (accepted) and 404 (not served) by status.
    return res.status === 400 ? ((await res.json()) as { error: { code: string } }).error.code : res.status;
  };
  const storedRow = async (id: string) => (await t.service.store.listTriggerDefs()).find((d) => d.id === id)!;

  it('seals a secret sent in clear, shows it as [sealed], and serves the trigger with it', async () => {
    const created = await api('POST', '', trigger(ID, SECRET));
    expect(created.status).toBe(201);
    expect(((await created.json()) as { config: unknown }).config).toMatchObject({ conditions: [{ secret: '[sealed]' }] });
    const shown = await (await api('GET', `${ID}/`)).text();
    expect(shown).toContain('[sealed]');
    expect(shown).not.toContain(SECRET);

    const row = await storedRow(ID);
    expect(JSON.stringify(row.config)).not.toContain(SECRET);
    expect((row.config as { conditions: Array<{ secret: string }> }).conditions[0]!.secret).toMatch(/^v1:/);

    expect(await sendSigned(ID, SECRET)).toBe(200);
    expect(await sendSigned(ID, 'not-the-secret-0123456789')).toBe('signature_mismatch');

    // A body read back with GET and sent again keeps the stored secret.
    expect((await api('PATCH', `${ID}/`, { title: 'renamed', conditions: [hmac('[sealed]')] })).status).toBe(200);
    expect(await sendSigned(ID, SECRET)).toBe(200);
  });

  it('rotates: the new secret is answered once, both are accepted during the overlap, only the new one after', async () => {
    const res = await api('POST', `${ID}/rotate-secret/`, { overlap_seconds: 3600 });
    expect(res.status).toBe(200);
    const rotated = (await res.json()) as { secret: string; previous_valid_until: number; path: string };
    plaintexts.add(rotated.secret);
    expect(rotated.path).toBe('conditions[0].secret');
    expect(rotated.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(rotated.previous_valid_until).toBe(clock.now() + 3_600_000);

    // Never again: not in the trigger, not in its history, not in the store.
    const shown = (await (await api('GET', `${ID}/`)).text()) + (await (await api('GET', `${ID}/revisions/`)).text());
    expect(shown).not.toContain(rotated.secret);
    expect(shown).not.toContain(SECRET);
    const history = (await (await api('GET', `${ID}/revisions/`)).json()) as { revisions: Array<{ diff: Array<{ path: string; before?: unknown; after?: unknown }> }> };
    expect(history.revisions[0]!.diff).toEqual([{ path: 'conditions', before: [hmac('[sealed]')], after: [hmac(['[sealed]', '[sealed]'])] }]);
    expect(JSON.stringify((await storedRow(ID)).config)).not.toContain(rotated.secret);

    expect(await sendSigned(ID, rotated.secret)).toBe(200);
    expect(await sendSigned(ID, SECRET)).toBe(200);

    clock.advance(3_600_000 - 1);
    await t.service.liveTriggers.refresh();
    expect(await sendSigned(ID, SECRET)).toBe(200);

    clock.advance(1);
    await t.service.liveTriggers.refresh();
    expect(await sendSigned(ID, SECRET)).toBe('signature_mismatch');
    expect(await sendSigned(ID, rotated.secret)).toBe(200);
  });

  it('lets only an admin rotate', async () => {
    const res = await fetch(`${t.service.url}/api/v0/triggers/${ID}/rotate-secret/`, { method: 'POST', headers: { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('forbidden');
  });

  it('takes a given secret and names the choices when a trigger has several', async () => {
    const given = 'a-given-rotated-secret-0123456789';
    plaintexts.add(given).add('second-secret-0123456789abcdef');
    const res = await api('POST', `${ID}/rotate-secret/`, { overlap_seconds: 0, secret: given });
    expect(res.status).toBe(200);
    expect(await res.json()).not.toHaveProperty('secret');
    expect(await sendSigned(ID, given)).toBe(200);

    expect((await api('PATCH', `${ID}/`, { conditions: [hmac(['[sealed]']), hmac('second-secret-0123456789abcdef')] })).status).toBe(200);
    const several = await api('POST', `${ID}/rotate-secret/`, {});
    expect(several.status).toBe(422);
    expect(((await several.json()) as { error: { choices: string[] } }).error.choices).toEqual(['conditions[0].secret', 'conditions[1].secret']);
  });

  it('generates a whsec_ secret for a Standard Webhooks connector, and a request signed with it is accepted', async () => {
    const id = '0190fe82-0000-7000-8000-00000000c004';
    const first = toWhsec('standard-webhooks-first') as string;
    expect((await api('POST', '', { id, connector: { type: 'standard-webhooks', secret: first }, actions: [{ type: 'run-execution', step: 'noop' }] })).status).toBe(201);
    const res = await api('POST', `${id}/rotate-secret/`, {});
    expect(res.status).toBe(200);
    const rotated = (await res.json()) as { secret: string; path: string; previous_valid_until: number };
    plaintexts.add(first).add(rotated.secret);
    expect(rotated).toMatchObject({ path: 'connector.secret', secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/), previous_valid_until: clock.now() + 86_400_000 });
    const deliver = async (whsec: string) => {
      const signed = standardRequest({ type: 'invoice.paid', data: {} }, whsec, Math.floor(clock.now() / 1000));
      return (await fetch(t.url(id), { method: 'POST', headers: signed.headers, body: signed.body })).status;
    };
    expect(await deliver(rotated.secret)).toBe(200);
    expect(await deliver(first)).toBe(200);
    const history = (await (await api('GET', `${id}/revisions/`)).json()) as { revisions: Array<{ diff: unknown[] }> };
    expect(history.revisions[0]!.diff).toEqual([{ path: 'connector.secret', before: '[sealed]', after: ['[sealed]', '[sealed]'] }]);
  });

  it('`hooklaunch send` opens a sealed secret with the key the service uses, and signs with it', async () => {
    const id = '0190fe82-0000-7000-8000-00000000c003';
    expect((await api('POST', '', trigger(id, SECRET))).status).toBe(201);
    const cli = join(import.meta.dirname, '../../core/cli/main.ts');
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', cli, 'send', id, '--config', join(t.project.dir, 'hooklaunch.yaml'), '--url', t.service.url]);
    expect(stdout).toMatch(/^200 OK/);
  });

  it('does not serve a trigger whose sealed secret was altered in the store, and says why', async () => {
    expect((await api('POST', '', trigger(TAMPERED_ID, SECRET))).status).toBe(201);
    expect(await sendSigned(TAMPERED_ID, SECRET)).toBe(200);
    const row = await storedRow(TAMPERED_ID);
    const sealed = (row.config as { conditions: Array<{ secret: string }> }).conditions[0]!.secret;
    // One base64 letter of the ciphertext changed (a whole 6-bit group: never only padding bits).
    const parts = sealed.split(':');
    const body = parts[4]!;
    parts[4] = `${body.slice(0, 4)}${body[4] === 'A' ? 'B' : 'A'}${body.slice(5)}`;
    const altered = parts.join(':');
    const config = { ...(row.config as object), conditions: [hmac(altered)] };
    expect((await t.service.store.writeTriggerDef({ id: TAMPERED_ID, config, paused: false, expectRevision: row.revision, atMs: clock.now(), by: 'test', diff: [] })).kind).not.toBe('conflict');
    await t.service.liveTriggers.refresh();

    expect(await sendSigned(TAMPERED_ID, SECRET)).toBe(404);
    expect(t.service.liveTriggers.problemOf(TAMPERED_ID)).toMatch(/conditions\[0\]\.secret: .*altered/);
    const logged = serviceLog.map((line) => JSON.parse(line) as Record<string, unknown>).find((l) => l.triggerId === TAMPERED_ID && l.level === 50);
    expect(logged).toMatchObject({ path: 'conditions[0].secret', problem: expect.stringContaining('altered'), msg: expect.stringContaining('not served') });
    const view = (await (await api('GET', `${TAMPERED_ID}/`)).json()) as { served: boolean; problem: string };
    expect(view).toMatchObject({ served: false, problem: expect.stringContaining('altered') });
    const list = (await (await fetch(`${t.service.url}/api/v0/triggers/`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { not_served: Array<{ id: string }> };
    expect(list.not_served.map((n) => n.id)).toEqual([TAMPERED_ID]);
  });

  it('never logs a secret in clear', () => {
    expect(serviceLog.length).toBeGreaterThan(0);
    for (const secret of plaintexts) expect(serviceLog.join('')).not.toContain(secret);
  });
});
