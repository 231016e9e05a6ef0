/**
 * What recent payloads carry that a trigger's schema does not know: fields it does not list and
 * values of types (or enum members) it does not allow, each with the requests that carried it.
 * Unlike validation (which stops at the first fault, and lets unknown fields pass as the parsers
 * do), this walks every payload whole, so `codegen --check` can say what to add to the schema.
 */
import { resolveRef, type JsonSchema } from './schema-model.js';

export interface DriftSample {
  readonly requestId: string;
  readonly payload: unknown;
}

export interface Drift {
  /** Where, in the parsers' notation; list items collapse to `[]` (`payload.files[].size`). */
  readonly path: string;
  /** "new field", or "string where the schema says integer", … */
  readonly problem: string;
  readonly requestIds: readonly string[];
}

export function payloadDrift(schema: JsonSchema, samples: readonly DriftSample[]): Drift[] {
  const found = new Map<string, { path: string; problem: string; requestIds: string[] }>();
  for (const sample of samples) {
    const note = (path: string, problem: string): void => {
      const key = `${path}\u0000${problem}`;
      const entry = found.get(key) ?? { path, problem, requestIds: [] };
      if (!entry.requestIds.includes(sample.requestId)) entry.requestIds.push(sample.requestId);
      found.set(key, entry);
    };
    walk(schema, schema, sample.payload, 'payload', note);
  }
  return [...found.values()];
}

type Note = (path: string, problem: string) => void;

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function allows(types: string | string[] | undefined, kind: string): boolean {
  if (types === undefined) return true;
  const list = Array.isArray(types) ? types : [types];
  return list.includes(kind) || (kind === 'integer' && list.includes('number'));
}

function typeOf(schema: JsonSchema): string | string[] | undefined {
  return schema.type ?? (schema.properties ? 'object' : undefined);
}

function walk(root: JsonSchema, given: JsonSchema, value: unknown, path: string, note: Note, depth = 0): void {
  if (depth > 64) return;
  const schema = given.$ref !== undefined ? resolveRef(root, given.$ref) : given;
  if (!schema) return;
  const options = schema.anyOf ?? schema.oneOf;
  if (options) {
    const kind = kindOf(value);
    const resolved = options.map((option) => (option.$ref !== undefined ? resolveRef(root, option.$ref) : option) ?? {});
    const fitting = options.filter((_option, i) => allows(typeOf(resolved[i]!), kind));
    if (fitting.length === 0) {
      note(path, `${kind} where the schema says ${resolved.map((option) => [typeOf(option)].flat().join(' or ')).join(' or ')}`);
      return;
    }
    // The option that fits best: the one under which this value shows the fewest problems.
    let best: Array<[string, string]> | undefined;
    for (const option of fitting) {
      const problems: Array<[string, string]> = [];
      walk(root, option, value, path, (p, problem) => problems.push([p, problem]), depth + 1);
      if (!best || problems.length < best.length) best = problems;
      if (problems.length === 0) break;
    }
    for (const [p, problem] of best ?? []) note(p, problem);
    return;
  }
  const kind = kindOf(value);
  const type = typeOf(schema);
  if (!allows(type, kind)) {
    note(path, `${kind} where the schema says ${Array.isArray(type) ? type.join(' or ') : type}`);
    return;
  }
  if (schema.const !== undefined && value !== schema.const) note(path, `value ${JSON.stringify(value)} where the schema says ${JSON.stringify(schema.const)}`);
  if (schema.enum && !schema.enum.includes(value)) note(path, `value ${JSON.stringify(value)} is not in the schema's enum`);
  if (kind === 'array' && schema.items) for (const item of value as unknown[]) walk(root, schema.items, item, `${path}[]`, note, depth + 1);
  if (kind === 'object') {
    const object = value as Record<string, unknown>;
    const properties = schema.properties ?? {};
    for (const key of schema.required ?? []) if (!Object.hasOwn(object, key)) note(`${path}.${key}`, 'required field is missing');
    for (const [key, entry] of Object.entries(object)) {
      const known = properties[key];
      if (known) walk(root, known, entry, `${path}.${key}`, note, depth + 1);
      else if (typeof schema.additionalProperties === 'object') walk(root, schema.additionalProperties, entry, `${path}.${key}`, note, depth + 1);
      // A schema listing no properties at all describes a map: any key is known.
      else if (Object.keys(properties).length > 0 || schema.additionalProperties === false) note(`${path}.${key}`, 'new field');
    }
  }
}
