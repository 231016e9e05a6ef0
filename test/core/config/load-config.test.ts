import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectors } from '../../../connectors/index.js';
import { ConfigError } from '../../../core/yaml/config-error.js';
import { loadConfig, parseConfig } from '../../../core/config/load-config.js';
import { tempProject, type TempProject } from '../../helpers/project.js';

const fixtures = join(import.meta.dirname, '../../fixtures/config');
const exampleEnv = { HOOKLAUNCH_ADMIN_TOKEN: 'admin-token-0123456789', DATA_DROP_SECRET: 'drop-secret-0123456789', LABELING_TOKEN: 'label' };

const VALOHAI = `
- step:
    name: train
    image: python:3.12
    command: python train.py {parameters}
    parameters:
      - name: epochs
        type: integer
        default: 3
      - name: lr
        type: float
        min: 0
      - name: mode
        type: string
        choices: [fast, full]
        default: fast
    inputs:
      - name: dataset
`;

const ID = '3f0c2b9e-6d1a-4f7e-9a51-2f4b8c1d7e60';

function expectConfigError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  let project: TempProject | undefined;
  afterEach(() => project?.remove());

  it('loads the reference example exactly as written', () => {
    const loaded = loadConfig(join(fixtures, 'hooklaunch.example.yaml'), exampleEnv);
    expect(loaded.config.triggers.map((t) => t.id)).toEqual([
      '3f0c2b9e-6d1a-4f7e-9a51-2f4b8c1d7e60',
      '8d2e4a61-0b7c-4c3f-b2d9-5e6f7a8b9c0d',
      'c7b1f0e2-93a4-4d85-a6e7-0f1e2d3c4b5a',
    ]);
    const [hmac, timestamp, filter, rate, dedupe] = loaded.config.triggers[0]!.conditions;
    expect(hmac).toMatchObject({ auth_type: 'hmac', secret: ['drop-secret-0123456789'], prefix: 'sha256=', message: '{timestamp}.{body}' });
    expect(timestamp).toMatchObject({ type: 'timestamp', tolerance: 60, format: 'unix_s' });
    expect(filter).toMatchObject({ lookup: 'data.kind', operation: 'equals', value: 'csv' });
    expect(rate).toMatchObject({ period: 3600, quota: 10 });
    expect(dedupe).toMatchObject({ key: 'X-Delivery-Id', window: 86400 });
    expect(loaded.config.triggers[0]!.response).toEqual({ status: 202, json: { status: 'accepted', run_id: '{run_id}' } });
    expect(loaded.config.server.admin_token).toBe('admin-token-0123456789');
    expect(loaded.envNames).toEqual(new Set(['HOOKLAUNCH_ADMIN_TOKEN', 'DATA_DROP_SECRET', 'LABELING_TOKEN']));
    expect(loaded.storeUrl).toBe(`sqlite:${join(fixtures, '.hooklaunch/state.db')}`);
  });

  it('loads the connector example as written, each connector checking its own block', () => {
    const loaded = loadConfig(join(fixtures, 'connectors.example.yaml'), { SLACK_SIGNING_SECRET: 'slack-signing-secret-0123', GITHUB_WEBHOOK_SECRET: 'github-webhook-secret-0123', V7_TOKEN: 'v' }, connectors);
    expect([...loaded.connectors.values()].map((b) => b.connector.id)).toEqual(['slack', 'github', 'v7']);
    expect(loaded.connectors.get('5b8f0a3c-2d4e-4f61-8a7b-9c0d1e2f3a4b')!.params).toMatchObject({ secret: ['slack-signing-secret-0123'], commands: ['/predict'], tolerance: 300 });
    expect(loaded.connectors.get('1e2d3c4b-5a69-4788-97a6-b5c4d3e2f1a0')!.params).toMatchObject({ secret: ['github-webhook-secret-0123'], events: ['push'], branches: ['main'], include_deletions: false });
  });

  it("reports a connector's own config errors with path and line", () => {
    project = tempProject(VALOHAI);
    const bad = (connector: string) => expectConfigError(() => project!.load(`triggers:\n  - id: ${ID}\n    connector:\n${connector}    actions: [{type: run-execution, step: train, parameters: {lr: 1}}]\n`));
    expect(bad('      type: slak\n      secret: s\n').issues[0]).toMatchObject({ path: 'triggers[0].connector.type', line: 4, message: expect.stringMatching(/^unknown connector "slak"; known: slack, github, v7, gitlab, discord/) });
    expect(bad('      type: slack\n      secret: slack-signing-secret-0123\n      commands: [predict]\n').issues[0]).toMatchObject({ path: 'triggers[0].connector.commands[0]', line: 6, message: expect.stringMatching(/starts with "\/"/) });
    expect(bad('      type: github\n      secret: github-webhook-secret-0123\n      branch: main\n').issues[0]).toMatchObject({ path: 'triggers[0].connector.branch', line: 6, message: 'unknown key branch' });
    expect(bad('      type: v7\n').issues[0]).toMatchObject({ path: 'triggers[0].connector.secret', line: 3 });
  });

  it('loads the bundled quickstart config with no environment set', () => {
    const loaded = loadConfig(join(import.meta.dirname, '../../../hooklaunch.yaml'), {});
    expect(loaded.config.triggers).toHaveLength(2);
    expect(loaded.config.server.admin_token).toBeUndefined();
  });

  it('names the variable, config path and line of a missing secret', () => {
    const text = readFileSync(join(fixtures, 'hooklaunch.example.yaml'), 'utf8');
    const error = expectConfigError(() => parseConfig(join(fixtures, 'hooklaunch.yaml'), text, { ...exampleEnv, DATA_DROP_SECRET: undefined }));
    expect(error.issues).toEqual([{ path: 'triggers[0].conditions[0].secret', line: 26, message: "environment variable DATA_DROP_SECRET is not set (export DATA_DROP_SECRET=… where hooklaunch runs; the template's README says where to get it)" }]);
    expect(error.message).toContain('hooklaunch.yaml:26: triggers[0].conditions[0].secret: environment variable DATA_DROP_SECRET is not set');
  });

  it('uses ${env:NAME:-fallback} when the variable is unset', () => {
    project = tempProject(VALOHAI);
    const loaded = project.load(`triggers:\n  - id: ${ID}\n    conditions:\n      - {type: web-request-auth, auth_type: static_token, key: X-Token, secret: "\${env:TOKEN:-dev}"}\n    actions: [{type: run-execution, step: train, parameters: {lr: 0.1}}]\n`);
    expect(loaded.config.triggers[0]!.conditions[0]).toMatchObject({ secret: ['dev'] });
  });

  const cases: Array<[string, string, { path: string; line: number; message: RegExp }]> = [
    [
      'an unknown key',
      `triggers:\n  - id: ${ID}\n    actions:\n      - type: run-execution\n        step: train\n        stepp: train\n`,
      { path: 'triggers[0].actions[0].stepp', line: 6, message: /unknown key stepp/ },
    ],
    [
      'a wrong type',
      `server:\n  port: eighty\n`,
      { path: 'server.port', line: 2, message: /expected number/i },
    ],
    [
      'an unknown step',
      `triggers:\n  - id: ${ID}\n    actions:\n      - type: run-execution\n        step: trian\n`,
      { path: 'triggers[0].actions[0].step', line: 5, message: /no step "trian" .* steps: train/ },
    ],
    [
      'an unknown payload input',
      `triggers:\n  - id: ${ID}\n    actions:\n      - type: run-execution\n        step: train\n        payload_input: data\n`,
      { path: 'triggers[0].actions[0].payload_input', line: 6, message: /no input "data"; inputs: dataset/ },
    ],
    [
      'an unknown parameter',
      `triggers:\n  - id: ${ID}\n    actions:\n      - type: run-execution\n        step: train\n        parameters:\n          epoch: 3\n`,
      { path: 'triggers[0].actions[0].parameters.epoch', line: 7, message: /no parameter "epoch"/ },
    ],
    [
      'a parameter value of the wrong type',
      `triggers:\n  - id: ${ID}\n    actions:\n      - type: run-execution\n        step: train\n        parameters:\n          epochs: many\n`,
      { path: 'triggers[0].actions[0].parameters.epochs', line: 7, message: /must be an integer/ },
    ],
    [
      'a value outside the choices',
      `triggers:\n  - id: ${ID}\n    actions:\n      - type: run-execution\n        step: train\n        parameters:\n          mode: slow\n`,
      { path: 'triggers[0].actions[0].parameters.mode', line: 7, message: /must be one of "fast", "full"/ },
    ],
    [
      'a short, guessable trigger id',
      `triggers:\n  - id: test\n    actions: [{type: run-execution, step: train}]\n`,
      { path: 'triggers[0].id', line: 2, message: /hooklaunch new-id/ },
    ],
    [
      'a duplicated trigger id',
      `triggers:\n  - id: ${ID}\n    actions: [{type: run-execution, step: train}]\n  - id: ${ID}\n    actions: [{type: run-execution, step: train}]\n`,
      { path: 'triggers[1].id', line: 4, message: /duplicates the id of triggers\[0\]/ },
    ],
    [
      'an HMAC message using {timestamp} without a timestamp condition',
      `triggers:\n  - id: ${ID}\n    conditions:\n      - type: web-request-auth\n        auth_type: hmac\n        key: X-Sig\n        secret: hmac-secret-0123456789\n        message: "{timestamp}.{body}"\n    actions: [{type: run-execution, step: train}]\n`,
      { path: 'triggers[0].conditions[0].message', line: 8, message: /needs a timestamp condition/ },
    ],
    [
      'an HMAC message without the body',
      `triggers:\n  - id: ${ID}\n    conditions:\n      - {type: web-request-auth, auth_type: hmac, key: X-Sig, secret: hmac-secret-0123456789, message: "{header:X-Id}"}\n    actions: [{type: run-execution, step: train}]\n`,
      { path: 'triggers[0].conditions[0].message', line: 4, message: /must include \{body\}/ },
    ],
    [
      'a JWT allowing alg none',
      `triggers:\n  - id: ${ID}\n    conditions:\n      - type: web-request-auth\n        auth_type: jwt\n        algorithms: [none]\n        secret: s\n    actions: [{type: run-execution, step: train}]\n`,
      { path: 'triggers[0].conditions[0].algorithms[0]', line: 6, message: /"none" is never allowed/ },
    ],
    [
      'a JWT mixing an HS algorithm with a public key',
      `triggers:\n  - id: ${ID}\n    conditions:\n      - type: web-request-auth\n        auth_type: jwt\n        algorithms: [RS256, HS256]\n        public_key: "-----BEGIN PUBLIC KEY-----"\n    actions: [{type: run-execution, step: train}]\n`,
      { path: 'triggers[0].conditions[0].algorithms', line: 6, message: /HS256 needs a shared secret/ },
    ],
    [
      'an invalid filter regex',
      `triggers:\n  - id: ${ID}\n    conditions:\n      - {type: payload-filter, lookup: a, operation: matches, value: "("}\n    actions: [{type: run-execution, step: train}]\n`,
      { path: 'triggers[0].conditions[0].value', line: 4, message: /not a valid regular expression/ },
    ],
    [
      'a valohai launcher without server.public_url',
      `launcher:\n  kind: valohai\n  token: t\n  project: p\n`,
      { path: 'server.public_url', line: 1, message: /hands payloads to remote executions as URLs/ },
    ],
    [
      'a valohai launcher without a token',
      `server: {public_url: "https://h.test"}\nlauncher:\n  kind: valohai\n  project: p\n`,
      { path: 'launcher.token', line: 2, message: /expected string/ },
    ],
    [
      'two admin tokens with one name',
      `server:\n  admin_tokens:\n    - {name: ci, token: ci-token-0123456789ab, role: viewer}\n    - {name: ci, token: ci-token-ba9876543210, role: admin}\n`,
      { path: 'server.admin_tokens[1].name', line: 4, message: /name ci is already taken/ },
    ],
    [
      'an admin token named like server.admin_token',
      `server:\n  admin_token: admin-token-0123456789\n  admin_tokens:\n    - {name: admin, token: other-token-0123456789, role: viewer}\n`,
      { path: 'server.admin_tokens[0].name', line: 4, message: /server.admin_token goes by it/ },
    ],
    [
      'one token under two names',
      `server:\n  admin_token: admin-token-0123456789\n  admin_tokens:\n    - {name: ci, token: admin-token-0123456789, role: viewer}\n`,
      { path: 'server.admin_tokens[0].token', line: 4, message: /same token is configured twice/ },
    ],
    [
      'a short admin token',
      `server:\n  admin_tokens:\n    - name: ci\n      token: short\n      role: viewer\n`,
      { path: 'server.admin_tokens[0].token', line: 4, message: /at least 16 characters/ },
    ],
    [
      'an unknown admin role',
      `server:\n  admin_tokens:\n    - name: ci\n      token: ci-token-0123456789ab\n      role: reader\n`,
      { path: 'server.admin_tokens[0].role', line: 5, message: /viewer.*operator.*admin/ },
    ],
    [
      'a batch key with a placeholder only the payload could fill (a header would stay in the key as written)',
      `triggers:\n  - id: ${ID}\n    batch:\n      key: "{header:X-Incident}"\n    actions: [{type: run-execution, step: train, parameters: {lr: 1}}]\n`,
      { path: 'triggers[0].batch.key', line: 4, message: /\{header:X-Incident\} is not filled in here: only \{payload\.field\} placeholders are/ },
    ],
    [
      'a misspelled key, with the key it most likely meant',
      `triggers:\n  - id: ${ID}\n    batch: {window: 60, max_item: 5}\n    actions: [{type: run-execution, step: train, parameters: {lr: 1}}]\n`,
      { path: 'triggers[0].batch.max_item', line: 3, message: /^unknown key max_item \(did you mean max_items\?\)$/ },
    ],
    [
      'quiet longer than the window of a batch',
      `triggers:\n  - id: ${ID}\n    batch: {window: 60, quiet: 120}\n    actions: [{type: run-execution, step: train, parameters: {lr: 1}}]\n`,
      { path: 'triggers[0].batch.quiet', line: 3, message: /quiet must not be longer than window/ },
    ],
    [
      'a required parameter left unset',
      `triggers:\n  - id: ${ID}\n    actions:\n      - type: run-execution\n        step: train\n`,
      { path: 'triggers[0].actions[0].parameters', line: 4, message: /needs parameter "lr"/ },
    ],
  ];

  it.each(cases)('rejects %s with its path and line', (_name, yaml, expected) => {
    project = tempProject(VALOHAI);
    const error = expectConfigError(() => project!.load(yaml));
    const issue = error.issues.find((i) => i.path === expected.path);
    expect(issue, error.message).toBeDefined();
    expect(issue!.line).toBe(expected.line);
    expect(issue!.message).toMatch(expected.message);
  });

  it('types a value that is exactly one ${env:…} reference where the schema wants a number or boolean, and only there', () => {
    project = tempProject(VALOHAI);
    const config = (port: string) =>
      `server: {port: ${port}}\ntriggers:\n  - id: ${ID}\n    connector: {type: github, secret: "\${env:SECRET}", include_deletions: "\${env:DELETIONS}"}\n    conditions:\n      - {type: web-request-auth, auth_type: static_token, key: X-Token, secret: "\${env:TOKEN}"}\n    actions: [{type: run-execution, step: train, parameters: {lr: 0.1}}]\n`;
    const env = { PORT: '9000', SECRET: 'github-webhook-secret-0123', DELETIONS: 'true', TOKEN: '12345678901234567890' };
    const loaded = project.load(config('"${env:PORT}"'), env);
    expect(loaded.config.server.port).toBe(9000);
    expect(loaded.connectors.get(ID)!.params).toMatchObject({ include_deletions: true });
    // A secret made of digits stays the string it is: the schema wants a string there.
    expect(loaded.config.triggers[0]!.conditions[0]).toMatchObject({ secret: ['12345678901234567890'] });
    expect(expectConfigError(() => project!.load(config('"${env:PORT}"'), { ...env, PORT: 'eighty' })).issues).toEqual([
      { path: 'server.port', line: 1, message: 'Invalid input: expected number, received string' },
    ]);
    // Only a whole reference is typed: text around it keeps the value a string.
    expect(expectConfigError(() => project!.load(config('"80${env:PORT}"'), { ...env, PORT: '0' })).issues[0]).toMatchObject({ path: 'server.port' });
    expect(expectConfigError(() => project!.load(config('"${env:PORT}"'), { ...env, DELETIONS: 'yes' })).issues[0]).toMatchObject({ path: 'triggers[0].connector.include_deletions', line: 4 });
  });

  it('reports malformed YAML with its line', () => {
    project = tempProject(VALOHAI);
    const error = expectConfigError(() => project!.load('server:\n  port: 8080\n  host: [unclosed\n'));
    expect(error.issues[0]!.line).toBeGreaterThanOrEqual(3);
    expect(error.message).toMatch(/hooklaunch\.yaml:\d+:/);
  });

  it('reports a duplicated key as a YAML error', () => {
    project = tempProject(VALOHAI);
    const error = expectConfigError(() => project!.load('server:\n  port: 1\n  port: 2\n'));
    expect(error.issues[0]).toMatchObject({ line: 3 });
    expect(error.issues[0]!.message).toMatch(/unique/i);
  });

  it('reports an invalid valohai.yaml with its own file and line', () => {
    project = tempProject('- step:\n    name: a\n    image: x\n');
    const error = expectConfigError(() => project!.load(''));
    expect(error.file).toMatch(/valohai\.yaml$/);
    expect(error.issues[0]).toMatchObject({ path: '[0].step.command', line: 1 });
  });

  it('reports a missing config file clearly', () => {
    const error = expectConfigError(() => loadConfig('/nonexistent/hooklaunch.yaml'));
    expect(error.message).toMatch(/cannot read the config file/);
  });
});

