/**
 * Fuzz (fast-check, fixed seed, bounded runs): random requests against every condition type and
 * connector never get a 5xx, never crash the server, never launch without a credential; random
 * configs always end in a ConfigError naming a path, never an unhandled exception.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/yaml/config-error.js';
import { tempProject } from '../helpers/project.js';
import { startTestService, type TestService } from '../helpers/service.js';

const RUNS = Number(process.env.HOOKLAUNCH_FUZZ_RUNS ?? 300);
const SEED = 20261126;
const action = 'actions: [{type: run-execution, step: noop}]';
const TRIGGERS = {
  token: '0190fe82-0000-7000-8000-000000000101',
  hmac: '0190fe82-0000-7000-8000-000000000102',
  jwt: '0190fe82-0000-7000-8000-000000000103',
  filter: '0190fe82-0000-7000-8000-000000000104',
  slack: '0190fe82-0000-7000-8000-000000000105',
  github: '0190fe82-0000-7000-8000-000000000106',
  v7: '0190fe82-0000-7000-8000-000000000107',
};

describe('fuzz', () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService(
      '- step: {name: noop, image: x, command: "true"}\n',
      `
triggers:
  - id: ${TRIGGERS.token}
    conditions: [{type: web-request-auth, auth_type: static_token, lookup: json, key: auth.token, secret: fuzz-token-secret}]
    ${action}
  - id: ${TRIGGERS.hmac}
    conditions:
      - {type: web-request-auth, auth_type: hmac, key: X-Sig, separator: ",", prefix: "v1=", secret: fuzz-hmac-secret-0123, message: "{header:X-Id}.{timestamp}.{body}"}
      - {type: timestamp, key: X-Sig, prefix: "t=", separator: ",", format: unix_ms}
    ${action}
  - id: ${TRIGGERS.jwt}
    conditions: [{type: web-request-auth, auth_type: jwt, algorithms: [HS256, HS512], secret: fuzz-jwt-secret-0000000000000000}]
    ${action}
  - id: ${TRIGGERS.filter}
    conditions:
      - {type: web-request-auth, auth_type: static_token, key: X-Token, secret: t}
      - {type: payload-filter, lookup: a.b\\.c.0, operation: matches, value: "^x+$"}
      - {type: deduplicate, lookup: json, key: id}
      - {type: rate-limit, period: 60, quota: 1000}
    actions: [{type: run-execution, step: noop, parameters: {}}]
  - id: ${TRIGGERS.slack}
    connector: {type: slack, secret: fuzz-slack-secret-0123}
    ${action}
  - id: ${TRIGGERS.github}
    connector: {type: github, secret: fuzz-github-secret-0123}
    ${action}
  - id: ${TRIGGERS.v7}
    connector: {type: v7, secret: fuzz-v7-secret-0123, mode: signed}
    ${action}
`,
    );
    await t.service.worker.stop();
  });
  afterAll(() => t.close());

  const headerName = fc.constantFrom('content-type', 'x-token', 'x-sig', 'x-id', 'authorization', 'x-slack-signature', 'x-slack-request-timestamp', 'x-hub-signature-256', 'x-github-event', 'x-github-delivery', 'v7-signature', 'x-anything');
  const headerValue = fc.oneof(
    fc.string({ maxLength: 80 }).map((s) => s.replace(/[\r\n\0]/g, '')),
    fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain', 'sha256=00', 'v0=zz', 't=1,v1=ab', 'Bearer x.y.z', '1531420618', 'push', 'ping'),
  );
  const body = fc.oneof(
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
    fc.json().map((j) => Buffer.from(j)),
    fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 20 })).map((d) => Buffer.from(new URLSearchParams(d).toString())),
    fc.constant(Buffer.from('payload=%7B%22type%22%3A%22event_callback%22%7D')),
  );
  const method = fc.constantFrom('POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE', 'PATCH');
  const target = fc.oneof(fc.constantFrom(...Object.values(TRIGGERS)).map((id) => `/api/v0/launch/${id}/`), fc.string({ maxLength: 40 }).map((s) => `/api/v0/launch/${encodeURIComponent(s)}/`), fc.constantFrom('/api/v0/launch/', '/api/v0/launch/x/run/', '/ui/', '/metrics'));

  it('never answers 5xx and never launches without a credential', async () => {
    await fc.assert(
      fc.asyncProperty(method, target, fc.array(fc.tuple(headerName, headerValue), { maxLength: 8 }), body, async (m, path, headers, payload) => {
        const res = await fetch(`${t.service.url}${path}`, { method: m, headers: Object.fromEntries(headers), ...(m === 'GET' ? {} : { body: payload }) });
        await res.arrayBuffer();
        expect(res.status).toBeLessThan(500);
        expect(res.status === 200 && path.startsWith('/api/v0/launch/0190') && m === 'POST' && !path.includes('/run/')).toBe(false);
      }),
      { numRuns: RUNS, seed: SEED },
    );
    const accepted = (await t.service.store.listLog({ limit: 100_000 })).filter((e) => e.outcome === 'accepted' || e.outcome === 'duplicate');
    expect(accepted).toEqual([]);
    expect((await fetch(`${t.service.url}/healthz`)).status).toBe(200);
  });

  it('turns any config into a ConfigError naming where, or a loaded config', async () => {
    const project = tempProject('- step: {name: noop, image: x, command: "true", parameters: [{name: p, type: integer}], inputs: [{name: data}]}\n');
    try {
      const anyValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
        value: fc.oneof({ depthSize: 'small' }, fc.string({ maxLength: 12 }), fc.integer(), fc.boolean(), fc.constant(null), fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(fc.constantFrom('type', 'id', 'step', 'secret', 'key', 'lookup', 'auth_type', 'actions', 'conditions', 'connector', 'x'), tie('value'), { maxKeys: 4 })),
      })).value;
      const trigger = fc.record({
        id: fc.oneof(fc.constant('0190fe82-0000-7000-8000-000000000999'), fc.string({ maxLength: 20 })),
        conditions: fc.array(fc.record({ type: fc.constantFrom('web-request-auth', 'timestamp', 'payload-filter', 'rate-limit', 'deduplicate', 'nope'), auth_type: fc.constantFrom('hmac', 'jwt', 'static_token', 'x'), key: anyValue, secret: anyValue, lookup: anyValue, operation: anyValue, value: anyValue }, { requiredKeys: ['type'] }), { maxLength: 3 }),
        actions: fc.array(fc.record({ type: fc.constantFrom('run-execution', 'run-pipeline', 'fetch-repository', 'x'), step: anyValue, parameters: anyValue, payload_input: anyValue }, { requiredKeys: ['type'] }), { maxLength: 2 }),
        connector: fc.option(fc.record({ type: fc.constantFrom('slack', 'github', 'v7', 'nope'), secret: anyValue, commands: anyValue, branches: anyValue }), { nil: undefined }),
      }, { requiredKeys: ['id'] });
      fc.assert(
        fc.property(fc.record({ server: fc.option(fc.record({ port: anyValue, host: anyValue }), { nil: undefined }), triggers: fc.array(trigger, { maxLength: 3 }), junk: fc.option(anyValue, { nil: undefined }) }, { requiredKeys: [] }), (config) => {
          try {
            project.load(JSON.stringify(config));
          } catch (error) {
            expect(error).toBeInstanceOf(ConfigError);
            for (const issue of (error as ConfigError).issues) expect(issue.message.length).toBeGreaterThan(3);
          }
        }),
        { numRuns: RUNS, seed: SEED },
      );
    } finally {
      project.remove();
    }
  });
});
