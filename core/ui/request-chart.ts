/**
 * A trigger's requests over the last 24 hours by outcome, drawn as server-rendered SVG: stacked
 * bars, one per hour. Hand-written rather than a charting package: a bar chart is a few rects,
 * and the page then stays free of bundles and of anything fetched from elsewhere. Colours come
 * from the page's own variables, so the dark scheme applies.
 */
import type { LogEntry, LogOutcome } from '../store/store.js';
import { html, type Html } from './html.js';

const HOUR_MS = 3_600_000;
const HOURS = 24;
// Stacked bottom to top in this order; the colour of each as the page's badges have it.
const STACK: readonly { outcome: LogOutcome; colour: string }[] = [
  { outcome: 'accepted', colour: 'var(--ok)' },
  { outcome: 'batched', colour: 'var(--ok)' },
  { outcome: 'rejected', colour: 'var(--bad)' },
  { outcome: 'ignored', colour: 'var(--warn)' },
  { outcome: 'duplicate', colour: 'var(--muted)' },
  { outcome: 'handshake', colour: 'var(--line)' },
];

export type HourCounts = Record<LogOutcome, number>;

/** Requests per hour and outcome, oldest hour first; the last bin is the hour ending at `nowMs`. */
export function hourlyCounts(entries: readonly Pick<LogEntry, 'receivedAtMs' | 'outcome' | 'repeats'>[], nowMs: number): HourCounts[] {
  const bins = Array.from({ length: HOURS }, (): HourCounts => ({ accepted: 0, batched: 0, rejected: 0, ignored: 0, duplicate: 0, handshake: 0 }));
  for (const entry of entries) {
    const age = nowMs - entry.receivedAtMs;
    if (age < 0 || age >= HOURS * HOUR_MS) continue;
    // An aggregated line stands for itself and its repeats (identical rejections folded into it).
    bins[HOURS - 1 - Math.floor(age / HOUR_MS)]![entry.outcome] += 1 + entry.repeats;
  }
  return bins;
}

export function requestsChart(bins: readonly HourCounts[]): Html {
  const width = 720;
  const height = 160;
  const left = 36;
  const bottom = 20;
  const totals = bins.map((b) => STACK.reduce((sum, s) => sum + b[s.outcome], 0));
  const max = Math.max(1, ...totals);
  const plot = height - bottom - 8;
  const bar = (width - left) / bins.length;
  const scale = (n: number): number => (n / max) * plot;
  const total = totals.reduce((a, b) => a + b, 0);
  return html`<figure class="chart">
    <svg viewBox="0 0 ${width} ${height}" role="img" aria-label="Requests per hour over the last 24 hours, stacked by result: ${total} in all">
      <line x1="${left}" y1="${height - bottom}" x2="${width}" y2="${height - bottom}" stroke="var(--line)" />
      <text x="${left - 4}" y="14" text-anchor="end" font-size="11" fill="var(--muted)">${max}</text>
      <text x="${left - 4}" y="${height - bottom}" text-anchor="end" font-size="11" fill="var(--muted)">0</text>
      <text x="${left}" y="${height - 4}" font-size="11" fill="var(--muted)">24 h ago</text>
      <text x="${width}" y="${height - 4}" text-anchor="end" font-size="11" fill="var(--muted)">now</text>
      ${bins.map((b, i) => {
        let y = height - bottom;
        return STACK.filter((s) => b[s.outcome] > 0).map((s) => {
          const h = scale(b[s.outcome]);
          y -= h;
          return html`<rect x="${(left + i * bar + 1).toFixed(1)}" y="${y.toFixed(1)}" width="${(bar - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${s.colour}" data-outcome="${s.outcome}"><title>${b[s.outcome]} ${s.outcome}, ${HOURS - i} h ago</title></rect>`;
        });
      })}
    </svg>
    <figcaption>${STACK.map((s) => html`<span class="key"><svg width="10" height="10" aria-hidden="true"><rect width="10" height="10" fill="${s.colour}" /></svg> ${s.outcome}</span> `)}</figcaption>
  </figure>`;
}
