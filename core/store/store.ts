/**
 * The one interface every persistent store implements (SQLite now, PostgreSQL later). Callers
 * never see SQL; everything is async so a networked store fits the same shape.
 */
import type { ActionSpec } from './action-spec.js';
import type { RejectCode } from '../reject.js';
import type { ParameterValue } from '../valohai-yaml/coerce-parameter.js';

/** accepted: launched; batched: stored in an open batch that launches once when it closes;
 *  duplicate: a repeat, nothing launched; rejected: refused (4xx/5xx);
 *  handshake: a protocol ping answered; ignored: filtered out but answered 2xx for the provider. */
export const LOG_OUTCOMES = ['accepted', 'batched', 'rejected', 'ignored', 'duplicate', 'handshake'] as const;
export type LogOutcome = (typeof LOG_OUTCOMES)[number];

/** A request whose run launched or will: accepted, or batched (its batch launches once it closes). */
export function hasRun(outcome: LogOutcome): boolean {
  return outcome === 'accepted' || outcome === 'batched';
}

/** One line of the trigger log: every request, whatever became of it. */
export interface RequestRecord {
  readonly requestId: string;
  readonly triggerId: string;
  readonly receivedAtMs: number;
  readonly method: string;
  /** Path and query, with credential-bearing query parameters redacted. */
  readonly path: string;
  readonly remoteAddress: string;
  readonly sizeBytes: number;
  readonly bodySha256: string;
  /** Header values with credentials redacted. */
  readonly headers: Readonly<Record<string, string>>;
  /** The request as sent, kept (apart from the log) so it can be replayed. */
  readonly raw?: RawCapture | undefined;
  /** Set when this request is a replay of an earlier one. */
  readonly replayOf?: string | undefined;
  /** Set on an unauthenticated rejection: the bytes its row costs against the trigger log's budget. */
  readonly unauthenticatedBytes?: number | undefined;
  /** The revision of the trigger that judged this request (0: file-managed; absent: no trigger known). */
  readonly revision?: number | undefined;
}

/** Everything needed to evaluate a request again: unredacted path, headers and body. */
export interface RawCapture {
  /** Path and query as received. */
  readonly target: string;
  readonly headers: Readonly<Record<string, readonly string[]>>;
  /** Absent when the request was refused before its body was read. */
  readonly body?: Buffer | undefined;
  /** Only a sample of the body or headers was kept (an unauthenticated rejection): not replayable. */
  readonly truncated?: boolean | undefined;
}

export interface StoredRequest {
  readonly entry: LogEntry;
  readonly raw: RawCapture;
}

/** A request that launched nothing, with why. A duplicate names the run it repeats. */
export interface UnlaunchedRequest extends RequestRecord {
  readonly outcome: Exclude<LogOutcome, 'accepted'>;
  readonly status: number;
  readonly code?: RejectCode | undefined;
  readonly message: string;
  readonly runId?: string | undefined;
}

export interface RateLimitSpec {
  readonly periodMs: number;
  readonly quota: number;
}

export interface AcceptRequest {
  readonly request: RequestRecord;
  readonly runId: string;
  readonly payload: Buffer;
  readonly contentType: string;
  readonly actions: readonly ActionSpec[];
  readonly dedupe?: Deduplicate | undefined;
  readonly rateLimits: readonly RateLimitSpec[];
  /** The status the sender is answered with when accepted (the trigger's `response.status`), for the log. */
  readonly answerStatus?: number | undefined;
  /** Set on a batched trigger: the delivery joins its key's open batch instead of launching. */
  readonly batch?: BatchJoin | undefined;
}

/**
 * How a delivery joins a batch. When no batch of its key is open (or the open one is full or past
 * its close time), the delivery opens one: `newBatchId`, the accept's `runId` as the batch's run,
 * and its `actions` (resolved from this first delivery) as what the batch launches.
 */
