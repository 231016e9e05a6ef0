import type { ValidateFunction } from 'ajv';
import type { ConnectorBinding } from '../config/load-config.js';
import { DEFAULT_MAX_BODY_BYTES, type ActionConfig, type ConditionConfig, type LocatorConfig, type ResponseConfig, type TriggerConfig } from '../config/schema.js';
import type { Connector, Delivery, PayloadScope } from '../connector.js';
import type { Check } from '../conditions/check.js';
import { compileHmac } from '../conditions/hmac.js';
import { compileJwt } from '../conditions/jwt.js';
import { compilePayloadFilter, parsedBodyOf, type PayloadOf } from '../conditions/payload-filter.js';
import { compilePayloadSchemaCheck } from '../conditions/payload-schema.js';
import { compilePayloadSchema } from '../config/payload-schema.js';
import { compileStaticToken } from '../conditions/static-token.js';
import { compileTimestamp } from '../conditions/timestamp.js';
import { payloadFilenameFor, type ActionSpec } from '../store/action-spec.js';
import { BATCH_PAYLOAD_FILE } from '../store/batch-payload.js';
import { locateRaw } from '../request/locate-value.js';
import { bodySha256, contentTypeOf, decodedOnce, type RawRequest } from '../request/raw-request.js';
import { accept, refuse, type Verdict } from '../reject.js';
import type { Deduplicate } from '../store/store.js';
import type { Credentials } from '../trigger-log/redaction.js';
import { argumentProblem, coerceParameter, type ParameterValue } from '../valohai-yaml/coerce-parameter.js';
import type { ValohaiProject } from '../valohai-yaml/load-valohai-yaml.js';
import type { ParameterDef } from '../valohai-yaml/schema.js';
import { isTemplated, renderTemplate, type TemplateContext } from '../request/payload-template.js';
import { compileStreamingAuth, type StreamingAuth } from './streaming-auth.js';

export interface RateLimit {
  readonly periodMs: number;
  readonly quota: number;
}

export interface Deduplication {
  /** The keys that identify this delivery; none when it carries nothing to deduplicate on. */
  readonly locate: (req: RawRequest) => Verdict<Deduplicate['keys']>;
  readonly windowMs: number;
}

/** A trigger's connector with its params, and the request decoded once by it. */
export interface CompiledConnector {
  readonly connector: Connector;
  readonly params: unknown;
  readonly delivery: (req: RawRequest) => Verdict<Delivery<unknown>>;
}

/** A trigger ready to serve: conditions compiled in evaluation order, secrets and keys in place. */
export interface CompiledTrigger {
  readonly id: string;
  /** The trigger as configured (the web page describes it; test requests are signed from it). */
  readonly config: TriggerConfig;
  readonly title: string;
  readonly maxBodyBytes: number;
  /** Timestamp and web-request-auth checks, cheapest and safest first; they also guard run info. */
  readonly authChecks: readonly Check[];
  /** Set when the auth checks can be decided as the body streams in (large bodies are then not held unverified). */
  readonly streamingAuth?: StreamingAuth | undefined;
  /** Payload filters: run only once the request is authenticated. */
  readonly filterChecks: readonly Check[];
  /** Decided in the store's accept transaction, after every check has passed. */
  readonly dedupe?: Deduplication | undefined;
  readonly rateLimits: readonly RateLimit[];
  readonly response?: ResponseConfig | undefined;
  readonly resolveActions: (req: RawRequest, runId: string) => Verdict<ActionSpec[]>;
  readonly connector?: CompiledConnector | undefined;
  /** Where this trigger reads credentials; the service redacts the union of every trigger's, on every request. */
  readonly credentials: Credentials;
  /**
   * Whether passing `authChecks` proves who sent the request. Rejections of a trigger without
   * authentication are treated as anonymous (bounded in the trigger log), whatever their stage.
   */
  readonly authenticates: boolean;
  /** Which revision of the trigger this is (0: from hooklaunch.yaml); the trigger log records it per request. */
  readonly revision: number;
  /** Paused through the admin API: authenticated requests are logged and answered `trigger_paused`, nothing launches. */
  readonly paused: boolean;
  /** Set when deliveries are gathered into batches that launch once each. */
  readonly batch?: CompiledBatch | undefined;
}

export interface CompiledBatch {
  /** The batch key of a delivery (its `batch.key` template filled in from the payload). */
  readonly key: (req: RawRequest) => Verdict<string>;
  readonly windowMs: number;
  readonly quietMs?: number | undefined;
  readonly maxItems: number;
  readonly maxBytes: number;
}

/** What the store says of a trigger besides its config. */
export interface TriggerState {
  readonly revision: number;
  readonly paused: boolean;
}

