/**
 * Parsers for a generic trigger (issue #16): `hooklaunch codegen --trigger` infers a schema from
 * what the trigger accepted through the real server (or from sample files, or takes the
 * trigger's `payload_schema:` file), writes it next to the parsers, and the Python and
 * TypeScript parsers it generates load every one of those payloads.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inferSchema } from '../../../core/codegen/infer-schema.js';
import { startTestService, type TestService } from '../../helpers/service.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../../..');
const CLI = join(ROOT, 'core/cli/main.ts');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
// By path: the CLI runs in the project folder, where `tsx` would not resolve.
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

export async function hooklaunch(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', TSX, CLI, ...args], { cwd, env: { ...process.env, HOOKLAUNCH_CONFIG: 'hooklaunch.yaml' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The issue's own example: a custom application posting `{"user": {"id": …}, "data": {"file_url": …}}`. */
export const CUSTOM_APP_PAYLOADS = [
  { event: 'file.uploaded', user: { id: 42, email: 'ada@example.com' }, data: { file_url: 'https://files.example.com/a.csv', size: 1024 }, sent_at: '2026-11-28T10:00:00Z' },
  { event: 'file.uploaded', user: { id: 7 }, data: { file_url: 'https://files.example.com/b.csv', size: 2048, tags: ['raw'] }, sent_at: '2026-11-28T11:00:00Z' },
  { event: 'file.deleted', user: { id: 'svc-bot', email: null }, data: { file_url: 'https://files.example.com/c.csv', size: 2.5, tags: [] }, sent_at: '2026-11-28T12:00:00+02:00' },
];

export const CUSTOM_APP = '0190fe82-c984-7f66-8302-00000000c0de';
export const SCHEMA_TRIGGER = '0190fe82-c984-7f66-8302-000000005c4e';
export const VALOHAI = `
- step:
    name: ingest
    image: python:3.12
    command: "true"
    inputs:
      - name: payload
`;
export const CONFIG = `
triggers:
  - id: ${CUSTOM_APP}
    title: Custom app
    conditions:
      - {type: web-request-auth, auth_type: static_token, key: Authorization, prefix: "Bearer ", secret: app-token}
    actions:
      - {type: run-execution, step: ingest, payload_input: payload}
  - id: ${SCHEMA_TRIGGER}
    title: Upload notice
    payload_schema: upload.schema.json
    conditions:
      - {type: web-request-auth, auth_type: static_token, key: Authorization, prefix: "Bearer ", secret: app-token}
    actions:
      - {type: run-execution, step: ingest, payload_input: payload}
`;
export const UPLOAD_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  required: ['user', 'data'],
  properties: {
    user: { type: 'object', required: ['id'], properties: { id: { type: 'integer' } } },
    data: { type: 'object', required: ['file_url'], properties: { file_url: { type: 'string', format: 'uri' }, size: { type: 'integer' } } },
  },
};

describe('inferSchema', () => {
  const schema = inferSchema(CUSTOM_APP_PAYLOADS);
  const props = schema.properties!;

  it.each([
    ['a field in every payload is required', () => expect(schema.required).toEqual(['event', 'user', 'data', 'sent_at'])],
    ['a field missing from some is optional', () => expect(props.data!.required).toEqual(['file_url', 'size'])],
    ['differing types become a union', () => expect(props.user!.properties!.id).toEqual({ anyOf: [{ type: 'integer' }, { type: 'string' }] })],
    ['null seen next to a string is a nullable string', () => expect(props.user!.properties!.email).toEqual({ anyOf: [{ type: 'string' }, { type: 'null' }] })],
    ['integers and decimals at one place are a number', () => expect(props.data!.properties!.size).toEqual({ type: 'number' })],
    ['a small closed set of repeated strings is an enum', () => expect(props.event).toEqual({ type: 'string', enum: ['file.deleted', 'file.uploaded'] })],
    ['timestamps get format date-time', () => expect(props.sent_at).toEqual({ type: 'string', format: 'date-time' })],
    ['URLs get format uri', () => expect(props.data!.properties!.file_url).toEqual({ type: 'string', format: 'uri' })],
    ['list items are merged across payloads', () => expect(props.data!.properties!.tags).toEqual({ type: 'array', items: { type: 'string' } })],
  ])('%s', (_name, assertion) => assertion());

  it('distinct strings seen once each stay plain strings (no enum from too little evidence)', () => {
    expect(inferSchema([{ k: 'a' }, { k: 'b' }, { k: 'c' }]).properties!.k).toEqual({ type: 'string' });
  });
});

