/**
 * Follows the executions and pipelines hooklaunch created on Valohai until they end, so run info,
 * the page, `runs`, metrics and follow-ups show what really happened. No timer or connection per
 * run: one loop claims the follows that are due from the store (leased, so exactly one instance
 * checks a given one, and a follow whose checker died is taken over when its lease runs out),
 * asks Valohai, mirrors the status into the store and spaces the next check out (5 s, then × 1.5
 * up to a minute). Follows live in the store, so they survive restarts.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import { lastOutputLines, type EndedStatus, type OnExecutionEnded } from '../../launch/execution-ended.js';
import type { ExecutionStatus, FollowRecord, LogChunk, ExecutionStore, JobQueue, RemoteFollows } from '../../store/store.js';
import type { ValohaiApi } from './valohai-api.js';

/** valohai-cli's own lists (valohai_cli/consts.py): unfinished `created, queued, started, stopping`; finished `complete, error, crashed, stopped`. */
const EXECUTION_STATUS: Record<string, ExecutionStatus> = {
  created: 'queued',
  queued: 'queued',
  started: 'started',
  stopping: 'started',
  complete: 'complete',
  error: 'error',
  crashed: 'error',
  stopped: 'stopped',
};

/** A pipeline reports `started` while its nodes run (PIPELINE_DATA in valohai-cli's tests/fixtures/data.py), then how it ended. */
const PIPELINE_END: Record<string, EndedStatus> = {
  complete: 'complete',
  completed: 'complete',
  error: 'error',
  crashed: 'error',
  stopped: 'stopped',
  cancelled: 'stopped',
};

interface ExecutionDetail {
  readonly status?: string;
  readonly step?: string;
  readonly status_detail?: string | null;
  readonly urls?: { readonly display?: string };
}

interface PipelineDetail {
  readonly status?: string;
  readonly title?: string;
  readonly urls?: { readonly display?: string };
  readonly nodes?: ReadonlyArray<{ readonly name?: string; readonly status?: string; readonly execution?: { readonly id?: string; readonly status?: string } | null }>;
}

/** `GET /api/v0/executions/<id>/events/` (valohai_cli/log_manager.py): `{events: [{time, stream, message}], truncated, total}`. */
interface Events {
  readonly events?: ReadonlyArray<{ readonly stream?: string; readonly message?: string; readonly time?: string }>;
}

export interface StatusFollower {
  start(): void;
  stop(): Promise<void>;
  /** Checks the follows due now; resolves with how many were checked (tests drive it with an injected clock). */
  tick(): Promise<number>;
}

export interface StatusFollowerOptions {
  readonly store: RemoteFollows & ExecutionStore & JobQueue;
  readonly api: ValohaiApi;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly onEnded?: OnExecutionEnded;
  /** Told when a run's work changed state (follow-ups to the sender). */
  readonly onRunChanged?: (runId: string) => void;
  /** How often the loop looks for due follows. */
  readonly pollMs?: number;
  readonly batch?: number;
}

export const FIRST_CHECK_MS = 5_000;
const MAX_INTERVAL_MS = 60_000;
const LEASE_MS = 120_000;
/** Events fetched for a failure report: enough for the last output lines. */
const EVENTS_LIMIT = 200;

export function nextCheckDelayMs(checks: number): number {
  return Math.min(MAX_INTERVAL_MS, Math.round(FIRST_CHECK_MS * 1.5 ** Math.max(0, checks - 1)));
}

