/**
 * `codegen --trigger --from-log` (and `--sample`) infers a schema from payloads, and a string seen
 * with one value in every payload became an enum: a credential sent in the body — the trigger's own
 * static token read from a JSON field, Slack's verification `token` — was written into the
 * schema file and both generated parsers, files made to be committed and shipped with the
 * launched code (and the parser then refused any payload carrying another token). The payloads are
 * redacted the way the trigger log redacts them before inference; credential fields stay typed
 * strings.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempProject, type TempProject } from '../helpers/project.js';
import { hooklaunch } from './cli.js';

const ID = '0190fe82-0000-7000-8000-00000000c0d1';
const CONFIGURED = 'configured-json-token-0123456789';
const SLACK_TOKEN = 'gIkuvaNzQIHg97ATvDxqgjtO';

describe('codegen inferring from payloads that carry credentials', () => {
  let project: TempProject | undefined;
  afterEach(() => project?.remove());

  it('writes neither the trigger credential nor a credential-named field into the schema or the parsers', async () => {
    project = tempProject('- step: {name: noop, image: x, command: "true"}\n');
    const config = project.write(
      'hooklaunch.yaml',
      `store: {url: sqlite:state.db}
triggers:
  - id: ${ID}
    title: Body token
    conditions: [{type: web-request-auth, auth_type: static_token, lookup: json, key: auth.key, secret: "\${env:BODY_TOKEN}"}]
    actions: [{type: run-execution, step: noop}]
`,
    );
    const samples = ['a', 'a', 'b'].map((kind, i) => project!.write(`sample-${i}.json`, JSON.stringify({ auth: { key: CONFIGURED }, token: SLACK_TOKEN, kind })));
    const out = join(project.dir, 'gen');
    const result = await hooklaunch(['codegen', '--trigger', ID, '--lang', 'both', '--out', out, '-c', config, '--sample', ...samples], { BODY_TOKEN: CONFIGURED });
    expect(result.code, result.stderr).toBe(0);
    const files = ['body-token-payload.schema.json', 'body_token_payload.py', 'body-token-payload.ts'].map((name) => readFileSync(join(out, name), 'utf8'));
    for (const text of [...files, result.stdout, result.stderr]) {
      expect(text).not.toContain(CONFIGURED);
      expect(text).not.toContain(SLACK_TOKEN);
    }
    const schema = JSON.parse(files[0]!) as { properties: Record<string, { type?: string; enum?: string[]; properties?: Record<string, unknown> }> };
    // Still inferred: the enum of a field that is no credential, the credentials as plain strings.
    expect(schema.properties.kind).toEqual({ type: 'string', enum: ['a', 'b'] });
    expect(schema.properties.token).toEqual({ type: 'string' });
    expect(schema.properties.auth!.properties!.key).toEqual({ type: 'string' });
  }, 30_000);
});
