/**
 * The body `hooklaunch send` sends when given none: the connector's sample payload, or, for a
 * trigger of conditions, a JSON object built to pass its payload filters and to hold every
 * `{payload.…}` field its actions take (typed as the step's parameter). `describe` says which,
 * so a rejection of the default body is never a mystery.
 */
import type { ConnectorBinding } from '../config/load-config.js';
import type { PayloadFilterConfig, TriggerConfig } from '../config/schema.js';
import { payloadFilterWords } from '../request/credential-field.js';
import { splitDotPath } from '../request/dot-path.js';
import type { ValohaiProject } from '../valohai-yaml/load-valohai-yaml.js';
import type { ParameterDef } from '../valohai-yaml/schema.js';

export interface SampleBody {
  readonly body: string;
  readonly contentType: string;
  /** What the body is, in words (printed by `send`). */
  readonly describe: string;
}

const PLACEHOLDER = /\{payload((?:\.(?:\\\.|[^{}.\\])+)+)\}/g;
const WHOLE = /^\{payload((?:\.(?:\\\.|[^{}.\\])+)+)\}$/;

export function sampleBody(trigger: TriggerConfig, binding: ConnectorBinding | undefined, project: ValohaiProject): SampleBody {
  if (binding) {
    const sample = binding.connector.sample?.(binding.params);
    if (sample) return { ...sample, describe: `the ${binding.connector.title} connector's sample payload` };
    return { body: '{}', contentType: 'application/json', describe: `{} (the ${binding.connector.title} connector has no sample payload; pass --data)` };
  }
  const body: Record<string, unknown> = {};
  const built: string[] = [];
  const unbuilt: string[] = [];
  for (const condition of trigger.conditions) {
    if (condition.type !== 'payload-filter') continue;
    const value = passingValue(condition);
    if (value === ABSENT) continue;
    const label = payloadFilterWords(condition);
    if (value === UNKNOWN || !setAt(body, splitDotPath(condition.lookup), value)) unbuilt.push(label);
    else built.push(label);
  }
  const fields: string[] = [];
  for (const action of trigger.actions) {
    if (action.type === 'fetch-repository') continue;
    const step = action.type === 'run-execution' ? project.steps.get(action.step) : undefined;
    const templates: Array<[string, ParameterDef | undefined]> = [];
    for (const [name, value] of Object.entries(action.parameters ?? {})) {
      for (const text of Array.isArray(value) ? value : [value]) if (typeof text === 'string') templates.push([text, step?.parameters.find((p) => p.name === name)]);
    }
    if (action.title !== undefined) templates.push([action.title, undefined]);
    if (action.commit !== undefined) templates.push([action.commit, undefined]);
    for (const [text, parameter] of templates) {
      for (const match of text.matchAll(PLACEHOLDER)) {
        const segments = splitDotPath(match[1]!.slice(1));
        const value = WHOLE.test(text) ? parameterValue(parameter) : 'example';
        if (setAt(body, segments, value, false)) fields.push(`{payload${match[1]}}`);
      }
    }
  }
  const parts = [built.length && `to pass its filters (${built.join('; ')})`, fields.length && `with ${fields.join(', ')}`].filter(Boolean);
  const missing = unbuilt.length ? `; no value was made up for ${unbuilt.join('; ')}: pass --data` : '';
  const describe = parts.length ? `a body built ${parts.join(' and ')}${missing}` : `{} (the trigger has no payload filters or payload fields)${missing}`;
  return { body: JSON.stringify(body), contentType: 'application/json', describe };
}

const ABSENT = Symbol('absent');
const UNKNOWN = Symbol('unknown');

/** A value that passes the filter; ABSENT when leaving the field out passes; UNKNOWN when none can be made up (a regex). */
function passingValue(filter: PayloadFilterConfig): unknown {
  const value = filter.value;
  const one = Array.isArray(value) ? value[0] : value;
  switch (filter.operation) {
    case 'not-exists':
    case 'not-equals':
    case 'not-contains':
      return ABSENT;
    case 'exists':
      return 'example';
    case 'equals':
    case 'starts-with':
    case 'ends-with':
    case 'gte':
    case 'lte':
      return one;
    case 'contains':
      return typeof one === 'string' ? one : [one];
    case 'in':
      return one;
    case 'gt':
      return Number(one) + 1;
    case 'lt':
      return Number(one) - 1;
    case 'matches':
      return UNKNOWN;
  }
}

function parameterValue(parameter: ParameterDef | undefined): unknown {
  if (!parameter) return 'example';
  if (parameter.choices?.length) return parameter.choices[0];
  if (parameter.default !== undefined && parameter.default !== null) return parameter.default;
  if (parameter.type === 'integer') return Math.max(1, Math.ceil(parameter.min ?? 1));
  if (parameter.type === 'float') return parameter.min ?? 1;
  if (parameter.type === 'flag') return true;
  return 'example';
}

/** Sets a nested field; false when the path runs through a value that is not an object (or, with overwrite false, is already set). */
function setAt(root: Record<string, unknown>, segments: readonly string[], value: unknown, overwrite = true): boolean {
  let node = root;
  for (const segment of segments.slice(0, -1)) {
    const next = node[segment];
    if (next === undefined) node = node[segment] = {};
    else if (next !== null && typeof next === 'object' && !Array.isArray(next)) node = next as Record<string, unknown>;
    else return false;
  }
  const last = segments.at(-1)!;
  if (!overwrite && last in node) return false;
  node[last] = value;
  return true;
}