// Timestamps are cheapest and need no secret; static tokens and HMACs come before JWTs, which
// may fetch keys; filters parse the body, so they run only for authenticated requests.
const RANK: Record<string, number> = { timestamp: 0, static_token: 1, hmac: 2, jwt: 3, 'payload-filter': 4 };

export function compileTrigger(trigger: TriggerConfig, project: ValohaiProject, binding?: ConnectorBinding, state: TriggerState = { revision: 0, paused: false }): CompiledTrigger {
  const timestamp = trigger.conditions.find((c) => c.type === 'timestamp');
  const ranked: Array<{ rank: number; check: Check; condition?: ConditionConfig }> = [];
  const credentials = { headers: new Set<string>(), query: new Set<string>(), fields: new Set<string>() };
  const rateLimits: RateLimit[] = [];
  let dedupe: Deduplication | undefined;
  const connector = binding && compileConnector(binding, readsPayload(trigger) ? 'all' : 'own');
  const payloadOf: PayloadOf = connector
    ? (req) => {
        const delivery = connector.delivery(req);
        return delivery.ok ? accept(delivery.value.view ?? delivery.value.payload) : delivery;
      }
    : parsedBodyOf;
  if (connector) {
    // The provider's own signature comes first: nothing else runs for an unauthenticated request.
    ranked.push({ rank: -1, check: (req, clock) => connector.connector.verify(req, connector.params, clock) });
    for (const name of [...connector.connector.sensitiveHeaders, ...(connector.connector.credentialHeaders?.(connector.params) ?? [])]) credentials.headers.add(name.toLowerCase());
    // A delivery id the provider does not sign (GitHub's X-GitHub-Delivery) can be changed by
    // whoever captured the request, so the body is a second key a replay cannot change. Only
    // headers are left out of it: an unverified one (X-Hub-Signature) could be varied at will.
    // Where the signature covers the id (Standard Webhooks' webhook-id), two deliveries with the
    // same body are distinct, and the id alone decides.
    const idIsSigned = connector.connector.signsDeliveryId?.(connector.params) ?? false;
    dedupe = {
      locate: (req) => {
        const delivery = connector.delivery(req);
        if (!delivery.ok) return delivery;
        const keys: Array<{ key: string; what: string }> = [];
        if (delivery.value.deliveryId !== undefined) keys.push({ key: delivery.value.deliveryId, what: 'delivery id' });
        if (!idIsSigned || delivery.value.deliveryId === undefined) keys.push({ key: `body:${bodySha256(req)}`, what: 'body' });
        return accept(keys);
      },
      windowMs: connector.connector.dedupeWindowSeconds * 1000,
    };
  }

  if (trigger.payload_schema !== undefined) {
    // Before the payload filters (same rank, pushed first): a payload that is not what the schema says is named as such, not as a filter miss.
    ranked.push({ rank: RANK['payload-filter']!, check: compilePayloadSchemaCheck(payloadSchemaValidator(trigger.payload_schema), payloadOf) });
  }
  for (const condition of trigger.conditions) {
    markCredential(condition, credentials);
    switch (condition.type) {
      case 'timestamp':
        ranked.push({ rank: RANK.timestamp!, check: compileTimestamp(condition), condition });
        break;
      case 'web-request-auth':
        ranked.push({
          rank: RANK[condition.auth_type]!,
          check:
            condition.auth_type === 'static_token'
              ? compileStaticToken(condition)
              : condition.auth_type === 'hmac'
                ? compileHmac(condition, timestamp)
                : compileJwt(condition),
          condition,
        });
        break;
      case 'payload-filter':
        ranked.push({ rank: RANK['payload-filter']!, check: compilePayloadFilter(condition, payloadOf) });
        break;
      case 'rate-limit':
        rateLimits.push({ periodMs: condition.period * 1000, quota: condition.quota });
        break;
      case 'deduplicate': {
        const locator: LocatorConfig = { lookup: condition.lookup, key: condition.key };
        // An explicit deduplicate condition takes the place of the connector's delivery id (its
        // body key stays: it is what stops a captured delivery sent again with a new id).
        const connectorKeys = dedupe?.locate;
        dedupe = {
          locate: (req) => {
            const located = locateRaw(req, locator);
            if (!located.ok) return located;
            const keys = located.value === undefined ? [] : [{ key: located.value, what: `${condition.lookup} ${condition.key}` }];
            const fromConnector = connectorKeys?.(req);
            if (fromConnector && !fromConnector.ok) return fromConnector;
            return accept([...keys, ...(fromConnector?.value.filter((k) => k.what === 'body') ?? [])]);
          },
          windowMs: condition.window * 1000,
        };
        break;
      }
    }
  }
  ranked.sort((a, b) => a.rank - b.rank);
  const authChecks = ranked.filter((r) => r.rank < RANK['payload-filter']!).map((r) => r.check);
  const filterChecks = ranked.filter((r) => r.rank >= RANK['payload-filter']!).map((r) => r.check);
  const streamingAuth = compileStreamingAuth(ranked.filter((r) => r.rank < RANK['payload-filter']!), timestamp);
  const actionResolvers = trigger.actions.map((action, index) => compileAction(action, index, project, payloadOf, trigger.batch !== undefined));

  return {
    id: trigger.id,
    config: trigger,
    title: trigger.title,
    maxBodyBytes: trigger.max_body_bytes ?? connector?.connector.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    authChecks,
    streamingAuth,
    filterChecks,
    dedupe,
    rateLimits,
    response: trigger.response,
    credentials,
    // A timestamp alone proves nothing about the sender.
    authenticates: connector !== undefined || trigger.conditions.some((c) => c.type === 'web-request-auth'),
    connector,
    revision: state.revision,
    paused: state.paused,
    batch: trigger.batch && compileBatch(trigger.batch, payloadOf),
    resolveActions: (req, runId) => {
      const specs: ActionSpec[] = [];
      for (const resolve of actionResolvers) {
        const spec = resolve(req, runId);
        if (!spec.ok) return spec;
        specs.push(spec.value);
      }
      return accept(specs);
    },
  };
}

