/**
 * The generated payload parsers: committed files match the schemas, and the Python and
 * TypeScript parsers decode every fixture the way the connector itself does.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectors } from '../../../connectors/index.js';
import { generateParser } from '../../../core/codegen/generate-parser.js';
import { rawRequest } from '../../helpers/raw-request.js';
import { slashCommandBody } from '../../helpers/provider-requests.js';

const templates = resolve(import.meta.dirname, '../../../templates');
const TEMPLATE_OF: Record<string, string> = { slack: 'slack-predict', github: 'github-autofetch', v7: 'v7-train' };

interface Fixture {
  readonly name: string;
  readonly body: string;
  readonly contentType: string;
}

const githubExamples = createRequire(import.meta.url)('@octokit/webhooks-examples') as Array<{ name: string; examples: unknown[] }>;
const v7Fixture = readFileSync(join(import.meta.dirname, '../../fixtures/v7/labeling-complete.json'), 'utf8');
const v7Team = readFileSync(join(import.meta.dirname, '../../fixtures/v7/team-workflow-complete.json'), 'utf8');
const v7MetadataOnly = readFileSync(join(import.meta.dirname, '../../fixtures/v7/stage-metadata-only.json'), 'utf8');

const fixtures: Record<string, Fixture[]> = {
  slack: [
    { name: 'slash command', body: slashCommandBody({ text: 'https://x.test/a.png now' }), contentType: 'application/x-www-form-urlencoded' },
    { name: 'interaction', body: new URLSearchParams({ payload: JSON.stringify({ type: 'block_actions', user: { id: 'U1' }, team: null, actions: [{ action_id: 'a' }] }) }).toString(), contentType: 'application/x-www-form-urlencoded' },
    { name: 'event', body: JSON.stringify({ type: 'event_callback', event_id: 'Ev1', team_id: 'T1', event: { type: 'app_mention', text: 'hi' } }), contentType: 'application/json' },
    { name: 'url_verification', body: JSON.stringify({ type: 'url_verification', challenge: 'c' }), contentType: 'application/json' },
    { name: 'not slack', body: JSON.stringify({ type: 'event_callback', team_id: 'T1' }), contentType: 'application/json' },
    { name: 'slash command missing user_id', body: slashCommandBody({}).replace(/&user_id=[^&]*/, ''), contentType: 'application/x-www-form-urlencoded' },
  ],
  github: githubExamples.flatMap((group) =>
    group.examples.map((example, i) => ({ name: `${group.name} #${i}`, body: JSON.stringify(example), contentType: 'application/json' })),
  ).concat([
    { name: 'push as form', body: new URLSearchParams({ payload: JSON.stringify(githubExamples.find((g) => g.name === 'push')!.examples[0]) }).toString(), contentType: 'application/x-www-form-urlencoded' },
    { name: 'repository of the wrong type', body: JSON.stringify({ ref: 'x', repository: { id: 'one', name: 'r', full_name: 'o/r' } }), contentType: 'application/json' },
    // Accepted at the HTTP edge by a trigger that reads none of the commits: the typed parser is where it is refused.
    { name: 'commit id of the wrong type', body: JSON.stringify({ ref: 'refs/heads/main', commits: [{ id: 12345 }], repository: { id: 1, name: 'r', full_name: 'o/r' } }), contentType: 'application/json' },
  ]),
  v7: [
    { name: 'labeling complete', body: v7Fixture, contentType: 'application/json' },
    { name: 'missing item_id', body: v7Fixture.replace('"item_id": "0185d2a1-3c6c-4a5e-8c0e-7a1b2c3d4e5f",', ''), contentType: 'application/json' },
    { name: 'team webhook', body: v7Team, contentType: 'application/json' },
    { name: 'stage, metadata only, nulls', body: v7MetadataOnly, contentType: 'application/json' },
    { name: 'team webhook missing filename', body: v7Team.replace('"filename": "letter.png",', ''), contentType: 'application/json' },
    { name: 'team webhook with a dataset id of the wrong type', body: v7Team.replace('"dataset_id": 1', '"dataset_id": [1]'), contentType: 'application/json' },
  ],
};

function expected(connectorId: string, fixture: Fixture): { ok: boolean } {
  const connector = connectors.get(connectorId)!;
  return { ok: connector.parse(rawRequest({ headers: { 'content-type': fixture.contentType, 'x-github-event': 'push', 'x-github-delivery': 'd' }, body: fixture.body }), connector.params.parse({ secret: 'parser-secret-0123456789' })).ok };
}

