/**
 * A JSON Schema inferred from payloads a trigger accepted (or sample files), for a trigger that
 * has no schema of its own: a field present in every payload is required, one missing from some
 * is optional; a field seen with different types becomes a union; a string field that took only a
 * few values, each more than once, becomes an enum; strings that are all timestamps or all URLs
 * get `format: date-time` / `uri`. It is written next to the parser so it can be reviewed.
 */
import type { JsonSchema } from './schema-model.js';

/** An enum needs at least this many observations, at most this many distinct values, and a repeat. */
const ENUM_MIN_SAMPLES = 3;
const ENUM_MAX_VALUES = 5;

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * `redacted`: the value that stands for a credential the payloads were redacted of (the trigger
 * log's `[redacted]`); a string field holding it is a plain string, never an enum of it.
 */
export function inferSchema(payloads: readonly unknown[], redacted?: string): JsonSchema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $comment: `Inferred by hooklaunch codegen from ${payloads.length} payload${payloads.length === 1 ? '' : 's'}; review and edit it, then name it in the trigger's payload_schema.`,
    ...infer(payloads, redacted),
  };
}

type Kind = 'null' | 'boolean' | 'integer' | 'number' | 'string' | 'array' | 'object';

function kindOf(value: unknown): Kind {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (typeof value === 'boolean' || typeof value === 'string') return typeof value as Kind;
  return 'object';
}

/** The schema of every value seen at one place in the payloads. */
function infer(values: readonly unknown[], redacted: string | undefined): JsonSchema {
  const byKind = new Map<Kind, unknown[]>();
  for (const value of values) {
    const kind = kindOf(value);
    byKind.set(kind, [...(byKind.get(kind) ?? []), value]);
  }
  // 3 and 2.5 at one place is a number, not "an integer or a number".
  if (byKind.has('integer') && byKind.has('number')) {
    byKind.set('number', [...byKind.get('number')!, ...byKind.get('integer')!]);
    byKind.delete('integer');
  }
  const options = [...byKind].map(([kind, seen]) => inferKind(kind, seen, redacted));
  if (options.length === 0) return {};
  return options.length === 1 ? options[0]! : { anyOf: options };
}

function inferKind(kind: Kind, values: readonly unknown[], redacted: string | undefined): JsonSchema {
  switch (kind) {
    case 'string':
      return inferString(values as string[], redacted);
    case 'array':
      return { type: 'array', items: infer((values as unknown[][]).flat(), redacted) };
    case 'object':
      return inferObject(values as Array<Record<string, unknown>>, redacted);
    default:
      return { type: kind };
  }
}

function inferString(values: readonly string[], redacted: string | undefined): JsonSchema {
  if (values.every((v) => ISO_DATE_TIME.test(v) && !Number.isNaN(Date.parse(v)))) return { type: 'string', format: 'date-time' };
  if (values.every((v) => ISO_DATE.test(v))) return { type: 'string', format: 'date' };
  if (values.every(isUrl)) return { type: 'string', format: 'uri' };
  const distinct = [...new Set(values)];
  if (redacted !== undefined && distinct.includes(redacted)) return { type: 'string' };
  if (values.length >= ENUM_MIN_SAMPLES && distinct.length <= ENUM_MAX_VALUES && distinct.length < values.length) return { type: 'string', enum: distinct.sort() };
  return { type: 'string' };
}

function isUrl(value: string): boolean {
  if (!/^https?:\/\//i.test(value)) return false;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

function inferObject(objects: ReadonlyArray<Record<string, unknown>>, redacted: string | undefined): JsonSchema {
  const keys = [...new Set(objects.flatMap((o) => Object.keys(o)))];
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const key of keys) {
    const present = objects.filter((o) => Object.hasOwn(o, key));
    properties[key] = infer(present.map((o) => o[key]), redacted);
    if (present.length === objects.length) required.push(key);
  }
  return { type: 'object', properties, ...(required.length > 0 && { required }) };
}
