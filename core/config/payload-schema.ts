/**
 * A trigger's `payload_schema:` read and compiled (the config refuses an unreadable or invalid one
 * at load, naming its line); core/conditions/payload-schema.ts turns it into the check at the door.
 * Validation is ajv's (draft-07, or 2020-12 when the schema says so). `format` is an annotation
 * here, as in the generated parsers, which do not check formats either.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';

const options = { strict: false, validateFormats: false, allErrors: false } as const;
let draft07: Ajv | undefined;
let draft2020: Ajv2020 | undefined;
const compiled = new WeakMap<object, ValidateFunction>();

export type SchemaVerdict = { readonly ok: true; readonly validate: ValidateFunction } | { readonly ok: false; readonly message: string };

/** Compiles a payload schema once per schema object; an invalid schema is a message, not a throw. */
export function compilePayloadSchema(schema: Record<string, unknown>): SchemaVerdict {
  const cached = compiled.get(schema);
  if (cached) return { ok: true, validate: cached };
  const is2020 = typeof schema.$schema === 'string' && schema.$schema.includes('2020-12');
  try {
    const validate = is2020 ? (draft2020 ??= new Ajv2020(options)).compile(schema) : (draft07 ??= new Ajv(options)).compile(schema);
    compiled.set(schema, validate);
    return { ok: true, validate };
  } catch (error) {
    return { ok: false, message: `not a valid JSON Schema: ${(error as Error).message}` };
  }
}

/** A schema file (relative to the config's folder) read and compiled. */
export function readPayloadSchema(file: string, baseDir: string): { readonly ok: true; readonly schema: Record<string, unknown> } | { readonly ok: false; readonly message: string } {
  const path = resolve(baseDir, file);
  let schema: unknown;
  try {
    schema = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    return { ok: false, message: `cannot read the schema ${path}: ${(error as Error).message}` };
  }
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return { ok: false, message: `${path} is not a JSON Schema object` };
  const checked = compilePayloadSchema(schema as Record<string, unknown>);
  return checked.ok ? { ok: true, schema: schema as Record<string, unknown> } : { ok: false, message: `${path}: ${checked.message}` };
}

