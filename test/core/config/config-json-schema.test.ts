import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { connectors } from '../../../connectors/index.js';
import { configJsonSchema, SCHEMA_MODELINE } from '../../../core/config/config-json-schema.js';
import { tempProject } from '../../helpers/project.js';

const repo = join(import.meta.dirname, '../../..');
const templates = readdirSync(join(repo, 'templates')).filter((name) => existsSync(join(repo, 'templates', name, 'hooklaunch.yaml')));
// In CI shared/ sits beside the clone; a checkout without it skips the reference example.
const reference = join(repo, '../shared/reference/hooklaunch.example.yaml');

// A real JSON Schema validator, as editors run one: strict, so a malformed generated schema fails
// to compile; formats are left to the loader (ajv needs a plugin for them, editors check them anyway).
const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, validateFormats: false });
const validate = ajv.compile(configJsonSchema(connectors));

function errorsOf(yamlText: string): ErrorObject[] {
  return validate(parse(yamlText)) ? [] : [...(validate.errors ?? [])];
}

const bundledConfigs: [string, string][] = [
  ['the bundled hooklaunch.yaml', join(repo, 'hooklaunch.yaml')],
  ...templates.map((name): [string, string] => [`templates/${name}/hooklaunch.yaml`, join(repo, 'templates', name, 'hooklaunch.yaml')]),
];
const configFiles: [string, string][] = [
  ...bundledConfigs,
  ['the config fixture example', join(repo, 'test/fixtures/config/hooklaunch.example.yaml')],
  ['the connector fixture example', join(repo, 'test/fixtures/config/connectors.example.yaml')],
];

describe('the JSON Schema of hooklaunch.yaml', () => {
  it('finds the templates it checks', () => {
    expect(templates).toEqual(expect.arrayContaining(['github-autofetch', 'slack-predict', 'v7-train']));
  });

  it.each(configFiles)('accepts %s', (_name, file) => {
    expect(errorsOf(readFileSync(file, 'utf8'))).toEqual([]);
  });

  it.skipIf(!existsSync(reference))('accepts the reference example (../shared/reference)', () => {
    expect(errorsOf(readFileSync(reference, 'utf8'))).toEqual([]);
  });

  it.each(bundledConfigs)('%s starts with the line that points editors at the schema', (_name, file) => {
    expect(readFileSync(file, 'utf8').split('\n')[0]).toBe(SCHEMA_MODELINE);
  });

  const ID = '0190fe82-c984-7f66-8302-69874914e1c9';
  const trigger = (body: string) => `triggers:\n  - id: ${ID}\n${body}    actions: [{type: run-execution, step: train}]\n`;
  const hmac = (algorithm: string) => trigger(`    conditions:\n      - {type: web-request-auth, auth_type: hmac, key: X-Sig, secret: s, algorithm: ${algorithm}}\n`);
  const github = (extra: string) => trigger(`    connector: {type: github, secret: s${extra}}\n`);

  // [what, the config, a correct twin (so the error is the typo's), where the error is, its keyword, the offending key]
  const typos: [string, string, string, string, string, string?][] = [
    ['an unknown key', 'server: {prot: 8080}\n', 'server: {port: 8080}\n', '/server', 'additionalProperties', 'prot'],
    ['a negative port', 'server: {port: -1}\n', 'server: {port: 1}\n', '/server/port', 'minimum'],
    ['a port out of range', 'server: {port: 70000}\n', 'server: {port: 7000}\n', '/server/port', 'maximum'],
    ['a wrong enum value', hmac('sha384'), hmac('sha512'), '/triggers/0/conditions/0/algorithm', 'enum'],
    ['a zero in a launcher branch', 'launcher: {kind: local, concurrency: 0}\n', 'launcher: {kind: local, concurrency: 1}\n', '/launcher/concurrency', 'exclusiveMinimum'],
    ['an unknown connector key', github(', branch: main'), github(', branches: [main]'), '/triggers/0/connector', 'additionalProperties', 'branch'],
    ['an unknown connector', trigger('    connector: {type: githubb, secret: s}\n'), github(''), '/triggers/0/connector/type', 'enum'],
    ['a connector key of the wrong type', github(', include_deletions: yes'), github(', include_deletions: true'), '/triggers/0/connector/include_deletions', 'type'],
    ['an invalid trigger id', 'triggers:\n  - id: short\n    actions: [{type: fetch-repository}]\n', `triggers:\n  - id: ${ID}\n    actions: [{type: fetch-repository}]\n`, '/triggers/0/id', 'pattern'],
  ];

  it.each(typos)('rejects %s with its path', (_what, bad, good, instancePath, keyword, key) => {
    expect(errorsOf(good)).toEqual([]);
    const errors = errorsOf(bad);
    expect(errors).toContainEqual(expect.objectContaining({ instancePath, keyword, ...(key !== undefined && { params: { additionalProperty: key } }) }));
  });

  it('accepts ${env:…} references wherever the loader does, numbers and booleans included, and the loader agrees', () => {
    const config = [
      'server:',
      '  host: ${env:HOST:-127.0.0.1}',
      '  port: ${env:PORT}',
      '  public_url: ${env:PUBLIC_URL}',
      'launcher: {kind: local, concurrency: "${env:CONCURRENCY:-4}"}',
      'triggers:',
      `  - id: \${env:TRIGGER_ID}`,
      '    connector: {type: github, secret: "${env:GITHUB_SECRET}", include_deletions: "${env:DELETIONS}"}',
      '    conditions:',
      '      - {type: timestamp, lookup: "${env:LOOKUP}", key: X-Time, tolerance: "${env:TOLERANCE}"}',
      '    actions: [{type: run-execution, step: train}]',
      '',
    ].join('\n');
    expect(errorsOf(config)).toEqual([]);
    const project = tempProject('- step: {name: train, image: x, command: python train.py}\n');
    try {
      const loaded = project.load(config, {
        PORT: '9000',
        PUBLIC_URL: 'https://hooks.example.test',
        TRIGGER_ID: ID,
        GITHUB_SECRET: 'github-webhook-secret-0123',
        DELETIONS: 'true',
        LOOKUP: 'header',
        TOLERANCE: '90',
      });
      expect(loaded.config.server).toMatchObject({ host: '127.0.0.1', port: 9000, public_url: 'https://hooks.example.test' });
      expect(loaded.config.launcher).toMatchObject({ kind: 'local', concurrency: 4 });
      expect(loaded.config.triggers[0]!.conditions[0]).toMatchObject({ lookup: 'header', tolerance: 90 });
      expect(loaded.connectors.get(ID)!.params).toMatchObject({ include_deletions: true });
    } finally {
      project.remove();
    }
  });

  it('still rejects a plain string where a number or boolean belongs, and a reference mixed with text there', () => {
    expect(errorsOf('server: {port: eighty}\n')).toContainEqual(expect.objectContaining({ instancePath: '/server/port' }));
    expect(errorsOf('server: {port: "80${env:PORT}"}\n')).toContainEqual(expect.objectContaining({ instancePath: '/server/port' }));
    expect(errorsOf(github(', include_deletions: "no"'))).toContainEqual(expect.objectContaining({ instancePath: '/triggers/0/connector/include_deletions' }));
  });

  it('describes every registered connector, each chosen by its type', () => {
    const schema = configJsonSchema(connectors) as { properties: { triggers: { items: { properties: { connector: { oneOf: { properties: { type: { const: string } } }[] } } } } } };
    const types = schema.properties.triggers.items.properties.connector.oneOf.map((branch) => branch.properties.type.const);
    expect(types).toEqual([...connectors.keys()]);
  });
});
