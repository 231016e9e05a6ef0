import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../../core/clock.js';
import { conditionSchema, type StaticTokenConfig } from '../../../core/config/schema.js';
import { compileStaticToken } from '../../../core/conditions/static-token.js';
import { rawRequest, type RequestParts } from '../../helpers/raw-request.js';

const check = (fields: Record<string, unknown>) =>
  compileStaticToken(conditionSchema.parse({ type: 'web-request-auth', auth_type: 'static_token', ...fields }) as StaticTokenConfig);
const clock = fixedClock(0);

describe('static token condition', () => {
  const cases: Array<[string, Record<string, unknown>, RequestParts, string | undefined]> = [
    ['a bearer token in Authorization', { key: 'Authorization', prefix: 'Bearer ', secret: 'tok' }, { headers: { authorization: 'Bearer tok' } }, undefined],
    ["Valohai's secret= prefix", { key: 'Authorization', prefix: 'secret=', secret: 'hYy67' }, { headers: { Authorization: 'secret=hYy67' } }, undefined],
    ['a wrong token', { key: 'Authorization', prefix: 'Bearer ', secret: 'tok' }, { headers: { Authorization: 'Bearer tok2' } }, 'token_mismatch'],
    ['a token without the prefix', { key: 'Authorization', prefix: 'Bearer ', secret: 'tok' }, { headers: { Authorization: 'tok' } }, 'token_mismatch'],
    ['a missing header', { key: 'X-Gitlab-Token', secret: 'tok' }, {}, 'missing_header'],
    ['the previous secret during rotation', { key: 'X-Token', secret: ['new', 'old'] }, { headers: { 'X-Token': 'old' } }, undefined],
    ['a query parameter', { lookup: 'query', key: 'token', secret: 'tok' }, { query: { token: 'tok' } }, undefined],
    ['a form field', { lookup: 'form', key: 'token', secret: 'tok' }, { body: 'a=1&token=tok', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, undefined],
    ['a JSON path', { lookup: 'json', key: 'auth.token', secret: 'tok' }, { body: '{"auth":{"token":"tok"}}', headers: { 'content-type': 'application/json' } }, undefined],
    ['a JSON body that is not JSON', { lookup: 'json', key: 'auth.token', secret: 'tok' }, { body: '{"auth":', headers: { 'content-type': 'application/json' } }, 'unparseable_body'],
    ['an empty token', { key: 'X-Token', secret: 'tok' }, { headers: { 'X-Token': '' } }, 'token_mismatch'],
  ];
  it.each(cases)('%s', async (_name, fields, parts, code) => {
    const verdict = await check(fields)(rawRequest(parts), clock);
    if (code === undefined) expect(verdict).toEqual({ ok: true, value: undefined });
    else expect(verdict).toMatchObject({ ok: false, rejection: { code, status: 400 } });
    expect(JSON.stringify(verdict)).not.toMatch(/"(tok|old|new|hYy67)"/);
  });
});
