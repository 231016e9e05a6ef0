/**
 * Tells operators when something needs them: an action that failed for good after its retries,
 * launched work (an execution or a pipeline) that ended in error, or a trigger that suddenly refuses most requests (a rotated secret, a changed payload). Sent
 * off the request path, retried with backoff, rate-limited per target, and logged.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Config, NotifyTarget } from '../config/schema.js';
import type { ExecutionEnded } from '../launch/execution-ended.js';
import type { Metrics } from '../metrics/metrics.js';
import type { JobRecord } from '../store/store.js';

export interface FailureNotifier {
  launchFailed(job: JobRecord, triggerTitle: string, failure: { code: string; message: string }): void;
  /** An execution or pipeline that was launched and ended in error, with its last output lines. */
  executionFailed(ended: ExecutionEnded, triggerTitle: string): void;
  /** Every request's outcome, to watch for a trigger that starts rejecting. */
  observe(triggerId: string, triggerTitle: string, outcome: string, code: string | undefined): void;
  idle(): Promise<void>;
}

export interface NotifierOptions {
  readonly config: Config;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics?: Metrics | undefined;
  /** Delays between delivery attempts (default 1 s, 4 s, 15 s). */
  readonly retryDelaysMs?: readonly number[];
  /** At most this many messages per target per minute; more are dropped and logged. */
  readonly perMinute?: number;
  /** A trigger's own targets, read when a notice is sent (the service passes its live triggers'); default: `config.triggers`. */
  readonly triggerTargets?: (triggerId: string) => readonly NotifyTarget[] | undefined;
}

interface Notice {
  readonly event: NotifyTarget['on'][number];
  readonly triggerId: string;
  readonly triggerTitle: string;
  readonly text: string;
  readonly details: Record<string, unknown>;
  /** Slack's text when it should carry more than `text` (output lines in a code block). */
  readonly slackText?: string | undefined;
}

