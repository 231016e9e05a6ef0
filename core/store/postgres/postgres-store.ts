/**
 * The shared store for several hooklaunch instances: PostgreSQL through a `pg` pool. Accepts are
 * group-committed like SQLite's; rate limits and dedupe are decided under a per-trigger advisory
 * lock held to the end of the transaction, so they are exact across instances; launch jobs are
 * claimed with FOR UPDATE SKIP LOCKED and a lease another instance takes over if the claimer dies.
 * Executions and pipelines belong to the instance that runs them (`owner`).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { decideBatch, planLookups, type AcceptFacts, type AcceptLookups, type AcceptRows, type Batched, type ItemOutcome } from '../accept-batch.js';
import { assembleBatchPayload } from '../batch-payload.js';
import { createGroupCommit } from '../group-commit.js';
import { batchValues, optional, toBatch, toBatchItem, toStoredBatchItem, toExecution, toFollow, toJob, toLogEntry, toPipeline, toTriggerDef, toTriggerRevision, toTriggerStats, type Row } from '../row-mappers.js';
import type {
  AcceptOutcome,
  BatchCloseOutcome,
  BatchRecord,
  ExecutionStatus,
  LogChunk,
  LogQuery,
  PipelineStatus,
  Store,
  TriggerWriteOutcome,
} from '../store.js';
import { MIGRATIONS } from './migrations.js';
import { settledHorizon } from './settled-horizon.js';
import { BATCH_COLUMNS, dueBatchesWhere, EARLIER_ACTIONS_SETTLED, NEXT_BATCH_DUE, PENDING_RUNS, takesMore } from '../shared-sql.js';

type Client = pg.PoolClient | pg.Pool;

// One advisory-lock key for migrations; per-trigger keys come from hashtext(trigger_id).
const MIGRATION_LOCK = 0x686f6f6b;
const TRIGGER_WRITE_LOCK = 0x686f6f6c;

// Commits overlapping on separate pooled connections: a commit is round trips and the server's WAL
// flush, so one at a time leaves this process waiting (issue #14). What must be decided in order is
// decided under the triggers' advisory locks, which serialize concurrent commits exactly there. Two:
// while one flushes, the next gathers, locks and looks up. Four split the same load into smaller
// commits that mostly waited on one trigger's lock, and each commit costs the server a fixed
// ~350-400 us (round trips, lookup, executor start, WAL flush): the bench's generic accept cost
// PostgreSQL 103-136 us of CPU with four, 69-103 with two (4 paired runs), at the same p99.
const GROUP_COMMITS_IN_FLIGHT = 2;

// A log line's answer lives in request_answers (migration 11); readers join it back as the line's columns.
const ANSWER_COLUMNS = 'a.answer, a.answer_ms';
const ANSWER_JOIN = 'LEFT JOIN request_answers a ON a.request_id = r.request_id';

const JOB_COLUMNS = `j.*, (SELECT accepted_at FROM runs WHERE run_id = j.run_id) AS accepted_at`;

// A batch costs the same round trips whatever its size: BEGIN, lock and look up (migration 7),
// write, COMMIT; a batch that reads nothing is its one write statement. Named statements: parsed
// and planned once per pooled connection.
const LOOK_UP = 'SELECT * FROM hooklaunch_accept_lookup($1, $2, $3, $4, $5, $6, $7, $8)';
// One statement writes every table: data-modifying CTEs all run, in the one snapshot. The log lines
// are the main INSERT, so their seq follows the batch order. A raw capture is a plain INSERT (no ON
// CONFLICT, whose speculative insertion cost a probe and a WAL record per row): its request's line
// is in the same statement, and a second line with the same request id fails the statement anyway.
const WRITE_BATCH = `WITH
  runs_written AS (INSERT INTO runs (run_id, trigger_id, request_id, accepted_at, content_type, payload, batch_id)
    SELECT r.run_id, r.trigger_id, r.request_id, r.accepted_at, r.content_type, substring($6::bytea FROM r.start FOR r.length), r.batch_id
    FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $39::text[], $40::int[], $41::int[]) AS r(run_id, trigger_id, request_id, accepted_at, content_type, batch_id, start, length)),
  dedupe_written AS (INSERT INTO dedupe (trigger_id, dedupe_key, run_id, expires_at)
    SELECT * FROM unnest($7::text[], $8::text[], $9::text[], $10::bigint[])
    ON CONFLICT (trigger_id, dedupe_key) DO UPDATE SET run_id = EXCLUDED.run_id, expires_at = EXCLUDED.expires_at),
  jobs_written AS (INSERT INTO jobs (job_id, run_id, trigger_id, action_index, spec, state, attempts, next_attempt_at)
    SELECT job_id, run_id, trigger_id, action_index, spec, 'pending', 0, next_attempt_at
    FROM unnest($11::text[], $12::text[], $13::text[], $14::int[], $15::text[], $16::bigint[]) AS j(job_id, run_id, trigger_id, action_index, spec, next_attempt_at)),
  raw_written AS (INSERT INTO request_raw (request_id, target, headers, body, truncated)
    SELECT * FROM unnest($17::text[], $18::text[], $19::text[], $20::bytea[], $21::int[]))
  INSERT INTO requests (request_id, trigger_id, received_at, method, path, remote_address, size_bytes, body_sha256, headers, outcome, status, code, message, run_id, replay_of, unauthenticated_bytes, revision)
  SELECT * FROM unnest($22::text[], $23::text[], $24::bigint[], $25::text[], $26::text[], $27::text[], $28::int[], $29::text[], $30::text[], $31::text[], $32::int[], $33::text[], $34::text[], $35::text[], $36::text[], $37::int[], $38::bigint[])`;

async function lookUp(client: pg.PoolClient, lookups: AcceptLookups): Promise<AcceptFacts> {
  const { dedupe, windows } = lookups;
  const rows = (
    await client.query({
      name: 'hooklaunch_accept_look_up',
      text: LOOK_UP,
      values: [lookups.lockedTriggers, dedupe.triggerIds, dedupe.keys, dedupe.aliveAfterMs, windows.map((w) => w.triggerId), windows.map((w) => w.sinceMs), windows.map((w) => w.skip), windows.map((w) => w.take)],
    })
  ).rows as Row[];
  const times: number[][] = windows.map(() => []);
  const found: AcceptFacts['dedupe'][number][] = [];
  for (const row of rows) {
    const window = Number(row.window_index);
    if (window === 0) found.push({ triggerId: String(row.found_trigger), key: String(row.found_key), runId: String(row.found_run), expiresAtMs: Number(row.found_at) });
    else times[window - 1]!.push(Number(row.found_at));
  }
  return { dedupe: found, windows: times };
}

// Batches and their items, written only by a group commit that joins or closes one (batched triggers).
const WRITE_BATCHES = `WITH
  batches_written AS (INSERT INTO batches (${BATCH_COLUMNS})
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::int[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[], $14::bigint[], $15::bigint[], $16::text[], $17::text[], $18::text[], $19::text[])
    ON CONFLICT (batch_id) DO UPDATE SET state = EXCLUDED.state, items = EXCLUDED.items, bytes = EXCLUDED.bytes, last_at = EXCLUDED.last_at, closes_at = EXCLUDED.closes_at,
      closed_at = EXCLUDED.closed_at, close_reason = EXCLUDED.close_reason, note = EXCLUDED.note)
  INSERT INTO batch_items (batch_id, position, request_id, received_at, content_type, payload)
  SELECT i.batch_id, i.position, i.request_id, i.received_at, i.content_type, substring($25::bytea FROM i.start FOR i.length)
  FROM unnest($20::text[], $21::int[], $22::text[], $23::bigint[], $24::text[], $26::int[], $27::int[]) AS i(batch_id, position, request_id, received_at, content_type, start, length)`;

/** The batches a group commit joins (newest open one per trigger and key) or closes (by id), read under the triggers' locks. */
async function lookUpBatches(client: pg.PoolClient, { batches }: AcceptLookups): Promise<BatchRecord[]> {
  if (batches.keys.length === 0 && batches.ids.length === 0) return [];
  const rows = (
    await client.query(
      `SELECT DISTINCT ON (b.trigger_id, b.batch_key) b.* FROM unnest($1::text[], $2::text[]) AS k(tid, bkey)
         JOIN batches b ON b.trigger_id = k.tid AND b.batch_key = k.bkey AND ${takesMore('b.')} ORDER BY b.trigger_id, b.batch_key, b.opened_at DESC`,
      [batches.triggerIds, batches.keys],
    )
  ).rows as Row[];
  const byId = batches.ids.length === 0 ? [] : ((await client.query('SELECT * FROM batches WHERE batch_id = ANY($1)', [batches.ids])).rows as Row[]);
  return [...rows, ...byId].map(toBatch);
}