/** Loads each payload file with the generated Python module; prints one JSON line per file. */
export function pythonLoads(dir: string, module: string, files: string[], expression: string): Promise<{ stdout: string }> {
  const script = [
    'import json, sys',
    `sys.path.insert(0, ${JSON.stringify(dir)})`,
    `import ${module} as parser`,
    'for path in sys.argv[1:]:',
    '    with open(path, "rb") as f:',
    '        p = parser.parse(f.read())',
    `    print(json.dumps(${expression}))`,
  ].join('\n');
  return run('python3', ['-I', '-B', '-c', script, ...files], { encoding: 'utf8' });
}

/** Type-checks a generated module and a consumer of it with the repository's strictest settings. */
export function typecheck(files: string[]): Promise<unknown> {
  const flags = ['--noEmit', '--strict', '--noUncheckedIndexedAccess', '--exactOptionalPropertyTypes', '--module', 'nodenext', '--target', 'es2023', '--types', 'node', '--typeRoots', join(ROOT, 'node_modules/@types'), '--allowImportingTsExtensions', '--skipLibCheck'];
  return run(process.execPath, [TSC, ...flags, ...files], { encoding: 'utf8' });
}

describe('codegen --trigger', () => {
  let t: TestService;
  const requestIds: string[] = [];

  beforeAll(async () => {
    t = await startTestService(VALOHAI, CONFIG, { files: { 'upload.schema.json': JSON.stringify(UPLOAD_SCHEMA) } });
    mkdirSync(join(t.project.dir, 'gen'));
    for (const payload of CUSTOM_APP_PAYLOADS) {
      const res = await fetch(t.url(CUSTOM_APP), { method: 'POST', headers: { authorization: 'Bearer app-token', 'content-type': 'application/json' }, body: JSON.stringify(payload) });
      expect(res.status).toBe(200);
      requestIds.push(res.headers.get('x-request-id')!);
    }
    await t.service.settled();
  });
  afterAll(() => t.close());

  it('infers a schema from the payloads the trigger accepted, writes it next to the parsers, and both parsers load all three', async () => {
    const out = join(t.project.dir, 'gen');
    const generated = await hooklaunch(['codegen', '--trigger', CUSTOM_APP, '--lang', 'both', '--out', 'gen', '-c', 'hooklaunch.yaml'], t.project.dir);
    expect(generated, generated.stderr).toMatchObject({ code: 0 });
    expect(generated.stdout).toContain('custom-app-payload.schema.json (inferred from 3 payloads: review it)');
    const schema = JSON.parse(readFileSync(join(out, 'custom-app-payload.schema.json'), 'utf8')) as { required: string[] };
    expect(schema.required).toEqual(['event', 'user', 'data', 'sent_at']);
    const python = readFileSync(join(out, 'custom_app_payload.py'), 'utf8');
    expect(python.split('\n').slice(0, 2)).toEqual([`# Generated by \`hooklaunch codegen --trigger ${CUSTOM_APP} --out gen --lang python\``, '# from gen/custom-app-payload.schema.json. Do not edit: change the schema and generate again.']);

    const files = CUSTOM_APP_PAYLOADS.map((payload, i) => t.project.write(`payload-${i}.json`, JSON.stringify(payload)));
    const { stdout } = await pythonLoads(out, 'custom_app_payload', files, '[type(p).__name__, p.user.id, p.data.file_url, p.data.tags, p.event]');
    expect(stdout.trim().split('\n').map((line) => JSON.parse(line) as unknown)).toEqual([
      ['CustomAppPayload', 42, 'https://files.example.com/a.csv', null, 'file.uploaded'],
      ['CustomAppPayload', 7, 'https://files.example.com/b.csv', ['raw'], 'file.uploaded'],
      ['CustomAppPayload', 'svc-bot', 'https://files.example.com/c.csv', [], 'file.deleted'],
    ]);

    const consumer = t.project.write(
      'gen/consumer.ts',
      [
        "import { parsePayload, type CustomAppPayload } from './custom-app-payload.ts';",
        'export function fileOf(raw: string): string {',
        '  const p: CustomAppPayload = parsePayload(raw);',
        "  const id: number | string = p.user.id;",
        "  const event: 'file.deleted' | 'file.uploaded' = p.event;",
        '  return `${event} ${String(id)} ${p.data.file_url.toUpperCase()} ${(p.data.tags ?? []).join(",")}`;',
        '}',
      ].join('\n'),
    );
    await typecheck([join(out, 'custom-app-payload.ts'), consumer]);
    const ts = (await import(join(out, 'custom-app-payload.ts'))) as { parsePayload: (raw: string) => { user: { id: unknown }; data: { file_url: string } } };
    expect(CUSTOM_APP_PAYLOADS.map((p) => ts.parsePayload(JSON.stringify(p)).data.file_url)).toEqual(CUSTOM_APP_PAYLOADS.map((p) => p.data.file_url));
    expect(() => ts.parsePayload(JSON.stringify({ ...CUSTOM_APP_PAYLOADS[0], user: {} }))).toThrow('payload.user.id: required field is missing');

    // Run again without a source: the reviewed schema next to the parser is what it generates from.
    const edited = { ...schema, $comment: 'reviewed' };
    writeFileSync(join(out, 'custom-app-payload.schema.json'), JSON.stringify(edited));
    expect((await hooklaunch(['codegen', '--trigger', CUSTOM_APP, '--out', 'gen'], t.project.dir)).code).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'custom-app-payload.schema.json'), 'utf8'))).toEqual(edited);
  });

  it('infers from sample files given on the command line', async () => {
    const files = CUSTOM_APP_PAYLOADS.slice(0, 2).map((payload, i) => t.project.write(`sample-${i}.json`, JSON.stringify(payload)));
    const generated = await hooklaunch(['codegen', '--trigger', CUSTOM_APP, '--name', 'from-samples', '--out', 'samples', '--sample', ...files], t.project.dir);
    expect(generated, generated.stderr).toMatchObject({ code: 0 });
    expect(generated.stdout).toContain('from-samples.schema.json (inferred from 2 payloads: review it)');
    const schema = JSON.parse(readFileSync(join(t.project.dir, 'samples', 'from-samples.schema.json'), 'utf8')) as { properties: { user: { properties: { id: unknown } } } };
    expect(schema.properties.user.properties.id).toEqual({ type: 'integer' });
    expect(existsSync(join(t.project.dir, 'samples', 'from_samples.py'))).toBe(true);
  });

  it("generates from the trigger's payload_schema file and names it in the header", async () => {
    const generated = await hooklaunch(['codegen', '--trigger', SCHEMA_TRIGGER, '--lang', 'python', '--out', 'upload'], t.project.dir);
    expect(generated, generated.stderr).toMatchObject({ code: 0 });
    const python = readFileSync(join(t.project.dir, 'upload', 'upload_notice_payload.py'), 'utf8');
    expect(python.split('\n')[1]).toBe('# from upload.schema.json. Do not edit: change the schema and generate again.');
    expect(existsSync(join(t.project.dir, 'upload', 'upload-notice-payload.schema.json'))).toBe(false);
    const file = t.project.write('upload.json', JSON.stringify({ user: { id: 1 }, data: { file_url: 'https://x.test/f' } }));
    const { stdout } = await pythonLoads(join(t.project.dir, 'upload'), 'upload_notice_payload', [file], '[p.user.id, p.data.file_url, p.data.size]');
    expect(JSON.parse(stdout)).toEqual([1, 'https://x.test/f', null]);
  });

  it('refuses a trigger it does not know, and one with nothing to infer from', async () => {
    expect((await hooklaunch(['codegen', '--trigger', 'nope-nope-nope-nope', '--out', 'x'], t.project.dir)).stderr).toContain('no trigger nope-nope-nope-nope in hooklaunch.yaml or the store');
    expect((await hooklaunch(['codegen', '--trigger', CUSTOM_APP, '--connector', 'slack'], t.project.dir)).stderr).toContain('give exactly one of --connector <id> or --trigger <id>');
  });
});
