/**
 * A trigger changed through the admin API of one `hooklaunch serve` applies on another instance
 * sharing the PostgreSQL store within 2 s (issue #13 point 2: each instance polls the revision every 1 s).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { POSTGRES_SKIP, freshDatabase } from '../helpers/postgres.js';
import { serveProcess as serve } from '../helpers/serve-process.js';

const TRIGGER = '0190fe82-0000-7000-8000-0000000000c1';
const ADMIN = 'an-admin-token-for-scale-tests';

describe.skipIf(POSTGRES_SKIP)(`live trigger changes across instances${POSTGRES_SKIP ? ` (skipped: ${POSTGRES_SKIP})` : ''}`, () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** Two `hooklaunch serve` processes over one fresh database, with no trigger in their file. */
  const twoInstances = async () => {
    const database = await freshDatabase();
    cleanups.push(database.drop);
    const dir = mkdtempSync(join(tmpdir(), 'hooklaunch-live-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'valohai.yaml'), '- step: {name: noop, image: x, command: "true"}\n');
    const config = join(dir, 'hooklaunch.yaml');
    writeFileSync(config, `store: {url: "${database.url}"}\nserver: {admin_token: ${ADMIN}}\n`);
    const env = { SCALE_SECRET: 'scale-token', HOOKLAUNCH_SECRET_KEY: '7f'.repeat(32) };
    const instances = await Promise.all([serve(config, { instance: 'a', env }), serve(config, { instance: 'b', env })]);
    cleanups.push(...instances.map((i) => () => void i.child.kill('SIGKILL')));
    return instances;
  };

  it('applies a change made on one instance to the next request on the other within 2 s', async () => {
    const [a, b] = await twoInstances();

    const admin = (method: string, path: string, body?: unknown) =>
      fetch(`${a.url}/api/v0/triggers/${path}`, { method, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, ...(body !== undefined && { body: JSON.stringify(body) }) });
    const sendToB = (action: string) =>
      fetch(`${b.url}/api/v0/launch/${TRIGGER}/`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-token': 'scale-token' }, body: JSON.stringify({ action }) }).then((r) => r.status);
    expect(await sendToB('go')).toBe(404);

    const created = await admin('POST', '', {
      id: TRIGGER,
      conditions: [
        { type: 'web-request-auth', auth_type: 'static_token', key: 'X-Token', secret: '${env:SCALE_SECRET}' },
        { type: 'payload-filter', lookup: 'action', operation: 'equals', value: 'go' },
      ],
      actions: [{ type: 'run-execution', step: 'noop' }],
    });
    expect(created.status).toBe(201);
    await expect.poll(() => sendToB('go'), { timeout: 3000, interval: 100 }).toBe(200);

    expect((await admin('POST', `${TRIGGER}/pause/`)).status).toBe(200);
    await expect.poll(() => sendToB('go'), { timeout: 3000, interval: 100 }).toBe(409);

    expect((await admin('DELETE', `${TRIGGER}/`)).status).toBe(200);
    await expect.poll(() => sendToB('go'), { timeout: 3000, interval: 100 }).toBe(404);
  });

  it('serves a secret sealed on one instance on the other, and ends a rotation overlap on each by itself', async () => {
    const [a, b] = await twoInstances();

    const id = '0190fe82-0000-7000-8000-0000000000c2';
    const admin = (path: string, body: unknown) =>
      fetch(`${a.url}/api/v0/triggers/${path}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const sendToB = (token: string) =>
      fetch(`${b.url}/api/v0/launch/${id}/`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-token': token }, body: '{}' }).then((r) => r.status);

    const first = 'first-stored-token-0123456789';
    expect((await admin('', { id, conditions: [{ type: 'web-request-auth', auth_type: 'static_token', key: 'X-Token', secret: first }], actions: [{ type: 'run-execution', step: 'noop' }] })).status).toBe(201);
    await expect.poll(() => sendToB(first), { timeout: 3000, interval: 100 }).toBe(200);

    // No revision marks the end of the overlap: instance b drops the old token by itself (its expiry timer).
    const rotated = (await (await admin(`${id}/rotate-secret/`, { overlap_seconds: 2 })).json()) as { secret: string };
    await expect.poll(() => sendToB(rotated.secret), { timeout: 3000, interval: 100 }).toBe(200);
    expect(await sendToB(first)).toBe(200);
    await expect.poll(() => sendToB(first), { timeout: 5000, interval: 200 }).toBe(400);
    expect(await sendToB(rotated.secret)).toBe(200);
  });
});
