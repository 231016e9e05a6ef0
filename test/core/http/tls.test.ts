/**
 * #15 point 4: `server.tls` serves HTTPS natively and re-reads its files on SIGHUP (a bad new pair
 * is refused, the served one stays); `server.trust_proxy` decides whose X-Forwarded-* are believed;
 * an http:// public_url is refused with the Valohai launcher unless explicitly allowed.
 * Certificates are made here with openssl (Debian ships it), trusted by the client as their own CA.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../core/yaml/config-error.js';
import { readTriggerLog } from '../../../core/trigger-log/read-trigger-log.js';
import { hooklaunch, serve, type Served } from '../../cli/cli.js';
import { tempProject, type TempProject } from '../../helpers/project.js';
import { startTestService, type TestService } from '../../helpers/service.js';

const VALOHAI = '- step: {name: train, image: x, command: "true"}\n';
const TRIGGER = '0190fe82-0000-7000-8000-0000000075e1';
const TOKEN = 'tls-test-token-0123456789';
const TRIGGERS = `triggers:
  - id: ${TRIGGER}
    conditions: [{type: web-request-auth, auth_type: static_token, key: X-Token, secret: ${TOKEN}}]
    actions: [{type: run-execution, step: train}]
`;

interface Pair {
  readonly cert: string;
  readonly key: string;
  readonly fingerprint: string;
}

let certs: string;
let first: Pair;
let second: Pair;

/** A self-signed certificate for 127.0.0.1 (its own CA). */
function makePair(name: string): Pair {
  const cert = join(certs, `${name}.crt`);
  const key = join(certs, `${name}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore', timeout: 10_000 });
  return { cert, key, fingerprint: new X509Certificate(readPem(cert)).fingerprint256 };
}

function readPem(path: string): string {
  return readFileSync(path, 'utf8');
}

interface Answer {
  readonly status: number;
  readonly fingerprint: string;
  readonly body?: string;
}

/** POSTs over HTTPS trusting only `ca`, on a fresh connection; what came back and whose certificate the server showed. */
function post(url: string, ca: string, headers: Record<string, string>, body = '{}', keepBody = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method: 'POST', ca: readPem(ca), agent: false, headers: { 'content-type': 'application/json', ...headers }, timeout: 10_000 }, (res) => {
      const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
      let text = '';
      res.on('data', (chunk: Buffer) => void (text += chunk.toString()));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, fingerprint, ...(keepBody && { body: text }) }));
    });
    req.once('error', reject);
    req.once('timeout', () => req.destroy(new Error('timed out')));
    req.end(body);
  });
}

/** Plain HTTP, from 127.0.0.1 like every test request. */
function postPlain(url: string, headers: Record<string, string>, body = '{}'): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', agent: false, headers, timeout: 10_000 }, (res) => {
      res.resume();
      res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.once('error', reject);
    req.end(body);
  });
}

beforeAll(() => {
  certs = mkdtempSync(join(tmpdir(), 'hooklaunch-tls-'));
  first = makePair('first');
  second = makePair('second');
});
afterAll(() => rmSync(certs, { recursive: true, force: true }));

describe('server.tls', () => {
  let service: TestService | undefined;
  let served: Served | undefined;
  let project: TempProject | undefined;
  afterEach(async () => {
    await service?.close();
    await served?.stop();
    project?.remove();
    service = served = project = undefined;
  });

  it('serves HTTPS with the configured certificate (paths from ${env:…}); a signed request is accepted over it', async () => {
    const admin = 'tls-test-admin-token-0123';
    service = await startTestService(VALOHAI, `server:\n  admin_token: ${admin}\n  tls: {cert: "\${env:TLS_CERT}", key: "\${env:TLS_KEY}"}\n${TRIGGERS}`, { env: { TLS_CERT: first.cert, TLS_KEY: first.key } });
    expect(service.service.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const answer = await post(service.url(TRIGGER), first.cert, { 'x-token': TOKEN });
    expect(answer).toEqual({ status: 200, fingerprint: first.fingerprint });
    const [logged] = await readTriggerLog(service.service.store, service.service.rejections, { limit: 1 });
    expect(logged).toMatchObject({ outcome: 'accepted', remoteAddress: '127.0.0.1' });
    // The page's test request goes to this process's own https socket, whose certificate its fetch would not trust (self-signed here, a public host's name in production).
    const tested = await post(`${service.service.url}/api/v0/triggers/${TRIGGER}/test`, first.cert, { authorization: `Bearer ${admin}` }, '{}', true);
    expect(tested.status).toBe(200);
    expect(JSON.parse(tested.body!)).toMatchObject({ ok: true, status: 200 });
    // A client that does not trust the certificate gets no answer at all.
    await expect(post(service.url(TRIGGER), second.cert, { 'x-token': TOKEN })).rejects.toThrow(/self[- ]signed|unable to verify/i);
  });

  it('serve re-reads the files on SIGHUP: new connections get the new certificate; a broken one is refused with a log line and the served one stays', async () => {
    const live = { cert: join(certs, 'live.crt'), key: join(certs, 'live.key') };
    copyFileSync(first.cert, live.cert);
    copyFileSync(first.key, live.key);
    project = tempProject(VALOHAI);
    const config = project.write('hooklaunch.yaml', `server:\n  tls: {cert: ${live.cert}, key: ${live.key}}\nstore: {url: sqlite:state.db}\n${TRIGGERS}`);
    served = await serve(['-c', config, '--port', '0', '--log-format', 'json']);
    expect(served.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const url = `${served.url}/api/v0/launch/${TRIGGER}/`;
    expect(await post(url, first.cert, { 'x-token': TOKEN })).toEqual({ status: 200, fingerprint: first.fingerprint });
    // The CLI finds the https instance through the run file and trusts a self-signed certificate the README's way.
    const sent = await hooklaunch(['send', TRIGGER, '-c', config, '--data', '{}'], { NODE_EXTRA_CA_CERTS: first.cert });
    expect(sent).toMatchObject({ code: 0, stdout: expect.stringMatching(/^200 OK/) });

    copyFileSync(second.cert, live.cert);
    copyFileSync(second.key, live.key);
    process.kill(served.pid, 'SIGHUP');
    await waitFor(() => served!.stdout().includes('TLS certificate reloaded'));
    expect(await post(url, second.cert, { 'x-token': TOKEN })).toEqual({ status: 200, fingerprint: second.fingerprint });

    // The first pair's key with the second certificate: not a pair, refused.
    copyFileSync(first.key, live.key);
    process.kill(served.pid, 'SIGHUP');
    await waitFor(() => served!.stdout().includes('TLS certificate not reloaded'));
    expect(served.stdout()).toContain(`${config}:2: server.tls.key: ${live.key} is not the private key of ${live.cert}`);
    expect(await post(url, second.cert, { 'x-token': TOKEN })).toEqual({ status: 200, fingerprint: second.fingerprint });
  });

  it('a certificate that cannot be served fails check and serve with the config line', async () => {
    project = tempProject(VALOHAI);
    const garbage = project.write('garbage.pem', 'not a certificate\n');
    const config = project.write('hooklaunch.yaml', `store: {url: sqlite:state.db}\nserver:\n  tls:\n    cert: garbage.pem\n    key: ${first.key}\n${TRIGGERS}`);
    for (const command of ['check', 'serve']) {
      const result = await hooklaunch([command, '-c', config, ...(command === 'serve' ? ['--port', '0'] : [])]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`${config}:4: server.tls.cert: ${garbage} is not a usable PEM certificate`);
    }
  });
});

describe('server.trust_proxy', () => {
  let service: TestService | undefined;
  afterEach(async () => {
    await service?.close();
    service = undefined;
  });

  const loggedAddress = async (headers: Record<string, string>): Promise<string | undefined> => {
    const answer = await postPlain(service!.url(TRIGGER), { 'content-type': 'application/json', 'x-token': TOKEN, ...headers });
    expect(answer.status).toBe(200);
    const [logged] = await readTriggerLog(service!.service.store, service!.service.rejections, { limit: 1 });
    return logged?.remoteAddress;
  };

  it('takes the client from X-Forwarded-For when the peer is a listed proxy: the nearest hop no listed proxy vouches for', async () => {
    service = await startTestService(VALOHAI, `server:\n  trust_proxy: [127.0.0.0/8, 10.1.2.3]\n${TRIGGERS}`);
    expect(await loggedAddress({ 'x-forwarded-for': '203.0.113.7' })).toBe('203.0.113.7');
    // 198.51.100.1 was written by the client itself (left of an untrusted hop): not believed.
    expect(await loggedAddress({ 'x-forwarded-for': '198.51.100.1, 203.0.113.7, 10.1.2.3' })).toBe('203.0.113.7');
    // Garbage ends the chain at what the proxy itself saw.
    expect(await loggedAddress({ 'x-forwarded-for': 'not-an-address' })).toBe('127.0.0.1');
  });

  it('ignores X-Forwarded-For from a peer that is not listed, and when nothing is listed', async () => {
    service = await startTestService(VALOHAI, `server:\n  trust_proxy: [10.0.0.0/8]\n${TRIGGERS}`);
    expect(await loggedAddress({ 'x-forwarded-for': '203.0.113.7' })).toBe('127.0.0.1');
    await service.close();
    service = await startTestService(VALOHAI, TRIGGERS);
    expect(await loggedAddress({ 'x-forwarded-for': '203.0.113.7' })).toBe('127.0.0.1');
  });

  it("believes X-Forwarded-Proto only from a listed proxy: the page's session cookie is Secure behind a TLS proxy", async () => {
    const admin = 'tls-test-admin-token-0123';
    const login = async (): Promise<string> => {
      const answer = await postPlain(`${service!.service.url}/ui/login`, { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-proto': 'https' }, `token=${admin}`);
      expect(answer.status).toBe(303);
      return String(answer.headers['set-cookie']);
    };
    service = await startTestService(VALOHAI, `server:\n  admin_token: ${admin}\n  trust_proxy: [127.0.0.1]\n${TRIGGERS}`);
    expect(await login()).toMatch(/; Secure/);
    await service.close();
    service = await startTestService(VALOHAI, `server:\n  admin_token: ${admin}\n  trust_proxy: [10.0.0.0/8]\n${TRIGGERS}`);
    expect(await login()).not.toMatch(/; Secure/);
  });

  it('refuses an entry that is no address or CIDR block, naming its line', () => {
    const project = tempProject(VALOHAI);
    try {
      expect(() => project.load(`server:\n  trust_proxy:\n    - 10.0.0.0/33\n${TRIGGERS}`)).toThrow(/hooklaunch\.yaml:3: server\.trust_proxy\[0\]: must be an IP address or a CIDR block/);
    } finally {
      project.remove();
    }
  });
});

describe('an http:// public_url with the Valohai launcher', () => {
  const config = (server: string): string =>
    `server:\n  public_url: http://hooks.example.com\n${server}launcher: {kind: valohai, token: t, project: 0190fe82-0000-7000-8000-000000000001}\n${TRIGGERS}`;

  it('is refused at start-up, naming the line and why, unless allow_insecure_public_url says otherwise', () => {
    const project = tempProject(VALOHAI);
    try {
      let error: unknown;
      try {
        project.load(config(''));
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toMatch(/hooklaunch\.yaml:2: server\.public_url: is http:\/\/: the signed payload URLs .* would travel unencrypted/);
      expect(project.load(config('  allow_insecure_public_url: true\n')).publicUrl).toBe('http://hooks.example.com');
      // https needs no override; nor does http with the local launcher (it hands no URLs out).
      expect(project.load(config('').replace('http://', 'https://')).publicUrl).toBe('https://hooks.example.com');
      expect(project.load(`server:\n  public_url: http://hooks.example.com\n${TRIGGERS}`).publicUrl).toBe('http://hooks.example.com');
    } finally {
      project.remove();
    }
  });
});

/** Polls a condition on another process's output (no clock to inject there), bounded. */
async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
