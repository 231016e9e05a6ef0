/**
 * A histogram for the per-request metrics, exposed in prom-client's own histogram format through
 * its registry. Hand-written because prom-client's `observe(labels, value)` builds, validates and
 * hashes a label key and allocates a closure on every call — a visible share of what answering a
 * rejection costs (issue #14) — where a series found by one map lookup and a bucket increment do.
 */
import type { Registry } from 'prom-client';

interface Series {
  readonly labels: Readonly<Record<string, string>>;
  /** Observations per bucket (not cumulative); the last slot is past the largest bound. */
  readonly counts: number[];
  sum: number;
  count: number;
}

export class SeriesHistogram<Label extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #series = new Map<string, Series>();
  /** The series last observed: a run of one trigger's requests (a flood) finds it without a key. */
  #last: Series | undefined;

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly Label[],
    private readonly buckets: readonly number[],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  observe(labels: Readonly<Record<Label, string>>, value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`${this.name}: not a finite number: ${value}`);
    let series = this.#last;
    for (let i = 0; series !== undefined && i < this.labelNames.length; i++) if (series.labels[this.labelNames[i]!] !== labels[this.labelNames[i]!]) series = undefined;
    if (!series) {
      const key = this.labelNames.length === 1 ? labels[this.labelNames[0]!] : this.labelNames.map((name) => labels[name]).join('\0');
      series = this.#series.get(key);
      if (!series) {
        const own: Record<string, string> = {};
        for (const name of this.labelNames) own[name] = labels[name];
        series = { labels: own, counts: new Array<number>(this.buckets.length + 1).fill(0), sum: 0, count: 0 };
        this.#series.set(key, series);
      }
      this.#last = series;
    }
    let bucket = 0;
    while (bucket < this.buckets.length && value > this.buckets[bucket]!) bucket++;
    series.counts[bucket]!++;
    series.sum += value;
    series.count++;
  }

  /** What prom-client's registry reads: cumulative `_bucket` lines with `le`, then `_sum` and `_count`, per series. */
  async get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: Array<{ labels: Record<string, string | number>; sharedLabels: Record<string, string>; value: number; metricName: string }> }> {
    const values: Array<{ labels: Record<string, string | number>; sharedLabels: Record<string, string>; value: number; metricName: string }> = [];
    for (const series of this.#series.values()) {
      let cumulative = 0;
      this.buckets.forEach((bound, i) => {
        cumulative += series.counts[i]!;
        values.push({ labels: { le: bound }, sharedLabels: series.labels, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: '+Inf' }, sharedLabels: series.labels, value: series.count, metricName: `${this.name}_bucket` });
      values.push({ labels: {}, sharedLabels: series.labels, value: series.sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels: series.labels, value: series.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.#series.clear();
    this.#last = undefined;
  }
}
