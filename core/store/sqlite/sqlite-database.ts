/**
 * The SQLite database behind the embedded default store: one file in WAL mode with
 * synchronous=NORMAL, synchronous (better-sqlite3). The writer connection lives on the event loop
 * and never checkpoints (sqlite-store.ts makes its commits durable with an fdatasync of the WAL,
 * and sqlite-worker.ts checkpoints and runs the long reads on a reader connection).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { decideBatch, planLookups, type AcceptFacts, type AcceptLookups, type AcceptRows, type Batched, type ItemOutcome, type WindowLookup } from '../accept-batch.js';
import { batchValues, optional, toBatch, toBatchItem, toStoredBatchItem, toExecution, toFollow, toJob, toLogEntry, toPipeline, toTriggerDef, toTriggerRevision, toTriggerStats, type Row } from '../row-mappers.js';
import { BATCH_COLUMNS, dueBatchesWhere, EARLIER_ACTIONS_SETTLED, NEXT_BATCH_DUE, PENDING_RUNS, takesMore } from '../shared-sql.js';
import { assembleBatchPayload } from '../batch-payload.js';
import { acquireServeLock, type ServeLock } from './serve-lock.js';
import { DedupeIndex } from './dedupe-index.js';
import { applyHeaderDelta, headerDelta, type HeaderDelta } from './raw-header-delta.js';
import { comparePositions, PAYLOAD_LOG_MIN_BYTES, type LogPosition, type PayloadLog, type PayloadRef } from './payload-log.js';
import type {
  BatchRecord,
  ExecutionStatus,
  ExecutionUpdate,
  FollowRecord,
  JobRecord,
  LogChunk,
  LogQuery,
  RecordedAnswer,
  RepeatCount,
  RunRecord,
  Store,
  TriggerWrite,
  TriggerWriteOutcome,
} from '../store.js';

/** Each entry moves the schema one version up; the file's `user_version` says where it is. */
export const MIGRATIONS = [
  `
CREATE TABLE requests (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  request_id TEXT NOT NULL UNIQUE,
  trigger_id TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  remote_address TEXT NOT NULL,
  size_bytes INTEGER NOT NULL,
  body_sha256 TEXT NOT NULL,
  headers TEXT NOT NULL,
  outcome TEXT NOT NULL,
  status INTEGER NOT NULL,
  code TEXT,
  message TEXT,
  run_id TEXT
);
CREATE INDEX requests_by_trigger ON requests (trigger_id, seq);

CREATE TABLE runs (
  run_id TEXT PRIMARY KEY,
  trigger_id TEXT NOT NULL,
  request_id TEXT NOT NULL,
  accepted_at INTEGER NOT NULL,
  content_type TEXT NOT NULL,
  payload BLOB NOT NULL
);
CREATE INDEX runs_by_trigger_time ON runs (trigger_id, accepted_at);

CREATE TABLE dedupe (
  trigger_id TEXT NOT NULL,
  dedupe_key TEXT NOT NULL,
  run_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (trigger_id, dedupe_key)
) WITHOUT ROWID;

CREATE TABLE jobs (
  job_id TEXT PRIMARY KEY,
  run_id TEXT NOT NULL,
  trigger_id TEXT NOT NULL,
  action_index INTEGER NOT NULL,
  spec TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  lease_until INTEGER,
  last_error TEXT,
  result TEXT
);
CREATE INDEX jobs_by_run ON jobs (run_id);
CREATE INDEX jobs_due ON jobs (state, next_attempt_at);

CREATE TABLE executions (
  execution_id TEXT PRIMARY KEY,
  job_id TEXT NOT NULL UNIQUE,
  run_id TEXT NOT NULL,
  spec TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  ended_at INTEGER,
  exit_code INTEGER,
  error TEXT
);
CREATE INDEX executions_by_run ON executions (run_id);
CREATE INDEX executions_by_status ON executions (status);

CREATE TABLE execution_logs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  execution_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  stream TEXT NOT NULL,
  text TEXT NOT NULL
);
CREATE INDEX execution_logs_by_execution ON execution_logs (execution_id, seq);
`,
  `
ALTER TABLE executions ADD COLUMN pipeline_id TEXT;
ALTER TABLE executions ADD COLUMN node TEXT;
CREATE INDEX executions_by_pipeline ON executions (pipeline_id);
CREATE TABLE pipelines (
  pipeline_id TEXT PRIMARY KEY,
  job_id TEXT NOT NULL UNIQUE,
  run_id TEXT NOT NULL,
  spec TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  ended_at INTEGER,
  error TEXT
);
CREATE INDEX pipelines_by_run ON pipelines (run_id);
CREATE INDEX pipelines_by_status ON pipelines (status);
`,
  `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
`,
  `
ALTER TABLE requests ADD COLUMN replay_of TEXT;
CREATE TABLE request_raw (
  request_id TEXT PRIMARY KEY,
  target TEXT NOT NULL,
  headers TEXT NOT NULL,
  body BLOB
);
CREATE INDEX requests_by_outcome ON requests (trigger_id, outcome, seq);
`,
  `
ALTER TABLE requests ADD COLUMN repeats INTEGER NOT NULL DEFAULT 0;
ALTER TABLE requests ADD COLUMN last_at INTEGER;
ALTER TABLE requests ADD COLUMN unauthenticated_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE request_raw ADD COLUMN truncated INTEGER NOT NULL DEFAULT 0;
`,
  `
CREATE TABLE follows (
  remote_id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  run_id TEXT NOT NULL,
  trigger_id TEXT NOT NULL,
  next_check_at INTEGER NOT NULL,
  checks INTEGER NOT NULL DEFAULT 0,
  lease_until INTEGER
);
CREATE INDEX follows_due ON follows (next_check_at);
`,
  `
ALTER TABLE requests ADD COLUMN revision INTEGER;
CREATE TABLE trigger_defs (
  id TEXT PRIMARY KEY,
  config TEXT NOT NULL,
  paused INTEGER NOT NULL DEFAULT 0,
  revision INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  updated_by TEXT NOT NULL
);
CREATE TABLE trigger_revisions (
  id TEXT NOT NULL,
  revision INTEGER NOT NULL UNIQUE,
  at INTEGER NOT NULL,
  by TEXT NOT NULL,
  diff TEXT NOT NULL,
  config TEXT,
  paused INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (id, revision)
);
`,
  `
ALTER TABLE requests ADD COLUMN answer TEXT;
ALTER TABLE requests ADD COLUMN answer_ms INTEGER;
`,
  // Retention purges and the per-trigger counts read requests by time, as on PostgreSQL (schema parity).
  `
CREATE INDEX requests_by_time ON requests (received_at);
`,
  // Batches (issue #17): deliveries gathered into one launch; a batch's run exists once it launched.
  `
ALTER TABLE runs ADD COLUMN batch_id TEXT;
CREATE TABLE batches (
  batch_id TEXT PRIMARY KEY,
  trigger_id TEXT NOT NULL,
  batch_key TEXT NOT NULL,
  run_id TEXT NOT NULL UNIQUE,
  state TEXT NOT NULL,
  items INTEGER NOT NULL,
  max_items INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  max_bytes INTEGER NOT NULL,
  window_ms INTEGER NOT NULL,
  quiet_ms INTEGER,
  opened_at INTEGER NOT NULL,
  last_at INTEGER NOT NULL,
  closes_at INTEGER NOT NULL,
  closed_at INTEGER,
  close_reason TEXT,
  note TEXT,
  actions TEXT NOT NULL,
  first_request_id TEXT NOT NULL
);
CREATE INDEX batches_open ON batches (trigger_id, batch_key, opened_at) WHERE state = 'open';
CREATE INDEX batches_due ON batches (closes_at) WHERE state <> 'launched';
CREATE INDEX batches_by_trigger ON batches (trigger_id, opened_at);
CREATE TABLE batch_items (
  batch_id TEXT NOT NULL,
  position INTEGER NOT NULL,
  request_id TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  content_type TEXT NOT NULL,
  payload BLOB NOT NULL,
  PRIMARY KEY (batch_id, position)
);
CREATE INDEX batch_items_by_request ON batch_items (request_id);
`,
  // Large run payloads in the payload log (payload-log.ts); the BLOB is then empty.
  `
ALTER TABLE runs ADD COLUMN payload_segment INTEGER;
ALTER TABLE runs ADD COLUMN payload_offset INTEGER;
ALTER TABLE runs ADD COLUMN payload_length INTEGER;
ALTER TABLE runs ADD COLUMN payload_crc INTEGER;
CREATE INDEX runs_by_payload ON runs (payload_segment, payload_offset) WHERE payload_segment IS NOT NULL;
`,
  // Dedupe rows appended, not kept in a B-tree by their random keys (dedupe-index.ts has why); found
  // by key through DedupeIndex in memory, and by time through dedupe_by_expiry: the purge read the
  // whole table, ~85 ms per million rows on the event loop (issue #14).
  `
CREATE TABLE dedupe_rows (
  trigger_id TEXT NOT NULL,
  dedupe_key TEXT NOT NULL,
  run_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
INSERT INTO dedupe_rows (trigger_id, dedupe_key, run_id, expires_at) SELECT trigger_id, dedupe_key, run_id, expires_at FROM dedupe;
DROP TABLE dedupe;
ALTER TABLE dedupe_rows RENAME TO dedupe;
CREATE INDEX dedupe_by_expiry ON dedupe (expires_at);
`,
  // Issue #14, per accept: a raw capture with no body of its own (accepted, batched, duplicate: the
  // body is the run's payload or the batch item's) goes in its request's row, as what it adds to the
  // logged headers (raw-header-delta.ts), not in a request_raw row and its two B-trees; raw_target is
  // set where it is not the logged path. An answer goes in request_answers (as on PostgreSQL): an
  // UPDATE grew each packed row and rewrote the leaf pages of the last second's requests; request
  // ids are time-ordered (uuidv7), so these inserts land at the end of the B-tree. The answers
  // already kept move there, so there is one place to read an answer from.
  `
ALTER TABLE requests ADD COLUMN raw_target TEXT;
ALTER TABLE requests ADD COLUMN raw_headers TEXT;
CREATE TABLE request_answers (request_id TEXT PRIMARY KEY, answer TEXT NOT NULL, answer_ms INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO request_answers (request_id, answer, answer_ms) SELECT request_id, answer, COALESCE(answer_ms, 0) FROM requests WHERE answer IS NOT NULL;
ALTER TABLE requests DROP COLUMN answer;
ALTER TABLE requests DROP COLUMN answer_ms;
`,
  // Accepted requests leave requests_by_outcome (issue #14: one B-tree less per accept, ~3 pages of
  // WAL per group commit). A trigger's accepted requests are most of its log, found newest first
  // through requests_by_trigger; the other outcomes, rare among them, through this index.
  `
DROP INDEX requests_by_outcome;
CREATE INDEX requests_by_outcome ON requests (trigger_id, outcome, seq) WHERE outcome <> 'accepted';
`,
];


