/**
 * One trigger object validated the way `hooklaunch.yaml` validates each of its triggers: the
 * config schema, the connector's own params, the body limit against the server's in-flight
 * budget, and the actions against valohai.yaml. The loader and the admin API share it, so a
 * trigger is accepted or refused for the same reasons whichever way it arrives.
 */
import { compilePayloadSchema } from './payload-schema.js';
import type { ValohaiProject } from '../valohai-yaml/load-valohai-yaml.js';
import { crossCheckTrigger, type PathIssue } from './cross-check-actions.js';
import { unknownKeysMessage } from './unknown-keys.js';
import type { ConnectorBinding, ConnectorRegistry } from './load-config.js';
import { resolveEnvRefs, unsetVariable, type MissingEnv } from './env-refs.js';
import { parseWithEnvScalars } from './parse-with-env-scalars.js';
import { DEFAULT_MAX_BODY_BYTES, triggerSchema, type TriggerConfig } from './schema.js';

export interface TriggerCheckContext {
  readonly registry: ConnectorRegistry;
  /** `server.limits.max_inflight_bytes_per_trigger`. */
  readonly maxInflightBytesPerTrigger: number;
  readonly project: ValohaiProject;
  /** Where `${env:NAME}` references are resolved. */
  readonly env: NodeJS.ProcessEnv;
  /** Told the names referenced, so executions do not inherit those variables (LoadedConfig.envNames). */
  readonly envNames?: Set<string> | undefined;
}

export type CheckedTrigger =
  | { readonly ok: true; readonly trigger: TriggerConfig; readonly binding?: ConnectorBinding | undefined }
  | { readonly ok: false; readonly issues: readonly PathIssue[] };

/** Validates one trigger in the config's own shape (`${env:…}` references unresolved). */
export function checkTrigger(input: unknown, ctx: TriggerCheckContext): CheckedTrigger {
  const missing: MissingEnv[] = [];
  const wholeRefs: PropertyKey[][] = [];
  const resolved = resolveEnvRefs(input, ctx.env, missing, ctx.envNames ?? new Set(), [], wholeRefs);
  if (missing.length > 0) return { ok: false, issues: missing.map(({ path, name }) => ({ path, message: unsetVariable(name) })) };
  const parsed = parseWithEnvScalars(triggerSchema, resolved, wholeRefs);
  if (!parsed.success) return { ok: false, issues: parsed.error.issues.map(zodIssue) };
  const trigger = parsed.data;
  const issues: PathIssue[] = [];
  if (trigger.max_body_bytes !== undefined && trigger.max_body_bytes > ctx.maxInflightBytesPerTrigger) {
    issues.push({ path: ['max_body_bytes'], message: `exceeds server.limits.max_inflight_bytes_per_trigger (${ctx.maxInflightBytesPerTrigger}); raise that limit too` });
  }
  const bound = bindConnector(trigger, ctx.registry, ctx.maxInflightBytesPerTrigger, wholeRefs);
  if (!bound.ok) issues.push(...bound.issues);
  issues.push(...crossCheckTrigger(trigger, ctx.project));
  if (typeof trigger.payload_schema === 'string') issues.push({ path: ['payload_schema'], message: 'a trigger managed through the admin API gives its payload_schema inline, as a JSON Schema object' });
  else if (trigger.payload_schema !== undefined) {
    const compiled = compilePayloadSchema(trigger.payload_schema);
    if (!compiled.ok) issues.push({ path: ['payload_schema'], message: compiled.message });
  }
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, trigger, binding: bound.ok ? bound.binding : undefined };
}

/** A zod issue as a path issue; an unknown key is named in the path, as the loader reports it. */
export function zodIssue(issue: { path: PropertyKey[]; message: string; code: string; keys?: string[] }): PathIssue {
  if (issue.code === 'unrecognized_keys' && issue.keys?.length) {
    return { path: [...issue.path, issue.keys[0]!], message: unknownKeysMessage(issue.keys) };
  }
  return { path: issue.path, message: issue.message };
}

/** The trigger's `connector:` block checked by its connector; paths are relative to the trigger. */
export function bindConnector(
  trigger: TriggerConfig,
  registry: ConnectorRegistry,
  maxInflightBytesPerTrigger: number,
  /** Paths (from the trigger) of values that were one whole `${env:…}` reference: numbers and booleans may come from them. */
  wholeRefs: readonly (readonly PropertyKey[])[] = [],
): { readonly ok: true; readonly binding?: ConnectorBinding | undefined } | { readonly ok: false; readonly issues: PathIssue[] } {
  if (!trigger.connector) return { ok: true };
  const { type, ...rest } = trigger.connector;
  const connector = registry.get(type);
  if (!connector) return { ok: false, issues: [{ path: ['connector', 'type'], message: `unknown connector "${type}"; known: ${[...registry.keys()].join(', ') || '(none)'}` }] };
  const inBlock = wholeRefs.filter((path) => path[0] === 'connector').map((path) => path.slice(1));
  const params = parseWithEnvScalars(connector.params, rest, inBlock);
  if (!params.success) return { ok: false, issues: params.error.issues.map((issue) => zodIssue({ ...issue, path: ['connector', ...issue.path] })) };
  const limit = connector.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (trigger.max_body_bytes === undefined && limit > maxInflightBytesPerTrigger) {
    return {
      ok: false,
      issues: [
        {
          path: ['connector', 'type'],
          message: `${type} deliveries may be up to ${limit} bytes, more than server.limits.max_inflight_bytes_per_trigger (${maxInflightBytesPerTrigger}); raise that limit, or set this trigger's max_body_bytes`,
        },
      ],
    };
  }
  return { ok: true, binding: { connector, params: params.data } };
}
