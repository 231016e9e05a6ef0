/**
 * SIGHUP and `hooklaunch reload` re-read hooklaunch.yaml in a running `hooklaunch serve`; an
 * invalid file keeps the running triggers and logs every issue with its line (issue #13 point 2).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { serveProcess as serve } from '../helpers/serve-process.js';

const CLI = join(import.meta.dirname, '../../core/cli/main.ts');
const FIRST = '0190fe82-0000-7000-8000-0000000000b1';
const SECOND = '0190fe82-0000-7000-8000-0000000000b2';

const ADMIN = 'an-admin-token-for-reload-tests';
const config = (ids: string[], extra = '', step = 'noop') => `store: {url: "sqlite:state.db"}
server: {admin_token: ${ADMIN}}
triggers:
${ids.map((id) => `  - id: ${id}\n    actions: [{type: run-execution, step: ${step}}]\n`).join('')}${extra}`;

describe('reloading hooklaunch.yaml while serving', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  });

  it('keeps serving on a broken file (logging its line), and takes a valid one on `hooklaunch reload`', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hooklaunch-reload-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'valohai.yaml'), '- step: {name: noop, image: x, command: "true"}\n');
    const file = join(dir, 'hooklaunch.yaml');
    writeFileSync(file, config([FIRST]));

    const { child, url, output } = await serve(file);
    cleanups.push(() => void child.kill('SIGKILL'));
    const send = (id: string) => fetch(`${url}/api/v0/launch/${id}/`, { method: 'POST', body: '{}' }).then((r) => r.status);
    expect(await send(FIRST)).toBe(200);

    // Line 8: an unknown key in the second trigger.
    writeFileSync(file, config([FIRST, SECOND], '    colour: blue\n'));
    child.kill('SIGHUP');
    await expect.poll(output, { timeout: 3000, interval: 50 }).toMatch(/reload refused, the running triggers stay: [^"]*hooklaunch\.yaml:8: triggers\[1\]\.colour: unknown key colour/);
    expect(await send(FIRST)).toBe(200);
    expect(await send(SECOND)).toBe(404);
    // …and on the page and in the API, until a reload succeeds.
    const admin = (path: string) => fetch(`${url}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const refused = ((await (await admin('/api/v0/triggers/')).json()) as { reload: { ok: boolean; issues: string[] } }).reload;
    expect(refused).toMatchObject({ ok: false, issues: [expect.stringMatching(/hooklaunch\.yaml:8: triggers\[1\]\.colour: unknown key colour$/)] });
    expect(await (await admin('/ui/')).text()).toMatch(/hooklaunch.yaml was not reloaded[\s\S]*hooklaunch\.yaml:8: triggers\[1\]\.colour: unknown key colour/);

    // valohai.yaml is re-read too: the new trigger's new step runs.
    const marker = join(dir, 'added-step-ran');
    writeFileSync(join(dir, 'valohai.yaml'), `- step: {name: noop, image: x, command: "true"}\n- step: {name: added, image: x, command: "touch ${marker}"}\n`);
    writeFileSync(file, config([SECOND], '', 'added'));
    await promisify(execFile)(process.execPath, ['--import', 'tsx', CLI, 'reload', '--config', file]);
    await expect.poll(() => send(SECOND), { timeout: 3000, interval: 50 }).toBe(200);
    expect(await send(FIRST)).toBe(404);
    await expect.poll(() => existsSync(marker), { timeout: 10_000, interval: 100 }).toBe(true);
    expect(((await (await admin('/api/v0/triggers/')).json()) as { reload: { ok: boolean } }).reload.ok).toBe(true);
    expect(await (await admin('/ui/')).text()).not.toContain('was not reloaded');
  });
});
