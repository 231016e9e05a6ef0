import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bodySha256, decodedOnce, parseBody } from '../../../core/request/raw-request.js';
import { rawRequest } from '../../helpers/raw-request.js';

// What is derived from a request (parsed body, body hash, a connector's decoding) is kept on the
// request itself since issue #14, no longer in WeakMaps keyed by it: these hold it to what the
// WeakMaps gave — once per request, per request object, invisible to whoever reads the request.
describe('what is derived from a request, once', () => {
  const json = () => rawRequest({ headers: { 'content-type': 'application/json' }, body: '{"ref":"refs/heads/main"}' });

  it('parses the body and hashes it once per request', () => {
    const req = json();
    const parsed = parseBody(req);
    expect(parseBody(req)).toBe(parsed);
    expect(parsed).toEqual({ ok: true, value: { kind: 'json', value: { ref: 'refs/heads/main' } } });
    expect(bodySha256(req)).toBe(createHash('sha256').update('{"ref":"refs/heads/main"}').digest('hex'));
  });

  it('derives again for a copy of the request with another body or content type', () => {
    const req = json();
    parseBody(req);
    bodySha256(req);
    const other = { ...req, body: Buffer.from('{"ref":"refs/heads/dev"}') };
    expect(parseBody(other)).toEqual({ ok: true, value: { kind: 'json', value: { ref: 'refs/heads/dev' } } });
    expect(bodySha256(other)).toBe(createHash('sha256').update('{"ref":"refs/heads/dev"}').digest('hex'));
    const form = { ...req, headers: { 'content-type': ['application/x-www-form-urlencoded'] }, body: Buffer.from('a=1') };
    expect(parseBody(form)).toEqual({ ok: true, value: { kind: 'form', value: { a: '1' } } });
    // …and the original keeps its own.
    expect(parseBody(req)).toEqual({ ok: true, value: { kind: 'json', value: { ref: 'refs/heads/main' } } });
  });

  it('leaves no trace a reader of the request can see', () => {
    const req = json();
    const before = { keys: Object.keys(req), json: JSON.stringify(req) };
    parseBody(req);
    bodySha256(req);
    expect(Object.keys(req)).toEqual(before.keys);
    expect(JSON.stringify(req)).toBe(before.json);
    expect(req).toStrictEqual(json());
  });

  it('works on a frozen request', () => {
    const req = Object.freeze(json());
    expect(parseBody(req)).toBe(parseBody(req));
    expect(bodySha256(req)).toBe(createHash('sha256').update('{"ref":"refs/heads/main"}').digest('hex'));
  });

  it("decodes once per decoder: another connector's decoding is its own", () => {
    const req = json();
    const calls: string[] = [];
    const first = {};
    const second = {};
    const decode = (name: string) => () => {
      calls.push(name);
      return name;
    };
    expect(decodedOnce(req, first, decode('first'))).toBe('first');
    expect(decodedOnce(req, first, decode('first'))).toBe('first');
    expect(decodedOnce(req, second, decode('second'))).toBe('second');
    expect(calls).toEqual(['first', 'second']);
  });
});
