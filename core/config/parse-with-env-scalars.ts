/**
 * Parses a resolved config with a zod schema, letting `${env:…}` references stand for numbers and
 * booleans (`port: ${env:PORT}`). The environment only holds strings, and typing every numeric
 * string would break secrets made of digits, so a value is typed only where it was exactly one
 * reference and the schema asked for a number or a boolean there.
 */
import type { z } from 'zod';

// JSON's number grammar: what YAML 1.2's core schema would have read as a number had it been written inline.
const NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

function typedScalar(text: string, expected: string): number | boolean | undefined {
  if (expected === 'number' || expected === 'int') return NUMBER.test(text) ? Number(text) : undefined;
  if (expected === 'boolean') return text === 'true' ? true : text === 'false' ? false : undefined;
  return undefined;
}

const keyOf = (path: readonly PropertyKey[]): string => JSON.stringify(path.map(String));

/** `wholeRefs`: paths (relative to `value`) of strings that were exactly one reference, from resolveEnvRefs. */
export function parseWithEnvScalars<S extends z.ZodType>(schema: S, value: unknown, wholeRefs: readonly (readonly PropertyKey[])[]): z.ZodSafeParseResult<z.output<S>> {
  const refs = new Set(wholeRefs.map(keyOf));
  let result = schema.safeParse(value);
  if (result.success || refs.size === 0) return result;
  let typedAny = false;
  for (const issue of result.error.issues) {
    if (issue.code !== 'invalid_type' || issue.path.length === 0 || !refs.has(keyOf(issue.path))) continue;
    const parent = issue.path.slice(0, -1).reduce<unknown>((node, key) => (node as Record<PropertyKey, unknown>)?.[key], value) as Record<PropertyKey, unknown> | undefined;
    const last = issue.path.at(-1)!;
    const text = parent?.[last];
    const typed = typeof text === 'string' ? typedScalar(text, issue.expected) : undefined;
    if (typed === undefined) continue;
    // `value` is the fresh tree resolveEnvRefs built, owned by the caller: typing it in place is safe.
    parent![last] = typed;
    typedAny = true;
  }
  // zod reports every type error of a pass at once, so one retry sees all of them typed.
  if (typedAny) result = schema.safeParse(value);
  return result;
}
