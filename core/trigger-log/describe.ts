/** The views the admin API and the web page share: triggers in words, a request in full, a run in full. */
import type { TriggerConfig } from '../config/schema.js';
import type { Connector } from '../connector.js';
import { summariseRun, type RunSummary } from '../launch/run-status.js';
import { payloadFilterWords } from '../request/credential-field.js';
import { jsonNestsDeeperThan } from '../request/json-depth.js';
import { isCredentialQuery, REDACTED, redactBodyFields, type Redaction } from './redaction.js';
import { renderExecutionOutput } from './execution-output.js';
import type { RejectionLog } from './rejection-log.js';
import type { ExecutionRecord, LogChunk, LogEntry, PipelineRecord, RunRecord, Store } from '../store/store.js';

/** Each condition (and the connector) in a few words: "HMAC-SHA256 in header X-Signature". */
export function describeConditions(trigger: TriggerConfig, binding?: { readonly connector: Connector; readonly params: unknown }): string[] {
  const words: string[] = [];
  // The connector's own words for what it checks (scheme, header, signed string, tolerance).
  if (trigger.connector) words.push(binding ? `${binding.connector.title}: ${binding.connector.verification(binding.params)}` : `${trigger.connector.type} connector (verifies the provider's signature or token)`);
  for (const c of trigger.conditions) {
    switch (c.type) {
      case 'web-request-auth':
        if (c.auth_type === 'static_token') words.push(`token in ${c.lookup} ${c.key}`);
        else if (c.auth_type === 'hmac') words.push(`HMAC-${c.algorithm.toUpperCase()} (${c.encoding}) in ${c.lookup} ${c.key} over "${c.message}"`);
        else words.push(`JWT (${c.algorithms.join(', ')}) in ${c.lookup} ${c.key}`);
        break;
      case 'timestamp':
        words.push(`timestamp in ${c.lookup} ${c.key} within ±${c.tolerance} s`);
        break;
      case 'payload-filter':
        words.push(`payload ${payloadFilterWords(c)}`);
        break;
      case 'rate-limit':
        words.push(`at most ${c.quota} launches per ${c.period} s`);
        break;
      case 'deduplicate':
        words.push(`deduplicated on ${c.lookup} ${c.key} for ${c.window} s`);
        break;
    }
  }
  return words.length ? words : ['none: anyone with the URL can launch'];
}

/** A trigger's batch setting in words (the page and `check` say the same). */
export function describeBatchSetting(batch: NonNullable<TriggerConfig['batch']>): string {
  const key = batch.key === '' ? 'one batch for all deliveries' : `one batch per ${batch.key}`;
  const quiet = batch.quiet === undefined ? '' : `, ${batch.quiet} s after its last delivery`;
  const mib = batch.max_bytes / (1024 * 1024);
  return `${key}; each launches once: ${batch.window} s after its first delivery${quiet}, at ${batch.max_items} deliveries or ${Number.isInteger(mib) ? `${mib} MiB` : `${batch.max_bytes} bytes`}, whichever comes first`;
}

export function describeActions(trigger: TriggerConfig): string[] {
  return trigger.actions.map((a) => (a.type === 'run-execution' ? `run step ${a.step}` : a.type === 'run-pipeline' ? `run pipeline ${a.pipeline}` : 'fetch the repository'));
}

export interface RunDetail {
  readonly run: RunRecord;
  readonly summary: RunSummary;
  /** `output` is the log rendered as `hooklaunch runs` and the web page show it. */
  readonly executions: ReadonlyArray<ExecutionRecord & { readonly log: LogChunk[]; readonly output: string }>;
  readonly pipelines: readonly PipelineRecord[];
}

export async function runDetail(store: Store, runId: string): Promise<RunDetail | undefined> {
  const run = await store.getRun(runId);
  if (!run) return undefined;
  const executions = await Promise.all(
    run.executions.map(async (e) => {
      const log = await store.executionLog(e.id);
      return { ...e, log, output: renderExecutionOutput(log) };
    }),
  );
  return { run, summary: summariseRun(run), executions, pipelines: run.pipelines };
}

export interface RequestDetail {
  readonly entry: LogEntry;
  /** The body as text, pretty-printed when JSON or form-encoded; undefined when not kept. */
  readonly payload?: string | undefined;
  readonly run?: RunDetail | undefined;
}

/** A logged request as the page and the admin API show it, credential fields of its body redacted. */
export async function requestDetail(store: Store, rejections: Pick<RejectionLog, 'flush'>, redaction: Redaction, requestId: string): Promise<RequestDetail | undefined> {
  await rejections.flush();
  const stored = await store.getRequest(requestId);
  if (!stored) return undefined;
  const body = stored.raw.body;
  const contentType = (stored.entry.headers['content-type'] ?? '').split(';')[0]!.trim();
  return {
    entry: stored.entry,
    payload: body === undefined || body.length === 0 ? undefined : prettyBody(body, contentType, redaction),
    run: stored.entry.runId === undefined ? undefined : await runDetail(store, stored.entry.runId),
  };
}

export function prettyBody(body: Buffer, contentType: string, redaction: Redaction): string {
  const text = body.toString('utf8');
  if (contentType === 'application/x-www-form-urlencoded') {
    const fields: Record<string, unknown> = {};
    for (const [key, value] of new URLSearchParams(text)) {
      fields[key] = isCredentialQuery(redaction, key) || redaction.fields.has(key) ? REDACTED : value;
    }
    if (typeof fields.payload === 'string' && !jsonNestsDeeperThan(fields.payload)) {
      try {
        fields.payload = JSON.parse(fields.payload) as never;
      } catch {
        // leave it as text
      }
    }
    return JSON.stringify(redactBodyFields(fields, redaction), null, 2);
  }
  // Too deep to walk safely (a refused hostile body): shown as the text it is.
  if (jsonNestsDeeperThan(text)) return text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return text;
  }
  return JSON.stringify(redactBodyFields(parsed, redaction), null, 2);
}
