/**
 * A payload filter on a credential field — Slack's legacy verification `token`, checked as
 * `{type: payload-filter, lookup: token, operation: equals, value: ${env:SLACK_VERIFICATION_TOKEN}}`
 * — quoted the expected value in its refusal, `payload filter "token equals "<the token>"" did not
 * match: it is "<what was sent>"`: answered to whoever POSTed anything to the URL, kept in the
 * trigger log (`logs`, the page), and printed by `check`. For a field named as a credential
 * (the trigger log's rule) neither value is quoted; other filters still say what they saw.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/service.js';
import { hooklaunch } from '../cli/cli.js';

const ADMIN = 'an-admin-token-for-payload-filter';
const TOKEN_ID = '0190fe82-0000-7000-8000-00000000fc01';
const KIND_ID = '0190fe82-0000-7000-8000-00000000fc02';
const VERIFICATION = 'legacy-verification-token-0123456789';
const SENT = 'what-the-sender-guessed-9876';
const CONFIG = `
server:
  admin_token: ${ADMIN}
triggers:
  - {id: ${TOKEN_ID}, title: Legacy Slack, conditions: [{type: payload-filter, lookup: token, operation: equals, value: "\${env:SLACK_VERIFICATION_TOKEN}"}], actions: [{type: run-execution, step: noop}]}
  - {id: ${KIND_ID}, title: Kind, conditions: [{type: payload-filter, lookup: data.kind, operation: equals, value: csv}], actions: [{type: run-execution, step: noop}]}
`;

describe('a payload filter on a credential field', () => {
  let t: TestService;
  const env = { SLACK_VERIFICATION_TOKEN: VERIFICATION };
  beforeAll(async () => {
    t = await startTestService('- step: {name: noop, image: x, command: "true"}\n', CONFIG, { env });
  });
  afterAll(() => t.close());

  it('answers, logs and checks without quoting the expected or the sent value', async () => {
    const res = await fetch(t.url(TOKEN_ID), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${SENT}&text=hi` });
    expect(res.status).toBe(400);
    const answer = await res.text();
    expect(answer).toContain('filtered_out');
    expect(answer).toContain('token equals');

    const logs = await hooklaunch(['logs', '--json', '-c', `${t.project.dir}/hooklaunch.yaml`], env);
    expect(logs.stdout).toContain('filtered_out');
    const page = await (await fetch(`${t.service.url}/ui/triggers/${TOKEN_ID}`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();
    const check = await hooklaunch(['check', '-c', `${t.project.dir}/hooklaunch.yaml`], env);
    expect(check.stdout).toContain('payload token equals');
    for (const shown of [answer, logs.stdout, logs.stderr, page, check.stdout, check.stderr]) {
      expect(shown).not.toContain(VERIFICATION);
      expect(shown).not.toContain(SENT);
    }
  }, 30_000);

  it('still quotes both values for a field that is no credential', async () => {
    const res = await fetch(t.url(KIND_ID), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ data: { kind: 'tsv' } }) });
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe('payload filter "data.kind equals "csv"" did not match: it is "tsv"');
  });
});
