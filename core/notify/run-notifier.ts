/**
 * Tells senders how their runs are getting on, for connectors that report back (Slack posts to
 * the command's response_url). Each phase — started, failed, completed — is sent at most once
 * per run by this process; a failed post is logged, never retried into the sender's face. A
 * follow-up the connector had to drop (Slack's response_url expired and no bot token) is logged and
 * noted on the run, where run info shows it.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { FollowUpResult, RunProgress } from '../connector.js';
import { summariseRun, type RunSummary } from '../launch/run-status.js';
import type { RawRequest } from '../request/raw-request.js';
import type { Store } from '../store/store.js';
import type { TriggerSet } from '../triggers/trigger-set.js';
import { addRunNote } from './run-notes.js';

export interface RunNotifier {
  /** Something about the run changed (a launch, an execution or pipeline ending). */
  runChanged(runId: string): void;
  idle(): Promise<void>;
  isIdle(): boolean;
}

export function createRunNotifier(store: Store, triggers: Pick<TriggerSet, 'get'>, logger: Logger, clock: Clock): RunNotifier {
  const sent = new Map<string, Set<RunProgress['phase']>>();
  const chains = new Map<string, Promise<void>>();

  const notify = async (runId: string): Promise<void> => {
    const run = await store.getRun(runId);
    const trigger = run && triggers.get(run.triggerId);
    const binding = trigger?.connector;
    if (!run || !binding?.connector.followUp) return;
    const summary = summariseRun(run);
    const phase = phaseOf(summary, run.jobs.every((j) => j.state === 'done' || j.state === 'failed'));
    const already = sent.get(runId) ?? new Set();
    if (!phase || already.has(phase)) return;
    already.add(phase);
    sent.set(runId, already);
    if (phase !== 'started') sent.delete(runId);

    const sender = await senderOf(store, runId, run.acceptedAtMs);
    if (!sender) return;
    const delivery = binding.connector.parse({ method: 'POST', path: '', query: new URLSearchParams(), remoteAddress: '', ...sender }, binding.params);
    if (!delivery.ok) return;
    const progress: RunProgress = { runId, phase, details: detailsOf(summary, phase), acceptedAtMs: sender.receivedAtMs, atMs: clock.now() };
    let outcome: FollowUpResult | void;
    try {
      outcome = await binding.connector.followUp(progress, delivery.value, binding.params);
    } catch (error) {
      logger.warn({ runId, phase, connector: binding.connector.id, err: error }, 'could not report run progress to the sender');
      return;
    }
    if (outcome && 'dropped' in outcome) {
      logger.warn({ runId, phase, connector: binding.connector.id, reason: outcome.dropped }, 'run progress not reported to the sender');
      await addRunNote(store, runId, `follow-up dropped: ${outcome.dropped}`, clock.now());
    }
  };

  return {
    runChanged(runId) {
      const next = (chains.get(runId) ?? Promise.resolve())
        .then(() => notify(runId))
        .catch((error: unknown) => logger.error({ err: error, runId }, 'run notification failed'))
        .finally(() => {
          if (chains.get(runId) === next) chains.delete(runId);
        });
      chains.set(runId, next);
    },
    async idle() {
      while (chains.size > 0) await Promise.all(chains.values());
    },
    isIdle: () => chains.size === 0,
  };
}

function phaseOf(summary: RunSummary, allLaunched: boolean): RunProgress['phase'] | undefined {
  if (summary.status === 'completed') return 'completed';
  if (summary.status === 'error' || summary.status === 'complete_with_error') return 'failed';
  return allLaunched ? 'started' : undefined;
}

function detailsOf(summary: RunSummary, phase: RunProgress['phase']): string[] {
  if (phase === 'failed') return summary.errors;
  return summary.result.map((item) => {
    switch (item.action) {
      case 'run_execution':
        return `execution of ${item.execution_step}${item.execution_url ? `: ${item.execution_url}` : item.execution_status ? ` (${item.execution_status})` : ''}`;
      case 'run_pipeline':
        return `pipeline ${item.pipeline}${item.pipeline_url ? `: ${item.pipeline_url}` : item.pipeline_status ? ` (${item.pipeline_status})` : ''}`;
      case 'fetch_repository':
        return item.commits.length ? `fetched ${item.commits.map((c) => `${c.ref}@${c.identifier.slice(0, 7)}`).join(', ')}` : 'fetched: no new commits';
    }
  });
}

/**
 * The delivery whose sender hears of the run. A batch's run (issue #17) has batch.jsonl as its
 * payload, which no connector parses as one delivery: the batch's first delivery is told, the one
 * whose parameters the run took, as of its own arrival (Slack's response_url lasts 30 minutes
 * from the command, not from the batch's close). Read from the trigger log, not by assembling the
 * whole batch on every phase.
 */
async function senderOf(store: Store, runId: string, acceptedAtMs: number): Promise<Pick<RawRequest, 'headers' | 'body' | 'receivedAtMs'> | undefined> {
  const batch = await store.batchOfRun(runId);
  if (batch) {
    const first = await store.getRequest(batch.firstRequestId);
    if (!first?.raw.body) return undefined;
    return { headers: first.raw.headers, body: first.raw.body, receivedAtMs: first.entry.receivedAtMs };
  }
  const stored = await store.getPayload(runId);
  return stored && { headers: { 'content-type': [stored.contentType] }, body: stored.body, receivedAtMs: acceptedAtMs };
}
