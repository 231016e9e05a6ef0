/** `hooklaunch send` builds requests the server accepts, for every condition type and connector. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/service.js';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '../../core/cli/main.ts');

const ids = {
  token: '0190fe82-0000-7000-8000-0000000000a1',
  query: '0190fe82-0000-7000-8000-0000000000a2',
  hmac: '0190fe82-0000-7000-8000-0000000000a3',
  stripe: '0190fe82-0000-7000-8000-0000000000a4',
  standard: '0190fe82-0000-7000-8000-0000000000a5',
  jwt: '0190fe82-0000-7000-8000-0000000000a6',
  slack: '0190fe82-0000-7000-8000-0000000000a7',
  github: '0190fe82-0000-7000-8000-0000000000a8',
  v7: '0190fe82-0000-7000-8000-0000000000a9',
  v7signed: '0190fe82-0000-7000-8000-0000000000aa',
  isoTimestamp: '0190fe82-0000-7000-8000-0000000000ab',
};
const action = 'actions: [{type: run-execution, step: noop}]';

const CONFIG = `
triggers:
  - id: ${ids.token}
    conditions:
      - {type: web-request-auth, auth_type: static_token, key: Authorization, prefix: "Bearer ", secret: tok}
      - {type: deduplicate, key: X-Delivery}
    ${action}
  - id: ${ids.query}
    conditions: [{type: web-request-auth, auth_type: static_token, lookup: query, key: token, secret: q-secret}]
    ${action}
  - id: ${ids.hmac}
    conditions:
      - {type: web-request-auth, auth_type: hmac, key: X-Signature, prefix: "sha256=", secret: [new-secret-0123456789, old-secret-0123456789], message: "{timestamp}.{body}"}
      - {type: timestamp, key: X-Timestamp, format: unix_ms, tolerance: 60}
      - {type: payload-filter, lookup: kind, operation: equals, value: csv}
    ${action}
  - id: ${ids.stripe}
    conditions:
      - {type: web-request-auth, auth_type: hmac, key: Stripe-Signature, prefix: "v1=", separator: ",", secret: whsec_abc_0123456789, message: "{timestamp}.{body}"}
      - {type: timestamp, key: Stripe-Signature, prefix: "t=", separator: ","}
    ${action}
  - id: ${ids.standard}
    conditions:
      - {type: web-request-auth, auth_type: hmac, key: webhook-signature, prefix: "v1,", separator: " ", encoding: base64, secret_encoding: base64, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", message: "{header:webhook-id}.{timestamp}.{body}"}
      - {type: timestamp, key: webhook-timestamp}
    ${action}
  - id: ${ids.jwt}
    conditions:
      - {type: web-request-auth, auth_type: jwt, algorithms: [HS256], secret: a-jwt-secret-long-enough-000000, issuer: https://ci.example, audience: hooklaunch, max_age: 60}
    ${action}
  - id: ${ids.isoTimestamp}
    conditions:
      - {type: web-request-auth, auth_type: hmac, key: X-Sig, secret: sha512-secret-0123456789, message: "{timestamp}:{body}", encoding: base64, algorithm: sha512}
      - {type: timestamp, key: X-Sent-At, format: iso8601}
    ${action}
  - id: ${ids.slack}
    connector: {type: slack, secret: slack-secret-0123456789, commands: [/predict]}
    ${action}
  - id: ${ids.github}
    connector: {type: github, secret: gh-secret-0123456789, branches: [main]}
    ${action}
  - id: ${ids.v7}
    connector: {type: v7, secret: v7-token, prefix: "Bearer ", datasets: [cars]}
    ${action}
  - id: ${ids.v7signed}
    connector: {type: v7, secret: v7-key-0123456789, mode: signed}
    ${action}
`;

describe('hooklaunch send', () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService('- step: {name: noop, image: x, command: "true"}\n', CONFIG);
  });
  afterAll(() => t.close());

  const send = async (...args: string[]) => {
    try {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', CLI, 'send', '--config', join(t.project.dir, 'hooklaunch.yaml'), '--url', t.service.url, ...args]);
      return { code: 0, stdout };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout + e.stderr };
    }
  };

  const cases: Array<[string, string, string[]]> = [
    ['a static token and a delivery id header', ids.token, []],
    ['a static token in the query', ids.query, []],
    ['HMAC over {timestamp}.{body} with a unix_ms timestamp and a payload filter', ids.hmac, ['--data', '{"kind":"csv"}']],
    ['Stripe-style timestamp and signature in one header', ids.stripe, []],
    ['Standard Webhooks (base64 key, webhook-id)', ids.standard, []],
    ['an HS256 JWT with issuer, audience and max age', ids.jwt, []],
    ['SHA-512 base64 HMAC with an ISO 8601 timestamp', ids.isoTimestamp, []],
    ['the Slack connector (its own sample slash command)', ids.slack, []],
    ['the GitHub connector (its own sample push)', ids.github, []],
    ['the V7 connector (stage token)', ids.v7, []],
    ['the V7 connector (signed mode)', ids.v7signed, []],
  ];
  it.each(cases)('%s', async (_name, id, args) => {
    const result = await send(id, ...args);
    expect(result.stdout).toMatch(/^200 OK {2}request [0-9a-f-]{36}\n/);
    expect(result.code).toBe(0);
    const [latest] = await t.service.store.listLog({ triggerId: id, limit: 1 });
    expect(latest).toMatchObject({ outcome: 'accepted' });
  });

  it('prints a curl command that the server accepts', async () => {
    const { stdout } = await send(ids.hmac, '--data', '{"kind":"csv"}', '--print-curl');
    expect(stdout).toMatch(/^curl -sS -X POST '.*' -H 'content-type: application\/json' -H 'x-timestamp: \d+' -H 'x-signature: sha256=[0-9a-f]{64}'/);
    const { stdout: answer } = await run('/bin/sh', ['-c', `${stdout.trim()} -w ' %{http_code}'`]);
    expect(answer).toMatch(/"run_id":"[0-9a-f-]{36}"\} 200$/);
  });

  it('shows a rejection and exits 1 when the payload does not pass', async () => {
    const result = await send(ids.hmac, '--data', '{"kind":"tsv"}');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('400 Bad Request');
    expect(result.stdout).toContain('"code":"filtered_out"');
  });
});