export interface BatchJoin {
  readonly key: string;
  readonly newBatchId: string;
  readonly windowMs: number;
  readonly quietMs?: number | undefined;
  readonly maxItems: number;
  /** The most payload bytes a batch holds: a delivery that would pass it seals the batch (it launches) and opens the next. */
  readonly maxBytes: number;
}

/** open: takes deliveries; held: closed to new ones, waiting (a rate limit, a paused trigger) to launch; launched: its run exists. */
export type BatchState = 'open' | 'held' | 'launched';
export type BatchCloseReason = 'max_items' | 'max_bytes' | 'window' | 'quiet' | 'manual';

export interface BatchRecord {
  readonly batchId: string;
  readonly triggerId: string;
  readonly key: string;
  /** Assigned when the batch opened; the run exists once the batch launched. */
  readonly runId: string;
  readonly state: BatchState;
  readonly items: number;
  readonly maxItems: number;
  /** Payload bytes of its items, and the most it may hold. */
  readonly bytes: number;
  readonly maxBytes: number;
  readonly windowMs: number;
  readonly quietMs?: number | undefined;
  readonly openedAtMs: number;
  readonly lastAtMs: number;
  /** When it closes (open), or when it is tried again (held). */
  readonly closesAtMs: number;
  readonly closedAtMs?: number | undefined;
  readonly closeReason?: BatchCloseReason | undefined;
  /** Why a held batch waits. */
  readonly note?: string | undefined;
  /** The actions it launches (JSON of ActionSpec[]), resolved from its first delivery. */
  readonly actions: string;
  readonly firstRequestId: string;
}

/**
 * Closing a batch: `due` closes it only if it is full or its time has come (the closer's view may
 * be stale: a delivery since may have extended its quiet time); `manual` closes it now. `hold`
 * keeps it from launching until then (its trigger is paused).
 */
export interface BatchClose {
  readonly batchId: string;
  readonly triggerId: string;
  readonly nowMs: number;
  readonly reason: 'due' | 'manual';
  /** The trigger's current limits: a batch's launch counts against them like any launch. */
  readonly rateLimits: readonly RateLimitSpec[];
  readonly hold?: { readonly untilMs: number; readonly note: string } | undefined;
}

export type BatchCloseOutcome =
  | { readonly kind: 'launched'; readonly runId: string; readonly items: number; readonly reason: BatchCloseReason }
  | { readonly kind: 'held'; readonly untilMs: number; readonly message: string }
  | { readonly kind: 'not_due' }
  | { readonly kind: 'not_open'; readonly state?: BatchState | undefined };

/** A delivery is a repeat when any of its keys was seen within the window; all of them are remembered. */
export interface Deduplicate {
  readonly keys: ReadonlyArray<{ readonly key: string; /** What the key is, for the log: "delivery id". */ readonly what: string }>;
  readonly windowMs: number;
}

/** Identical unauthenticated rejections counted into the log line of the first one. */
export interface RepeatCount {
  readonly requestId: string;
  readonly repeats: number;
  readonly lastAtMs: number;
}

export type AcceptOutcome =
  | { readonly kind: 'accepted'; readonly runId: string }
  | {
      readonly kind: 'batched';
      readonly runId: string;
      readonly batchId: string;
      readonly position: number;
      readonly closesAtMs: number;
      /** Set when a batch is due now: this delivery filled its batch (max_items), or sealed the one before by its bytes. */
      readonly dueNow?: true;
    }
  | { readonly kind: 'duplicate'; readonly runId: string; /** Which dedupe key matched ("delivery id"). */ readonly what: string }
  | { readonly kind: 'rate_limited'; readonly retryAfterSeconds: number; readonly message: string };

export type JobState = 'pending' | 'running' | 'done' | 'failed';

/** What a launch created. `counter` and `url` come from a remote engine (Valohai's `counter`, `urls.display`). */
export type LaunchResult =
  | { readonly kind: 'execution'; readonly executionId: string; readonly step: string; readonly counter?: number; readonly url?: string }
  | {
      readonly kind: 'pipeline';
      readonly pipelineId: string;
      readonly pipeline: string;
      readonly counter?: number;
      readonly url?: string;
      /** Which valohai.yaml the pipeline was built from, when the launcher had to choose (remote engine). */
      readonly definition?: string;
    }
  | { readonly kind: 'fetch'; readonly commits: ReadonlyArray<{ ref: string; identifier: string }>; readonly errors: readonly string[] };