export function createStatusFollower({ store, api, clock, logger, onEnded, onRunChanged, pollMs = 1000, batch = 10 }: StatusFollowerOptions): StatusFollower {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let stopped = true;

  const lastOutput = async (executionId: string): Promise<string[]> => {
    const events = await api.request<Events>('GET', `/api/v0/executions/${executionId}/events/`, { query: { limit: String(EVENTS_LIMIT) } });
    if (!events.ok) return [`(output unavailable: ${events.failure.message})`];
    const chunks: LogChunk[] = (events.body?.events ?? []).map((e) => ({
      stream: e.stream === 'stderr' ? 'stderr' : e.stream === 'stdout' ? 'stdout' : 'system',
      text: `${e.message ?? ''}\n`,
      atMs: Date.parse(e.time ?? '') || clock.now(),
    }));
    return lastOutputLines(chunks);
  };

  const checkExecution = async (follow: FollowRecord): Promise<'ended' | 'running'> => {
    const detail = await api.request<ExecutionDetail>('GET', `/api/v0/executions/${follow.remoteId}/`);
    if (!detail.ok) {
      if (detail.failure.code === 'valohai_404') return endExecution(follow, 'error', 'not found on Valohai (deleted?)', []);
      throw new Error(detail.failure.message);
    }
    const status = EXECUTION_STATUS[detail.body?.status ?? ''];
    if (!status) return 'running'; // a status this version does not know: keep following
    const current = await store.getExecution(follow.remoteId);
    if (status === 'queued' || status === 'started') {
      if (current && current.status !== status) {
        await store.updateExecution(follow.remoteId, { status, ...(status === 'started' && { startedAtMs: clock.now() }) });
        onRunChanged?.(follow.runId);
      }
      return 'running';
    }
    const reason = status === 'complete' ? undefined : `Valohai reports the execution ${detail.body?.status}${detail.body?.status_detail ? `: ${detail.body.status_detail}` : ''}`;
    const output = status === 'complete' ? [] : await lastOutput(follow.remoteId);
    return endExecution(follow, status, reason, output, detail.body?.urls?.display, detail.body?.step);
  };

  const endExecution = async (follow: FollowRecord, status: ExecutionStatus, reason: string | undefined, output: string[], url?: string, step?: string): Promise<'ended'> => {
    const current = await store.getExecution(follow.remoteId);
    if (output.length > 0) await store.appendExecutionLog(follow.remoteId, [{ stream: 'system', text: `last output on Valohai:\n${output.join('\n')}\n`, atMs: clock.now() }]);
    await store.updateExecution(follow.remoteId, { status, endedAtMs: clock.now(), ...(reason !== undefined && { error: reason }) });
    return ended(follow, step ?? current?.spec.step ?? 'execution', status === 'complete' ? 'complete' : status === 'stopped' ? 'stopped' : 'error', reason, output, url);
  };

  const checkPipeline = async (follow: FollowRecord): Promise<'ended' | 'running'> => {
    const detail = await api.request<PipelineDetail>('GET', `/api/v0/pipelines/${follow.remoteId}/`);
    if (!detail.ok) {
      if (detail.failure.code !== 'valohai_404') throw new Error(detail.failure.message);
      return endPipeline(follow, 'error', 'not found on Valohai (deleted?)', []);
    }
    const ended = PIPELINE_END[detail.body?.status ?? ''];
    if (!ended) return 'running';
    const failedNode = detail.body?.nodes?.find((n) => n.execution && ['error', 'crashed', 'stopped'].includes(n.execution.status ?? ''));
    const reason =
      ended === 'complete'
        ? undefined
        : `Valohai reports the pipeline ${detail.body?.status}${failedNode ? `; node "${failedNode.name}" ended ${failedNode.execution?.status}` : ''}`;
    const output = ended !== 'complete' && failedNode?.execution?.id ? await lastOutput(failedNode.execution.id) : [];
    return endPipeline(follow, ended, reason, output, detail.body?.urls?.display);
  };

  const endPipeline = async (follow: FollowRecord, status: EndedStatus, reason: string | undefined, output: string[], url?: string): Promise<'ended'> => {
    const pipeline = await store.getPipeline(follow.remoteId);
    const stored = status === 'complete' ? 'complete' : status === 'stopped' || status === 'cancelled' ? 'stopped' : 'error';
    await store.finishPipeline(follow.remoteId, { status: stored, endedAtMs: clock.now(), ...(reason !== undefined && { error: output.length > 0 ? `${reason}\n${output.join('\n')}` : reason }) });
    return ended(follow, pipeline?.spec.pipeline ?? 'pipeline', stored, reason, output, url);
  };

  /** The follow is over: reported once, like local work that ended (metrics, notifications, follow-ups). */
  const ended = async (follow: FollowRecord, name: string, status: EndedStatus, reason: string | undefined, output: string[], url: string | undefined): Promise<'ended'> => {
    await store.endFollow(follow.remoteId);
    onEnded?.({
      runId: follow.runId,
      triggerId: follow.triggerId,
      kind: follow.kind,
      id: follow.remoteId,
      name,
      status,
      launcher: 'valohai',
      ...(reason !== undefined && { error: reason }),
      ...(output.length > 0 && { lastOutput: output }),
      ...(url !== undefined && { url }),
    });
    onRunChanged?.(follow.runId);
    return 'ended';
  };

  const check = async (follow: FollowRecord): Promise<void> => {
    try {
      const state = follow.kind === 'execution' ? await checkExecution(follow) : await checkPipeline(follow);
      if (state === 'running') await store.rescheduleFollow(follow.remoteId, clock.now() + nextCheckDelayMs(follow.checks));
    } catch (error) {
      // Valohai unreachable or answering 5xx: try again later, as for a running one.
      logger.warn({ err: error, remoteId: follow.remoteId, kind: follow.kind, checks: follow.checks }, 'could not read the status of Valohai work; trying again');
      await store.rescheduleFollow(follow.remoteId, clock.now() + nextCheckDelayMs(follow.checks)).catch(() => undefined);
    }
  };

  const tick = async (): Promise<number> => {
    const due = await store.claimFollows(clock.now(), batch, LEASE_MS);
    await Promise.all(due.map(check));
    return due.length;
  };

  const loop = (): void => {
    if (stopped) return;
    running = tick().catch((error: unknown) => {
      logger.error({ err: error }, 'the Valohai status follower could not read the store; retrying');
      return 0;
    });
    void running.then((checked) => {
      running = undefined;
      // A full batch may mean more are due: look again at once.
      if (!stopped) timer = setTimeout(loop, checked >= batch ? 0 : pollMs);
    });
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      timer = setTimeout(loop, pollMs);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
    tick,
  };
}
