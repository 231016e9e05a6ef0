import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { SeriesHistogram } from '../../../core/metrics/series-histogram.js';
import { createMetrics } from '../../../core/metrics/metrics.js';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const OBSERVED: Array<[{ trigger: string; outcome: string }, number]> = [
  [{ trigger: 'a', outcome: 'accepted' }, 0.0004],
  [{ trigger: 'a', outcome: 'accepted' }, 0.001],
  [{ trigger: 'a', outcome: 'rejected' }, 0.05],
  [{ trigger: 'b"\\\n', outcome: 'accepted' }, 3],
  [{ trigger: 'a', outcome: 'accepted' }, 0.5],
];

describe('SeriesHistogram', () => {
  it("exposes exactly what prom-client's own Histogram exposes for the same observations", async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const histogram = new SeriesHistogram('h_seconds', 'help text', ['trigger', 'outcome'], BUCKETS, ours);
    const oracle = new Histogram({ name: 'h_seconds', help: 'help text', labelNames: ['trigger', 'outcome'], buckets: BUCKETS, registers: [theirs] });
    for (const [labels, value] of OBSERVED) {
      histogram.observe(labels, value);
      oracle.observe(labels, value);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    histogram.reset();
    oracle.reset();
    expect(await ours.metrics()).toBe(await theirs.metrics());
    // After a reset, the series observed last before it is a new one (it is not kept past the reset).
    for (const [labels, value] of [OBSERVED.at(-1)!, OBSERVED.at(-1)!]) {
      histogram.observe(labels, value);
      oracle.observe(labels, value);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('refuses a value that is not a finite number, as prom-client does', () => {
    const histogram = new SeriesHistogram('h2_seconds', 'help', ['trigger'], BUCKETS, new Registry());
    expect(() => histogram.observe({ trigger: 'a' }, Number.NaN)).toThrow(TypeError);
  });

  it('request counts kept per label set reach /metrics like direct increments', async () => {
    const metrics = createMetrics({ queueStats: async () => ({ depth: 0, oldestAcceptedAtMs: undefined }) } as never, { now: () => 0 });
    const oracle = new Registry();
    const counter = new Counter({ name: 'hooklaunch_requests_total', help: 'Requests by trigger, outcome and reason code', labelNames: ['trigger', 'outcome', 'code'], registers: [oracle] });
    const seen = [
      { trigger: 't1', outcome: 'accepted', code: '' },
      { trigger: 't1', outcome: 'rejected', code: 'signature_mismatch' },
      { trigger: 't1', outcome: 'accepted', code: '' },
    ];
    for (const labels of seen) {
      metrics.requests.inc(labels);
      counter.inc(labels);
    }
    const lines = async (registry: Registry) => (await registry.getSingleMetricAsString('hooklaunch_requests_total'));
    expect(await lines(metrics.registry)).toBe(await lines(oracle));
    metrics.requests.inc(seen[1]!);
    counter.inc(seen[1]!);
    expect(await lines(metrics.registry)).toBe(await lines(oracle));
    // The label set counted last before a read, counted again after it (in a run, as a flood is), is not lost.
    for (const labels of [seen[1]!, seen[1]!, { ...seen[1]! }, seen[0]!]) {
      metrics.requests.inc(labels);
      counter.inc(labels);
    }
    expect(await lines(metrics.registry)).toBe(await lines(oracle));
  });
});
