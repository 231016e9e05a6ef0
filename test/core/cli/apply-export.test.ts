/**
 * `hooklaunch apply -f` and `hooklaunch export` (issue #13 point 1, the GitOps path): the real CLI
 * against a real service, the admin token taken from the config's `${env:…}` reference.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../helpers/service.js';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '../../../core/cli/main.ts');
const ADMIN = 'apply-export-admin-token-0123';
const ENV = { HL_ADMIN_TOKEN: ADMIN, HOOK_SECRET: 'apply-export-hmac-secret' };
const FILE_ID = '0190fe82-0000-7000-8000-0000000af001';
const A = '0190fe82-0000-7000-8000-0000000aa001';
const B = '0190fe82-0000-7000-8000-0000000aa002';
const SEALED = '0190fe82-0000-7000-8000-0000000aa003';

// The service's config: the file-managed trigger is on line 6 of the file startTestService writes (after its 2 store lines).
const CONFIG = `server:\n  admin_token: \${env:HL_ADMIN_TOKEN}\ntriggers:\n  - id: ${FILE_ID}\n    actions: [{type: run-execution, step: noop}]\n`;

const triggerA = (action: string) => `  - id: ${A}
    title: Deploy on ${action}
    conditions:
      - {type: web-request-auth, auth_type: hmac, key: X-Signature, prefix: "sha256=", secret: "\${env:HOOK_SECRET}"}
      - {type: payload-filter, lookup: action, operation: equals, value: ${action}}
    actions: [{type: run-execution, step: noop}]
`;
const triggerB = `  - id: ${B}\n    title: Anyone\n    actions: [{type: run-execution, step: noop}]\n`;

describe('hooklaunch apply and export', () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService('- step: {name: noop, image: x, command: "true"}\n', CONFIG, { env: ENV });
  });
  afterAll(() => t.close());

  async function hooklaunch(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const full = [...args, '--config', join(t.project.dir, 'hooklaunch.yaml'), '--url', t.service.url];
    try {
      const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', CLI, ...full], { env: { ...process.env, HOOKLAUNCH_CONFIG: '', ...ENV } });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }
  const api = (method: string, id = '', body?: unknown) =>
    fetch(`${t.service.url}/api/v0/triggers/${id ? `${id}/` : ''}`, { method, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, ...(body !== undefined && { body: JSON.stringify(body) }) });
  const configOf = async (id: string) => ((await (await api('GET', id)).json()) as { config: Record<string, unknown> }).config;

  it('dry-run shows what it would do and changes nothing; apply creates, and a second apply finds nothing to do', async () => {
    const file = t.project.write('triggers.yaml', `triggers:\n${triggerA('opened')}${triggerB}`);
    expect(await hooklaunch('apply', '-f', file, '--dry-run')).toMatchObject({ code: 0, stdout: `create ${A}\ncreate ${B}\n` });
    expect((await api('GET', A)).status).toBe(404);

    expect(await hooklaunch('apply', '-f', file)).toMatchObject({ code: 0, stdout: `created ${A}\ncreated ${B}\n` });
    // Sent as written: the reference is resolved by the service, never sent in clear.
    expect(((await configOf(A)).conditions as Array<{ secret?: string }>)[0]!.secret).toBe('${env:HOOK_SECRET}');
    expect(await hooklaunch('apply', '-f', file)).toMatchObject({ code: 0, stdout: `unchanged ${A}\nunchanged ${B}\n` });
  });

  it('a changed filter is an update naming its path, before and after', async () => {
    const file = t.project.write('triggers.yaml', `triggers:\n${triggerA('closed')}${triggerB}`);
    const change = `conditions[1].value: "opened" → "closed"; title: "Deploy on opened" → "Deploy on closed"`;
    expect(await hooklaunch('apply', '-f', file, '--dry-run')).toMatchObject({ code: 0, stdout: `update ${A}: ${change}\nunchanged ${B}\n` });
    expect(((await configOf(A)).conditions as Array<{ value?: string }>)[1]!.value).toBe('opened');
    expect(await hooklaunch('apply', '-f', file)).toMatchObject({ code: 0, stdout: `updated ${A}: ${change}\nunchanged ${B}\n` });
    expect(((await configOf(A)).conditions as Array<{ value?: string }>)[1]!.value).toBe('closed');
  });

  it('--prune deletes the API-managed triggers the file does not name, never a file-managed one', async () => {
    // A bare list is a triggers file too.
    const file = t.project.write('only-a.yaml', triggerA('closed').replace(/^ {2}/gm, ''));
    expect(await hooklaunch('apply', '-f', file, '--prune', '--dry-run')).toMatchObject({ code: 0, stdout: `unchanged ${A}\ndelete ${B}\n` });
    expect((await api('GET', B)).status).toBe(200);
    expect(await hooklaunch('apply', '-f', file, '--prune')).toMatchObject({ code: 0, stdout: `unchanged ${A}\ndeleted ${B}\n` });
    expect((await api('GET', B)).status).toBe(404);
    expect((await api('GET', FILE_ID)).status).toBe(200);
  });

  it('export prints what apply takes back unchanged, a stored secret as [sealed] with a comment', async () => {
    const sealed = { id: SEALED, connector: { type: 'github', secret: 'apply-export-github-secret-0123' }, actions: [{ type: 'run-execution', step: 'noop' }] };
    expect((await api('POST', '', sealed)).status).toBe(201);
    const exported = await hooklaunch('export');
    expect(exported.code).toBe(0);
    expect(exported.stdout).not.toContain('apply-export-github-secret');
    expect(exported.stdout).toMatch(/secret: "\[sealed\]" # sealed in the store, not exported/);
    expect(exported.stdout).toContain('secret: ${env:HOOK_SECRET}');
    expect(exported.stdout).not.toContain(FILE_ID);
    const file = t.project.write('exported.yaml', exported.stdout);
    expect(await hooklaunch('apply', '-f', file, '--prune')).toMatchObject({ code: 0, stdout: `unchanged ${A}\nunchanged ${SEALED}\n` });

    // A new secret written in clear is a change, and the dry run never prints it.
    const rotated = t.project.write('rotated.yaml', exported.stdout.replace('"[sealed]"', 'apply-export-new-secret-0123'));
    const dry = await hooklaunch('apply', '-f', rotated, '--dry-run');
    expect(dry.stdout).toBe(`unchanged ${A}\nupdate ${SEALED}: connector.secret: "[sealed]" → "[secret]"\n`);

    const all = await hooklaunch('export', '--all');
    expect(all.stdout).toContain(`# managed by ${join(t.project.dir, 'hooklaunch.yaml')}:6: change it there (apply skips it)\n  - id: ${FILE_ID}`);
  });

  it('refuses a file-managed id with its file:line, and exits 2 on a file with an error, naming its line', async () => {
    const file = t.project.write('file-id.yaml', `triggers:\n  - id: ${FILE_ID}\n    actions: [{type: run-execution, step: noop}]\n`);
    const refused = await hooklaunch('apply', '-f', file);
    expect(refused.stdout).toBe(`${FILE_ID}: managed by ${join(t.project.dir, 'hooklaunch.yaml')}:6, skipped\n`);
    expect(refused.code).toBe(1);

    const broken = t.project.write('broken.yaml', `triggers:\n  - id: ${B}\n    actions:\n      - type: run-execution\n        step: nope\n`);
    const invalid = await hooklaunch('apply', '-f', broken);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain(`${broken}:5: triggers[0].actions[0].step: no step "nope"`);
    expect((await api('GET', B)).status).toBe(404);
  });

  it('leaves a trigger whose variables are not set here to the service, and says so', async () => {
    const file = t.project.write('unset.yaml', `- id: ${B}\n  conditions: [{type: web-request-auth, auth_type: static_token, key: X-Token, secret: "\${env:APPLY_EXPORT_UNSET}"}]\n  actions: [{type: run-execution, step: noop}]\n`);
    const dry = await hooklaunch('apply', '-f', file, '--dry-run');
    expect(dry).toMatchObject({ code: 0, stdout: `create ${B}\n` });
    expect(dry.stderr).toContain(`note: ${B} is checked by the service only: APPLY_EXPORT_UNSET not set here`);
  });
});
