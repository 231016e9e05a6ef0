/**
 * How fast a trigger answered its senders over the last 24 hours, against the provider's deadline
 * (the connector's `ackDeadlineMs`): p50 and p99 of each hour's answer latency, drawn as
 * server-rendered SVG in the request chart's style. Hand-written for the same reason as that chart:
 * two polylines and a line need no charting package, and the page fetches nothing from elsewhere.
 */
import type { LogEntry } from '../store/store.js';
import { html, type Html } from './html.js';

const HOUR_MS = 3_600_000;
const HOURS = 24;

/** p50 and p99 of one hour's answer latencies in ms; undefined for an hour with no answered request. */
export type HourLatency = { readonly p50: number; readonly p99: number; readonly count: number } | undefined;

/** Oldest hour first; the last bin is the hour ending at `nowMs`. Rows logged without an answer are skipped. */
export function hourlyLatency(entries: readonly Pick<LogEntry, 'receivedAtMs' | 'answeredMs'>[], nowMs: number): HourLatency[] {
  const bins = Array.from({ length: HOURS }, (): number[] => []);
  for (const entry of entries) {
    const age = nowMs - entry.receivedAtMs;
    if (entry.answeredMs === undefined || age < 0 || age >= HOURS * HOUR_MS) continue;
    bins[HOURS - 1 - Math.floor(age / HOUR_MS)]!.push(entry.answeredMs);
  }
  return bins.map((ms) => {
    if (ms.length === 0) return undefined;
    ms.sort((a, b) => a - b);
    // Nearest-rank percentiles: a value that was actually observed.
    const rank = (p: number): number => ms[Math.min(ms.length - 1, Math.ceil(p * ms.length) - 1)]!;
    return { p50: rank(0.5), p99: rank(0.99), count: ms.length };
  });
}

/** `deadlineMs`: the provider's deadline, drawn as a horizontal line; undefined for a generic trigger. */
export function answerLatencyChart(bins: readonly HourLatency[], deadlineMs: number | undefined): Html {
  const width = 720;
  const height = 160;
  const left = 48;
  const bottom = 20;
  const top = 8;
  const max = Math.max(1, deadlineMs ?? 0, ...bins.map((b) => b?.p99 ?? 0)) * 1.1;
  const base = height - bottom;
  const plot = base - top;
  const step = (width - left) / bins.length;
  const x = (i: number): string => (left + (i + 0.5) * step).toFixed(1);
  const y = (ms: number): string => (base - (ms / max) * plot).toFixed(1);
  const series = (pick: 'p50' | 'p99', colour: string, dash: string) => {
    const points = bins.flatMap((b, i) => (b ? [`${x(i)},${y(b[pick])}`] : []));
    if (points.length === 0) return '';
    return html`<polyline points="${points.join(' ')}" fill="none" stroke="${colour}" stroke-width="2" stroke-dasharray="${dash}" data-series="${pick}" />
      ${bins.map((b, i) => (b ? html`<circle cx="${x(i)}" cy="${y(b[pick])}" r="3" fill="${colour}" data-series="${pick}"><title>${pick} ${b[pick]} ms of ${b.count}, ${HOURS - i} h ago</title></circle>` : ''))}`;
  };
  const answered = bins.reduce((n, b) => n + (b?.count ?? 0), 0);
  return html`<figure class="chart">
    <svg viewBox="0 0 ${width} ${height}" role="img" aria-label="Answer latency per hour over the last 24 hours (p50 and p99) of ${answered} answered requests${deadlineMs === undefined ? '' : `, against the provider's deadline of ${deadlineMs} ms`}">
      <line x1="${left}" y1="${base}" x2="${width}" y2="${base}" stroke="var(--line)" />
      <text x="${left - 4}" y="14" text-anchor="end" font-size="11" fill="var(--muted)">${Math.round(max)} ms</text>
      <text x="${left - 4}" y="${base}" text-anchor="end" font-size="11" fill="var(--muted)">0</text>
      <text x="${left}" y="${height - 4}" font-size="11" fill="var(--muted)">24 h ago</text>
      <text x="${width}" y="${height - 4}" text-anchor="end" font-size="11" fill="var(--muted)">now</text>
      ${deadlineMs === undefined
        ? ''
        : html`<line x1="${left}" y1="${y(deadlineMs)}" x2="${width}" y2="${y(deadlineMs)}" stroke="var(--bad)" stroke-dasharray="6 4" data-deadline-ms="${deadlineMs}"><title>provider's deadline: ${deadlineMs} ms</title></line>`}
      ${series('p99', 'var(--warn)', '4 3')}
      ${series('p50', 'var(--ok)', '')}
    </svg>
    <figcaption><span class="key" style="color: var(--ok)">— p50</span> <span class="key" style="color: var(--warn)">- - p99</span> ${
      deadlineMs === undefined
        ? html`<span class="muted">No deadline line: a generic trigger's sender sets its own timeout.</span>`
        : html`<span class="key" style="color: var(--bad)">- - provider's deadline ${deadlineMs} ms</span>`
    }</figcaption>
  </figure>`;
}