/** The loader and the admin API's check compiled the schema already (and replaced a file name with it); anything else here is a bug. */
function payloadSchemaValidator(schema: NonNullable<TriggerConfig['payload_schema']>): ValidateFunction {
  if (typeof schema === 'string') throw new Error(`payload_schema "${schema}" reached compileTrigger unread`);
  const compiled = compilePayloadSchema(schema);
  if (!compiled.ok) throw new Error(`payload_schema reached compileTrigger invalid: ${compiled.message}`);
  return compiled.validate;
}

function markCredential(condition: ConditionConfig, credentials: { headers: Set<string>; query: Set<string>; fields: Set<string> }): void {
  if (condition.type !== 'web-request-auth') return;
  const where = condition.lookup === 'header' ? credentials.headers : condition.lookup === 'query' ? credentials.query : credentials.fields;
  where.add(condition.lookup === 'header' || condition.lookup === 'query' ? condition.key.toLowerCase() : condition.key);
}

type ActionResolver = (req: RawRequest, runId: string) => Verdict<ActionSpec>;

/** Keys are bounded: they are stored with every batch and shown on the page. */
const MAX_BATCH_KEY_LENGTH = 200;

function compileBatch(batch: NonNullable<TriggerConfig['batch']>, payloadOf: PayloadOf): CompiledBatch {
  const template = batch.key;
  return {
    key: (req) => {
      if (!isTemplated(template)) return accept(template);
      const rendered = renderTemplate(template, { payload: () => payloadOf(req), runId: '' }, 'batch.key');
      if (!rendered.ok) return rendered;
      const key = typeof rendered.value === 'string' ? rendered.value : JSON.stringify(rendered.value);
      if (key.length > MAX_BATCH_KEY_LENGTH) return refuse('payload_invalid', `batch.key: the key is ${key.length} characters; at most ${MAX_BATCH_KEY_LENGTH}`);
      // PostgreSQL's text holds no NUL: such a key would fail the whole group commit, every delivery in it.
      if (key.includes('\0')) return refuse('payload_invalid', 'batch.key: the key contains a NUL byte (\\0), which the store cannot hold');
      return accept(key);
    },
    windowMs: batch.window * 1000,
    quietMs: batch.quiet === undefined ? undefined : batch.quiet * 1000,
    maxItems: batch.max_items,
    maxBytes: batch.max_bytes,
  };
}

function compileConnector({ connector, params }: ConnectorBinding, scope: PayloadScope): CompiledConnector {
  const decode = (req: RawRequest): Verdict<Delivery<unknown>> => connector.parse(req, params, scope);
  // Decoded once per request, kept on the request (raw-request's decodedOnce, not a WeakMap: issue #14).
  const compiled: CompiledConnector = { connector, params, delivery: (req) => decodedOnce(req, compiled, decode) };
  return compiled;
}

const PAYLOAD_PLACEHOLDER = /\{payload[.}]/;

/** Whether a trigger's conditions or actions read the payload (filters, `{payload.x}` templates), beyond what its connector reads. */
function readsPayload(trigger: TriggerConfig): boolean {
  if (trigger.conditions.some((c) => c.type === 'payload-filter')) return true;
  const templated = (value: unknown): boolean => typeof value === 'string' && PAYLOAD_PLACEHOLDER.test(value);
  if (templated(trigger.batch?.key)) return true;
  return trigger.actions.some((action) => action.type !== 'fetch-repository' && (templated(action.title) || templated(action.commit) || Object.values(action.parameters).some(templated)));
}

