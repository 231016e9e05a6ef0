/** Shared by the codegen tests: the CLI, the custom-app payloads and trigger config, python3 and tsc runners. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');
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

