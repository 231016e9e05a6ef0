/** The 24-hour requests chart: hourly bins by outcome, repeats counted, older lines left out. */
import { describe, expect, it } from 'vitest';
import { hourlyCounts, requestsChart } from '../../../core/ui/request-chart.js';

const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);
const H = 3_600_000;

describe('hourlyCounts', () => {
  it('bins by hour before now, counts aggregated repeats, and drops lines older than 24 h or from the future', () => {
    const bins = hourlyCounts(
      [
        { receivedAtMs: NOW - 1000, outcome: 'accepted', repeats: 0 },
        { receivedAtMs: NOW - 30 * 60_000, outcome: 'rejected', repeats: 4 },
        { receivedAtMs: NOW - 23 * H - 1, outcome: 'ignored', repeats: 0 },
        { receivedAtMs: NOW - 24 * H, outcome: 'accepted', repeats: 0 },
        { receivedAtMs: NOW + 1000, outcome: 'accepted', repeats: 0 },
      ],
      NOW,
    );
    expect(bins).toHaveLength(24);
    expect(bins[23]).toMatchObject({ accepted: 1, rejected: 5 });
    expect(bins[0]).toMatchObject({ ignored: 1, accepted: 0 });
    expect(bins.reduce((n, b) => n + b.accepted + b.rejected + b.ignored + b.duplicate + b.handshake, 0)).toBe(7);
  });

  it('draws one rect per outcome present in an hour, taller for more requests', () => {
    const bins = hourlyCounts([{ receivedAtMs: NOW - 1, outcome: 'accepted', repeats: 1 }, { receivedAtMs: NOW - 2 * H, outcome: 'accepted', repeats: 0 }], NOW);
    const svg = requestsChart(bins).text;
    const heights = [...svg.matchAll(/<rect x="[^"]+" y="[^"]+" width="[^"]+" height="([^"]+)" fill="var\(--ok\)" data-outcome="accepted">/g)].map((m) => Number(m[1]));
    expect(heights).toHaveLength(2);
    expect(heights[1]).toBeCloseTo(heights[0]! * 2);
    expect(svg).toContain('3 in all');
  });
});
