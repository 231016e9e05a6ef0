import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../../core/clock.js';
import { conditionSchema, type TimestampConfig } from '../../../core/config/schema.js';
import { compileTimestamp, parseTimestampMs } from '../../../core/conditions/timestamp.js';
import { rawRequest } from '../../helpers/raw-request.js';

const NOW = Date.parse('2026-11-26T12:00:00Z');
const clock = fixedClock(NOW);
const check = (fields: Record<string, unknown>) => compileTimestamp(conditionSchema.parse({ type: 'timestamp', key: 'X-Timestamp', tolerance: 60, ...fields }) as TimestampConfig);

describe('timestamp condition', () => {
  const cases: Array<[string, Record<string, unknown>, string | undefined, string | undefined]> = [
    ['unix seconds, now', {}, String(NOW / 1000), undefined],
    ['unix seconds with a fraction', {}, `${NOW / 1000}.25`, undefined],
    ['unix seconds, 59 s old', {}, String(NOW / 1000 - 59), undefined],
    ['unix seconds, 61 s old', {}, String(NOW / 1000 - 61), 'timestamp_too_old'],
    ['unix seconds, 61 s in the future', {}, String(NOW / 1000 + 61), 'timestamp_too_new'],
    ['a far-future timestamp', {}, '99999999999', 'timestamp_too_new'],
    ['unix milliseconds', { format: 'unix_ms' }, String(NOW - 500), undefined],
    ['unix milliseconds sent as seconds', { format: 'unix_ms' }, String(NOW / 1000), 'timestamp_too_old'],
    ['ISO 8601 with Z', { format: 'iso8601' }, '2026-11-26T11:59:30Z', undefined],
    ['ISO 8601 with an offset', { format: 'iso8601' }, '2026-11-26T13:59:30+02:00', undefined],
    ['ISO 8601 without an offset', { format: 'iso8601' }, '2026-11-26T11:59:30', 'timestamp_invalid'],
    ['a non-numeric value', {}, 'yesterday', 'timestamp_invalid'],
    ['a negative number', {}, '-5', 'timestamp_invalid'],
    ['an empty value', {}, '', 'timestamp_invalid'],
    ['a missing header', {}, undefined, 'missing_header'],
  ];
  it.each(cases)('%s', async (_name, fields, value, code) => {
    const req = rawRequest({ headers: value === undefined ? {} : { 'X-Timestamp': value } });
    const verdict = await check(fields)(req, clock);
    if (code === undefined) expect(verdict).toEqual({ ok: true, value: undefined });
    else expect(verdict).toMatchObject({ ok: false, rejection: { code, status: 400 } });
  });

  it('says how old the request is and what the limit is', async () => {
    const verdict = await check({})(rawRequest({ headers: { 'X-Timestamp': String(NOW / 1000 - 3600) } }), clock);
    expect(verdict).toMatchObject({ ok: false, rejection: { message: 'header X-Timestamp is 3600 s old; at most 60 s is accepted' } });
  });

  it('reads a timestamp from a query parameter or a JSON body field', async () => {
    const query = check({ lookup: 'query', key: 'ts' });
    expect(await query(rawRequest({ query: { ts: String(NOW / 1000) } }), clock)).toMatchObject({ ok: true });
    const json = check({ lookup: 'json', key: 'meta.sent_at', format: 'iso8601' });
    const body = JSON.stringify({ meta: { sent_at: '2026-11-26T12:00:10Z' } });
    expect(await json(rawRequest({ body, headers: { 'content-type': 'application/json' } }), clock)).toMatchObject({ ok: true });
  });

  it('parses formats strictly', () => {
    expect(parseTimestampMs('1531420618', 'unix_s')).toBe(1531420618000);
    expect(parseTimestampMs('1e9', 'unix_s')).toBeUndefined();
    expect(parseTimestampMs('0x10', 'unix_ms')).toBeUndefined();
  });
});