function compileAction(action: ActionConfig, index: number, project: ValohaiProject, payloadOf: PayloadOf, batched: boolean): ActionResolver {
  if (action.type === 'fetch-repository') return () => accept({ type: 'fetch-repository' });
  const parameterDef = (name: string): ParameterDef | undefined => {
    if (action.type === 'run-execution') return project.steps.get(action.step)?.parameters.find((p) => p.name === name);
    const dot = name.indexOf('.');
    if (dot < 0) return undefined; // pipeline-level parameter: untyped in valohai.yaml
    const node = project.pipelines.get(action.pipeline)?.nodes.find((n) => n.name === name.slice(0, dot));
    return node?.step === undefined ? undefined : project.steps.get(node.step)?.parameters.find((p) => p.name === name.slice(dot + 1));
  };
  const explicitFilename = action.payload_filename ?? inputFilename(action, project);
  const defaultTitle = action.type === 'run-execution' ? action.step : action.pipeline;

  return (req, runId) => {
    const context = new ActionScope(req, payloadOf, runId);
    const parameters: Record<string, ParameterValue> = {};
    for (const [name, raw] of Object.entries(action.parameters)) {
      const label = `actions[${index}].parameters.${name}`;
      let value: unknown = raw;
      if (typeof raw === 'string' && isTemplated(raw)) {
        const rendered = renderTemplate(raw, context, label);
        if (!rendered.ok) return rendered;
        value = rendered.value;
      }
      const def = parameterDef(name);
      if (def) {
        const coerced = coerceParameter(def, value);
        if (!coerced.ok) return refuse('payload_invalid', `${label}: ${coerced.message}`);
        value = coerced.value;
      }
      // Refused here, not left for the runner: a spawn that cannot start would strand the run.
      const problem = argumentProblem(name, value as ParameterValue);
      if (problem) return refuse('payload_invalid', `${label}: ${problem}`);
      parameters[name] = value as ParameterValue;
    }
    const title = action.title === undefined ? defaultTitle : renderTemplate(action.title, context, `actions[${index}].title`);
    if (typeof title !== 'string' && !title.ok) return title;
    // `commit: "{payload.after}"` runs exactly the pushed commit.
    const commit = action.commit === undefined || !isTemplated(action.commit) ? action.commit : renderTemplate(action.commit, context, `actions[${index}].commit`);
    if (typeof commit === 'object' && !commit.ok) return commit;
    const commitRef = typeof commit === 'object' ? String(commit.value) : commit;
    if (commitRef !== undefined && !/^[\w./@^~-]{1,200}$/.test(commitRef)) {
      return refuse('payload_invalid', `actions[${index}].commit: ${JSON.stringify(commitRef.slice(0, 60))} is not a git ref or sha`);
    }
    const common = {
      title: typeof title === 'string' ? title : String(title.value),
      payloadInput: action.payload_input,
      // A batch hands over batch.jsonl + index.json whatever the input's own file name (what load_batch() reads).
      payloadFilename: batched ? BATCH_PAYLOAD_FILE : (explicitFilename ?? payloadFilenameFor(contentTypeOf(req))),
      parameters,
      commit: commitRef,
      ...(batched && { batched: true }),
    };
    return accept(action.type === 'run-execution' ? { type: 'run-execution', step: action.step, ...common } : { type: 'run-pipeline', pipeline: action.pipeline, ...common });
  };
}

/**
 * What an action's templates read for one request. An object with a method, not a literal with an
 * arrow: made for every accepted request, and under tsx (what `npm run bench` runs) each such
 * arrow also costs a `__name` call (issue #14).
 */
class ActionScope implements TemplateContext {
  constructor(
    private readonly req: RawRequest,
    private readonly payloadOf: PayloadOf,
    readonly runId: string,
  ) {}

  payload(): Verdict<unknown> {
    return this.payloadOf(this.req);
  }
}

/** valohai.yaml's own `filename:` on the payload input names the file when the action does not. */
function inputFilename(action: Exclude<ActionConfig, { type: 'fetch-repository' }>, project: ValohaiProject): string | undefined {
  if (action.payload_input === undefined) return undefined;
  if (action.type === 'run-execution') return project.steps.get(action.step)?.inputs.find((i) => i.name === action.payload_input)?.filename;
  const dot = action.payload_input.indexOf('.');
  const node = project.pipelines.get(action.pipeline)?.nodes.find((n) => n.name === action.payload_input!.slice(0, dot));
  const step = node?.step === undefined ? undefined : project.steps.get(node.step);
  return step?.inputs.find((i) => i.name === action.payload_input!.slice(dot + 1))?.filename;
}