function batchWriteValues({ batches, batchItems }: AcceptRows): unknown[] {
  const values = batches.map(batchValues);
  const columns = BATCH_COLUMNS.split(',').map((_, i) => values.map((row) => row[i]));
  const column = <K extends keyof AcceptRows['batchItems'][number]>(key: K) => batchItems.map((item) => item[key]);
  const payloads = packed(batchItems.map((item) => item.payload));
  return [...columns, column('batchId'), column('position'), column('requestId'), column('receivedAtMs'), column('contentType'), payloads.bytes, payloads.starts, payloads.lengths];
}

/**
 * Payloads go as one binary parameter and each row takes its slice (`substring(... FROM start FOR
 * length)`): node-postgres sends a top-level Buffer as binary, but an array of Buffers as a text
 * array literal, each one hex-encoded. Encoding, and the server's array_in and hex_decode, cost
 * ~14 % of PostgreSQL's time per 7.7 KB accept (issue #14, perf) and doubled the bytes sent.
 */
function packed(payloads: readonly Buffer[]): { bytes: Buffer; starts: number[]; lengths: number[] } {
  const starts: number[] = [];
  const lengths: number[] = [];
  let at = 1; // SQL's substring counts from 1
  for (const payload of payloads) {
    starts.push(at);
    lengths.push(payload.length);
    at += payload.length;
  }
  return { bytes: Buffer.concat(payloads as Buffer[]), starts, lengths };
}

