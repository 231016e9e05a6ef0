import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { connectors } from '../../../connectors/index.js';
import { CONFIG_SCHEMA_FILE, configJsonSchema, SCHEMA_MODELINE } from '../../../core/config/config-json-schema.js';
import { tempProject, type TempProject } from '../../helpers/project.js';
import { startTestService } from '../../helpers/service.js';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '../../../core/cli/main.ts');

async function hooklaunch(args: string[], cwd?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd, env: { ...process.env, HOOKLAUNCH_CONFIG: '' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const VALOHAI = '- step: {name: train, image: x, command: python train.py}\n';

describe('hooklaunch CLI', () => {
  let project: TempProject | undefined;
  afterEach(() => project?.remove());

  it('new-id mints a UUIDv7', async () => {
    const { code, stdout } = await hooklaunch(['new-id']);
    expect(code).toBe(0);
    expect(stdout.trim()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('init copies a template (whose config then asks for its secrets), and codegen writes a parser', async () => {
    project = tempProject(VALOHAI);
    const target = join(project.dir, 'my-slack');
    const init = await hooklaunch(['init', 'slack-predict', target]);
    expect(init.code).toBe(0);
    expect(init.stdout).toContain(`slack-predict copied to ${target}`);
    const check = await hooklaunch(['check', '--config', join(target, 'hooklaunch.yaml')]);
    expect(check.stderr).toContain('SLACK_SIGNING_SECRET is not set (export SLACK_SIGNING_SECRET=… where hooklaunch runs');
    const again = await hooklaunch(['init', 'slack-predict', target]);
    expect(again).toMatchObject({ code: 2, stderr: expect.stringContaining('exists and is not empty') });
    expect((await hooklaunch(['init', 'nope'])).stderr).toContain('unknown template "nope"; known: slack-predict, github-autofetch, v7-train');
    const codegen = await hooklaunch(['codegen', '--connector', 'v7', '--lang', 'typescript', '--out', join(project.dir, 'gen')]);
    expect(codegen.stdout.trim()).toBe(join(project.dir, 'gen', 'v7-payload.ts'));
  });

  it('schema prints the JSON Schema of the config, and init writes it beside the config its first line points to', async () => {
    const schema = await hooklaunch(['schema']);
    expect(schema.code).toBe(0);
    expect(JSON.parse(schema.stdout)).toEqual(configJsonSchema(connectors));
    project = tempProject(VALOHAI);
    const target = join(project.dir, 'my-v7');
    expect((await hooklaunch(['init', 'v7-train', target])).code).toBe(0);
    expect(readFileSync(join(target, CONFIG_SCHEMA_FILE), 'utf8')).toBe(schema.stdout);
    expect(readFileSync(join(target, 'hooklaunch.yaml'), 'utf8').split('\n')[0]).toBe(SCHEMA_MODELINE);
  });

  it('check prints each trigger with its URL', async () => {
    project = tempProject(VALOHAI);
    const config = project.write('hooklaunch.yaml', 'server: {public_url: "https://hooks.example.test/"}\ntriggers:\n  - id: 0190fe82-c984-7f66-8302-69874914e1c9\n    title: Train\n    actions: [{type: run-execution, step: train}]\n');
    const { code, stdout } = await hooklaunch(['check', '--config', config]);
    expect(code).toBe(0);
    expect(stdout).toContain('https://hooks.example.test/api/v0/launch/0190fe82-c984-7f66-8302-69874914e1c9/');
    // The page's words for the actions (core/trigger-log/describe.ts), not a second spelling.
    expect(stdout).toContain('actions:    run step train');
    expect(stdout).toContain('conditions: none: anyone with the URL can launch');
  });

  it('check says what each connector trigger verifies: scheme, header, signed string, tolerance (issue 15 point 5)', async () => {
    project = tempProject(VALOHAI);
    const config = project.write(
      'hooklaunch.yaml',
      [
        'triggers:',
        '  - id: 0190fe82-c984-7f66-8302-69874914e1c9',
        '    connector: {type: github, secret: check-github-secret-01}',
        '    actions: [{type: run-execution, step: train}]',
        '  - id: 0190fe82-c984-7f66-8302-69874914e1ca',
        '    connector: {type: slack, secret: check-slack-secret-0123, tolerance: 120, follow_up: false}',
        '    actions: [{type: run-execution, step: train}]',
        '  - id: 0190fe82-c984-7f66-8302-69874914e1cb',
        '    connector: {type: v7, secret: check-v7-token-0123456}',
        '    actions: [{type: run-execution, step: train}]',
        '',
      ].join('\n'),
    );
    const { code, stdout } = await hooklaunch(['check', '--config', config]);
    expect(code).toBe(0);
    expect(stdout).toContain('conditions: GitHub: HMAC-SHA256 "sha256=" in x-hub-signature-256 over the body');
    // The trigger's own tolerance, not a default.
    expect(stdout).toContain('conditions: Slack: HMAC-SHA256 "v0=" in x-slack-signature over "v0:{timestamp}:{body}"; x-slack-request-timestamp within ±120 s');
    expect(stdout).toMatch(/conditions: V7[^:]*: token in Authorization/);
    expect(stdout).not.toContain('anyone with the URL');
  });

  it('check lists the admin tokens by name and role, never the tokens', async () => {
    project = tempProject(VALOHAI);
    const config = project.write(
      'hooklaunch.yaml',
      'server:\n  admin_token: check-admin-token-0123456789\n  admin_tokens:\n    - {name: ci, token: check-ci-token-0123456789, role: viewer}\n    - {name: oncall, token: check-oncall-token-0123456789, role: operator}\n',
    );
    const { code, stdout } = await hooklaunch(['check', '--config', config]);
    expect(code).toBe(0);
    expect(stdout).toContain('admin tokens: admin (admin), ci (viewer), oncall (operator)');
    expect(stdout).not.toContain('-token-0123456789');
    const none = await hooklaunch(['check', '--config', project.write('empty.yaml', 'triggers: []\n')]);
    expect(none.stdout).toContain('admin tokens: none (the admin API and the web page are disabled)');
  });

  it("check flags a trigger that receives Datadog's default payload, until a templated delivery arrives", async () => {
    const id = '0190fe82-c984-7f66-8302-69874914e1d0';
    const t = await startTestService(VALOHAI, `triggers:\n  - id: ${id}\n    connector: {type: datadog, secret: dd-token}\n    actions: [{type: run-execution, step: train}]\n`);
    try {
      const config = join(t.project.dir, 'hooklaunch.yaml');
      const before = await hooklaunch(['check', '--config', config]);
      expect(before.code).toBe(0);
      expect(before.stdout).not.toContain('warning:');
      // What Datadog posts when the webhook's payload is left empty (docs.datadoghq.com/integrations/webhooks).
      const defaultPayload = { body: 'drift', last_updated: '1795000000000', event_type: 'query_alert_monitor', title: '[Triggered] drift', date: '1795000000000', org: { id: '1', name: 'Acme' }, id: '42' };
      const headers = { 'content-type': 'application/json', authorization: 'Bearer dd-token' };
      expect((await fetch(t.url(id), { method: 'POST', headers, body: JSON.stringify(defaultPayload) })).status).toBe(422);
      const flagged = await hooklaunch(['check', '--config', config]);
      expect(flagged.code).toBe(0);
      expect(flagged.stdout).toMatch(new RegExp(`/api/v0/launch/${id}/\\n(?:  .*\\n)*  warning:    receives Datadog's default payload; set the template .*\\(last \\d{4}-`));
      expect(flagged.stderr).toContain('1 trigger(s) receive deliveries that can never launch');
      await fetch(t.url(id), { method: 'POST', headers, body: JSON.stringify({ id: '43', transition: 'Triggered' }) });
      expect((await hooklaunch(['check', '--config', config])).stdout).not.toContain('warning:');
    } finally {
      await t.close();
    }
  });

  it('replay calls the admin API with an operator token of the config, not a viewer one', async () => {
    const id = '0190fe82-c984-7f66-8302-69874914e1d1';
    const tokens = 'server:\n  admin_tokens:\n    - {name: ci, token: replay-ci-token-0123456789, role: viewer}\n    - {name: oncall, token: replay-oncall-token-0123456789, role: operator}\n';
    const t = await startTestService(VALOHAI, `${tokens}triggers:\n  - id: ${id}\n    actions: [{type: run-execution, step: train}]\n`);
    try {
      const requestId = (await fetch(t.url(id), { method: 'POST', body: '{}' })).headers.get('x-request-id')!;
      const replay = await hooklaunch(['replay', requestId, '--config', join(t.project.dir, 'hooklaunch.yaml'), '--url', t.service.url]);
      expect(replay.stdout).toMatch(new RegExp(`^${requestId}: replayed as \\S+: accepted, run `));
      expect(replay.code).toBe(0);
      const viewerOnly = t.project.write('viewer.yaml', 'server:\n  admin_tokens: [{name: ci, token: replay-ci-token-0123456789, role: viewer}]\n');
      expect((await hooklaunch(['replay', requestId, '--config', viewerOnly, '--url', t.service.url])).stderr).toContain('with the operator or admin role');
    } finally {
      await t.close();
    }
  });

  it('check exits 2 naming the file, line and config path of an error', async () => {
    project = tempProject(VALOHAI);
    const config = project.write('hooklaunch.yaml', 'triggers:\n  - id: 0190fe82-c984-7f66-8302-69874914e1c9\n    actions:\n      - type: run-execution\n        step: tain\n');
    const { code, stderr } = await hooklaunch(['check', '--config', config]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${config}:5: triggers[0].actions[0].step: no step "tain"`);
  });

  it('logs shows each request and why it was accepted or rejected', async () => {
    const id = '0190fe82-c984-7f66-8302-69874914e1c9';
    const t = await startTestService(VALOHAI, `triggers:\n  - id: ${id}\n    conditions: [{type: web-request-auth, auth_type: static_token, key: X-Token, secret: s}]\n    actions: [{type: run-execution, step: train}]\n`);
    try {
      await fetch(t.url(id), { method: 'POST', headers: { 'x-token': 'wrong' }, body: 'x' });
      const config = t.project.write('cli.yaml', `store: {url: "sqlite:${join(t.project.dir, 'state.db')}"}\n`);
      const text = await hooklaunch(['logs', '--config', config, '--trigger', id]);
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(new RegExp(`${id}  POST from 127\\.0\\.0\\.1  1 B  rejected 400 token_mismatch: header X-Token does not carry a valid token`));
      const accepted = await fetch(t.url(id), { method: 'POST', headers: { 'x-token': 's' }, body: 'x' });
      const { run_id } = (await accepted.json()) as { run_id: string };
      await t.service.settled();
      const shown = await hooklaunch(['run', run_id, '--config', config]);
      expect(shown.stdout).toContain(`run ${run_id}  trigger ${id}`);
      expect(shown.stdout).toMatch(/status error\n  \{"action":"run_execution","execution_step":"train",.*"execution_status":"error"\}\n  ! action 0: execution .* failed: command exited with code 2/);
      expect(shown.stdout).toMatch(/\[stderr\] .*python3?: can't open file '.*train\.py'/);
      const json = await hooklaunch(['logs', '--config', config, '--json', '--limit', '2']);
      const [newest, older] = json.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(newest).toMatchObject({ outcome: 'accepted', runId: run_id, launch: { status: 'error' } });
      expect(older).toMatchObject({ triggerId: id, outcome: 'rejected', code: 'token_mismatch', headers: { 'x-token': '[redacted]' } });
      const rejectedOnly = await hooklaunch(['logs', '--config', config, '--json', '--outcome', 'rejected']);
      expect(rejectedOnly.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { outcome: string }).outcome)).toEqual(['rejected']);
      const runs = await hooklaunch(['runs', '--config', config]);
      // A failed run says so, with why, on its line.
      expect(runs.stdout).toMatch(new RegExp(`${run_id}  ${id}  error  action 0: execution \\S+ failed: command exited with code 2\n`));
      // Text lines carry the request id `replay` takes.
      expect((await hooklaunch(['logs', '--config', config, '--limit', '2'])).stdout).toContain(`rejected 400 token_mismatch: header X-Token does not carry a valid token  [request ${String(older!.requestId)}]`);
      // A reader that closes early (`| head`) ends the command quietly, without a stack trace.
      const piped = await run('bash', ['-c', `"${process.execPath}" --import tsx "${CLI}" runs --config "${config}" | head -c 0; echo "exit \${PIPESTATUS[0]}"`], { env: { ...process.env, HOOKLAUNCH_CONFIG: '' } });
      expect(piped.stdout.trim()).toBe('exit 0');
      expect(piped.stderr).not.toMatch(/EPIPE|Error/);

      // --follow prints entries as they arrive.
      const follower = spawn(process.execPath, ['--import', 'tsx', CLI, 'logs', '--config', config, '--json', '--follow', '--limit', '1']);
      let seen = '';
      follower.stdout.on('data', (chunk: Buffer) => (seen += chunk.toString()));
      await expect.poll(() => seen.split('\n').filter(Boolean).length, { timeout: 10_000 }).toBe(1);
      // Another reason than the rejection above (identical anonymous rejections share one line).
      await fetch(t.url(id), { method: 'POST', body: 'y' });
      await expect.poll(() => seen.split('\n').filter(Boolean).length, { timeout: 10_000 }).toBe(2);
      follower.kill();
      expect(JSON.parse(seen.trim().split('\n')[1]!)).toMatchObject({ outcome: 'rejected', code: 'missing_header', sizeBytes: 1 });
    } finally {
      await t.close();
    }
  });
});