export function createFailureNotifier({ config, clock, logger, metrics, retryDelaysMs = [1000, 4000, 15000], perMinute = 20, triggerTargets }: NotifierOptions): FailureNotifier {
  const fromConfig = new Map(config.triggers.map((t) => [t.id, t.notify]));
  const perTrigger = triggerTargets ?? ((triggerId: string) => fromConfig.get(triggerId));
  const sentAt = new Map<string, number[]>();
  const inFlight = new Set<Promise<void>>();
  const windows = new Map<string, RejectionWindow>();

  const targetsFor = (triggerId: string, event: Notice['event']): NotifyTarget[] =>
    [...config.notify, ...(perTrigger(triggerId) ?? [])].filter((t) => t.on.includes(event));

  const deliver = async (target: NotifyTarget, notice: Notice): Promise<void> => {
    const kind = target.kind ?? (new URL(target.url).hostname === 'hooks.slack.com' ? 'slack' : 'http');
    const host = new URL(target.url).host;
    const recent = (sentAt.get(target.url) ?? []).filter((t) => t > clock.now() - 60_000);
    if (recent.length >= perMinute) {
      metrics?.notifications.inc({ target: kind, result: 'dropped' });
      logger.warn({ event: notice.event, target: host }, 'notification dropped: rate limit for this target reached');
      return;
    }
    sentAt.set(target.url, [...recent, clock.now()]);
    const body =
      kind === 'slack'
        ? { text: notice.slackText ?? notice.text }
        : { event: notice.event, trigger_id: notice.triggerId, trigger_title: notice.triggerTitle, message: notice.text, ...notice.details };
    for (let attempt = 0; attempt <= retryDelaysMs.length; attempt++) {
      try {
        const response = await fetch(target.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
        await response.body?.cancel();
        if (response.ok) {
          metrics?.notifications.inc({ target: kind, result: 'sent' });
          logger.info({ event: notice.event, target: host, attempt: attempt + 1 }, 'notification sent');
          return;
        }
        if (response.status < 500 && response.status !== 429) throw new Error(`answered ${response.status}; not retried`, { cause: 'permanent' });
        logger.warn({ event: notice.event, target: host, status: response.status, attempt: attempt + 1 }, 'notification not accepted; retrying');
      } catch (error) {
        if ((error as Error).cause === 'permanent') {
          metrics?.notifications.inc({ target: kind, result: 'failed' });
          logger.error({ event: notice.event, target: host, err: error }, 'notification refused');
          return;
        }
        logger.warn({ event: notice.event, target: host, attempt: attempt + 1, err: error }, 'notification could not be sent; retrying');
      }
      if (attempt < retryDelaysMs.length) await new Promise((resolve) => setTimeout(resolve, retryDelaysMs[attempt]));
    }
    metrics?.notifications.inc({ target: kind, result: 'failed' });
    logger.error({ event: notice.event, target: host }, 'notification failed after retries');
  };

  const send = (notice: Notice): void => {
    for (const target of targetsFor(notice.triggerId, notice.event)) {
      const sending = deliver(target, notice).finally(() => inFlight.delete(sending));
      inFlight.add(sending);
    }
  };

  return {
    launchFailed(job, triggerTitle, failure) {
      send({
        event: 'launch_failed',
        triggerId: job.triggerId,
        triggerTitle,
        text: `hooklaunch: ${job.spec.type} (action ${job.actionIndex}) of run ${job.runId} on trigger "${triggerTitle || job.triggerId}" failed after ${job.attempts} attempt(s): ${failure.code}: ${failure.message}`,
        details: { run_id: job.runId, action_index: job.actionIndex, action: job.spec.type, attempts: job.attempts, code: failure.code, reason: failure.message },
      });
    },
    executionFailed(ended, triggerTitle) {
      const what = ended.kind === 'pipeline' ? `pipeline ${ended.name}` : `execution of ${ended.name}`;
      const text = `hooklaunch: ${what} (${ended.id}) of run ${ended.runId} on trigger "${triggerTitle || ended.triggerId}" ended in ${ended.status}${ended.error ? `: ${ended.error}` : ''}${ended.url ? ` ${ended.url}` : ''}`;
      const lines = ended.lastOutput ?? [];
      send({
        event: 'execution_failed',
        triggerId: ended.triggerId,
        triggerTitle,
        text,
        // Backticks inside the output would end Slack's code block early.
        slackText: lines.length ? `${text}\n\`\`\`\n${lines.join('\n').replaceAll('```', "'''")}\n\`\`\`` : text,
        details: {
          run_id: ended.runId,
          kind: ended.kind,
          [ended.kind === 'pipeline' ? 'pipeline_id' : 'execution_id']: ended.id,
          [ended.kind === 'pipeline' ? 'pipeline' : 'step']: ended.name,
          launcher: ended.launcher,
          status: ended.status,
          reason: ended.error ?? '',
          last_output: lines,
          ...(ended.url !== undefined && { url: ended.url }),
        },
      });
    },
    observe(triggerId, triggerTitle, outcome, code) {
      const { ratio, min_requests: minRequests, window } = config.rejecting;
      const now = clock.now();
      let state = windows.get(triggerId);
      if (!state) windows.set(triggerId, (state = new RejectionWindow(window)));
      state.add(now, outcome === 'rejected', code);
      const quiet = state.alertedAtMs === undefined || state.alertedAtMs < now - window * 1000;
      if (state.total < minRequests || state.rejected / state.total < ratio || !quiet) return;
      state.alertedAtMs = now;
      const top = state.topCode();
      send({
        event: 'rejecting',
        triggerId,
        triggerTitle,
        text: `hooklaunch: trigger "${triggerTitle || triggerId}" rejected ${state.rejected} of its last ${state.total} requests in ${Math.round(window / 60)} min, mostly ${top}${top === 'signature_mismatch' || top === 'token_mismatch' ? ' (a rotated secret?)' : ''}`,
        details: { rejected: state.rejected, requests: state.total, window_seconds: window, top_code: top },
      });
    },
    async idle() {
      while (inFlight.size > 0) await Promise.all(inFlight);
    },
  };
}

/**
 * Request counts of one trigger over a sliding window, kept in per-second buckets with running
 * totals, so each request costs O(1) however busy the trigger is.
 */
class RejectionWindow {
  total = 0;
  rejected = 0;
  alertedAtMs: number | undefined;
  private readonly buckets: Array<{ second: number; total: number; rejected: number; codes: Map<string, number> }> = [];
  private readonly codes = new Map<string, number>();

  constructor(private readonly windowSeconds: number) {}

  add(nowMs: number, rejected: boolean, code: string | undefined): void {
    const second = Math.floor(nowMs / 1000);
    while (this.buckets.length > 0 && this.buckets[0]!.second <= second - this.windowSeconds) {
      const old = this.buckets.shift()!;
      this.total -= old.total;
      this.rejected -= old.rejected;
      for (const [c, n] of old.codes) this.codes.set(c, (this.codes.get(c) ?? 0) - n);
    }
    let bucket = this.buckets.at(-1);
    if (bucket?.second !== second) this.buckets.push((bucket = { second, total: 0, rejected: 0, codes: new Map() }));
    bucket.total++;
    this.total++;
    if (!rejected) return;
    bucket.rejected++;
    this.rejected++;
    const key = code ?? 'unknown';
    bucket.codes.set(key, (bucket.codes.get(key) ?? 0) + 1);
    this.codes.set(key, (this.codes.get(key) ?? 0) + 1);
  }

  topCode(): string {
    return [...this.codes].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'unknown';
  }
}
