/**
 * What `npm run bench` promises (issue 14): each row checked for having measured what it says,
 * and each target stated with met / MISSED. Pure: rows in, lines out.
 */

/** The answer a scenario must get every time: any 2xx (accepting), or one exact rejection status. */
export type Expected = '2xx' | number;

export interface Row {
  /** Names the scenario for the targets (`generic`, `reject-signature`, `pg-generic`, …). */
  readonly key: string;
  readonly name: string;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly expected: Expected;
  /** Answers by HTTP status over the measured period. */
  readonly statuses: Readonly<Record<string, number>>;
  /** Socket errors and timeouts: requests that got no answer at all. */
  readonly errors: number;
  readonly note?: string;
}

/** Why a row measured something other than it says (errors, or answers of the wrong status); undefined when it is sound. */
export function rowProblem(row: Pick<Row, 'expected' | 'statuses' | 'errors'>): string | undefined {
  const total = Object.values(row.statuses).reduce((sum, n) => sum + n, 0);
  const wrong = Object.entries(row.statuses).filter(([status]) => (row.expected === '2xx' ? !status.startsWith('2') : status !== String(row.expected)));
  const parts = wrong.map(([status, n]) => `${n} × ${status}`);
  if (row.errors > 0) parts.push(`${row.errors} errors/timeouts`);
  if (total === 0) parts.push('no answers at all');
  return parts.length === 0 ? undefined : `expected ${row.expected === '2xx' ? '100 % 2xx' : `100 % ${row.expected}`} of ${total} answers, got ${parts.join(', ')}`;
}

export interface Extras {
  /** Bytes the SQLite files (db + wal) grew by under the forged 1 MB flood, and how many were sent. */
  readonly flood?: { readonly growthBytes: number; readonly requests: number; readonly seconds: number; readonly problem?: string | undefined } | undefined;
  /** RSS after 100k and 200k accepted requests, MiB (full mode). */
  readonly rss?: { readonly at100k: number; readonly at200k: number } | undefined;
}

export const FLOOD_GROWTH_LIMIT_BYTES = 8 * 2 ** 20;

/** Issue 14's durable accept targets, × bare. */
export const GENERIC_ACCEPT_MIN = 0.4;
export const GITHUB_ACCEPT_MIN = 0.35;
/** × Bolt. */
export const SLACK_ACCEPT_MIN = 2;
export const PG_ACCEPT_MIN = 0.2;

/**
 * The bare node:http req/s every ratio is taken to: the higher of its measurements at the start
 * (`bare`) and at the end (`bare-end`) of the run, so a reference starved by other work on the
 * machine cannot make a target look met.
 */
export function referenceRps(rows: readonly Row[]): number | undefined {
  const bare = rows.filter((row) => row.key === 'bare' || row.key === 'bare-end').map((row) => row.rps);
  return bare.length === 0 ? undefined : Math.max(...bare);
}

/** The Targets block and its closing `targets: N met, M missed` line. */
export function targetLines(rows: readonly Row[], extras: Extras): string[] {
  const byKey = new Map(rows.map((row) => [row.key, row]));
  const results: Array<{ ok: boolean; text: string }> = [];
  const check = (ok: boolean, text: string): void => void results.push({ ok, text });
  const bare = referenceRps(rows);

  // A target over an unsound row is missed: a benchmark of errors proves nothing.
  const sound = (row: Row, text: string): boolean => {
    const problem = rowProblem(row);
    if (problem) check(false, `${text} — row invalid: ${problem}`);
    return problem === undefined;
  };
  const ratio = (key: string, min: number, of: string, label: string): void => {
    const row = byKey.get(key);
    const reference = of === 'bare' ? (bare === undefined ? undefined : { name: 'bare', rps: bare }) : byKey.get(of);
    if (!row || !reference) return;
    const value = row.rps / reference.rps;
    const text = `${label} ≥ ${min.toFixed(2)}× ${reference.name}: ${value.toFixed(2)}×`;
    if (sound(row, text)) check(value >= min, text);
  };
  const p99 = (key: string, maxMs: number, label: string): void => {
    const row = byKey.get(key);
    if (!row) return;
    const text = `${label} p99 ≤ ${maxMs} ms: ${row.p99} ms`;
    if (sound(row, text)) check(row.p99 <= maxMs, text);
  };

  if (bare !== undefined) {
    for (const prefix of ['', 'many-']) {
      const many = prefix ? ' (10,000 triggers)' : '';
      ratio(`${prefix}generic`, GENERIC_ACCEPT_MIN, 'bare', `durable accept, generic HMAC trigger${many}`);
      p99(`${prefix}generic`, 10, `durable accept, generic HMAC trigger${many}`);
      ratio(`${prefix}github`, GITHUB_ACCEPT_MIN, 'bare', `GitHub connector${many}`);
      ratio(`${prefix}github`, 1.4, 'octokit', `GitHub connector${many}`);
      p99(`${prefix}github`, 10, `GitHub connector${many}`);
      ratio(`${prefix}slack`, SLACK_ACCEPT_MIN, 'bolt', `Slack connector${many}`);
      p99(`${prefix}slack`, 10, `Slack connector${many}`);
      ratio(`${prefix}reject-signature`, 0.5, 'bare', `reject, bad signature${many}`);
      ratio(`${prefix}reject-unknown`, 0.5, 'bare', `reject, unknown trigger${many}`);
      ratio(`${prefix}reject-stale`, 0.5, 'bare', `reject, stale timestamp${many}`);
    }
    ratio('pg-generic', PG_ACCEPT_MIN, 'bare', 'PostgreSQL durable accept');
    p99('pg-generic', 20, 'PostgreSQL durable accept');
    ratio('pg-reject-signature', 0.4, 'bare', 'PostgreSQL reject, bad signature');
  }
  if (extras.flood) {
    const { growthBytes, requests, problem } = extras.flood;
    const text = `${requests.toLocaleString('en')} forged 1 MB requests grow the SQLite files by ≤ ${FLOOD_GROWTH_LIMIT_BYTES / 2 ** 20} MB: ${(growthBytes / 2 ** 20).toFixed(1)} MB`;
    check(problem === undefined && growthBytes <= FLOOD_GROWTH_LIMIT_BYTES, problem ? `${text} — flood invalid: ${problem}` : text);
  }
  // Kept from earlier issues: acks stay fast with the runner busy, and memory stays flat.
  const saturated = byKey.get('slack-saturated');
  if (saturated) {
    const text = `Slack ack p99 ≤ 50 ms with the local runner saturated: ${saturated.p99} ms`;
    if (sound(saturated, text)) check(saturated.p99 <= 50, text);
  }
  // A leak grows; RSS that falls (the collector handing pages back) is no failure.
  if (extras.rss) check(extras.rss.at200k <= extras.rss.at100k * 1.1, `RSS grows at most 10 % from 100k to 200k requests: ${extras.rss.at100k.toFixed(0)} → ${extras.rss.at200k.toFixed(0)} MiB`);

  const met = results.filter((r) => r.ok).length;
  return ['Targets:', ...results.map((r) => `  ${r.ok ? 'met   ' : 'MISSED'}  ${r.text}`), '', `targets: ${met} met, ${results.length - met} missed`];
}