function writeValues({ runs, dedupe, jobs, raws, requests }: AcceptRows): unknown[] {
  const column = <T, K extends keyof T>(rows: readonly T[], key: K): Array<T[K]> => rows.map((row) => row[key]);
  const payloads = packed(runs.map((run) => run.payload));
  return [
    ...(['runId', 'triggerId', 'requestId', 'acceptedAtMs', 'contentType'] as const).map((key) => column(runs, key)),
    payloads.bytes,
    ...(['triggerId', 'key', 'runId', 'expiresAtMs'] as const).map((key) => column(dedupe, key)),
    ...(['jobId', 'runId', 'triggerId', 'actionIndex', 'spec', 'nextAttemptAtMs'] as const).map((key) => column(jobs, key)),
    ...(['requestId', 'target', 'headers', 'body', 'truncated'] as const).map((key) => column(raws, key)),
    ...(
      [
        'requestId', 'triggerId', 'receivedAtMs', 'method', 'path', 'remoteAddress', 'sizeBytes', 'bodySha256', 'headers',
        'outcome', 'status', 'code', 'message', 'runId', 'replayOf', 'unauthenticatedBytes', 'revision',
      ] as const
    ).map((key) => column(requests, key)),
    column(runs, 'batchId'),
    payloads.starts,
    payloads.lengths,
  ];
}