export interface JobError {
  readonly code: string;
  readonly message: string;
}

export interface JobRecord {
  readonly id: string;
  readonly runId: string;
  readonly triggerId: string;
  readonly actionIndex: number;
  readonly spec: ActionSpec;
  readonly state: JobState;
  readonly attempts: number;
  readonly nextAttemptAtMs: number;
  readonly lastError?: JobError | undefined;
  readonly result?: LaunchResult | undefined;
  /** When its run was accepted (launch latency is measured from here). */
  readonly acceptedAtMs: number;
}

export interface PurgeResult {
  readonly requests: number;
  readonly runs: number;
  /** Executions removed, so their work folders can go too. */
  readonly executionIds: readonly string[];
}

export interface QueueStats {
  /** Jobs waiting to be launched or being launched. */
  readonly depth: number;
  readonly oldestAcceptedAtMs?: number | undefined;
}

/** `stopped`: stopped on a remote engine (Valohai's word); the local runner says `cancelled`. */
export type ExecutionStatus = 'queued' | 'started' | 'complete' | 'error' | 'cancelled' | 'stopped';

export function isFinished(status: ExecutionStatus): boolean {
  return status === 'complete' || status === 'error' || status === 'cancelled' || status === 'stopped';
}

export interface ExecutionSpec {
  /** Set on an execution a remote engine runs: this process only mirrors its status. */
  readonly remote?: 'valohai' | undefined;
  readonly step: string;
  readonly title: string;
  readonly parameters: Readonly<Record<string, ParameterValue>>;
  readonly payloadInput?: string | undefined;
  readonly payloadFilename: string;
  /** The resolved commit sha to run the step from; absent = the project folder as it is. */
  readonly commit?: string | undefined;
  /** The ref the action named (`main`), for display. */
  readonly commitRef?: string | undefined;
  readonly pipelineId?: string | undefined;
  /** The pipeline's name and the node this execution runs, for node overrides. */
  readonly pipeline?: string | undefined;
  readonly node?: string | undefined;
  /** Files handed over by pipeline edges, by input name (absolute paths). */
  readonly inputFiles?: Readonly<Record<string, readonly string[]>> | undefined;
}

export interface PipelineSpec {
  readonly pipeline: string;
  readonly title: string;
  /** Parameters from the trigger: pipeline parameter names, or `node.parameter`. */
  readonly parameters: Readonly<Record<string, ParameterValue>>;
  /** `node.input` that receives the payload. */
  readonly payloadInput?: string | undefined;
  readonly payloadFilename: string;
  readonly commit?: string | undefined;
  readonly commitRef?: string | undefined;
}

export type PipelineStatus = 'started' | 'complete' | 'error' | 'stopped';

export interface PipelineRecord {
  readonly id: string;
  readonly jobId: string;
  readonly runId: string;
  readonly spec: PipelineSpec;
  readonly status: PipelineStatus;
  readonly createdAtMs: number;
  readonly endedAtMs?: number | undefined;
  readonly error?: string | undefined;
}

export interface ExecutionRecord {
  readonly id: string;
  readonly jobId: string;
  readonly runId: string;
  readonly spec: ExecutionSpec;
  readonly status: ExecutionStatus;
  readonly createdAtMs: number;
  readonly startedAtMs?: number | undefined;
  readonly endedAtMs?: number | undefined;
  readonly exitCode?: number | undefined;
  readonly error?: string | undefined;
}

export interface ExecutionUpdate {
  readonly status: ExecutionStatus;
  readonly startedAtMs?: number;
  readonly endedAtMs?: number;
  readonly exitCode?: number;
  readonly error?: string;
}

/**
 * A piece of an execution's output: whole lines of one stream (the local runner reassembles them),
 * or the start of a line that has no newline yet (its continuation follows in a later chunk).
 */
