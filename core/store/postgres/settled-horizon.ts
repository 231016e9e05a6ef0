/**
 * How far a reader of an append-only PostgreSQL table (the trigger log, execution output) may go
 * without skipping a row: the highest sequence number at or below which every row is committed or
 * never will be. A live follower reads "after the last seq I showed"; two commits in flight (two on
 * one instance, or two instances) can take seqs 10 and 11 and commit 11 first, and a follower that
 * showed 11 would never show 10. Capped at the horizon, it shows 11 once 10 is in, or known gone.
 *
 * How the horizon is known, without a column or an index on the hot path: `nextval` takes a
 * RowExclusiveLock on its sequence, owned by the transaction until it ends (PostgreSQL's
 * sequence.c, lock_and_open_sequence), and hands out numbers in order. So after reading the last
 * number handed out, every transaction that may still commit a row at or below it is among the
 * holders of that lock seen just after the read (pg_locks, which lists fast-path locks too). Once
 * none of them holds it, each has committed (a transaction's locks go after its commit is visible)
 * or rolled back, and the number is settled. A purge or an update does not call `nextval`, so a
 * long one holds nothing back.
 */
import type { Row } from '../row-mappers.js';

export interface SettledHorizon {
  /** Every row with a seq at or below the returned one is committed or never will be. */
  horizon(): Promise<number>;
}

type Query = (sql: string, values?: unknown[]) => Promise<Row[]>;

/** How long one call waits for the commits in flight to end: they take milliseconds, seconds on an overloaded server. */
const SETTLE_WAIT_MS = 2_000;
const SETTLE_POLL_MS = 3;
/**
 * A transaction older than this that holds the sequence is stuck (an instance paused mid-commit, a
 * connection lost without a reset, kept open until TCP gives up): readers go past its numbers
 * rather than stall behind it for hours. Should it commit after all, its rows are stored and a
 * fresh read shows them; a follower already past them does not. Far above any healthy commit.
 */
const STUCK_SECONDS = 10;
/** Observations waiting to settle, kept at most (a newer one settles everything an older one would). */
const MAX_OPEN = 64;

interface Observation {
  readonly handed: number;
  /** Virtual transaction ids holding the sequence just after `handed` was read. */
  readonly holders: ReadonlySet<string>;
}

/** `sequence`: the sequence behind the table's seq column, as `pg_get_serial_sequence` names it. */
export function settledHorizon(query: Query, sequence: string): SettledHorizon {
  let settled = 0;
  const open: Observation[] = [];
  let reading: Promise<number> | undefined;

  // A holder whose transaction start is not visible (another role's session) counts as not stuck.
  // pg_locks lists every database's locks, and relation oids are per database.
  const holders = async (): Promise<Set<string>> =>
    new Set(
      (
        await query(
          `SELECT l.virtualtransaction FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
           WHERE l.locktype = 'relation' AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
             AND l.relation = $1::regclass AND l.mode = 'RowExclusiveLock' AND l.granted
             AND (a.xact_start IS NULL OR a.xact_start > now() - make_interval(secs => $2))`,
          [sequence, STUCK_SECONDS],
        )
      ).map((row) => String(row.virtualtransaction)),
    );

  /** Settles every observation none of whose holders still holds the sequence. */
  const settle = (current: ReadonlySet<string>): void => {
    for (let i = open.length - 1; i >= 0; i--) {
      const observation = open[i]!;
      if ([...observation.holders].some((holder) => current.has(holder))) continue;
      settled = Math.max(settled, observation.handed);
      open.splice(i, 1);
    }
  };

  const read = async (): Promise<number> => {
    // A statement's snapshot is taken as it starts; so the number is read first, then who holds the sequence.
    const [last] = await query(`SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END AS handed FROM ${sequence}`);
    const handed = Number(last!.handed);
    if (handed <= settled) return settled;
    open.push({ handed, holders: await holders() });
    if (open.length > MAX_OPEN) open.shift();
    const deadline = performance.now() + SETTLE_WAIT_MS;
    for (;;) {
      settle(await holders());
      if (settled >= handed || performance.now() >= deadline) return settled;
      await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
    }
  };

  return {
    horizon() {
      // Readers at the same moment share one look: a horizon is sound whenever it was taken.
      reading ??= read().finally(() => {
        reading = undefined;
      });
      return reading;
    },
  };
}
