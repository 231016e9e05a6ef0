/** Rows of the store's tables (the same columns in SQLite and PostgreSQL) turned into records. */
import type { ActionSpec } from './action-spec.js';
import type { StoredBatchItem } from './batch-payload.js';
import type { BatchCloseReason, BatchItem, BatchRecord, BatchState, ExecutionRecord, ExecutionSpec, ExecutionStatus, FollowRecord, JobError, JobRecord, LaunchResult, LogEntry, PipelineRecord, SentAnswer, PipelineSpec, PipelineStatus, TriggerChange, TriggerDef, TriggerRevision, TriggerStats } from './store.js';

export type Row = Record<string, unknown>;

export function optional<T>(value: unknown, map: (v: unknown) => T): T | undefined {
  return value === null || value === undefined ? undefined : map(value);
}

export function toJob(row: Row): JobRecord {
  return {
    id: String(row.job_id),
    runId: String(row.run_id),
    triggerId: String(row.trigger_id),
    actionIndex: Number(row.action_index),
    spec: JSON.parse(String(row.spec)) as ActionSpec,
    state: row.state as JobRecord['state'],
    attempts: Number(row.attempts),
    nextAttemptAtMs: Number(row.next_attempt_at),
    lastError: optional(row.last_error, (v) => JSON.parse(String(v)) as JobError),
    result: optional(row.result, (v) => JSON.parse(String(v)) as LaunchResult),
    acceptedAtMs: Number(row.accepted_at ?? 0),
  };
}

export function toExecution(row: Row): ExecutionRecord {
  return {
    id: String(row.execution_id),
    jobId: String(row.job_id),
    runId: String(row.run_id),
    spec: JSON.parse(String(row.spec)) as ExecutionSpec,
    status: row.status as ExecutionStatus,
    createdAtMs: Number(row.created_at),
    startedAtMs: optional(row.started_at, Number),
    endedAtMs: optional(row.ended_at, Number),
    exitCode: optional(row.exit_code, Number),
    error: optional(row.error, String),
  };
}

export function toPipeline(row: Row): PipelineRecord {
  return {
    id: String(row.pipeline_id),
    jobId: String(row.job_id),
    runId: String(row.run_id),
    spec: JSON.parse(String(row.spec)) as PipelineSpec,
    status: row.status as PipelineStatus,
    createdAtMs: Number(row.created_at),
    endedAtMs: optional(row.ended_at, Number),
    error: optional(row.error, String),
  };
}

export function toLogEntry(row: Row): LogEntry {
  return {
    seq: Number(row.seq),
    requestId: String(row.request_id),
    triggerId: String(row.trigger_id),
    receivedAtMs: Number(row.received_at),
    method: String(row.method),
    path: String(row.path),
    remoteAddress: String(row.remote_address),
    sizeBytes: Number(row.size_bytes),
    bodySha256: String(row.body_sha256),
    headers: JSON.parse(String(row.headers)) as Record<string, string>,
    outcome: row.outcome as LogEntry['outcome'],
    status: Number(row.status),
    code: optional(row.code, String),
    message: optional(row.message, String),
    runId: optional(row.run_id, String),
    replayOf: optional(row.replay_of, String),
    repeats: Number(row.repeats ?? 0),
    lastAtMs: optional(row.last_at, Number),
    revision: optional(row.revision, Number),
    answer: optional(row.answer, (v) => JSON.parse(String(v)) as SentAnswer),
    answeredMs: optional(row.answer_ms, Number),
  };
}

export function toTriggerDef(row: Row): TriggerDef {
  return {
    id: String(row.id),
    config: JSON.parse(String(row.config)) as unknown,
    paused: Number(row.paused) === 1,
    revision: Number(row.revision),
    updatedAtMs: Number(row.updated_at),
    updatedBy: String(row.updated_by),
  };
}

export function toTriggerRevision(row: Row): TriggerRevision {
  return {
    id: String(row.id),
    revision: Number(row.revision),
    atMs: Number(row.at),
    by: String(row.by),
    diff: JSON.parse(String(row.diff)) as TriggerChange[],
    config: optional(row.config, (v) => JSON.parse(String(v)) as unknown),
    paused: Number(row.paused) === 1,
  };
}

/**
 * Per-trigger stats from two queries: `trigger_id, last` (latest request ever) and
 * `trigger_id, outcome, n` (counts since the window start); every outcome starts at zero.
 */
export function toTriggerStats(lastRows: Row[], countRows: Row[]): TriggerStats[] {
  const stats = new Map<string, { counts: Record<string, number>; lastAtMs?: number }>();
  const entry = (id: string) => {
    let found = stats.get(id);
    if (!found) stats.set(id, (found = { counts: { accepted: 0, rejected: 0, duplicate: 0, handshake: 0, ignored: 0 } }));
    return found;
  };
  for (const row of lastRows) entry(String(row.trigger_id)).lastAtMs = Number(row.last);
  for (const row of countRows) entry(String(row.trigger_id)).counts[String(row.outcome)] = Number(row.n);
  return [...stats].map(([triggerId, s]) => ({ triggerId, counts: s.counts as TriggerStats['counts'], lastAtMs: s.lastAtMs }));
}

export function toFollow(row: Row): FollowRecord {
  return { remoteId: String(row.remote_id), kind: row.kind as FollowRecord['kind'], runId: String(row.run_id), triggerId: String(row.trigger_id), checks: Number(row.checks) };
}

export function toBatch(row: Row): BatchRecord {
  return {
    batchId: String(row.batch_id),
    triggerId: String(row.trigger_id),
    key: String(row.batch_key),
    runId: String(row.run_id),
    state: row.state as BatchState,
    items: Number(row.items),
    maxItems: Number(row.max_items),
    bytes: Number(row.bytes),
    maxBytes: Number(row.max_bytes),
    windowMs: Number(row.window_ms),
    quietMs: optional(row.quiet_ms, Number),
    openedAtMs: Number(row.opened_at),
    lastAtMs: Number(row.last_at),
    closesAtMs: Number(row.closes_at),
    closedAtMs: optional(row.closed_at, Number),
    closeReason: optional(row.close_reason, (v) => v as BatchCloseReason),
    note: optional(row.note, String),
    actions: String(row.actions),
    firstRequestId: String(row.first_request_id),
  };
}

/** A batch record as its row's values, in BATCH_COLUMNS order. */
export function batchValues(b: BatchRecord): unknown[] {
  return [b.batchId, b.triggerId, b.key, b.runId, b.state, b.items, b.maxItems, b.bytes, b.maxBytes, b.windowMs, b.quietMs ?? null, b.openedAtMs, b.lastAtMs, b.closesAtMs, b.closedAtMs ?? null, b.closeReason ?? null, b.note ?? null, b.actions, b.firstRequestId];
}

export function toBatchItem(row: Row): BatchItem {
  return { position: Number(row.position), requestId: String(row.request_id), receivedAtMs: Number(row.received_at), contentType: String(row.content_type), sizeBytes: Number(row.size) };
}

/** A batch item with its body, for assembling the batch's payload. */
export function toStoredBatchItem(row: Row): StoredBatchItem {
  return { position: Number(row.position), requestId: String(row.request_id), receivedAtMs: Number(row.received_at), contentType: String(row.content_type), payload: row.payload as Buffer };
}