/** Each floor row (floor-servers.ts) and the targets of the row it is fed the requests of. */
const FLOORS = [
  { key: 'floor', row: 'generic', what: 'a durable generic accept', of: 'bare', targets: [{ name: 'generic', min: GENERIC_ACCEPT_MIN }, { name: 'GitHub', min: GITHUB_ACCEPT_MIN }], p99Ms: 10 },
  { key: 'floor-slack', row: 'slack', what: 'a durable Slack accept', of: 'bolt', targets: [{ name: 'Slack', min: SLACK_ACCEPT_MIN }], p99Ms: 10 },
  { key: 'floor-pg', row: 'pg-generic', what: 'a durable generic accept on PostgreSQL', of: 'bare', targets: [{ name: 'PostgreSQL', min: PG_ACCEPT_MIN }], p99Ms: 20 },
] as const;

/**
 * What each floor row (a server doing only the work every durable accept of its requests must do,
 * no trigger log, no database beyond the one write) says about the targets it bounds: the best
 * ratio any design can reach on this machine, which targets lie above it, whether even the floor
 * misses the p99 target, and how much of the floor hooklaunch reaches. A line per floor measured.
 */
export function floorLines(rows: readonly Row[]): string[] {
  const byKey = new Map(rows.map((row) => [row.key, row]));
  const bare = referenceRps(rows);
  const lines: string[] = [];
  for (const spec of FLOORS) {
    const floor = byKey.get(spec.key);
    const reference = spec.of === 'bare' ? bare : byKey.get(spec.of)?.rps;
    if (!floor || reference === undefined) continue;
    const problem = rowProblem(floor);
    if (problem) {
      lines.push(`${floor.key}: row invalid, no bound drawn from it: ${problem}`);
      continue;
    }
    const value = floor.rps / reference;
    const named = (list: ReadonlyArray<{ name: string; min: number }>): string => list.map((t) => `${t.min.toFixed(2)}× ${t.name}`).join(' and ');
    const above = spec.targets.filter((t) => t.min > value);
    const below = spec.targets.filter((t) => t.min <= value);
    const verdict = [
      ...(above.length > 0 ? [`the ${named(above)} target${above.length > 1 ? 's are' : ' is'} above it`] : []),
      ...(below.length > 0 ? [`the ${named(below)} target${below.length > 1 ? 's are' : ' is'} within it`] : []),
    ].join(', ');
    const latency = floor.p99 > spec.p99Ms ? `; its own p99 misses the ${spec.p99Ms} ms target` : '';
    const row = byKey.get(spec.row);
    const share = row && !rowProblem(row) ? `; hooklaunch ${spec.row} reaches ${(row.rps / floor.rps).toFixed(2)} of it` : '';
    lines.push(`${floor.key}: the least ${spec.what} can cost here is ${value.toFixed(2)}× ${spec.of} (${Math.round(floor.rps)} req/s, p99 ${floor.p99} ms); ${verdict}${latency}${share}`);
  }
  return lines;
}