export async function openPostgresStore(url: string, instance: string): Promise<Store> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // Group commits on connections of their own that run only the accept statements, each planned
  // once (a generic plan). Left to choose, the server plans a commit anew whenever its custom plan
  // for the arrays' actual lengths looks cheaper than the generic guess of ten rows — every commit
  // of fewer than ten accepts, ~190 us of its CPU per commit (issue #14). Not for the other
  // queries, whose optional filters (`$1 IS NULL OR ...`) need a plan per value.
  const acceptPool = new pg.Pool({ connectionString: url, max: GROUP_COMMITS_IN_FLIGHT });
  // Set on the session, not as the connection's `options`: those would replace the operator's own
  // (PGOPTIONS, e.g. the schema the store lives in) on these connections only. Queued first, it runs
  // before the connection's first commit; a failure shows on that commit's own queries.
  acceptPool.on('connect', (client) => void client.query('SET plan_cache_mode = force_generic_plan').catch(() => undefined));
  for (const each of [pool, acceptPool]) {
    each.on('error', () => undefined); // an idle client's error surfaces on its next use
    // A checked-out client has no listener of the pool's: a backend terminated between two of its
    // queries (a server restart, pg_terminate_backend) made it emit 'error' unheard, which killed
    // the process. Heard here, the error fails the client's next query instead, and the pool drops
    // the client on release (it is no longer queryable).
    each.on('connect', (client) => client.on('error', () => undefined));
  }
  await migrate(pool);

  const q = async (sql: string, values: unknown[] = [], client: Client = pool): Promise<Row[]> => (await client.query(sql, values)).rows as Row[];
  const one = async (sql: string, values: unknown[] = [], client: Client = pool): Promise<Row | undefined> => (await q(sql, values, client))[0];
  // Lines and output chunks are read up to where no earlier one can still commit (settled-horizon.ts).
  const sequences = (await one(`SELECT pg_get_serial_sequence('requests', 'seq') AS requests, pg_get_serial_sequence('execution_logs', 'seq') AS execution_logs`))!;
  const settledLines = settledHorizon(q, String(sequences.requests));
  const settledOutput = settledHorizon(q, String(sequences.execution_logs));

  const group = createGroupCommit<Batched, ItemOutcome>(async (items) => {
    const client = await acceptPool.connect();
    try {
      const lookups = planLookups(items);
      if (lookups.lockedTriggers.length === 0) {
        // Nothing to decide: one statement is its own transaction.
        const { outcomes, rows } = decideBatch(items, lookups, { dedupe: [], windows: [] });
        await client.query({ name: 'hooklaunch_accept_write', text: WRITE_BATCH, values: writeValues(rows) });
        return outcomes;
      }
      await client.query('BEGIN');
      // Rate limits, dedupe and batches decide under their triggers' locks until commit: exact across instances.
      const facts = await lookUp(client, lookups);
      const { outcomes, rows } = decideBatch(items, lookups, { ...facts, batches: await lookUpBatches(client, lookups) });
      if (rows.batches.length > 0) await client.query({ name: 'hooklaunch_batches_write', text: WRITE_BATCHES, values: batchWriteValues(rows) });
      await client.query({ name: 'hooklaunch_accept_write', text: WRITE_BATCH, values: writeValues(rows) });
      await client.query('COMMIT');
      return outcomes;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }, { maxInFlight: GROUP_COMMITS_IN_FLIGHT });

  const inTransaction = async <T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  };

  const execution = async (id: string) => {
    const row = await one('SELECT * FROM executions WHERE execution_id = $1', [id]);
    return row && toExecution(row);
  };
  const pipeline = async (id: string) => {
    const row = await one('SELECT * FROM pipelines WHERE pipeline_id = $1', [id]);
    return row && toPipeline(row);
  };

  return {
    // Claims survive their claimer only until their lease ends; there is nothing to take over at start.
    takeOver: async () => undefined,
    accept: async (input) => (await group.submit({ kind: 'accept', input })) as AcceptOutcome,
    closeBatch: async (close) => (await group.submit({ kind: 'close', close })) as BatchCloseOutcome,
    dueBatches: async (now, limit) =>
      (
        await q(`SELECT * FROM batches WHERE ${dueBatchesWhere('$1')} ORDER BY opened_at, batch_id LIMIT $2`, [now, limit])
      ).map(toBatch),
    nextBatchDueMs: async () =>
      optional((await one(NEXT_BATCH_DUE))?.due, Number),
    listBatches: async ({ triggerId, states, limit }) =>
      (
        await q(
          `SELECT * FROM batches WHERE ($1::text IS NULL OR trigger_id = $1) AND ($2::text[] IS NULL OR state = ANY($2)) ORDER BY opened_at DESC LIMIT $3`,
          [triggerId ?? null, states ?? null, limit],
        )
      ).map(toBatch),
    getBatch: async (batchId) => optional(await one('SELECT * FROM batches WHERE batch_id = $1', [batchId]), (row) => toBatch(row as Row)),
    batchItems: async (batchId) =>
      (await q('SELECT position, request_id, received_at, content_type, length(payload) AS size FROM batch_items WHERE batch_id = $1 ORDER BY position', [batchId])).map(toBatchItem),
    batchOfRun: async (runId) => optional(await one('SELECT * FROM batches WHERE run_id = $1', [runId]), (row) => toBatch(row as Row)),
    recordUnlaunched: async (entry) => {
      await group.submit({ kind: 'unlaunched', entry });
    },
    addRepeats: async (counts) => {
      if (counts.length === 0) return;
      await pool.query(
        `UPDATE requests r SET repeats = r.repeats + c.repeats, last_at = GREATEST(COALESCE(r.last_at, 0), c.last_at)
         FROM UNNEST($1::text[], $2::int[], $3::bigint[]) AS c(request_id, repeats, last_at) WHERE r.request_id = c.request_id`,
        [counts.map((c) => c.requestId), counts.map((c) => c.repeats), counts.map((c) => c.lastAtMs)],
      );
    },
    recordAnswers: async (answers) => {
      if (answers.length === 0) return;
      // The last answer of a request wins, as an UPDATE of its line would; one ON CONFLICT statement may touch a row only once.
      const last = [...new Map(answers.map((a) => [a.requestId, a])).values()];
      // Only a request with a line keeps its answer (as the UPDATE of a missing line kept nothing): purge finds answers through their lines.
      await pool.query(
        `INSERT INTO request_answers (request_id, answer, answer_ms)
         SELECT a.request_id, a.answer, a.answer_ms FROM UNNEST($1::text[], $2::text[], $3::bigint[]) AS a(request_id, answer, answer_ms)
         WHERE EXISTS (SELECT 1 FROM requests r WHERE r.request_id = a.request_id)
         ON CONFLICT (request_id) DO UPDATE SET answer = EXCLUDED.answer, answer_ms = EXCLUDED.answer_ms`,
        [last.map((a) => a.requestId), last.map((a) => JSON.stringify(a.answer)), last.map((a) => Math.round(a.answeredMs))],
      );
    },
    unauthenticatedLogBytes: async () => Number((await one('SELECT COALESCE(SUM(unauthenticated_bytes), 0) AS n FROM requests'))!.n),
    followRemote: async ({ remoteId, kind, runId, triggerId, nextCheckAtMs }) => {
      await pool.query('INSERT INTO follows (remote_id, kind, run_id, trigger_id, next_check_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (remote_id) DO NOTHING', [remoteId, kind, runId, triggerId, nextCheckAtMs]);
    },
    // SKIP LOCKED and the lease: two instances never check the same follow at once.
    claimFollows: async (now, limit, leaseMs) =>
      (
        await q(
          `WITH due AS (
             SELECT remote_id FROM follows WHERE next_check_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
             ORDER BY next_check_at LIMIT $2 FOR UPDATE SKIP LOCKED)
           UPDATE follows f SET lease_until = $3, checks = f.checks + 1 FROM due WHERE f.remote_id = due.remote_id RETURNING f.*`,
          [now, limit, now + leaseMs],
        )
      ).map(toFollow),
    rescheduleFollow: async (remoteId, nextCheckAtMs) => {
      await pool.query('UPDATE follows SET next_check_at = $1, lease_until = NULL WHERE remote_id = $2', [nextCheckAtMs, remoteId]);
    },
    endFollow: async (remoteId) => {
      await pool.query('DELETE FROM follows WHERE remote_id = $1', [remoteId]);
    },
    claimJobs: async (now, limit, leaseMs) =>
      (
        await q(
          `WITH due AS (
             SELECT j.job_id FROM jobs j
             WHERE ((j.state = 'pending' AND j.next_attempt_at <= $1) OR (j.state = 'running' AND j.lease_until <= $1))
               AND ${EARLIER_ACTIONS_SETTLED}
             ORDER BY j.next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED)
           UPDATE jobs j SET state = 'running', lease_until = $3, attempts = j.attempts + 1, claimed_by = $4
           FROM due WHERE j.job_id = due.job_id
           RETURNING ${JOB_COLUMNS}`,
          [now, limit, now + leaseMs, instance],
        )
      ).map(toJob),
    completeJob: async (jobId, result) => {
      await pool.query(`UPDATE jobs SET state = 'done', lease_until = NULL, result = $1, last_error = NULL WHERE job_id = $2`, [JSON.stringify(result), jobId]);
    },
    failJob: async (jobId, error, retryAtMs) => {
      if (retryAtMs === undefined) await pool.query(`UPDATE jobs SET state = 'failed', lease_until = NULL, last_error = $1 WHERE job_id = $2`, [JSON.stringify(error), jobId]);
      else await pool.query(`UPDATE jobs SET state = 'pending', lease_until = NULL, next_attempt_at = $1, last_error = $2 WHERE job_id = $3`, [retryAtMs, JSON.stringify(error), jobId]);
    },
    nextJobDueMs: async () => {
      const row = await one(`SELECT MIN(CASE WHEN j.state = 'pending' THEN j.next_attempt_at ELSE j.lease_until END) AS due FROM jobs j WHERE j.state IN ('pending', 'running')
        AND ${EARLIER_ACTIONS_SETTLED}`);
      return optional(row?.due, Number);
    },
    queueStats: async () => {
      const row = (await one(`SELECT COUNT(*) AS depth, MIN(r.accepted_at) AS oldest FROM jobs j JOIN runs r ON r.run_id = j.run_id WHERE j.state IN ('pending', 'running')`))!;
      return { depth: Number(row.depth), oldestAcceptedAtMs: optional(row.oldest, Number) };
    },
    createExecution: async ({ id, jobId, runId, spec, createdAtMs, status = 'queued', error }) => {
      await pool.query(
        `INSERT INTO executions (execution_id, job_id, run_id, spec, status, created_at, ended_at, error, pipeline_id, node, owner)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (execution_id) DO NOTHING`,
        [id, jobId, runId, JSON.stringify(spec), status, createdAtMs, status === 'queued' ? null : createdAtMs, error ?? null, spec.pipelineId ?? null, spec.node ?? null, instance],
      );
      return (await execution(id))!;
    },
    updateExecution: async (id, update) => {
      await pool.query(
        `UPDATE executions SET status = $1, started_at = COALESCE($2, started_at), ended_at = COALESCE($3, ended_at), exit_code = COALESCE($4, exit_code), error = COALESCE($5, error) WHERE execution_id = $6`,
        [update.status, update.startedAtMs ?? null, update.endedAtMs ?? null, update.exitCode ?? null, update.error ?? null, id],
      );
    },
    executionsWithStatus: async (status: ExecutionStatus) => (await q('SELECT * FROM executions WHERE owner = $1 AND status = $2 ORDER BY created_at', [instance, status])).map(toExecution),
    executionsOfPipeline: async (pipelineId) => (await q('SELECT * FROM executions WHERE pipeline_id = $1 ORDER BY created_at', [pipelineId])).map(toExecution),
    getExecution: execution,
    appendExecutionLog: async (id, chunks) => {
      if (chunks.length === 0) return;
      await pool.query(
        'INSERT INTO execution_logs (execution_id, at, stream, text) SELECT $1, * FROM UNNEST($2::bigint[], $3::text[], $4::text[])',
        [id, chunks.map((c) => c.atMs), chunks.map((c) => c.stream), chunks.map((c) => c.text)],
      );
    },
    // Following (afterSeq): only settled chunks, so that the follower's next afterSeq skips none.
    executionLog: async (id, afterSeq) =>
      (
        await q('SELECT seq, at, stream, text FROM execution_logs WHERE execution_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq', [
          id,
          afterSeq ?? 0,
          afterSeq === undefined ? Number.MAX_SAFE_INTEGER : await settledOutput.horizon(),
        ])
      ).map((row) => ({
        seq: Number(row.seq),
        atMs: Number(row.at),
        stream: row.stream as LogChunk['stream'],
        text: String(row.text),
      })),
    createPipeline: async ({ id, jobId, runId, spec, createdAtMs }) => {
      await pool.query(`INSERT INTO pipelines (pipeline_id, job_id, run_id, spec, status, created_at, owner) VALUES ($1, $2, $3, $4, 'started', $5, $6) ON CONFLICT (pipeline_id) DO NOTHING`, [
        id,
        jobId,
        runId,
        JSON.stringify(spec),
        createdAtMs,
        instance,
      ]);
      return (await pipeline(id))!;
    },
    getPipeline: pipeline,
    finishPipeline: async (id, { status, endedAtMs, error }) => {
      await pool.query(`UPDATE pipelines SET status = $1, ended_at = $2, error = $3 WHERE pipeline_id = $4 AND status = 'started'`, [status, endedAtMs, error ?? null, id]);
    },
    pipelinesWithStatus: async (status: PipelineStatus) => (await q('SELECT * FROM pipelines WHERE owner = $1 AND status = $2 ORDER BY created_at', [instance, status])).map(toPipeline),
    getRun: async (runId) => {
      const run = await one('SELECT run_id, trigger_id, accepted_at FROM runs WHERE run_id = $1', [runId]);
      if (!run) return undefined;
      const [jobs, executions, pipelines] = await Promise.all([
        q(`SELECT ${JOB_COLUMNS} FROM jobs j WHERE run_id = $1 ORDER BY action_index`, [runId]),
        q('SELECT * FROM executions WHERE run_id = $1 ORDER BY created_at', [runId]),
        q('SELECT * FROM pipelines WHERE run_id = $1 ORDER BY created_at', [runId]),
      ]);
      return { runId, triggerId: String(run.trigger_id), acceptedAtMs: Number(run.accepted_at), jobs: jobs.map(toJob), executions: executions.map(toExecution), pipelines: pipelines.map(toPipeline) };
    },
    getPayload: async (runId) => {
      const row = await one('SELECT payload, content_type, batch_id FROM runs WHERE run_id = $1', [runId]);
      if (!row) return undefined;
      if (row.batch_id === null) return { body: row.payload as Buffer, contentType: String(row.content_type) };
      const batch = toBatch((await one('SELECT * FROM batches WHERE batch_id = $1', [row.batch_id]))!);
      const items = (await q('SELECT position, request_id, received_at, content_type, payload FROM batch_items WHERE batch_id = $1 ORDER BY position', [batch.batchId])).map(toStoredBatchItem);
      return assembleBatchPayload(batch, items);
    },
    listLog: async (query: LogQuery) => {
      const where: string[] = [];
      const values: unknown[] = [];
      const add = (clause: string, value: unknown): void => {
        values.push(value);
        where.push(clause.replace('?', `$${values.length}`));
      };
      if (query.triggerId !== undefined) add('r.trigger_id = ?', query.triggerId);
      if (query.outcome !== undefined) add('r.outcome = ?', query.outcome);
      // Spelled out, so the planner knows the partial requests_by_outcome holds these rows (a generic plan cannot see the bound value).
      if (query.outcome !== undefined && query.outcome !== 'accepted') where.push(`r.outcome <> 'accepted'`);
      if (query.code !== undefined) add('r.code = ?', query.code);
      if (query.afterSeq !== undefined) add('r.seq > ?', query.afterSeq);
      // Newest first too: a follower goes on after the newest line it was shown.
      add('r.seq <= ?', await settledLines.horizon());
      values.push(query.limit);
      const sql = `SELECT r.*, ${ANSWER_COLUMNS} FROM requests r ${ANSWER_JOIN} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq ${query.afterSeq === undefined ? 'DESC' : 'ASC'} LIMIT $${values.length}`;
      return (await q(sql, values)).map(toLogEntry);
    },
    triggerStats: async (sinceMs) =>
      toTriggerStats(
        await q('SELECT trigger_id, MAX(received_at) AS last FROM requests GROUP BY trigger_id'),
        await q('SELECT trigger_id, outcome, COUNT(*) AS n FROM requests WHERE received_at >= $1 GROUP BY trigger_id, outcome', [sinceMs]),
      ),
    getRequest: async (requestId) => {
      const row = await one(
        `SELECT r.*, ${ANSWER_COLUMNS}, w.target AS raw_target, w.headers AS raw_headers, w.truncated AS raw_truncated, COALESCE(w.body, i.payload, p.payload) AS raw_body
         FROM requests r ${ANSWER_JOIN} LEFT JOIN request_raw w ON w.request_id = r.request_id LEFT JOIN batch_items i ON i.request_id = r.request_id AND r.outcome = 'batched'
         LEFT JOIN runs p ON p.run_id = r.run_id AND r.outcome IN ('accepted', 'duplicate')
         WHERE r.request_id = $1`,
        [requestId],
      );
      if (!row) return undefined;
      return {
        entry: toLogEntry(row),
        raw: {
          target: row.raw_target === null ? String(row.path) : String(row.raw_target),
          headers: row.raw_headers === null ? {} : (JSON.parse(String(row.raw_headers)) as Record<string, string[]>),
          body: row.raw_body === null ? undefined : (row.raw_body as Buffer),
          truncated: Number(row.raw_truncated ?? 0) === 1,
        },
      };
    },
    purge: (beforeMs) =>
      inTransaction(async (client) => {
        await client.query('DELETE FROM dedupe WHERE expires_at <= $1', [Date.now()]);
        const runs = (await q(`SELECT run_id FROM runs WHERE accepted_at < $1 AND run_id NOT IN ${PENDING_RUNS}`, [beforeMs], client)).map((r) => String(r.run_id));
        const executionIds = (await q('SELECT execution_id FROM executions WHERE run_id = ANY($1)', [runs], client)).map((r) => String(r.execution_id));
        // Run notes are filed under the run id itself (core/notify/run-notes.ts).
        await client.query('DELETE FROM execution_logs WHERE execution_id = ANY($1)', [[...executionIds, ...runs]]);
        await client.query('DELETE FROM batch_items WHERE batch_id IN (SELECT batch_id FROM batches WHERE run_id = ANY($1))', [runs]);
        for (const table of ['executions', 'pipelines', 'jobs', 'batches', 'runs']) await client.query(`DELETE FROM ${table} WHERE run_id = ANY($1)`, [runs]);
        // The lines and their raw captures and answers in one statement, one snapshot: as separate
        // statements each read the requests anew, and a run finishing in between let its line go and
        // left its capture and answer, which no later purge finds (it finds them through lines).
        const gone = await one(
          `WITH gone AS (DELETE FROM requests WHERE received_at < $1 AND (run_id IS NULL OR run_id NOT IN ${PENDING_RUNS}) RETURNING request_id),
             raw_gone AS (DELETE FROM request_raw WHERE request_id IN (SELECT request_id FROM gone)),
             answers_gone AS (DELETE FROM request_answers WHERE request_id IN (SELECT request_id FROM gone))
           SELECT COUNT(*)::int AS n FROM gone`,
          [beforeMs],
          client,
        );
        const requests = Number(gone!.n);
        return { requests, runs: runs.length, executionIds };
      }),
    listTriggerDefs: async () => (await q('SELECT * FROM trigger_defs ORDER BY id')).map(toTriggerDef),
    triggerRevision: async () => Number((await one('SELECT COALESCE(MAX(revision), 0) AS revision FROM trigger_revisions'))!.revision),
    writeTriggerDef: (write) =>
      inTransaction(async (client): Promise<TriggerWriteOutcome> => {
        // Writers from every instance take turns, so revisions are handed out one at a time.
        await client.query('SELECT pg_advisory_xact_lock($1)', [TRIGGER_WRITE_LOCK]);
        const current = Number((await one('SELECT revision FROM trigger_defs WHERE id = $1', [write.id], client))?.revision ?? 0);
        if (current !== write.expectRevision) return { kind: 'conflict', currentRevision: current };
        const revision = Number((await one('SELECT COALESCE(MAX(revision), 0) AS revision FROM trigger_revisions', [], client))!.revision) + 1;
        const config = write.config === undefined ? null : JSON.stringify(write.config);
        if (config === null) await client.query('DELETE FROM trigger_defs WHERE id = $1', [write.id]);
        else {
          await client.query(
            `INSERT INTO trigger_defs (id, config, paused, revision, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (id) DO UPDATE SET config = EXCLUDED.config, paused = EXCLUDED.paused, revision = EXCLUDED.revision, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by`,
            [write.id, config, write.paused ? 1 : 0, revision, write.atMs, write.by],
          );
        }
        await client.query('INSERT INTO trigger_revisions (id, revision, at, by, diff, config, paused) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
          write.id,
          revision,
          write.atMs,
          write.by,
          JSON.stringify(write.diff),
          config,
          write.paused ? 1 : 0,
        ]);
        return { kind: 'written', revision };
      }),
    triggerRevisions: async (id) => (await q('SELECT * FROM trigger_revisions WHERE id = $1 ORDER BY revision DESC', [id])).map(toTriggerRevision),
    secret: async (name) => {
      await pool.query('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [`secret:${name}`, randomBytes(32).toString('hex')]);
      return String((await one('SELECT value FROM meta WHERE key = $1', [`secret:${name}`]))!.value);
    },
    close: async () => {
      await group.drain();
      await Promise.all([pool.end(), acceptPool.end()]);
    },
  };
}

/** Applies missing migrations under an advisory lock, so instances starting together take turns. */
async function migrate(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS hooklaunch_schema (version INTEGER NOT NULL)');
    const row = (await client.query('SELECT version FROM hooklaunch_schema')).rows[0] as { version: number } | undefined;
    const version = row?.version ?? 0;
    if (version > MIGRATIONS.length) throw new Error(`store schema version ${version} is newer than this hooklaunch understands (${MIGRATIONS.length}); upgrade hooklaunch`);
    for (let next = version; next < MIGRATIONS.length; next++) await client.query(MIGRATIONS[next]!);
    if (row) await client.query('UPDATE hooklaunch_schema SET version = $1', [MIGRATIONS.length]);
    else await client.query('INSERT INTO hooklaunch_schema (version) VALUES ($1)', [MIGRATIONS.length]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