const scratch = mkdtempSync(join(tmpdir(), 'hooklaunch-codegen-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe.each(Object.keys(TEMPLATE_OF))('%s payload parsers', (connectorId) => {
  const connector = connectors.get(connectorId)!;
  const dir = join(templates, TEMPLATE_OF[connectorId]!);

  it.each(['python', 'typescript'] as const)('the committed %s parser is what the schema generates', (language) => {
    const generated = generateParser(connector, language);
    const committed = readFileSync(join(dir, generated.filename), 'utf8');
    expect(committed, `regenerate with: hooklaunch codegen --connector ${connectorId} --lang ${language} --out templates/${TEMPLATE_OF[connectorId]}`).toBe(generated.content);
    expect(committed.split('\n')[0]).toMatch(/^(#|\/\/) Generated by `hooklaunch codegen/);
  });

  it('the Python parser (python3, stdlib only) agrees with the connector on every fixture', () => {
    const cases = fixtures[connectorId]!;
    const files = cases.map((fixture, i) => {
      const path = join(scratch, `${connectorId}-${i}`);
      writeFileSync(path, fixture.body);
      return path;
    });
    const script = [
      'import json, sys',
      `sys.path.insert(0, ${JSON.stringify(dir)})`,
      `import ${connectorId}_payload as parser`,
      'for path in sys.argv[1:]:',
      '    try:',
      '        value = parser.load_file(path)',
      '        print(json.dumps({"ok": True, "type": type(value).__name__}))',
      '    except parser.PayloadError as error:',
      '        print(json.dumps({"ok": False, "error": str(error)}))',
    ].join('\n');
    const out = execFileSync('python3', ['-I', '-B', '-c', script, ...files], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const results = out.trim().split('\n').map((line) => JSON.parse(line) as { ok: boolean; type?: string; error?: string });
    expect(results).toHaveLength(cases.length);
    results.forEach((result, i) => expect(result.ok, `${cases[i]!.name}: ${result.error ?? ''}`).toBe(expected(connectorId, cases[i]!).ok));
    if (connectorId === 'slack') expect(results.slice(0, 4).map((r) => r.type)).toEqual(['SlashCommand', 'Interaction', 'EventCallback', 'UrlVerification']);
    if (connectorId === 'slack') expect(results[5]!.error).toContain('payload.user_id: required field is missing');
    if (connectorId === 'v7') expect(results.map((r) => r.type ?? 'refused')).toEqual(['StageDelivery', 'refused', 'TeamWebhook', 'StageDelivery', 'refused', 'refused']);
    if (connectorId === 'v7') expect(results[1]!.error).toContain('payload.item.source_info.item_id: required field is missing');
    if (connectorId === 'v7') expect(results[4]!.error).toContain('payload.payload.filename: required field is missing');
  });

  it('the TypeScript parser agrees with the connector on every fixture', async () => {
    const generated = generateParser(connector, 'typescript');
    const module = (await import(join(dir, generated.filename))) as { parsePayload: (raw: string) => unknown; PayloadError: new () => Error };
    for (const fixture of fixtures[connectorId]!) {
      let ok = true;
      let message = '';
      try {
        module.parsePayload(fixture.body);
      } catch (error) {
        if (!(error instanceof module.PayloadError)) throw error;
        ok = false;
        message = error.message;
      }
      expect(ok, `${fixture.name}: ${message}`).toBe(expected(connectorId, fixture).ok);
    }
  });
});

it('the Python parser finds its input through inputs.json, as in a Valohai execution', () => {
  const config = join(scratch, 'config');
  execFileSync('mkdir', ['-p', config]);
  const payload = join(scratch, 'v7-payload.json');
  writeFileSync(payload, v7Fixture);
  writeFileSync(join(config, 'inputs.json'), JSON.stringify({ annotations: { files: [{ name: 'payload.json', path: payload }] } }));
  const out = execFileSync('python3', ['-I', '-B', '-c', `import sys; sys.path.insert(0, ${JSON.stringify(join(templates, 'v7-train'))}); import v7_payload; p = v7_payload.load("annotations"); print(p.item.source_info.dataset.slug, len(p.annotations))`], {
    encoding: 'utf8',
    env: { ...process.env, VH_CONFIG_DIR: config },
  });
  expect(out.trim()).toBe('cars 2');
});
