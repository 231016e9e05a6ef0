import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../../core/clock.js';
import { conditionSchema, type PayloadFilterConfig } from '../../../core/config/schema.js';
import { compilePayloadFilter } from '../../../core/conditions/payload-filter.js';
import { rawRequest } from '../../helpers/raw-request.js';

const payload = {
  data: { kind: 'csv', source: 's3://bucket/drop.csv', rows: 1200, 'valohai.execution-step': 'train', tags: ['nightly', 'eu'], flag: true, empty: null },
  ref: 'refs/heads/main',
};
const json = rawRequest({ body: JSON.stringify(payload), headers: { 'content-type': 'application/json' } });
const filter = (lookup: string, operation: string, value?: unknown) =>
  compilePayloadFilter(conditionSchema.parse({ type: 'payload-filter', lookup, operation, ...(value !== undefined && { value }) }) as PayloadFilterConfig);

describe('payload filter', () => {
  const table: Array<[string, string, unknown, boolean]> = [
    ['data.kind', 'equals', 'csv', true],
    ['data.kind', 'equals', 'tsv', false],
    ['data.rows', 'equals', 1200, true],
    ['data.rows', 'equals', '1200', true],
    ['data.flag', 'equals', true, true],
    ['data.empty', 'equals', null, true],
    ['data.kind', 'not-equals', 'tsv', true],
    ['data.missing', 'not-equals', 'x', true],
    ['data.kind', 'not-equals', 'csv', false],
    ['data.source', 'contains', 'bucket', true],
    ['data.tags', 'contains', 'eu', true],
    ['data.tags', 'contains', 'us', false],
    ['data.tags', 'not-contains', 'us', true],
    ['data.source', 'not-contains', 'bucket', false],
    ['ref', 'starts-with', 'refs/heads/', true],
    ['ref', 'starts-with', 'refs/tags/', false],
    ['data.source', 'ends-with', '.csv', true],
    ['data.source', 'ends-with', '.json', false],
    ['ref', 'matches', '^refs/heads/(main|release/.+)$', true],
    ['ref', 'matches', '^refs/tags/', false],
    ['data.kind', 'in', ['csv', 'parquet'], true],
    ['data.kind', 'in', ['parquet'], false],
    ['data.kind', 'exists', undefined, true],
    ['data.nope', 'exists', undefined, false],
    ['data.nope', 'not-exists', undefined, true],
    ['data.kind', 'not-exists', undefined, false],
    ['data.rows', 'gt', 1000, true],
    ['data.rows', 'gt', 1200, false],
    ['data.rows', 'gte', 1200, true],
    ['data.rows', 'lt', 1200, false],
    ['data.rows', 'lte', 1200, true],
    ['data.kind', 'gt', 1, false],
    ['data.valohai\\.execution-step', 'equals', 'train', true],
    ['data.tags.1', 'equals', 'eu', true],
    ['data.tags.7', 'exists', undefined, false],
  ];
  it.each(table)('%s %s %j → %s', async (lookup, operation, value, passes) => {
    const verdict = await filter(lookup, operation, value)(json, fixedClock(0));
    expect(verdict.ok).toBe(passes);
    if (!verdict.ok) {
      expect(verdict.rejection.code).toBe('filtered_out');
      expect(verdict.rejection.message).toContain(lookup);
    }
  });

  it('filters form-encoded bodies, including a JSON payload= field', async () => {
    const form = rawRequest({
      body: `command=%2Fpredict&text=https%3A%2F%2Fx.test%2Fa.jpg&payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions' }))}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(await filter('command', 'equals', '/predict')(form, fixedClock(0))).toMatchObject({ ok: true });
    expect(await filter('text', 'starts-with', 'https://')(form, fixedClock(0))).toMatchObject({ ok: true });
    expect(await filter('payload.type', 'equals', 'block_actions')(form, fixedClock(0))).toMatchObject({ ok: true });
  });

  it('rejects a body that is not JSON with unparseable_body, naming the filter', async () => {
    const bad = rawRequest({ body: '{"data": ', headers: { 'content-type': 'application/json' } });
    const verdict = await filter('data.kind', 'equals', 'csv')(bad, fixedClock(0));
    expect(verdict).toMatchObject({ ok: false, rejection: { code: 'unparseable_body' } });
    if (!verdict.ok) expect(verdict.rejection.message).toMatch(/not valid JSON.*payload filter on data\.kind/);
  });

  it('rejects a binary body as neither JSON nor form', async () => {
    const binary = rawRequest({ body: Buffer.from([0, 1, 2, 255]), headers: { 'content-type': 'application/octet-stream' } });
    expect(await filter('a', 'exists')(binary, fixedClock(0))).toMatchObject({ ok: false, rejection: { code: 'unparseable_body' } });
  });
});
