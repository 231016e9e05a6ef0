/**
 * Parsers a user can depend on (issue #16 point 4): `load()` reads exactly the named Valohai
 * input, never a stray file and never an unpacked archive; union payloads get `expect_*`
 * helpers; the header's command regenerates the module; `--package` installs with pip.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CUSTOM_APP_PAYLOADS, hooklaunch } from '../../helpers/codegen.js';
import { slashCommandBody } from '../../helpers/provider-requests.js';

const templates = resolve(import.meta.dirname, '../../../templates');
const scratch = mkdtempSync(join(tmpdir(), 'hooklaunch-loading-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** An execution's layout: $VH_CONFIG_DIR/inputs.json naming the payload file, as Valohai writes it. */
function execution(name: string, body: string, inputName = 'payload'): { cwd: string; config: string; payload: string } {
  const root = join(scratch, name);
  const config = join(root, 'config');
  const cwd = join(root, 'repository');
  mkdirSync(config, { recursive: true });
  mkdirSync(join(root, 'inputs', inputName), { recursive: true });
  mkdirSync(cwd, { recursive: true });
  const payload = join(root, 'inputs', inputName, 'payload.json');
  writeFileSync(payload, body);
  writeFileSync(join(config, 'inputs.json'), JSON.stringify({ [inputName]: { files: [{ name: 'payload.json', path: payload }] } }));
  return { cwd, config, payload };
}