export interface LogChunk {
  readonly stream: 'stdout' | 'stderr' | 'system';
  readonly text: string;
  readonly atMs: number;
  /** Its position in the execution's log, set when read from the store (for following it). */
  readonly seq?: number | undefined;
}

/** Work launched on a remote engine (a Valohai execution or pipeline), followed until it ends. */
export interface FollowRecord {
  readonly remoteId: string;
  readonly kind: 'execution' | 'pipeline';
  readonly runId: string;
  readonly triggerId: string;
  /** Checks made so far, this one included (later checks are spaced further apart). */
  readonly checks: number;
}

export interface RunRecord {
  readonly runId: string;
  readonly triggerId: string;
  readonly acceptedAtMs: number;
  readonly jobs: readonly JobRecord[];
  readonly executions: readonly ExecutionRecord[];
  readonly pipelines: readonly PipelineRecord[];
}

export interface LogQuery {
  readonly triggerId?: string | undefined;
  readonly outcome?: LogOutcome | undefined;
  readonly code?: string | undefined;
  /** Only entries logged after this sequence number (following the log). */
  readonly afterSeq?: number | undefined;
  readonly limit: number;
}

export interface TriggerStats {
  readonly triggerId: string;
  /** Counts by outcome since the `sinceMs` asked for. */
  readonly counts: Readonly<Record<LogOutcome, number>>;
  readonly lastAtMs?: number | undefined;
}

export interface LogEntry extends RequestRecord {
  readonly seq: number;
  readonly outcome: LogOutcome;
  readonly status: number;
  readonly code?: string | undefined;
  readonly message?: string | undefined;
  readonly runId?: string | undefined;
  /** Identical rejections aggregated into this line after it (same trigger, code and sender). */
  readonly repeats: number;
  readonly lastAtMs?: number | undefined;
  /** What the sender got back, written shortly after it was sent (absent on rows logged before). */
  readonly answer?: SentAnswer | undefined;
  /** Milliseconds from arrival to the answer being sent. */
  readonly answeredMs?: number | undefined;
}

/** How long each stage of handling took, in milliseconds; a stage not reached is absent. */
export interface AnswerStages {
  readonly verify_ms?: number | undefined;
  readonly store_ms?: number | undefined;
  readonly total_ms: number;
}

/** The answer as sent: credential headers redacted, the body text cut at 4 KiB. */
export interface SentAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly stages: AnswerStages;
}

export interface RecordedAnswer {
  readonly requestId: string;
  readonly answer: SentAnswer;
  readonly answeredMs: number;
}

/** A trigger managed through the admin API, in the config's own shape (`${env:…}` references unresolved). */
export interface TriggerDef {
  readonly id: string;
  readonly config: unknown;
  readonly paused: boolean;
  /** The store-wide revision of its last change: revisions only grow, across all triggers. */
  readonly revision: number;
  readonly updatedAtMs: number;
  /** Which admin token made the change. */
  readonly updatedBy: string;
}

