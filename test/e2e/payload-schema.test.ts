/**
 * Validation at the door (issue #16 point 2): a trigger with `payload_schema:` refuses a payload
 * that does not match with `400 payload_invalid` naming the field, before anything launches,
 * and the parser generated from the same schema names the same field.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkTrigger } from '../../core/config/check-trigger.js';
import { ConfigError } from '../../core/yaml/config-error.js';
import { connectors } from '../../connectors/index.js';
import { CONFIG, CUSTOM_APP, hooklaunch, SCHEMA_TRIGGER, UPLOAD_SCHEMA, VALOHAI } from '../helpers/codegen.js';
import { tempProject } from '../helpers/project.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { execFileSync } from 'node:child_process';

const refused: Array<[string, unknown, string]> = [
  ['a required field missing', { user: { id: 1 }, data: {} }, 'payload.data.file_url: required field is missing'],
  ['a field of the wrong type', { user: { id: 'u-1' }, data: { file_url: 'https://x.test/f' } }, 'payload.user.id: must be integer'],
  ['a whole object missing', { data: { file_url: 'https://x.test/f' } }, 'payload.user: required field is missing'],
  ['not an object at all', [1, 2], 'payload: must be object'],
];

describe('payload_schema at the door', () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService(VALOHAI, CONFIG, { files: { 'upload.schema.json': JSON.stringify(UPLOAD_SCHEMA) } });
  });
  afterAll(() => t.close());

  const post = (body: unknown): Promise<Response> =>
    fetch(t.url(SCHEMA_TRIGGER), { method: 'POST', headers: { authorization: 'Bearer app-token', 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('accepts a matching payload, unknown fields included (the parsers keep them too)', async () => {
    const res = await post({ user: { id: 1, name: 'Ada' }, data: { file_url: 'https://x.test/f', size: 3 }, extra: true });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ run_id: expect.any(String) });
  });

  it.each(refused)('refuses %s with payload_invalid naming the field, and launches nothing', async (_name, body, message) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { code: 'payload_invalid', message } });
    const [entry] = await t.service.store.listLog({ triggerId: SCHEMA_TRIGGER, limit: 1 });
    expect(entry).toMatchObject({ outcome: 'rejected', code: 'payload_invalid', message, requestId: res.headers.get('x-request-id') });
    expect(entry!.runId).toBeUndefined();
  });

  it('an unauthenticated request is refused for its token, never judged on its payload', async () => {
    const res = await fetch(t.url(SCHEMA_TRIGGER), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' });
    expect(((await res.json()) as { error: { code: string } }).error.code).not.toBe('payload_invalid');
  });

  it('the parser generated from the same schema refuses the same payloads at the same field', async () => {
    expect((await hooklaunch(['codegen', '--trigger', SCHEMA_TRIGGER, '--out', 'gen'], t.project.dir)).code).toBe(0);
    const files = refused.map(([, body], i) => t.project.write(`refused-${i}.json`, JSON.stringify(body)));
    const script = [
      'import sys',
      `sys.path.insert(0, ${JSON.stringify(join(t.project.dir, 'gen'))})`,
      'import upload_notice_payload as parser',
      'for path in sys.argv[1:]:',
      '    try:',
      '        parser.parse(open(path, "rb").read())',
      '        print("accepted")',
      '    except parser.PayloadError as error:',
      '        print(str(error).split(":")[0])',
    ].join('\n');
    const fields = execFileSync('python3', ['-I', '-B', '-c', script, ...files], { encoding: 'utf8' }).trim().split('\n');
    expect(fields).toEqual(refused.map(([, , message]) => message.split(':')[0]));
  });
});

describe('the trigger page shows payload drift', () => {
  const ADMIN = 'admin-token-for-the-drift-page';
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService(VALOHAI, `server: {admin_token: ${ADMIN}}\n${CONFIG}`, { files: { 'upload.schema.json': JSON.stringify(UPLOAD_SCHEMA) } });
  });
  afterAll(() => t.close());
  const post = (body: unknown): Promise<Response> =>
    fetch(t.url(SCHEMA_TRIGGER), { method: 'POST', headers: { authorization: 'Bearer app-token', 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const page = async (): Promise<string> => (await fetch(`${t.service.url}/ui/triggers/${SCHEMA_TRIGGER}`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();

  it('none while accepted payloads fit; a new field with the request that brought it once one does not', async () => {
    expect((await post({ user: { id: 1 }, data: { file_url: 'https://x.test/a' } })).status).toBe(200);
    expect(await page()).toContain("None: 1 recent accepted payload checked against the trigger's payload_schema.");
    const drifted = await post({ user: { id: 2 }, data: { file_url: 'https://x.test/b', checksum: 'sha256:ab' } });
    expect(drifted.status).toBe(200);
    const requestId = drifted.headers.get('x-request-id')!;
    const html = await page();
    expect(html).toContain('<h2>Payload drift</h2>');
    expect(html).toMatch(new RegExp(`<td><code>payload\\.data\\.checksum</code></td><td>new field</td><td><a href="/ui/requests/${requestId}">`));
  });

  it('shows nothing for a trigger without a payload_schema', async () => {
    const html = await (await fetch(`${t.service.url}/ui/triggers/${CUSTOM_APP}`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();
    expect(html).not.toContain('Payload drift');
  });
});

describe('payload_schema in the config', () => {
  it.each([
    ['a file that is not there', 'payload_schema: missing.schema.json', 'cannot read the schema'],
    ['a file that is not a JSON Schema', 'payload_schema: bad.schema.json', 'not a valid JSON Schema'],
    ['an inline schema that is not one', 'payload_schema: {type: 12}', 'not a valid JSON Schema'],
  ])('stops start-up for %s, naming the trigger and line', (_name, line, message) => {
    const project = tempProject(VALOHAI, { 'bad.schema.json': JSON.stringify({ type: 'objekt' }) });
    try {
      const config = `store: {url: "sqlite::memory:"}\ntriggers:\n  - id: ${SCHEMA_TRIGGER}\n    ${line}\n    actions: [{type: run-execution, step: ingest}]\n`;
      let error: unknown;
      try {
        project.load(config);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(new RegExp(`hooklaunch.yaml:4: triggers\\[0\\]\\.payload_schema: .*${message}`));
    } finally {
      project.remove();
    }
  });

  it('a trigger managed through the admin API gives its schema inline, not as a server file path', () => {
    const project = tempProject(VALOHAI);
    try {
      const loaded = project.load(`store: {url: "sqlite::memory:"}\n`);
      const ctx = { registry: connectors, maxInflightBytesPerTrigger: 1 << 26, project: loaded.project, env: {} };
      const base = { id: SCHEMA_TRIGGER, actions: [{ type: 'run-execution', step: 'ingest' }] };
      expect(checkTrigger({ ...base, payload_schema: '/etc/passwd' }, ctx)).toMatchObject({ ok: false, issues: [{ path: ['payload_schema'], message: expect.stringContaining('inline') }] });
      expect(checkTrigger({ ...base, payload_schema: UPLOAD_SCHEMA }, ctx)).toMatchObject({ ok: true });
    } finally {
      project.remove();
    }
  });
});