function python(script: string, cwd: string, env: Record<string, string>, extraPath: string[] = []): string {
  const lines = ['import sys', ...[join(templates, 'slack-predict'), ...extraPath].map((p) => `sys.path.insert(0, ${JSON.stringify(p)})`), script];
  return execFileSync('python3', ['-B', '-c', lines.join('\n')], { cwd, env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' }).trim();
}

const SLASH = slashCommandBody({ text: 'https://x.test/cat.png' });
const EVENT = JSON.stringify({ type: 'event_callback', event_id: 'Ev1', team_id: 'T1', event: { type: 'app_mention', text: 'hi' } });

describe('load(input_name)', () => {
  it('reads the file inputs.json names, not a stray file called like the input in the working directory', () => {
    const ex = execution('stray', SLASH);
    writeFileSync(join(ex.cwd, 'payload'), 'this stray file must never be read');
    const out = python('import slack_payload as p\nc = p.load("payload")\nprint(type(c).__name__, c.text)', ex.cwd, { VH_CONFIG_DIR: ex.config });
    expect(out).toBe('SlashCommand https://x.test/cat.png');
  });

  it('an input that is not there is a PayloadError naming it, even when a file of that name exists', () => {
    const ex = execution('missing', SLASH);
    writeFileSync(join(ex.cwd, 'labels'), SLASH);
    const out = python('import slack_payload as p\ntry:\n    p.load("labels")\nexcept p.PayloadError as e:\n    print(e)', ex.cwd, { VH_CONFIG_DIR: ex.config });
    expect(out).toBe(`input 'labels' is not in ${ex.config}/inputs.json`);
  });

  it('through valohai-utils, asks for the input without unpacking archives', () => {
    // A stand-in for valohai-utils' Input.path(path_filter=None, default=None, process_archives=True,
    // force_download=False) (valohai/inputs.py): with archives processed, a zip input yields a file
    // inside it; the payload is the stored body itself, so process_archives must be False.
    const ex = execution('valohai-utils', SLASH);
    const inner = join(scratch, 'valohai-utils', 'unpacked.json');
    writeFileSync(inner, EVENT);
    const fake = join(scratch, 'valohai-utils', 'site');
    mkdirSync(join(fake, 'valohai'), { recursive: true });
    writeFileSync(
      join(fake, 'valohai', '__init__.py'),
      [
        'class _Input:',
        '    def __init__(self, name):',
        '        self.name = name',
        '    def path(self, path_filter=None, default=None, process_archives=True, force_download=False):',
        `        return ${JSON.stringify(inner)} if process_archives else ${JSON.stringify(ex.payload)}`,
        'inputs = _Input',
      ].join('\n'),
    );
    const out = python('import slack_payload as p\nprint(type(p.load("payload")).__name__)', ex.cwd, { VH_CONFIG_DIR: '/nonexistent' }, [fake]);
    expect(out).toBe('SlashCommand');
  });

  it('TypeScript: loadPayload reads the named input only, loadPayloadFile a path', async () => {
    const ex = execution('typescript', SLASH);
    writeFileSync(join(ex.cwd, 'payload'), 'stray');
    const module = (await import(join(templates, 'slack-predict', 'slack-payload.ts'))) as {
      loadPayload: (name?: string) => { text?: string };
      loadPayloadFile: (path: string) => { text?: string };
      expectSlashCommand: (p: unknown) => { text: string };
      expectEventCallback: (p: unknown) => unknown;
    };
    const previous = { cwd: process.cwd(), config: process.env.VH_CONFIG_DIR };
    process.chdir(ex.cwd);
    process.env.VH_CONFIG_DIR = ex.config;
    try {
      expect(module.expectSlashCommand(module.loadPayload('payload')).text).toBe('https://x.test/cat.png');
      expect(() => module.loadPayload('labels')).toThrow(`input "labels" is not in ${ex.config}/inputs.json`);
      expect(module.loadPayloadFile(ex.payload).text).toBe('https://x.test/cat.png');
      expect(() => module.expectEventCallback(module.loadPayloadFile(ex.payload))).toThrow('payload.type: required field is missing');
    } finally {
      process.chdir(previous.cwd);
      if (previous.config === undefined) delete process.env.VH_CONFIG_DIR;
      else process.env.VH_CONFIG_DIR = previous.config;
    }
  });
});

describe('expect_* helpers for union payloads', () => {
  it('narrow to the form asked for, or fail saying which form arrived', () => {
    const ex = execution('expect', EVENT);
    const script = [
      'import slack_payload as p',
      'event = p.expect_event_callback(p.load())',
      'print(event.event_id)',
      'try:',
      '    p.expect_slash_command(p.load())',
      'except p.PayloadError as e:',
      '    print(e)',
    ].join('\n');
    expect(python(script, ex.cwd, { VH_CONFIG_DIR: ex.config }).split('\n')).toEqual(['Ev1', 'payload: expected SlashCommand, got EventCallback']);
  });

  it('a payload of one form gets none', () => {
    expect(readFileSync(join(templates, 'github-autofetch', 'github_payload.py'), 'utf8')).not.toContain('def expect_');
  });
});

describe('the header', () => {
  it("names the command that regenerates the module, and running it gives the same file", async () => {
    const committed = readFileSync(join(templates, 'v7-train', 'v7_payload.py'), 'utf8');
    const command = /^# Generated by `hooklaunch (codegen [^`]+)`/.exec(committed)?.[1];
    expect(command).toBe('codegen --connector v7 --lang python');
    const out = join(scratch, 'regenerated');
    const result = await hooklaunch([...command!.split(' '), '--out', out], scratch);
    expect(result.code).toBe(0);
    expect(readFileSync(join(out, 'v7_payload.py'), 'utf8')).toBe(committed);
  });
});

describe('codegen --package', () => {
  it('writes a pyproject.toml that setuptools builds into a package holding the parser', async () => {
    const project = join(scratch, 'package');
    mkdirSync(project, { recursive: true });
    const samples = CUSTOM_APP_PAYLOADS.map((payload, i) => {
      const file = join(project, `sample-${i}.json`);
      writeFileSync(file, JSON.stringify(payload));
      return file;
    });
    writeFileSync(join(project, 'valohai.yaml'), '- step: {name: ingest, image: x, command: "true"}\n');
    writeFileSync(join(project, 'hooklaunch.yaml'), `store: {url: "sqlite:state.db"}\ntriggers:\n  - id: 0190fe82-c984-7f66-8302-00000000c0de\n    title: Custom app\n    actions: [{type: run-execution, step: ingest}]\n`);
    const generated = await hooklaunch(['codegen', '--trigger', '0190fe82-c984-7f66-8302-00000000c0de', '--out', 'parser', '--package', '--sample', ...samples], project);
    expect(generated, generated.stderr).toMatchObject({ code: 0 });
    expect(readFileSync(join(project, 'parser', 'pyproject.toml'), 'utf8')).toContain('py-modules = ["custom_app_payload"]');
    // setuptools (what pip builds the package with) builds it: an sdist needs no network and no
    // wheel package, unlike `pip install` here, whose build isolation fetches setuptools and wheel.
    const dist = join(scratch, 'dist');
    const built = execFileSync('python3', ['-B', '-c', `import sys; from setuptools import build_meta; print(build_meta.build_sdist(${JSON.stringify(dist)}))`], { cwd: join(project, 'parser'), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n').pop()!;
    expect(built).toBe('custom-app-payload-0.0.0.tar.gz');
    const unpacked = join(scratch, 'unpacked');
    mkdirSync(unpacked);
    execFileSync('tar', ['-xzf', join(dist, built), '-C', unpacked]);
    const site = join(unpacked, 'custom-app-payload-0.0.0');
    expect(readFileSync(join(site, 'PKG-INFO'), 'utf8')).toContain('Name: custom-app-payload');
    const out = execFileSync('python3', ['-B', '-c', 'import custom_app_payload as p, sys; print(p.load_file(sys.argv[1]).data.file_url)', samples[0]!], { cwd: tmpdir(), env: { PATH: process.env.PATH ?? '', PYTHONPATH: site }, encoding: 'utf8' });
    expect(out.trim()).toBe('https://files.example.com/a.csv');
  }, 60_000);
});