export type { Batched } from '../accept-batch.js';

/** Every store operation, synchronous; `commitBatch` is the group commit's transaction. */
export type SqliteDatabase = {
  [K in Exclude<keyof Store, 'accept' | 'recordUnlaunched' | 'closeBatch' | 'purge' | 'close'>]: (...args: Parameters<Store[K]>) => Awaited<ReturnType<Store[K]>>;
} & {
  commitBatch(items: readonly Batched[]): ItemOutcome[];
  /** Purges up to `limit` runs, then up to `limit` requests; `done` once nothing is left to purge. */
  purgeChunk(beforeMs: number, limit: number): PurgeChunk;
  /** Notes the payload log's durable position now (on a clean stop: every payload before it was flushed). */
  notePayloadsDurable(): void;
  /** Whether a run still points into this payload-log segment (if none does, its file can go). */
  payloadSegmentInUse(segment: number): boolean;
  checkpoint(mode: 'PASSIVE' | 'RESTART' | 'TRUNCATE'): CheckpointResult;
  close(): void;
};

export interface PurgeChunk {
  readonly requests: number;
  readonly runs: number;
  readonly executionIds: string[];
  readonly done: boolean;
}

/** SQLite's answer to `PRAGMA wal_checkpoint`: frames in the WAL and frames copied into the database. */
export interface CheckpointResult {
  readonly busy: boolean;
  readonly logFrames: number;
  readonly checkpointedFrames: number;
}

/** The WAL is truncated back to this size when SQLite restarts it, so a burst does not keep its disk. */
export const WAL_SIZE_LIMIT_BYTES = 16 * 1024 * 1024;

/**
 * The writer runs the migrations and every write, with no automatic checkpoint: one that crossed
 * the threshold would copy pages and fsync twice on the event loop. The reader (in the worker
 * thread) opens the migrated file for checkpoints and long reads; WAL lets it read beside the writer.
 */
