/**
 * A logged request replays exactly as it was sent (issue #14 moved an accepted request's raw capture
 * into its log row, as a difference from the logged headers): repeated headers, header names that
 * differ only in case, a value that is literally `[redacted]`, credentials, empty and latin1 values,
 * names that are Object.prototype members, many headers and a query secret — while no credential
 * ever shows in the log, the request API or the page.
 */
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/service.js';
import { hooklaunch } from '../cli/cli.js';

const TRIGGER = '0190fe82-0000-7000-8000-0000000000f1';
const ADMIN = 'replay-fidelity-admin-token-01';
const TOKEN = 'tok-secret-4f1c';

/** Sends the request line and header lines exactly as given (bytes as latin1), and the body. */
function sendExact(port: number, target: string, headerLines: readonly string[], body: string): Promise<{ status: number; requestId: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      const head = [`POST ${target} HTTP/1.1`, 'Host: 127.0.0.1', ...headerLines, `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close', '', ''].join('\r\n');
      socket.write(Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(body)]));
    });
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('end', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
      resolve({ status, requestId: /\r\nx-request-id: ([^\r]+)/i.exec(text)?.[1] ?? '' });
    });
    socket.on('error', reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error('timed out')));
  });
}

describe('replay fidelity', () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService(
      '- step: {name: noop, image: x, command: "echo launched"}\n',
      `server:\n  admin_token: ${ADMIN}\ntriggers:\n  - id: ${TRIGGER}\n    conditions: [{type: web-request-auth, auth_type: static_token, key: X-Token, secret: ${TOKEN}}]\n    actions: [{type: run-execution, step: noop}]\n`,
    );
  });
  afterAll(async () => t?.close());

  it('gives back and replays the exact headers and target, and shows no credential anywhere', async () => {
    const many = Array.from({ length: 60 }, (_, i) => `X-Many-${i}: v${i}`);
    const lines = [
      `X-Token: ${TOKEN}`,
      'X-Forwarded-For: 10.0.0.1',
      'X-Forwarded-For: 10.0.0.2',
      'Cookie: session=cookie-secret-1',
      'Cookie: other=cookie-secret-2',
      'X-Case: upper',
      'x-case: lower',
      'X-Literal: [redacted]',
      'X-Hub-Signature-256: sha256=sig-secret-77',
      'X-Empty: ',
      'X-Latin: caf\u00e9 \u00ff',
      '__proto__: proto-value',
      'constructor: ctor-value',
      'hasOwnProperty: own-value',
      'Content-Type: application/json',
      ...many,
    ];
    const target = `/api/v0/launch/${TRIGGER}/?access_token=q-secret-9&x=1&x=2`;
    const port = Number(new URL(t.service.url).port);
    const sent = await sendExact(port, target, lines, '{"n":1}');
    expect(sent.status).toBe(200);

    const expected: Record<string, string[]> = {
      host: ['127.0.0.1'],
      'x-token': [TOKEN],
      'x-forwarded-for': ['10.0.0.1', '10.0.0.2'],
      cookie: ['session=cookie-secret-1', 'other=cookie-secret-2'],
      'x-case': ['upper', 'lower'],
      'x-literal': ['[redacted]'],
      'x-hub-signature-256': ['sha256=sig-secret-77'],
      'x-empty': [''],
      'x-latin': ['caf\u00e9 \u00ff'],
      constructor: ['ctor-value'],
      hasownproperty: ['own-value'],
      'content-type': ['application/json'],
      ...Object.fromEntries(many.map((_, i) => [`x-many-${i}`, [`v${i}`]])),
      'content-length': ['7'],
      connection: ['close'],
    };
    Object.defineProperty(expected, '__proto__', { value: ['proto-value'], enumerable: true });
    const original = (await t.service.store.getRequest(sent.requestId))!;
    expect(original.raw.target).toBe(target);
    expect(original.raw.headers).toEqual(expected);
    expect(Object.getOwnPropertyDescriptor(original.raw.headers, '__proto__')?.value).toEqual(['proto-value']);
    expect(original.raw.body?.toString()).toBe('{"n":1}');

    const auth = { authorization: `Bearer ${ADMIN}` };
    const replayed = await fetch(`${t.service.url}/api/v0/requests/${sent.requestId}/replay/`, { method: 'POST', headers: auth });
    expect(replayed.status).toBe(200);
    const replay = (await replayed.json()) as { request_id: string; outcome: string };
    expect(replay.outcome).toBe('accepted');
    const again = (await t.service.store.getRequest(replay.request_id))!;
    expect(again.raw.headers).toEqual(original.raw.headers);
    expect(Object.getOwnPropertyDescriptor(again.raw.headers, '__proto__')?.value).toEqual(['proto-value']);
    expect(again.raw.target).toBe(original.raw.target);

    // Every surface that shows a request: the log API, the request API (both requests), the page.
    const shown = [
      await (await fetch(`${t.service.url}/api/v0/logs/?trigger=${TRIGGER}`, { headers: auth })).text(),
      await (await fetch(`${t.service.url}/api/v0/requests/${sent.requestId}/`, { headers: auth })).text(),
      await (await fetch(`${t.service.url}/api/v0/requests/${replay.request_id}/`, { headers: auth })).text(),
      await (await fetch(`${t.service.url}/ui/requests/${sent.requestId}`, { headers: auth })).text(),
      await (await fetch(`${t.service.url}/ui/triggers/${TRIGGER}`, { headers: auth })).text(),
    ];
    expect(shown[3]).toContain('x-forwarded-for');
    // And `hooklaunch logs --json`, the CLI's reading of the same log.
    const cli = await hooklaunch(['logs', '-c', join(t.project.dir, 'hooklaunch.yaml'), '--json', '-n', '100']);
    expect(cli.stdout).toContain(replay.request_id);
    shown.push(cli.stdout);
    expect(shown[0]).toContain(sent.requestId);
    for (const text of shown) {
      for (const secret of [TOKEN, 'cookie-secret', 'sig-secret', 'q-secret']) expect(text).not.toContain(secret);
      expect(text).not.toMatch(/raw_headers|raw_target/);
    }
  });
});