/** One changed path of a trigger: its value before and after (absent = not set). */
export interface TriggerChange {
  readonly path: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

export interface TriggerRevision {
  readonly id: string;
  readonly revision: number;
  readonly atMs: number;
  readonly by: string;
  readonly diff: readonly TriggerChange[];
  /** The trigger as of this revision; absent when this revision deleted it. */
  readonly config?: unknown;
  readonly paused: boolean;
}

/** A create, update or delete (`config` absent), applied only when the trigger is still at `expectRevision` (0: does not exist). */
export interface TriggerWrite {
  readonly id: string;
  readonly config?: unknown;
  readonly paused: boolean;
  readonly expectRevision: number;
  readonly atMs: number;
  readonly by: string;
  readonly diff: readonly TriggerChange[];
}

export type TriggerWriteOutcome = { readonly kind: 'written'; readonly revision: number } | { readonly kind: 'conflict'; readonly currentRevision: number };

/** The trigger log: accepting a request (its run, jobs and log line in one durable commit) and every other request's line; reading them back. */
export interface TriggerLog {
  /**
   * Dedupe, rate limits, the run, its payload, its jobs and the log line, in one transaction that
   * is durable before the promise resolves. Requests that arrive together share a commit. A
   * duplicate or rate-limited request writes nothing: the caller logs it (recordUnlaunched).
   */
  accept(input: AcceptRequest): Promise<AcceptOutcome>;
  /** Logs a request that launched nothing (a rate-limited accept is logged this way by its caller). */
  recordUnlaunched(entry: UnlaunchedRequest): Promise<void>;
  /** Adds aggregated repeats to logged rejections. */
  addRepeats(counts: readonly RepeatCount[]): Promise<void>;
  /** Adds what the senders got back to their logged requests; gathered and written in batches, off the hot path. */
  recordAnswers(answers: readonly RecordedAnswer[]): Promise<void>;
  /** What the logged unauthenticated rejections cost, in bytes (their `unauthenticatedBytes`). */
  unauthenticatedLogBytes(): Promise<number>;
  /**
   * Newest first; with `afterSeq`, the entries after it, oldest first. Only entries no earlier
   * entry can still be committed before: a follower that goes on after the last seq it was shown
   * skips none (two commits in flight may finish out of seq order).
   */
  listLog(query: LogQuery): Promise<LogEntry[]>;
  triggerStats(sinceMs: number): Promise<TriggerStats[]>;
  /** A logged request with what is needed to replay it (the body of an accepted one is its run's payload). */
  getRequest(requestId: string): Promise<StoredRequest | undefined>;
}

/** The durable launch queue: jobs claimed under a lease, completed or failed. */
export interface JobQueue {
  /** Pending jobs that are due, and running jobs whose lease ran out (their claimer died). */
  claimJobs(nowMs: number, limit: number, leaseMs: number): Promise<JobRecord[]>;
  completeJob(jobId: string, result: LaunchResult): Promise<void>;
  /** Records a failed attempt; with `retryAtMs` the job goes back to pending, else it is failed for good. */
  failJob(jobId: string, error: JobError, retryAtMs: number | undefined): Promise<void>;
  nextJobDueMs(): Promise<number | undefined>;
  queueStats(): Promise<QueueStats>;
}

/** Work launched on a remote engine whose status this service follows. */
export interface RemoteFollows {
  /** Starts following work launched on a remote engine; idempotent on `remoteId`. */
  followRemote(follow: { remoteId: string; kind: FollowRecord['kind']; runId: string; triggerId: string; nextCheckAtMs: number }): Promise<void>;
  /**
   * Follows due for a check, leased to the caller for `leaseMs`: exactly one instance checks a
   * given one at a time, and one whose checker died is checked again when its lease runs out.
   */
  claimFollows(nowMs: number, limit: number, leaseMs: number): Promise<FollowRecord[]>;
  rescheduleFollow(remoteId: string, nextCheckAtMs: number): Promise<void>;
  endFollow(remoteId: string): Promise<void>;
}

/** Deliveries gathered into batches (issue #17): each batch launches once, when it closes. */
export interface Batches {
  /** Closes (launches), holds or declines to close one batch, decided in the store: exactly once across instances. */
  closeBatch(close: BatchClose): Promise<BatchCloseOutcome>;
  /** Open batches that are full or whose close time has come, and held ones due another try; oldest first. */
  dueBatches(nowMs: number, limit: number): Promise<BatchRecord[]>;
  /** When the next open or held batch is due (undefined: none). */
  nextBatchDueMs(): Promise<number | undefined>;
  /** Newest first; `states` default: every state. */
  listBatches(query: { readonly triggerId?: string | undefined; readonly states?: readonly BatchState[] | undefined; readonly limit: number }): Promise<BatchRecord[]>;
  getBatch(batchId: string): Promise<BatchRecord | undefined>;
  /** The batch whose run this is (before or after it launched). */
  batchOfRun(runId: string): Promise<BatchRecord | undefined>;
  /** A batch's deliveries in arrival order, without their bodies. */
  batchItems(batchId: string): Promise<BatchItem[]>;
}

export interface BatchItem {
  readonly position: number;
  readonly requestId: string;
  readonly receivedAtMs: number;
  readonly contentType: string;
  readonly sizeBytes: number;
}

/** A run's payload; a batch's run has its deliveries as JSON Lines plus an index (batch.jsonl, index.json). */
export interface RunPayload {
  readonly body: Buffer;
  readonly contentType: string;
  /** index.json of a batch's run. */
  readonly index?: Buffer | undefined;
}

/** Runs, their executions and pipelines, and the executions' output. */
export interface ExecutionStore {
  /** Idempotent on `id`: a second call returns the existing execution. `status` defaults to queued. */
  createExecution(execution: {
    id: string;
    jobId: string;
    runId: string;
    spec: ExecutionSpec;
    createdAtMs: number;
    status?: 'queued' | 'cancelled' | 'error';
    error?: string;
  }): Promise<ExecutionRecord>;
  executionsOfPipeline(pipelineId: string): Promise<ExecutionRecord[]>;
  /** Idempotent on `id`, like createExecution. */
  createPipeline(pipeline: { id: string; jobId: string; runId: string; spec: PipelineSpec; createdAtMs: number }): Promise<PipelineRecord>;
  getPipeline(id: string): Promise<PipelineRecord | undefined>;
  finishPipeline(id: string, update: { status: 'complete' | 'error' | 'stopped'; endedAtMs: number; error?: string }): Promise<void>;
  pipelinesWithStatus(status: PipelineStatus): Promise<PipelineRecord[]>;
  updateExecution(id: string, update: ExecutionUpdate): Promise<void>;
  executionsWithStatus(status: ExecutionStatus): Promise<ExecutionRecord[]>;
  getExecution(id: string): Promise<ExecutionRecord | undefined>;
  appendExecutionLog(id: string, chunks: readonly LogChunk[]): Promise<void>;
  /** In the order written; with `afterSeq`, only the chunks after that one (following a running execution), up to where none earlier can still be committed. */
  executionLog(id: string, afterSeq?: number): Promise<LogChunk[]>;
  getRun(runId: string): Promise<RunRecord | undefined>;
  getPayload(runId: string): Promise<RunPayload | undefined>;
}

/** Triggers managed through the admin API, with their revisions. */
export interface TriggerDefs {
  /** Every trigger managed through the admin API. */
  listTriggerDefs(): Promise<TriggerDef[]>;
  /** The newest revision of any trigger (0: none yet); instances poll it to see changes made elsewhere. */
  triggerRevision(): Promise<number>;
  /** Writes a trigger and its revision row in one transaction, under the next store-wide revision. */
  writeTriggerDef(write: TriggerWrite): Promise<TriggerWriteOutcome>;
  /** A trigger's revisions, newest first (those of a deleted trigger included). */
  triggerRevisions(id: string): Promise<TriggerRevision[]>;
}

/** What the serving process does to the store as a whole: take it over, purge it, keep its own secrets, close it. */
export interface Maintenance {
  /**
   * Called once by a serving process before it claims work. Recovers jobs that processes which
   * died had claimed, so they launch at once instead of after their lease. The SQLite store
   * refuses when another live process already serves the same file.
   */
  takeOver(): Promise<void>;
  /**
   * Deletes trigger-log entries, stored requests and finished runs (with their payloads, jobs,
   * executions and output logs) from before `beforeMs`. A run still pending is never touched.
   */
  purge(beforeMs: number): Promise<PurgeResult>;
  /** A random secret kept in the store under `name`, made on first use (e.g. the URL signing key). */
  secret(name: string): Promise<string>;

  close(): Promise<void>;
}

/**
 * The one interface every persistent store implements (SQLite, PostgreSQL), as the sum of its
 * roles; a consumer that needs one role depends on that role only.
 */
export interface Store extends TriggerLog, JobQueue, RemoteFollows, ExecutionStore, TriggerDefs, Batches, Maintenance {}