export function openSqliteDatabase(path: string, role: 'writer' | 'reader' = 'writer', payloads?: PayloadLog): SqliteDatabase {
  if (path !== ':memory:' && role === 'writer') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { fileMustExist: role === 'reader' });
  if (role === 'writer') {
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  }
  // NORMAL: a commit writes the WAL without fsync (the store flushes it off the event loop); a
  // checkpoint still syncs the WAL before copying and the database file after.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  if (role === 'writer') migrate(db);

  const stmt = {
    // Positional parameters: named ones cost a property lookup by name per column per row.
    insertRequest: db.prepare(`INSERT INTO requests (request_id, trigger_id, received_at, method, path, remote_address, size_bytes, body_sha256, headers, outcome, status, code, message, run_id, replay_of, unauthenticated_bytes, revision, raw_target, raw_headers)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    insertRaw: db.prepare('INSERT OR REPLACE INTO request_raw (request_id, target, headers, body, truncated) VALUES (?, ?, ?, ?, ?)'),
    // Only a request with a line keeps its answer (purge finds answers through their lines); a second answer replaces the first, as the UPDATE did.
    recordAnswer: db.prepare('INSERT OR REPLACE INTO request_answers (request_id, answer, answer_ms) SELECT request_id, ?, ? FROM requests WHERE request_id = ?'),
    addRepeats: db.prepare('UPDATE requests SET repeats = repeats + ?, last_at = MAX(COALESCE(last_at, 0), ?) WHERE request_id = ?'),
    unauthenticatedBytes: db.prepare('SELECT COALESCE(SUM(unauthenticated_bytes), 0) AS n FROM requests'),
    getRequest: db.prepare(`SELECT r.*, w.target AS kept_target, w.headers AS kept_headers, w.truncated AS raw_truncated, COALESCE(w.body, i.payload, CASE WHEN p.payload_segment IS NULL THEN p.payload END) AS raw_body,
      p.payload_segment, p.payload_offset, p.payload_length, p.payload_crc, a.answer, a.answer_ms FROM requests r
      LEFT JOIN request_raw w ON w.request_id = r.request_id LEFT JOIN batch_items i ON i.request_id = r.request_id AND r.outcome = 'batched'
      LEFT JOIN request_answers a ON a.request_id = r.request_id
      LEFT JOIN runs p ON p.run_id = r.run_id AND r.outcome IN ('accepted', 'duplicate') WHERE r.request_id = ?`),
    dedupeRow: db.prepare('SELECT run_id, expires_at FROM dedupe WHERE rowid = ? AND trigger_id = ? AND dedupe_key = ?'),
    insertDedupe: db.prepare('INSERT INTO dedupe (trigger_id, dedupe_key, run_id, expires_at) VALUES (?, ?, ?, ?)'),
    // Every row, expired or not: a lookup judges expiry at the request's own time (a replay's is its arrival), and the purge removes expired rows.
    allDedupe: db.prepare('SELECT rowid, trigger_id, dedupe_key FROM dedupe'),
    purgeDedupe: db.prepare(PURGE_DEDUPE),
    recentRuns: db.prepare('SELECT accepted_at FROM runs WHERE trigger_id = ? AND accepted_at > ? ORDER BY accepted_at DESC LIMIT ?'),
    insertRun: db.prepare('INSERT INTO runs (run_id, trigger_id, request_id, accepted_at, content_type, payload, batch_id) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    insertLoggedRun: db.prepare(`INSERT INTO runs (run_id, trigger_id, request_id, accepted_at, content_type, payload, batch_id, payload_segment, payload_offset, payload_length, payload_crc)
      VALUES (?, ?, ?, ?, ?, X'', ?, ?, ?, ?, ?)`),
    loggedRunsFrom: db.prepare('SELECT run_id, request_id, payload_segment, payload_offset, payload_length, payload_crc FROM runs WHERE payload_segment IS NOT NULL AND (payload_segment, payload_offset) >= (?, ?)'),
    // An equality on payload_segment lets SQLite use the partial index runs_by_payload.
    payloadSegmentInUse: db.prepare('SELECT 1 FROM runs WHERE payload_segment = ? LIMIT 1'),
    forgetLostRun: db.prepare('DELETE FROM runs WHERE run_id = ?'),
    forgetLostJobs: db.prepare('DELETE FROM jobs WHERE run_id = ?'),
    // One pass over the table for every lost run (dedupe rows are not indexed by run).
    forgetLostDedupe: db.prepare('DELETE FROM dedupe WHERE run_id IN (SELECT value FROM json_each(?)) RETURNING rowid, trigger_id, dedupe_key'),
    markLostRequest: db.prepare(`UPDATE requests SET outcome = 'rejected', status = 500, code = 'internal_error', message = ?, run_id = NULL WHERE request_id = ?`),
    setMeta: db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
    upsertBatch: db.prepare(`INSERT OR REPLACE INTO batches (${BATCH_COLUMNS}) VALUES (${BATCH_COLUMNS.split(',').map(() => '?').join(', ')})`),
    insertBatchItem: db.prepare('INSERT INTO batch_items (batch_id, position, request_id, received_at, content_type, payload) VALUES (?, ?, ?, ?, ?, ?)'),
    openBatchOfKey: db.prepare(`SELECT * FROM batches WHERE trigger_id = ? AND batch_key = ? AND ${takesMore('')} ORDER BY opened_at DESC LIMIT 1`),
    getBatch: db.prepare('SELECT * FROM batches WHERE batch_id = ?'),
    batchOfRun: db.prepare('SELECT * FROM batches WHERE run_id = ?'),
    batchItems: db.prepare('SELECT position, request_id, received_at, content_type, payload FROM batch_items WHERE batch_id = ? ORDER BY position'),
    batchItemList: db.prepare('SELECT position, request_id, received_at, content_type, length(payload) AS size FROM batch_items WHERE batch_id = ? ORDER BY position'),
    dueBatches: db.prepare(`SELECT * FROM batches WHERE ${dueBatchesWhere('@now')} ORDER BY opened_at, batch_id LIMIT @limit`),
    nextBatchDue: db.prepare(NEXT_BATCH_DUE),
    insertJob: db.prepare(`INSERT INTO jobs (job_id, run_id, trigger_id, action_index, spec, state, attempts, next_attempt_at) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?)`),
    // A run's actions launch in order: a job waits until every earlier action of its run is settled.
    dueJobs: db.prepare(`SELECT j.*, (SELECT accepted_at FROM runs WHERE run_id = j.run_id) AS accepted_at FROM jobs j WHERE ((j.state = 'pending' AND j.next_attempt_at <= @now) OR (j.state = 'running' AND j.lease_until <= @now))
      AND ${EARLIER_ACTIONS_SETTLED}
      ORDER BY j.next_attempt_at LIMIT @limit`),
    leaseJob: db.prepare(`UPDATE jobs SET state = 'running', lease_until = ?, attempts = attempts + 1 WHERE job_id = ?`),
    completeJob: db.prepare(`UPDATE jobs SET state = 'done', lease_until = NULL, result = ?, last_error = NULL WHERE job_id = ?`),
    retryJob: db.prepare(`UPDATE jobs SET state = 'pending', lease_until = NULL, next_attempt_at = ?, last_error = ? WHERE job_id = ?`),
    failJob: db.prepare(`UPDATE jobs SET state = 'failed', lease_until = NULL, last_error = ? WHERE job_id = ?`),
    releaseClaims: db.prepare(`UPDATE jobs SET state = 'pending', lease_until = NULL WHERE state = 'running'`),
    nextDue: db.prepare(`SELECT MIN(CASE WHEN j.state = 'pending' THEN j.next_attempt_at ELSE j.lease_until END) AS due FROM jobs j WHERE j.state IN ('pending', 'running')
      AND ${EARLIER_ACTIONS_SETTLED}`),
    jobsOfRun: db.prepare('SELECT j.*, (SELECT accepted_at FROM runs WHERE run_id = j.run_id) AS accepted_at FROM jobs j WHERE run_id = ? ORDER BY action_index'),
    queueStats: db.prepare(`SELECT COUNT(*) AS depth, MIN(r.accepted_at) AS oldest FROM jobs j JOIN runs r ON r.run_id = j.run_id WHERE j.state IN ('pending', 'running')`),
    insertExecution: db.prepare(`INSERT OR IGNORE INTO executions (execution_id, job_id, run_id, spec, status, created_at, ended_at, error, pipeline_id, node)
      VALUES (@id, @jobId, @runId, @spec, @status, @createdAtMs, @endedAtMs, @error, @pipelineId, @node)`),
    executionsOfPipeline: db.prepare('SELECT * FROM executions WHERE pipeline_id = ? ORDER BY created_at'),
    insertPipeline: db.prepare(`INSERT OR IGNORE INTO pipelines (pipeline_id, job_id, run_id, spec, status, created_at) VALUES (?, ?, ?, ?, 'started', ?)`),
    getPipeline: db.prepare('SELECT * FROM pipelines WHERE pipeline_id = ?'),
    finishPipeline: db.prepare(`UPDATE pipelines SET status = ?, ended_at = ?, error = ? WHERE pipeline_id = ? AND status = 'started'`),
    pipelinesWithStatus: db.prepare('SELECT * FROM pipelines WHERE status = ? ORDER BY created_at'),
    pipelinesOfRun: db.prepare('SELECT * FROM pipelines WHERE run_id = ? ORDER BY created_at'),
    getExecution: db.prepare('SELECT * FROM executions WHERE execution_id = ?'),
    updateExecution: db.prepare(`UPDATE executions SET status = @status, started_at = COALESCE(@startedAtMs, started_at), ended_at = COALESCE(@endedAtMs, ended_at),
      exit_code = COALESCE(@exitCode, exit_code), error = COALESCE(@error, error) WHERE execution_id = @id`),
    executionsWithStatus: db.prepare('SELECT * FROM executions WHERE status = ? ORDER BY created_at'),
    executionsOfRun: db.prepare('SELECT * FROM executions WHERE run_id = ? ORDER BY created_at'),
    appendLog: db.prepare('INSERT INTO execution_logs (execution_id, at, stream, text) VALUES (?, ?, ?, ?)'),
    executionLog: db.prepare('SELECT seq, at, stream, text FROM execution_logs WHERE execution_id = ? AND seq > ? ORDER BY seq'),
    getRun: db.prepare('SELECT run_id, trigger_id, accepted_at FROM runs WHERE run_id = ?'),
    getPayload: db.prepare('SELECT payload, content_type, batch_id, payload_segment, payload_offset, payload_length, payload_crc FROM runs WHERE run_id = ?'),
    ...purgeStatements(db),
    insertMeta: db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)'),
    getMeta: db.prepare('SELECT value FROM meta WHERE key = ?'),
    insertFollow: db.prepare('INSERT OR IGNORE INTO follows (remote_id, kind, run_id, trigger_id, next_check_at) VALUES (?, ?, ?, ?, ?)'),
    dueFollows: db.prepare('SELECT * FROM follows WHERE next_check_at <= @now AND (lease_until IS NULL OR lease_until <= @now) ORDER BY next_check_at LIMIT @limit'),
    leaseFollow: db.prepare('UPDATE follows SET lease_until = ?, checks = checks + 1 WHERE remote_id = ?'),
    rescheduleFollow: db.prepare('UPDATE follows SET next_check_at = ?, lease_until = NULL WHERE remote_id = ?'),
    endFollow: db.prepare('DELETE FROM follows WHERE remote_id = ?'),
    triggerStats: db.prepare(`SELECT trigger_id, outcome, COUNT(*) AS n FROM requests WHERE received_at >= ? GROUP BY trigger_id, outcome`),
    lastOfTriggers: db.prepare('SELECT trigger_id, MAX(received_at) AS last FROM requests GROUP BY trigger_id'),
    listTriggerDefs: db.prepare('SELECT * FROM trigger_defs ORDER BY id'),
    triggerRevision: db.prepare('SELECT COALESCE(MAX(revision), 0) AS revision FROM trigger_revisions'),
    triggerDefRevision: db.prepare('SELECT revision FROM trigger_defs WHERE id = ?'),
    upsertTriggerDef: db.prepare(`INSERT INTO trigger_defs (id, config, paused, revision, updated_at, updated_by) VALUES (@id, @config, @paused, @revision, @atMs, @by)
      ON CONFLICT (id) DO UPDATE SET config = excluded.config, paused = excluded.paused, revision = excluded.revision, updated_at = excluded.updated_at, updated_by = excluded.updated_by`),
    deleteTriggerDef: db.prepare('DELETE FROM trigger_defs WHERE id = ?'),
    insertTriggerRevision: db.prepare('INSERT INTO trigger_revisions (id, revision, at, by, diff, config, paused) VALUES (@id, @revision, @atMs, @by, @diff, @config, @paused)'),
    triggerRevisions: db.prepare('SELECT * FROM trigger_revisions WHERE id = ? ORDER BY revision DESC'),
  };

  // Rate limits: the launches inside each window, in memory (this process is the only writer), so a
  // lookup costs O(1) even with a quota of millions; loaded from the runs table on first use.
  const rateWindows = new Map<string, SlidingWindow>();
  const windowsOf = new Map<string, SlidingWindow[]>();
  const rateWindow = ({ triggerId, periodMs, quota, sinceMs }: WindowLookup): SlidingWindow => {
    const key = `${triggerId}\0${periodMs}\0${quota}`;
    let window = rateWindows.get(key);
    if (!window) {
      const rows = stmt.recentRuns.all(triggerId, sinceMs, quota) as Row[];
      window = new SlidingWindow(rows.map((r) => Number(r.accepted_at)).reverse());
      rateWindows.set(key, window);
      windowsOf.set(triggerId, [...(windowsOf.get(triggerId) ?? []), window]);
    }
    return window;
  };

  // Dedupe keys by hash, loaded on first use (at takeover for the serving process, so its first
  // request does not wait for it); see dedupe-index.ts.
  let dedupeIndex: DedupeIndex | undefined;
  const dedupeRows = (): DedupeIndex => {
    if (dedupeIndex) return dedupeIndex;
    const index = new DedupeIndex();
    for (const row of stmt.allDedupe.iterate() as Iterable<Row>) index.add(String(row.trigger_id), String(row.dedupe_key), Number(row.rowid));
    return (dedupeIndex = index);
  };
  /** The row of this (trigger, key) alive after `aliveAfterMs`: at most one is (a key is written again only once it expired). */
  const liveDedupeRow = (triggerId: string, key: string, aliveAfterMs: number): Row | undefined => {
    const candidates = dedupeRows().candidates(triggerId, key);
    for (let i = candidates.length - 1; i >= 0; i--) {
      const row = stmt.dedupeRow.get(candidates[i], triggerId, key) as Row | undefined;
      if (row && Number(row.expires_at) > aliveAfterMs) return row;
    }
    return undefined;
  };
  const forgetDedupeRows = (rows: readonly Row[]): void => {
    if (!dedupeIndex) return;
    for (const row of rows) dedupeIndex.remove(String(row.trigger_id), String(row.dedupe_key), Number(row.rowid));
  };
  const purgeDedupe = (now: number): void => forgetDedupeRows(stmt.purgeDedupe.all(now) as Row[]);

  const lookUp = ({ dedupe, windows, batches }: AcceptLookups): AcceptFacts => ({
    batches: [
      ...batches.keys.flatMap((key, i) => (stmt.openBatchOfKey.all(batches.triggerIds[i], key) as Row[]).map(toBatch)),
      ...batches.ids.flatMap((id) => (stmt.getBatch.all(id) as Row[]).map(toBatch)),
    ],
    dedupe: dedupe.keys.flatMap((key, i) => {
      const triggerId = dedupe.triggerIds[i]!;
      const row = liveDedupeRow(triggerId, key, dedupe.aliveAfterMs);
      return row ? [{ triggerId, key, runId: String(row.run_id), expiresAtMs: Number(row.expires_at) }] : [];
    }),
    windows: windows.map((lookup) => rateWindow(lookup).newest(lookup.sinceMs, lookup.skip, lookup.take)),
  });

  /** Set once this process took the store over (the serve lock held): the only one that appends to the payload log. */
  let serving = false;
  const write = ({ runs, batches, batchItems, dedupe, jobs, requests, raws }: AcceptRows): void => {
    for (const batch of batches) stmt.upsertBatch.run(...batchValues(batch));
    for (const item of batchItems) stmt.insertBatchItem.run(item.batchId, item.position, item.requestId, item.receivedAtMs, item.contentType, item.payload);
    // Large payloads go to the log in one append, before the rows that point at them. Only the
    // serving process appends (a command opened beside it keeps them inline): one writer per log.
    const logged = payloads && serving ? runs.filter((run) => run.payload.length >= PAYLOAD_LOG_MIN_BYTES) : [];
    const refs = logged.length > 0 ? payloads!.append(logged.map((run) => run.payload)) : [];
    let nextRef = 0;
    for (const run of runs) {
      if (logged[nextRef] === run) {
        const ref = refs[nextRef++]!;
        stmt.insertLoggedRun.run(run.runId, run.triggerId, run.requestId, run.acceptedAtMs, run.contentType, run.batchId, ref.segment, ref.offset, ref.length, ref.crc);
      } else {
        stmt.insertRun.run(run.runId, run.triggerId, run.requestId, run.acceptedAtMs, run.contentType, run.payload, run.batchId);
      }
      // A launch counts against every limit of its trigger, whichever limits its own request had.
      for (const window of windowsOf.get(run.triggerId) ?? []) window.add(run.acceptedAtMs);
    }
    for (const row of dedupe) dedupeRows().add(row.triggerId, row.key, Number(stmt.insertDedupe.run(row.triggerId, row.key, row.runId, row.expiresAtMs).lastInsertRowid));
    for (const job of jobs) stmt.insertJob.run(job.jobId, job.runId, job.triggerId, job.actionIndex, job.spec, job.nextAttemptAtMs);
    // `raws` follow `requests` in order (a request has at most one): walked together.
    let nextRaw = 0;
    for (const r of requests) {
      const raw = raws[nextRaw]?.requestId === r.requestId ? raws[nextRaw++]! : undefined;
      // A capture with nothing of its own to keep but headers goes in the row, as a difference.
      const inRow = raw !== undefined && raw.body === null && raw.truncated === 0;
      stmt.insertRequest.run(
        r.requestId, r.triggerId, r.receivedAtMs, r.method, r.path, r.remoteAddress, r.sizeBytes, r.bodySha256, r.headers, r.outcome, r.status, r.code, r.message, r.runId, r.replayOf, r.unauthenticatedBytes, r.revision,
        inRow && raw.target !== r.path ? raw.target : null,
        inRow ? JSON.stringify(headerDelta(raw.loggedHeaders, raw.headerValues)) : null,
      );
      if (raw && !inRow) stmt.insertRaw.run(raw.requestId, raw.target, raw.headers, raw.body, raw.truncated);
    }
    if (nextRaw !== raws.length) throw new Error('a raw capture without its request row in the batch');
  };

  /**
   * The payload log's rows past this position are checked on the next start (a power loss may have
   * kept them and lost their bytes); written with the commits, only when it moved.
   */
  let noted: LogPosition | undefined;
  const noteDurablePayloads = (position: LogPosition): void => {
    if (noted && comparePositions(noted, position) === 0) return;
    stmt.setMeta.run(PAYLOADS_DURABLE_KEY, `${position.segment}:${position.offset}`);
    noted = position;
  };

  /**
   * After a power loss the WAL may hold accepted runs whose payload bytes never reached the disk.
   * Their requests were never acknowledged (an answer waits for both flushes): the run and its jobs
   * are removed, its dedupe keys freed (the sender's retry is a new delivery, not a duplicate of
   * nothing), and its trigger-log line says what happened.
   */
  const recoverPayloads = db.transaction((log: PayloadLog): number => {
    const stored = (stmt.getMeta.get(PAYLOADS_DURABLE_KEY) as Row | undefined)?.value;
    const [segment, offset] = stored === undefined ? [0, 0] : String(stored).split(':').map(Number);
    const lost = (stmt.loggedRunsFrom.all(segment, offset) as Row[]).filter((row) => !log.intact(toPayloadRef(row)));
    if (lost.length > 0) forgetDedupeRows(stmt.forgetLostDedupe.all(JSON.stringify(lost.map((row) => row.run_id))) as Row[]);
    for (const row of lost) {
      stmt.forgetLostJobs.run(row.run_id);
      stmt.forgetLostRun.run(row.run_id);
      stmt.markLostRequest.run(LOST_PAYLOAD_MESSAGE, row.request_id);
    }
    log.settle(segment!);
    return lost.length;
  });

  const storedPayload = (row: Row): Buffer | undefined => {
    if (row.payload_segment === null || row.payload_segment === undefined) return undefined;
    if (!payloads) throw new Error('this run\'s payload is in the payload log, which this connection does not read');
    return payloads.read(toPayloadRef(row));
  };

  let batches = 0;
  const commitItems = db.transaction((items: readonly Batched[]): ItemOutcome[] => {
    if (++batches % 256 === 0) purgeDedupe(Date.now());
    const lookups = planLookups(items);
    const { outcomes, rows } = decideBatch(items, lookups, lookUp(lookups));
    write(rows);
    if (payloads && serving) noteDurablePayloads(payloads.durableThrough());
    return outcomes;
  });

  const commitBatch = (items: readonly Batched[]): ItemOutcome[] => {
    try {
      return commitItems(items);
    } catch (error) {
      // The windows may hold launches that were rolled back: rebuild them from the table.
      rateWindows.clear();
      windowsOf.clear();
      throw error;
    }
  };

  const claim = db.transaction((now: number, limit: number, leaseMs: number): JobRecord[] => {
    const rows = stmt.dueJobs.all({ now, limit }) as Row[];
    for (const row of rows) stmt.leaseJob.run(now + leaseMs, row.job_id);
    return rows.map((row) => toJob({ ...row, state: 'running', attempts: Number(row.attempts) + 1 }));
  });

  const claimFollows = db.transaction((now: number, limit: number, leaseMs: number): FollowRecord[] => {
    const rows = stmt.dueFollows.all({ now, limit }) as Row[];
    for (const row of rows) stmt.leaseFollow.run(now + leaseMs, row.remote_id);
    return rows.map((row) => toFollow({ ...row, checks: Number(row.checks) + 1 }));
  });

  const addRepeats = db.transaction((counts: readonly RepeatCount[]) => {
    for (const count of counts) stmt.addRepeats.run(count.repeats, count.lastAtMs, count.requestId);
  });

  const recordAnswers = db.transaction((answers: readonly RecordedAnswer[]) => {
    for (const a of answers) stmt.recordAnswer.run(JSON.stringify(a.answer), Math.round(a.answeredMs), a.requestId);
  });

  const appendLogs = db.transaction((id: string, chunks: readonly LogChunk[]) => {
    for (const chunk of chunks) stmt.appendLog.run(id, chunk.atMs, chunk.stream, chunk.text);
  });

  const writeTriggerDef = db.transaction((write: TriggerWrite): TriggerWriteOutcome => {
    const current = Number((stmt.triggerDefRevision.get(write.id) as Row | undefined)?.revision ?? 0);
    if (current !== write.expectRevision) return { kind: 'conflict', currentRevision: current };
    const revision = Number((stmt.triggerRevision.get() as Row).revision) + 1;
    const config = write.config === undefined ? null : JSON.stringify(write.config);
    const row = { id: write.id, config, paused: write.paused ? 1 : 0, revision, atMs: write.atMs, by: write.by, diff: JSON.stringify(write.diff) };
    if (config === null) stmt.deleteTriggerDef.run(write.id);
    else stmt.upsertTriggerDef.run(row);
    stmt.insertTriggerRevision.run(row);
    return { kind: 'written', revision };
  });

  // Runs first (with what hangs off them), then the requests, a chunk per transaction: each chunk is
  // a few milliseconds however large the tables, and the store yields to the event loop between them.
  const purgeChunk = db.transaction((beforeMs: number, limit: number): PurgeChunk => {
    purgeDedupe(Date.now());
    stmt.markPurgeableRuns.run();
    stmt.collectPurgeableRuns.run(beforeMs, limit);
    const executionIds = (stmt.purgeableExecutions.all() as Row[]).map((row) => String(row.execution_id));
    stmt.purgeLogsOfRuns.run();
    stmt.purgeExecutionsOfRuns.run();
    stmt.purgePipelinesOfRuns.run();
    stmt.purgeJobsOfRuns.run();
    stmt.purgeBatchItemsOfRuns.run();
    stmt.purgeBatchesOfRuns.run();
    const runs = stmt.purgeRuns.run().changes;
    if (runs === limit) return { requests: 0, runs, executionIds, done: false };
    stmt.purgeRaw.run(beforeMs, limit);
    stmt.purgeAnswers.run(beforeMs, limit);
    const requests = stmt.purgeRequests.run(beforeMs, limit).changes;
    return { requests, runs, executionIds, done: requests < limit };
  });

  let lock: ServeLock | undefined;

  return {
    takeOver: () => {
      if (path !== ':memory:') lock = acquireServeLock(`${path}.serve.lock`);
      if (payloads) {
        payloads.ready();
        recoverPayloads(payloads);
      }
      dedupeRows();
      serving = true;
      stmt.releaseClaims.run();
    },
    commitBatch: (items) => commitBatch(items),
    addRepeats: (counts) => {
      if (counts.length > 0) addRepeats(counts);
    },
    recordAnswers: (answers) => {
      if (answers.length > 0) recordAnswers(answers);
    },
    unauthenticatedLogBytes: () => Number((stmt.unauthenticatedBytes.get() as Row).n),
    claimJobs: (now, limit, leaseMs) => claim(now, limit, leaseMs),
    followRemote: ({ remoteId, kind, runId, triggerId, nextCheckAtMs }) => {
      stmt.insertFollow.run(remoteId, kind, runId, triggerId, nextCheckAtMs);
    },
    claimFollows: (now, limit, leaseMs) => claimFollows(now, limit, leaseMs),
    rescheduleFollow: (remoteId, nextCheckAtMs) => {
      stmt.rescheduleFollow.run(nextCheckAtMs, remoteId);
    },
    endFollow: (remoteId) => {
      stmt.endFollow.run(remoteId);
    },
    completeJob: (jobId, result) => {
      stmt.completeJob.run(JSON.stringify(result), jobId);
    },
    failJob: (jobId, error, retryAtMs) => {
      if (retryAtMs === undefined) stmt.failJob.run(JSON.stringify(error), jobId);
      else stmt.retryJob.run(retryAtMs, JSON.stringify(error), jobId);
    },
    queueStats: () => {
      const row = stmt.queueStats.get() as Row;
      return { depth: Number(row.depth), oldestAcceptedAtMs: optional(row.oldest, Number) };
    },
    nextJobDueMs: () => {
      const due = (stmt.nextDue.get() as Row).due;
      return due === null ? undefined : Number(due);
    },
    createExecution: ({ id, jobId, runId, spec, createdAtMs, status = 'queued', error }) => {
      stmt.insertExecution.run({
        id,
        jobId,
        runId,
        spec: JSON.stringify(spec),
        status,
        createdAtMs,
        endedAtMs: status === 'queued' ? null : createdAtMs,
        error: error ?? null,
        pipelineId: spec.pipelineId ?? null,
        node: spec.node ?? null,
      });
      return toExecution(stmt.getExecution.get(id) as Row);
    },
    executionsOfPipeline: (pipelineId) => (stmt.executionsOfPipeline.all(pipelineId) as Row[]).map(toExecution),
    createPipeline: ({ id, jobId, runId, spec, createdAtMs }) => {
      stmt.insertPipeline.run(id, jobId, runId, JSON.stringify(spec), createdAtMs);
      return toPipeline(stmt.getPipeline.get(id) as Row);
    },
    getPipeline: (id) => {
      const row = stmt.getPipeline.get(id) as Row | undefined;
      return row && toPipeline(row);
    },
    finishPipeline: (id, { status, endedAtMs, error }) => {
      stmt.finishPipeline.run(status, endedAtMs, error ?? null, id);
    },
    pipelinesWithStatus: (status) => (stmt.pipelinesWithStatus.all(status) as Row[]).map(toPipeline),
    updateExecution: (id, update: ExecutionUpdate) => {
      stmt.updateExecution.run({ id, startedAtMs: null, endedAtMs: null, exitCode: null, error: null, ...update });
    },
    executionsWithStatus: (status: ExecutionStatus) => (stmt.executionsWithStatus.all(status) as Row[]).map(toExecution),
    getExecution: (id) => {
      const row = stmt.getExecution.get(id) as Row | undefined;
      return row && toExecution(row);
    },
    appendExecutionLog: (id, chunks) => {
      if (chunks.length > 0) appendLogs(id, chunks);
    },
    executionLog: (id, afterSeq = 0) =>
      (stmt.executionLog.all(id, afterSeq) as Row[]).map((row) => ({ seq: Number(row.seq), atMs: Number(row.at), stream: row.stream as LogChunk['stream'], text: String(row.text) })),
    getRun: (runId): RunRecord | undefined => {
      const run = stmt.getRun.get(runId) as Row | undefined;
      if (!run) return undefined;
      return {
        runId,
        triggerId: String(run.trigger_id),
        acceptedAtMs: Number(run.accepted_at),
        jobs: (stmt.jobsOfRun.all(runId) as Row[]).map(toJob),
        executions: (stmt.executionsOfRun.all(runId) as Row[]).map(toExecution),
        pipelines: (stmt.pipelinesOfRun.all(runId) as Row[]).map(toPipeline),
      };
    },
    getPayload: (runId) => {
      const row = stmt.getPayload.get(runId) as Row | undefined;
      if (!row) return undefined;
      if (row.batch_id === null) return { body: storedPayload(row) ?? (row.payload as Buffer), contentType: String(row.content_type) };
      const batch = toBatch(stmt.getBatch.get(row.batch_id) as Row);
      const items = (stmt.batchItems.all(batch.batchId) as Row[]).map(toStoredBatchItem);
      return assembleBatchPayload(batch, items);
    },
    dueBatches: (now, limit) => (stmt.dueBatches.all({ now, limit }) as Row[]).map(toBatch),
    nextBatchDueMs: () => {
      const due = (stmt.nextBatchDue.get() as Row).due;
      return due === null ? undefined : Number(due);
    },
    listBatches: ({ triggerId, states, limit }) => {
      // Built per call from fixed fragments; values are always bound parameters.
      const where: string[] = [];
      const values: unknown[] = [];
      if (triggerId !== undefined) where.push('trigger_id = ?') && values.push(triggerId);
      if (states !== undefined) where.push(`state IN (${states.map(() => '?').join(', ') || 'NULL'})`) && values.push(...states);
      const sql = `SELECT * FROM batches ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY opened_at DESC LIMIT ?`;
      return (db.prepare(sql).all(...values, limit) as Row[]).map(toBatch);
    },
    getBatch: (batchId): BatchRecord | undefined => {
      const row = stmt.getBatch.get(batchId) as Row | undefined;
      return row && toBatch(row);
    },
    batchItems: (batchId) => (stmt.batchItemList.all(batchId) as Row[]).map(toBatchItem),
    batchOfRun: (runId): BatchRecord | undefined => {
      const row = stmt.batchOfRun.get(runId) as Row | undefined;
      return row && toBatch(row);
    },
    listLog: (query: LogQuery) => {
      // Built per call from fixed fragments; values are always bound parameters.
      const where: string[] = [];
      const values: unknown[] = [];
      if (query.triggerId !== undefined) where.push('trigger_id = ?') && values.push(query.triggerId);
      if (query.outcome !== undefined) where.push('outcome = ?') && values.push(query.outcome);
      // Spelled out, so the planner knows the partial requests_by_outcome holds these rows (a bound value does not say it).
      if (query.outcome !== undefined && query.outcome !== 'accepted') where.push(`outcome <> 'accepted'`);
      if (query.code !== undefined) where.push('code = ?') && values.push(query.code);
      if (query.afterSeq !== undefined) where.push('r.seq > ?') && values.push(query.afterSeq);
      const order = query.afterSeq === undefined ? 'DESC' : 'ASC';
      const sql = `SELECT r.*, a.answer, a.answer_ms FROM requests r LEFT JOIN request_answers a ON a.request_id = r.request_id
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY r.seq ${order} LIMIT ?`;
      return (db.prepare(sql).all(...values, query.limit) as Row[]).map(toLogEntry);
    },
    triggerStats: (sinceMs) => toTriggerStats(stmt.lastOfTriggers.all() as Row[], stmt.triggerStats.all(sinceMs) as Row[]),
    getRequest: (requestId) => {
      const row = stmt.getRequest.get(requestId) as Row | undefined;
      if (!row) return undefined;
      const entry = toLogEntry(row);
      // In the row (as a difference from the logged headers), in request_raw (older rows, and those with a body of their own), or none (refused unread).
      const headers =
        row.raw_headers !== null
          ? applyHeaderDelta(entry.headers, JSON.parse(String(row.raw_headers)) as HeaderDelta)
          : row.kept_headers === null
            ? {}
            : (JSON.parse(String(row.kept_headers)) as Record<string, string[]>);
      return {
        entry,
        raw: {
          target: String(row.raw_target ?? row.kept_target ?? row.path),
          headers,
          body: row.raw_body === null ? storedPayload(row) : (row.raw_body as Buffer),
          truncated: Number(row.raw_truncated ?? 0) === 1,
        },
      };
    },
    purgeChunk: (beforeMs, limit) => purgeChunk(beforeMs, limit),
    notePayloadsDurable: () => {
      if (payloads && serving) noteDurablePayloads(payloads.durableThrough());
    },
    payloadSegmentInUse: (segment) => stmt.payloadSegmentInUse.get(segment) !== undefined,
    checkpoint: (mode) => {
      const [row] = db.pragma(`wal_checkpoint(${mode})`) as Array<{ busy: number; log: number; checkpointed: number }>;
      return { busy: row!.busy !== 0, logFrames: row!.log, checkpointedFrames: row!.checkpointed };
    },
    listTriggerDefs: () => (stmt.listTriggerDefs.all() as Row[]).map(toTriggerDef),
    triggerRevision: () => Number((stmt.triggerRevision.get() as Row).revision),
    writeTriggerDef: (write) => writeTriggerDef(write),
    triggerRevisions: (id) => (stmt.triggerRevisions.all(id) as Row[]).map(toTriggerRevision),
    secret: (name) => {
      stmt.insertMeta.run(`secret:${name}`, randomBytes(32).toString('hex'));
      return String((stmt.getMeta.get(`secret:${name}`) as Row).value);
    },
    close: () => {
      db.close();
      lock?.release();
    },
  };
}

/** Dedupe rows past their window; through dedupe_by_expiry, so it reads only those. */
export const PURGE_DEDUPE = 'DELETE FROM dedupe WHERE expires_at <= ? RETURNING rowid, trigger_id, dedupe_key';

/** Where the payload log's rows that a restart must check begin (see recoverPayloads). */
const PAYLOADS_DURABLE_KEY = 'payload_log_durable';

const LOST_PAYLOAD_MESSAGE =
  'hooklaunch stopped (a power loss or crash) before this request\'s body reached the disk: it was never acknowledged and nothing was launched; the sender\'s retry is a new delivery';

function toPayloadRef(row: Row): PayloadRef {
  return { segment: Number(row.payload_segment), offset: Number(row.payload_offset), length: Number(row.payload_length), crc: Number(row.payload_crc) };
}

function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new Error(`store schema version ${version} is newer than this hooklaunch understands (${MIGRATIONS.length}); upgrade hooklaunch`);
  }
  db.transaction(() => {
    for (let next = version; next < MIGRATIONS.length; next++) db.exec(MIGRATIONS[next]!);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  })();
}

/** Timestamps of a trigger's launches, oldest first, with O(1) amortised expiry. */
class SlidingWindow {
  private head = 0;
  constructor(private readonly times: number[]) {}

  /** The launches after `sinceMs`, newest first, skipping the `skip` newest, at most `take`. */
  newest(sinceMs: number, skip: number, take: number): number[] {
    while (this.head < this.times.length && this.times[this.head]! <= sinceMs) this.head++;
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times.splice(0, this.head);
      this.head = 0;
    }
    const slice: number[] = [];
    for (let at = this.times.length - 1 - skip; at >= this.head && slice.length < take; at--) slice.push(this.times[at]!);
    return slice;
  }

  add(time: number): void {
    let at = this.times.length;
    while (at > this.head && this.times[at - 1]! > time) at--;
    this.times.splice(at, 0, time);
  }
}

/**
 * Purging works on a temporary table of the runs to delete: older than the cut-off and with
 * nothing pending (no job to launch, no execution queued or running, no pipeline under way).
 */
function purgeStatements(db: Database.Database) {
  db.exec('CREATE TEMP TABLE IF NOT EXISTS purge_runs (run_id TEXT PRIMARY KEY)');
  const pending = PENDING_RUNS;
  return {
    markPurgeableRuns: db.prepare('DELETE FROM purge_runs'),
    collectPurgeableRuns: db.prepare(`INSERT INTO purge_runs SELECT run_id FROM runs WHERE accepted_at < ? AND run_id NOT IN ${pending} LIMIT ?`),
    purgeableExecutions: db.prepare('SELECT execution_id FROM executions WHERE run_id IN (SELECT run_id FROM purge_runs)'),
    // Run notes are filed under the run id itself (core/notify/run-notes.ts).
    purgeLogsOfRuns: db.prepare('DELETE FROM execution_logs WHERE execution_id IN (SELECT execution_id FROM executions WHERE run_id IN (SELECT run_id FROM purge_runs)) OR execution_id IN (SELECT run_id FROM purge_runs)'),
    purgeExecutionsOfRuns: db.prepare('DELETE FROM executions WHERE run_id IN (SELECT run_id FROM purge_runs)'),
    purgePipelinesOfRuns: db.prepare('DELETE FROM pipelines WHERE run_id IN (SELECT run_id FROM purge_runs)'),
    purgeJobsOfRuns: db.prepare('DELETE FROM jobs WHERE run_id IN (SELECT run_id FROM purge_runs)'),
    purgeBatchItemsOfRuns: db.prepare('DELETE FROM batch_items WHERE batch_id IN (SELECT batch_id FROM batches WHERE run_id IN (SELECT run_id FROM purge_runs))'),
    purgeBatchesOfRuns: db.prepare('DELETE FROM batches WHERE run_id IN (SELECT run_id FROM purge_runs)'),
    purgeRuns: db.prepare('DELETE FROM runs WHERE run_id IN (SELECT run_id FROM purge_runs)'),
    // The raw captures and answers of the requests the next statement deletes: the same oldest `limit` rows.
    purgeAnswers: db.prepare(`DELETE FROM request_answers WHERE request_id IN (SELECT request_id FROM requests WHERE received_at < ? AND (run_id IS NULL OR run_id NOT IN ${pending}) ORDER BY seq LIMIT ?)`),
    purgeRaw: db.prepare(`DELETE FROM request_raw WHERE request_id IN (SELECT request_id FROM requests WHERE received_at < ? AND (run_id IS NULL OR run_id NOT IN ${pending}) ORDER BY seq LIMIT ?)`),
    purgeRequests: db.prepare(`DELETE FROM requests WHERE seq IN (SELECT seq FROM requests WHERE received_at < ? AND (run_id IS NULL OR run_id NOT IN ${pending}) ORDER BY seq LIMIT ?)`),
  };
}
