import type { ParameterDef } from './schema.js';

export type ParameterValue = string | number | boolean | ReadonlyArray<string | number>;
export type Coerced = { ok: true; value: ParameterValue } | { ok: false; message: string };

/**
 * Linux refuses any single argument or environment string longer than MAX_ARG_STRLEN (32 pages:
 * 131072 bytes) with E2BIG, and no argument can hold a NUL byte (it ends a C string): such a
 * value can never reach the command, so it is refused when the request arrives.
 */
export const MAX_ARGUMENT_BYTES = 131_072;

/** Why this value cannot be passed on a command line, or undefined when it can. */
export function argumentProblem(name: string, value: ParameterValue): string | undefined {
  for (const item of Array.isArray(value) ? value : [value]) {
    if (typeof item !== 'string') continue;
    if (item.includes('\0')) return `parameter ${name} contains a NUL byte (\\0), which no command-line argument can carry`;
    const bytes = Buffer.byteLength(item, 'utf8');
    if (bytes > MAX_ARGUMENT_BYTES) return `parameter ${name} is ${bytes} bytes; a command-line argument holds at most ${MAX_ARGUMENT_BYTES} bytes (128 KiB, Linux's MAX_ARG_STRLEN)`;
  }
  return undefined;
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off', '']);

/** Checks a value against the parameter's type, choices and bounds, as Valohai would before a run. */
export function coerceParameter(def: ParameterDef, value: unknown): Coerced {
  if (Array.isArray(value)) {
    if (!def.multiple || def.multiple === 'none') {
      return { ok: false, message: `parameter ${def.name} takes one value, not a list (set multiple: repeat or separate in valohai.yaml)` };
    }
    const items: Array<string | number> = [];
    for (const item of value) {
      const one = coerceOne(def, item);
      if (!one.ok) return one;
      if (typeof one.value === 'boolean' || Array.isArray(one.value)) {
        return { ok: false, message: `parameter ${def.name}: a list of flags is not supported` };
      }
      items.push(one.value as string | number);
    }
    return { ok: true, value: items };
  }
  return coerceOne(def, value);
}

function coerceOne(def: ParameterDef, value: unknown): Coerced {
  // Quoted back to the sender and logged: a short preview of what was sent, never all of it.
  const json = JSON.stringify(value) ?? String(value);
  const shown = json.length > 80 ? `${json.slice(0, 80)}… (${json.length} characters)` : json;
  let out: string | number | boolean;
  switch (def.type) {
    case 'integer': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : NaN;
      if (!Number.isSafeInteger(n)) return { ok: false, message: `parameter ${def.name} must be an integer, got ${shown}` };
      out = n;
      break;
    }
    case 'float': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
      if (!Number.isFinite(n)) return { ok: false, message: `parameter ${def.name} must be a number, got ${shown}` };
      out = n;
      break;
    }
    case 'flag': {
      if (typeof value === 'boolean') out = value;
      else if (typeof value === 'string' && TRUE.has(value.toLowerCase())) out = true;
      else if (typeof value === 'string' && FALSE.has(value.toLowerCase())) out = false;
      else return { ok: false, message: `parameter ${def.name} is a flag; got ${shown}` };
      break;
    }
    case 'string': {
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
        return { ok: false, message: `parameter ${def.name} must be a string, got ${shown}` };
      }
      out = String(value);
      break;
    }
  }
  if (typeof out === 'number') {
    if (def.min !== undefined && out < def.min) return { ok: false, message: `parameter ${def.name} must be at least ${def.min}, got ${out}` };
    if (def.max !== undefined && out > def.max) return { ok: false, message: `parameter ${def.name} must be at most ${def.max}, got ${out}` };
  }
  if (def.choices && !def.choices.some((choice) => String(choice) === String(out))) {
    return { ok: false, message: `parameter ${def.name} must be one of ${def.choices.map((c) => JSON.stringify(c)).join(', ')}, got ${shown}` };
  }
  return { ok: true, value: out };
}