describe('HMAC keys shorter than 16 bytes are refused at start-up', () => {
  let project: TempProject | undefined;
  afterEach(() => project?.remove());

  const hmacTrigger = (secret: string, encoding: string) =>
    `triggers:\n  - id: ${ID}\n    conditions:\n      - type: web-request-auth\n        auth_type: hmac\n        key: X-Sig\n        secret_encoding: ${encoding}\n        secret: "${secret}"\n    actions: [{type: run-execution, step: train, parameters: {lr: 1}}]\n`;
  const connectorTrigger = (block: string) => `triggers:\n  - id: ${ID}\n    connector:\n${block}    actions: [{type: run-execution, step: train, parameters: {lr: 1}}]\n`;

  it.each([
    ['whsec_', 'base64', /decodes \(base64, after the whsec_ prefix\) to 0 bytes .*an empty key is a public key/],
    ['!!!!', 'base64', /decodes \(base64\) to 0 bytes of HMAC key; at least 16 are needed/],
    ['whsec_!!!!', 'base64', /after the whsec_ prefix\) to 0 bytes/],
    ['fifteen-bytes!!', 'utf8', /is 15 bytes of HMAC key; at least 16 are needed \(a shorter key can be brute-forced/],
  ])('refuses secret %j (%s) on an hmac condition, naming the path and line', (secret, encoding, message) => {
    project = tempProject(VALOHAI);
    const error = expectConfigError(() => project!.load(hmacTrigger(secret, encoding)));
    expect(error.issues).toEqual([{ path: 'triggers[0].conditions[0].secret', line: 8, message: expect.stringMatching(message) }]);
    expect(error.message).toContain('hooklaunch.yaml:8: triggers[0].conditions[0].secret: the secret');
  });

  it('accepts 16 bytes, in utf8 or base64, and names the weak one in a rotation list', () => {
    project = tempProject(VALOHAI);
    expect(project.load(hmacTrigger('sixteen-bytes!!!', 'utf8')).config.triggers[0]!.conditions[0]).toMatchObject({ secret: ['sixteen-bytes!!!'] });
    const whsec = `whsec_${Buffer.alloc(16, 7).toString('base64')}`;
    expect(project.load(hmacTrigger(whsec, 'base64')).config.triggers).toHaveLength(1);
    const list = `triggers:\n  - id: ${ID}\n    conditions:\n      - type: web-request-auth\n        auth_type: hmac\n        key: X-Sig\n        secret:\n          - sixteen-bytes!!!\n          - short\n    actions: [{type: run-execution, step: train, parameters: {lr: 1}}]\n`;
    expect(expectConfigError(() => project!.load(list)).issues).toEqual([{ path: 'triggers[0].conditions[0].secret[1]', line: 9, message: expect.stringMatching(/is 5 bytes/) }]);
    // Static tokens are not HMAC keys: they are compared, not keyed with.
    const token = `triggers:\n  - id: ${ID}\n    conditions: [{type: web-request-auth, auth_type: static_token, key: X-Token, secret: short}]\n    actions: [{type: run-execution, step: train, parameters: {lr: 1}}]\n`;
    expect(project.load(token).config.triggers).toHaveLength(1);
  });

  it.each([
    ['slack', '      type: slack\n      secret: "fifteen-bytes!!"\n', /is 15 bytes/],
    ['github', '      type: github\n      secret: "fifteen-bytes!!"\n', /is 15 bytes/],
    ['stripe', '      type: stripe\n      secret: whsec_short\n', /is 11 bytes/],
    ['standard-webhooks', '      type: standard-webhooks\n      secret: "whsec_!!!!"\n', /after the whsec_ prefix\) to 0 bytes/],
    ['gitlab (signed)', '      type: gitlab\n      mode: signed\n      secret: whsec_\n', /to 0 bytes .*an empty key is a public key/],
    ['grafana (hmac)', '      type: grafana\n      secret: "fifteen-bytes!!"\n', /is 15 bytes/],
    ['v7 (signed)', '      type: v7\n      mode: signed\n      secret: "fifteen-bytes!!"\n', /is 15 bytes/],
  ])('refuses a short %s signing secret with its path and line', (_name, block, message) => {
    project = tempProject(VALOHAI);
    const error = expectConfigError(() => project!.load(connectorTrigger(block)));
    const line = 4 + block.split('\n').findIndex((l) => l.trimStart().startsWith('secret:'));
    expect(error.issues).toEqual([{ path: 'triggers[0].connector.secret', line, message: expect.stringMatching(message) }]);
  });

  it('leaves connector tokens that are not HMAC keys alone', () => {
    project = tempProject(VALOHAI);
    for (const block of ['      type: gitlab\n      secret: tok\n', '      type: v7\n      secret: tok\n', '      type: grafana\n      auth: bearer\n      secret: tok\n', '      type: datadog\n      secret: tok\n', '      type: label-studio\n      secret: tok\n']) {
      expect(project.load(connectorTrigger(block)).connectors.size, block).toBe(1);
    }
  });
});
