/**
 * A trigger's `payload_schema:` as a check: the payload must match the JSON Schema, or the request
 * is refused `payload_invalid` naming the field, before anything launches. It is the same schema
 * `hooklaunch codegen --trigger` generates the parsers from, so the door and the code agree.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { refuse } from '../reject.js';
import { PASS, type Check } from './check.js';
import type { PayloadOf } from './payload-filter.js';

/** Refuses payloads the schema does not accept, naming the first field at fault (`payload.data.file_url`). */
export function compilePayloadSchemaCheck(validate: ValidateFunction, payloadOf: PayloadOf): Check {
  return (req) => {
    const payload = payloadOf(req);
    if (!payload.ok) return payload;
    if (validate(payload.value)) return PASS;
    return refuse('payload_invalid', describeError(validate.errors?.[0]));
  };
}

/** The parsers' wording: `payload.user.id: required field is missing`, `payload.size: must be integer`. */
export function describeError(error: ErrorObject | undefined): string {
  if (!error) return 'payload: does not match the trigger\'s payload_schema';
  const path = `payload${error.instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((segment) => (/^\d+$/.test(segment) ? `[${segment}]` : `.${segment}`))
    .join('')}`;
  if (error.keyword === 'required') return `${path}.${(error.params as { missingProperty: string }).missingProperty}: required field is missing`;
  if (error.keyword === 'additionalProperties') return `${path}.${(error.params as { additionalProperty: string }).additionalProperty}: field not allowed by the payload_schema`;
  if (error.keyword === 'enum') return `${path}: must be one of ${((error.params as { allowedValues: unknown[] }).allowedValues ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
  return `${path}: ${error.message ?? 'does not match the payload_schema'}`;
}

