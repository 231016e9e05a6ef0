import { describe, expect, it } from 'vitest';
import { floorLines, rowProblem, targetLines, type Row } from './bench-targets.js';

const row = (key: string, rps: number, fields: Partial<Row> = {}): Row => ({ key, name: key, rps, p50: 1, p99: 5, expected: '2xx', statuses: { '202': 100 }, errors: 0, ...fields });

describe('bench targets', () => {
  it.each([
    ['all 2xx', row('a', 1), undefined],
    ['a 503 among 2xx', row('a', 1, { statuses: { '202': 99, '503': 1 } }), 'expected 100 % 2xx of 100 answers, got 1 × 503'],
    ['socket errors', row('a', 1, { errors: 3 }), 'expected 100 % 2xx of 100 answers, got 3 errors/timeouts'],
    ['a 2xx on a reject row', row('a', 1, { expected: 400, statuses: { '400': 90, '202': 10 } }), 'expected 100 % 400 of 100 answers, got 10 × 202'],
    ['a 404 where 400 was meant', row('a', 1, { expected: 400, statuses: { '404': 100 } }), 'expected 100 % 400 of 100 answers, got 100 × 404'],
    ['nothing answered', row('a', 0, { statuses: {} }), 'expected 100 % 2xx of 0 answers, got no answers at all'],
  ])('a row with %s is judged by what it got back', (_, given, problem) => {
    expect(rowProblem(given)).toBe(problem);
  });

  it('takes ratios to the faster of the two bare measurements, so a starved reference meets nothing', () => {
    const lines = targetLines([row('bare', 500), row('generic', 400), row('bare-end', 1000)], {});
    expect(lines).toContain('  met     durable accept, generic HMAC trigger ≥ 0.40× bare: 0.40×');
    expect(targetLines([row('bare', 1000), row('generic', 399), row('bare-end', 500)], {})).toContain('  MISSED  durable accept, generic HMAC trigger ≥ 0.40× bare: 0.40×');
  });

  it('states each target met or missed against the same run, and counts them', () => {
    const lines = targetLines(
      [
        row('bare', 1000),
        row('octokit', 300),
        row('bolt', 100),
        row('generic', 400, { p99: 9 }),
        row('github', 420, { p99: 11 }),
        row('slack', 199),
        row('reject-signature', 600, { expected: 400, statuses: { '400': 10, '500': 1 } }),
      ],
      { flood: { growthBytes: 9 * 2 ** 20, requests: 10_000, seconds: 20 } },
    );
    expect(lines).toContain('  met     durable accept, generic HMAC trigger ≥ 0.40× bare: 0.40×');
    expect(lines).toContain('  met     durable accept, generic HMAC trigger p99 ≤ 10 ms: 9 ms');
    expect(lines).toContain('  met     GitHub connector ≥ 1.40× octokit: 1.40×');
    expect(lines).toContain('  MISSED  GitHub connector p99 ≤ 10 ms: 11 ms');
    expect(lines).toContain('  MISSED  Slack connector ≥ 2.00× bolt: 1.99×');
    // Fast but not all rejections: a benchmark of errors meets nothing.
    expect(lines).toContain('  MISSED  reject, bad signature ≥ 0.50× bare: 0.60× — row invalid: expected 100 % 400 of 11 answers, got 1 × 500');
    expect(lines).toContain('  MISSED  10,000 forged 1 MB requests grow the SQLite files by ≤ 8 MB: 9.0 MB');
    expect(lines.at(-1)).toBe('targets: 5 met, 4 missed');
  });

  it.each([
    ['below both targets', 160, 'floor: the least a durable generic accept can cost here is 0.16× bare (160 req/s, p99 5 ms); the 0.40× generic and 0.35× GitHub targets are above it; hooklaunch generic reaches 0.75 of it'],
    ['between the two targets', 370, 'floor: the least a durable generic accept can cost here is 0.37× bare (370 req/s, p99 5 ms); the 0.40× generic target is above it, the 0.35× GitHub target is within it; hooklaunch generic reaches 0.32 of it'],
    ['at the generic target', 400, 'floor: the least a durable generic accept can cost here is 0.40× bare (400 req/s, p99 5 ms); the 0.40× generic and 0.35× GitHub targets are within it; hooklaunch generic reaches 0.30 of it'],
  ])('states the floor ratio to bare and which durable accept targets lie above it: %s', (_, floorRps, line) => {
    expect(floorLines([row('bare', 500), row('floor', floorRps), row('generic', 120), row('bare-end', 1000)])).toEqual([line]);
  });

  it('bounds the Slack target by its floor over Bolt and the PostgreSQL target by its floor over bare, saying when a floor misses its p99 target', () => {
    const rows = [row('bare', 1000), row('bolt', 100), row('floor-slack', 150, { p99: 12 }), row('slack', 90), row('floor-pg', 250, { p99: 20 }), row('pg-generic', 50)];
    expect(floorLines(rows)).toEqual([
      'floor-slack: the least a durable Slack accept can cost here is 1.50× bolt (150 req/s, p99 12 ms); the 2.00× Slack target is above it; its own p99 misses the 10 ms target; hooklaunch slack reaches 0.60 of it',
      'floor-pg: the least a durable generic accept on PostgreSQL can cost here is 0.25× bare (250 req/s, p99 20 ms); the 0.20× PostgreSQL target is within it; hooklaunch pg-generic reaches 0.20 of it',
    ]);
  });

  it('draws no bound from a floor row that did not measure what it says, nor without a floor or its reference row', () => {
    expect(floorLines([row('bare', 1000), row('floor', 160, { statuses: { '200': 9, '401': 1 } })])).toEqual(['floor: row invalid, no bound drawn from it: expected 100 % 2xx of 10 answers, got 1 × 401']);
    expect(floorLines([row('bare', 1000), row('floor', 160)])).toEqual(['floor: the least a durable generic accept can cost here is 0.16× bare (160 req/s, p99 5 ms); the 0.40× generic and 0.35× GitHub targets are above it']);
    expect(floorLines([row('bare', 1000), row('generic', 120)])).toEqual([]);
    expect(floorLines([row('floor', 160)])).toEqual([]);
    expect(floorLines([row('bare', 1000), row('floor-slack', 160)])).toEqual([]);
  });
});
