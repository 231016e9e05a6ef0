/** The attacks table: every row rejected or neutralised through the real server, with its reason code. */
import { connect } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signHmac } from '../../core/conditions/hmac.js';
import { ConfigError } from '../../core/yaml/config-error.js';
import { tempProject } from '../helpers/project.js';
import { startTestService, type TestService } from '../helpers/service.js';

const HMAC = '0190fe82-0000-7000-8000-0000000000f1';
const JWT_RS = '0190fe82-0000-7000-8000-0000000000f2';
const JWKS = '0190fe82-0000-7000-8000-0000000000f3';
const DEDUPE = '0190fe82-0000-7000-8000-0000000000f4';
const SMALL = '0190fe82-0000-7000-8000-0000000000f5';
const SECRET = 'attack-hmac-secret';
const now = () => Math.floor(Date.now() / 1000);

describe('attacks', () => {
  let t: TestService;
  let jwks: Server;
  let rsa: Awaited<ReturnType<typeof generateKeyPair>>;
  let pem: string;

  beforeAll(async () => {
    rsa = await generateKeyPair('RS256', { extractable: true });
    pem = await exportSPKI(rsa.publicKey);
    const jwk = { ...(await exportJWK(rsa.publicKey)), kid: 'k1', alg: 'RS256' };
    jwks = createServer((_req, res) => res.end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
    t = await startTestService(
      '- step: {name: ok, image: x, command: "true"}\n',
      `
triggers:
  - id: ${HMAC}
    conditions:
      - {type: web-request-auth, auth_type: hmac, key: X-Signature, prefix: "sha256=", secret: ${SECRET}, message: "{timestamp}.{body}"}
      - {type: timestamp, key: X-Timestamp, tolerance: 300}
    actions: [{type: run-execution, step: ok}]
  - id: ${JWT_RS}
    conditions:
      - type: web-request-auth
        auth_type: jwt
        algorithms: [RS256]
        public_key: |
${pem.split('\n').map((l) => `          ${l}`).join('\n')}
        issuer: https://idp.example
        audience: hooklaunch
    actions: [{type: run-execution, step: ok}]
  - id: ${JWKS}
    conditions: [{type: web-request-auth, auth_type: jwt, algorithms: [RS256], jwks_url: "${jwksUrl}"}]
    actions: [{type: run-execution, step: ok}]
  - id: ${DEDUPE}
    conditions:
      - {type: web-request-auth, auth_type: static_token, key: X-Token, secret: tok}
      - {type: deduplicate, key: X-Delivery}
    actions: [{type: run-execution, step: ok}]
  - id: ${SMALL}
    max_body_bytes: 1000
    actions: [{type: run-execution, step: ok}]
`,
    );
  });
  afterAll(async () => {
    await t.close();
    await new Promise<void>((r) => jwks.close(() => r()));
  });

  const hmacHeaders = (body: string, ts = now(), mangle: (hex: string) => string = (h) => `sha256=${h}`) => ({
    'content-type': 'application/json',
    'x-timestamp': String(ts),
    'x-signature': mangle(signHmac({ secret: SECRET, message: '{timestamp}.{body}' }, { body: Buffer.from(body), timestamp: String(ts) })),
  });
  const jwtFor = async (claims: Record<string, unknown>, setup: (jwt: SignJWT) => SignJWT = (j) => j) =>
    setup(new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuedAt().setIssuer('https://idp.example').setAudience('hooklaunch').setExpirationTime('5m')).sign(rsa.privateKey);
  const post = async (id: string, headers: Record<string, string>, body = '{}') => {
    const res = await fetch(t.url(id), { method: 'POST', headers, body });
    return { status: res.status, body: (await res.json()) as { error?: { code: string }; run_id?: string } };
  };

  const rows: Array<[string, () => Promise<{ status: number; body: { error?: { code: string } } }>, number, string | undefined]> = [
    ['JWT alg none', async () => post(JWT_RS, { authorization: `Bearer ${new UnsecuredJWT({ iss: 'https://idp.example', aud: 'hooklaunch' }).encode()}` }), 400, 'jwt_algorithm_not_allowed'],
    ['HS256 signed with the RS public key', async () => post(JWT_RS, { authorization: `Bearer ${await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer('https://idp.example').setAudience('hooklaunch').sign(new TextEncoder().encode(pem))}` }), 400, 'jwt_algorithm_not_allowed'],
    ['expired JWT', async () => post(JWT_RS, { authorization: `Bearer ${await jwtFor({}, (j) => j.setExpirationTime(Math.floor(Date.now() / 1000) - 10))}` }), 400, 'jwt_expired'],
    ['not-yet-valid JWT', async () => post(JWT_RS, { authorization: `Bearer ${await jwtFor({}, (j) => j.setNotBefore('10m'))}` }), 400, 'jwt_claim_invalid'],
    ['JWT from another issuer', async () => post(JWT_RS, { authorization: `Bearer ${await jwtFor({}, (j) => j.setIssuer('https://evil.example'))}` }), 400, 'jwt_claim_invalid'],
    ['JWT for another audience', async () => post(JWT_RS, { authorization: `Bearer ${await jwtFor({}, (j) => j.setAudience('someone-else'))}` }), 400, 'jwt_claim_invalid'],
    ['JWT whose kid is not in the JWKS', async () => post(JWKS, { authorization: `Bearer ${await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'other' }).sign(rsa.privateKey)}` }), 400, 'jwt_invalid'],
    ['HMAC signature truncated', async () => post(HMAC, hmacHeaders('{}', now(), (h) => `sha256=${h.slice(0, 40)}`)), 400, 'malformed_signature'],
    ['HMAC signature overlong', async () => post(HMAC, hmacHeaders('{}', now(), (h) => `sha256=${h}00`)), 400, 'malformed_signature'],
    ['HMAC signature in base64 instead of hex', async () => post(HMAC, hmacHeaders('{}', now(), (h) => `sha256=${Buffer.from(h, 'hex').toString('base64')}`)), 400, 'malformed_signature'],
    ['HMAC signature uppercased (the same bytes: accepted, nothing forged)', async () => post(HMAC, hmacHeaders('{}', now(), (h) => `sha256=${h.toUpperCase()}`)), 200, undefined],
    ['HMAC of another body', async () => post(HMAC, hmacHeaders('{"other":1}'), '{}'), 400, 'signature_mismatch'],
    ['timestamp replayed an hour later', async () => post(HMAC, hmacHeaders('{}', now() - 3600)), 400, 'timestamp_too_old'],
    ['timestamp from the future', async () => post(HMAC, hmacHeaders('{}', now() + 3600)), 400, 'timestamp_too_new'],
    ['body over the limit', async () => post(SMALL, {}, 'x'.repeat(5000)), 413, 'body_too_large'],
    ['trigger id with path traversal', async () => {
      const res = await fetch(`${t.service.url}/api/v0/launch/..%2F..%2Fetc%2Fpasswd/`, { method: 'POST', body: '{}' });
      return { status: res.status, body: (await res.json()) as { error?: { code: string } } };
    }, 404, 'trigger_not_found'],
  ];

  it.each(rows)('%s', async (_name, attack, status, code) => {
    const result = await attack();
    expect(result.status).toBe(status);
    expect(result.body.error?.code).toBe(code);
  });

  it('a replayed delivery launches nothing new', async () => {
    const first = await post(DEDUPE, { 'x-token': 'tok', 'x-delivery': 'd-1' });
    const again = await post(DEDUPE, { 'x-token': 'tok', 'x-delivery': 'd-1' });
    expect(again).toEqual({ status: 200, body: { run_id: first.body.run_id } });
  });

  it('a request-target that is no URL (GET //) is answered, and the server keeps serving', async () => {
    // new URL('//', base) throws: thrown in the request listener, it ended the process.
    const { port } = new URL(t.service.url);
    for (const target of ['//', '//:99999/api/v0/launch/x/']) {
      const statusLine = await new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () => socket.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
        let text = '';
        socket.on('data', (chunk) => (text += chunk.toString('latin1')));
        socket.on('end', () => resolve(text.split('\r\n')[0]!));
        socket.on('error', reject);
      });
      expect(statusLine).toMatch(/^HTTP\/1\.1 404 /);
    }
    expect((await post(DEDUPE, { 'x-token': 'tok', 'x-delivery': 'd-after-bad-target' })).status).toBe(200);
  });

  it('a refusal on headers alone keeps the connection for a small body, and closes it for a large or chunked one', async () => {
    const { port } = new URL(t.service.url);
    const exchange = (text: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () => socket.write(text));
        let answer = '';
        socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
        socket.on('end', () => resolve(answer));
        socket.on('error', reject);
      });
    const unknown = '/api/v0/launch/0190fe82-0000-7000-8000-00000000dead/';
    // Two requests on one connection: the unknown id's small body is discarded, the next one served.
    const kept = await exchange(
      `POST ${unknown} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}` +
        `POST /api/v0/launch/${DEDUPE}/ HTTP/1.1\r\nHost: x\r\nX-Token: tok\r\nX-Delivery: d-kept\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
    );
    const statuses = [...kept.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
    expect(statuses).toEqual([404, 200]);
    expect(kept.split('\r\n\r\n')[0]).not.toMatch(/^connection: close$/im);
    // A large declared body, or a chunked one, is not drained: the connection closes.
    for (const framing of ['Content-Length: 1048576', 'Transfer-Encoding: chunked']) {
      const closed = await exchange(`POST ${unknown} HTTP/1.1\r\nHost: x\r\n${framing}\r\n\r\n`);
      expect(closed).toMatch(/^HTTP\/1\.1 404/);
      expect(closed.split('\r\n\r\n')[0]).toMatch(/^connection: close$/im);
    }
  });

  it('slow clients: the timeouts are set, and idle half-open connections do not starve others', async () => {
    expect(t.service.server.headersTimeout).toBeLessThanOrEqual(20_000);
    expect(t.service.server.requestTimeout).toBeLessThanOrEqual(30_000);
    const { port } = new URL(t.service.url);
    const sockets = Array.from({ length: 100 }, () => {
      const socket = connect(Number(port), '127.0.0.1');
      socket.write(`POST /api/v0/launch/${DEDUPE}/ HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n`);
      return socket;
    });
    const started = performance.now();
    const served = await post(DEDUPE, { 'x-token': 'tok', 'x-delivery': 'd-slow' });
    expect(served.status).toBe(200);
    expect(performance.now() - started).toBeLessThan(2000);
    for (const socket of sockets) socket.destroy();
  });

  it('input and payload file names cannot climb out of the work folder', () => {
    const project = tempProject('- step: {name: s, image: x, command: c, inputs: [{name: "../../etc"}]}\n');
    try {
      expect(() => project.load('')).toThrow(ConfigError);
      project.write('valohai.yaml', '- step: {name: s, image: x, command: c, inputs: [{name: data}]}\n');
      expect(() => project.load(`triggers:\n  - id: ${HMAC}\n    actions: [{type: run-execution, step: s, payload_input: data, payload_filename: ".."}]\n`)).toThrow(/plain file name/);
    } finally {
      project.remove();
    }
  });

});
