import { describe, expect, it } from 'vitest';
import { jsonNestsDeeperThan, MAX_JSON_DEPTH, valueNestsDeeperThan } from '../../../core/request/json-depth.js';
import { parseBody } from '../../../core/request/raw-request.js';
import { renderTemplate } from '../../../core/request/payload-template.js';
import { accept } from '../../../core/reject.js';
import { rawRequest } from '../../helpers/raw-request.js';

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const deepValue = (depth: number): unknown => {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = { next: value };
  return value;
};

describe('JSON depth bounds', () => {
  it.each([
    ['flat object', '{"a":1,"b":[1,2]}', 2, false],
    ['exactly at the bound', nested(3), 3, false],
    ['one past the bound', nested(4), 3, true],
    ['brackets inside strings do not count', '{"a":"[[[[[[[[{{{{"}', 1, false],
    ['an escaped quote does not end the string', '{"a":"\\"[[[["}', 1, false],
    ['an escaped backslash before the closing quote', '{"a":"\\\\"}', 1, false],
    ['after a string, brackets count again', '{"a":"x","b":[[1]]}', 2, true],
    ['multibyte text around brackets', '{"ä€":["😀",["ö"]]}', 3, false],
    ['more brackets than the bound, none deeper', `[${'[],{},'.repeat(200)}[]]`, 3, false],
    ['more brackets than the bound, the last one deeper', `[${'[],'.repeat(200)}[[[]]]]`, 3, true],
  ])('%s', (_name, text, max, expected) => {
    expect(jsonNestsDeeperThan(Buffer.from(text), max)).toBe(expected);
    expect(jsonNestsDeeperThan(text, max)).toBe(expected);
  });

  it('a parsed value: iterative, stops past the bound', () => {
    expect(valueNestsDeeperThan(deepValue(MAX_JSON_DEPTH))).toBe(false);
    expect(valueNestsDeeperThan(deepValue(MAX_JSON_DEPTH + 1))).toBe(true);
    expect(valueNestsDeeperThan(deepValue(100_000))).toBe(true);
    expect(valueNestsDeeperThan('text')).toBe(false);
  });

  it('parseBody refuses JSON 10,000 deep with unparseable_body, and accepts 128 deep', () => {
    const deep = parseBody(rawRequest({ body: `{"a":${nested(10_000)}}`, headers: { 'content-type': ['application/json'] } }));
    expect(deep).toEqual({ ok: false, rejection: expect.objectContaining({ code: 'unparseable_body', message: expect.stringContaining('deeper than 128 levels') }) });
    expect(parseBody(rawRequest({ body: `{"a":${nested(MAX_JSON_DEPTH - 1)}}`, headers: { 'content-type': ['application/json'] } })).ok).toBe(true);
  });

  it('a template reading a value nested past the bound (from any decoder) is payload_invalid, not a throw', () => {
    const context = { payload: () => accept({ a: deepValue(10_000) }), runId: 'r' };
    for (const template of ['{payload.a}', 'title {payload.a}', '{payload}']) {
      const rendered = renderTemplate(template, context, 'actions[0].title');
      expect(rendered).toEqual({ ok: false, rejection: expect.objectContaining({ code: 'payload_invalid', message: expect.stringContaining('actions[0].title') }) });
    }
  });
});
