import type { PayloadFilterConfig } from '../config/schema.js';
import { isCredentialFieldPath, payloadFilterWords, REDACTED } from '../request/credential-field.js';
import { lookupDotPath, splitDotPath } from '../request/dot-path.js';
import { parseBody, type RawRequest } from '../request/raw-request.js';
import { accept, refuse, type Verdict } from '../reject.js';
import { PASS, type Check } from './check.js';

type Operation = PayloadFilterConfig['operation'];
type Scalar = string | number | boolean | null;

/** What a filter reads: the parsed body, or a connector's decoded payload. */
export type PayloadOf = (req: RawRequest) => Verdict<unknown>;

export const parsedBodyOf: PayloadOf = (req) => {
  const body = parseBody(req);
  return body.ok ? accept(body.value.value) : body;
};

/** Launch only for payloads whose field at a dot path satisfies the operation. */
export function compilePayloadFilter(config: PayloadFilterConfig, payloadOf: PayloadOf = parsedBodyOf): Check {
  const segments = splitDotPath(config.lookup);
  const test = compileOperation(config.operation, config.value);
  // A filter on a credential field (`token equals ${env:…}`) quotes neither value: the refusal is answered to any sender.
  const credential = isCredentialFieldPath(config.lookup);
  const described = payloadFilterWords(config);
  return (req) => {
    const payload = payloadOf(req);
    if (!payload.ok) return refuse(payload.rejection.code, `${payload.rejection.message} (payload filter on ${config.lookup} needs it)`);
    const found = lookupDotPath(payload.value, segments);
    const passed = test(found.found, found.found ? found.value : undefined);
    if (passed) return PASS;
    const actual = found.found ? `it is ${credential ? REDACTED : preview(found.value)}` : 'the field is missing';
    return refuse('filtered_out', `payload filter "${described}" did not match: ${actual}`);
  };
}

type Test = (found: boolean, value: unknown) => boolean;

function compileOperation(operation: Operation, expected: Scalar | Scalar[] | undefined): Test {
  const one = expected as Scalar;
  switch (operation) {
    case 'exists':
      return (found) => found;
    case 'not-exists':
      return (found) => !found;
    case 'equals':
      return (found, value) => found && scalarEquals(value, one);
    case 'not-equals':
      return (found, value) => !found || !scalarEquals(value, one);
    case 'contains':
      return (found, value) => found && contains(value, one);
    case 'not-contains':
      return (found, value) => !found || !contains(value, one);
    case 'starts-with':
      return (found, value) => found && typeof value === 'string' && value.startsWith(String(one));
    case 'ends-with':
      return (found, value) => found && typeof value === 'string' && value.endsWith(String(one));
    case 'matches': {
      const regex = new RegExp(String(one), 'u');
      return (found, value) => found && isScalar(value) && value !== null && regex.test(String(value));
    }
    case 'in': {
      const options = expected as Scalar[];
      return (found, value) => found && options.some((option) => scalarEquals(value, option));
    }
    case 'gt':
      return numeric((a, b) => a > b, one);
    case 'gte':
      return numeric((a, b) => a >= b, one);
    case 'lt':
      return numeric((a, b) => a < b, one);
    case 'lte':
      return numeric((a, b) => a <= b, one);
  }
}

function isScalar(value: unknown): value is Scalar {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

/** Form fields are strings, so `5` equals "5" and `true` equals "true". */
function scalarEquals(value: unknown, expected: Scalar): boolean {
  if (!isScalar(value)) return false;
  if (value === null || expected === null) return value === expected;
  return String(value) === String(expected);
}

function contains(value: unknown, needle: Scalar): boolean {
  if (typeof value === 'string') return value.includes(String(needle));
  if (Array.isArray(value)) return value.some((item) => scalarEquals(item, needle));
  return false;
}

function numeric(compare: (a: number, b: number) => boolean, expected: Scalar): Test {
  return (found, value) => {
    if (!found || (typeof value !== 'number' && typeof value !== 'string') || value === '') return false;
    const n = Number(value);
    return Number.isFinite(n) && compare(n, Number(expected));
  };
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
