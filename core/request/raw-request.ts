import { hash } from 'node:crypto';
import { parse as parseQueryString } from 'node:querystring';
import { accept, refuse, type Verdict } from '../reject.js';
import { jsonNestsDeeperThan, MAX_JSON_DEPTH } from './json-depth.js';

/** A request as received: raw body bytes (signatures are computed over these), nothing parsed yet. */
export interface RawRequest {
  readonly method: string;
  readonly path: string;
  /** Lower-case names; every occurrence kept so a duplicated header can be refused. */
  readonly headers: Readonly<Record<string, readonly string[]>>;
  readonly query: URLSearchParams;
  readonly body: Buffer;
  readonly remoteAddress: string;
  readonly receivedAtMs: number;
}

export type ParsedBody =
  | { readonly kind: 'json'; readonly value: unknown }
  | { readonly kind: 'form'; readonly value: Readonly<Record<string, string | string[]>> };

/** The media type, lower case, without parameters. Read several times per request: no array from `split`. */
export function contentTypeOf(req: RawRequest): string {
  const value = req.headers['content-type']?.[0];
  if (value === undefined) return '';
  const semicolon = value.indexOf(';');
  return (semicolon < 0 ? value : value.slice(0, semicolon)).trim().toLowerCase();
}

export function isJsonContentType(type: string): boolean {
  return type === 'application/json' || type.endsWith('+json');
}

/**
 * The body parsed by its content type, once per request (filters, dedupe and parameter templates
 * share it). Without a telling content type, JSON is tried, then form encoding.
 */
export function parseBody(req: RawRequest): Verdict<ParsedBody> {
  const derived = derivedOf(req);
  derived.parsed ??= parseByContentType(req);
  return derived.parsed;
}

/**
 * What is worked out from a request once and shared by all that read it (the parsed body, the
 * body hash, a connector's decoding), kept on the request itself. Not in WeakMaps keyed by the
 * request: V8 keeps a WeakMap's values alive until a collection proves its key dead, so a parsed
 * payload held that way outlived its request, was promoted to the old generation and cost
 * mark-compacts (issue #14: 16 µs against 9 µs per parsed GitHub push, measured).
 */
interface Derived {
  /** The request these belong to: a copy (`{...req, body}`) derives its own. */
  readonly of: RawRequest;
  parsed: Verdict<ParsedBody> | undefined;
  sha256: string | undefined;
  decoded: { readonly by: object; readonly value: unknown } | undefined;
}

const DERIVED = Symbol('derived from the request');
/** For requests that cannot carry their own (frozen ones): rare, so the WeakMap's cost does not matter. */
const derivedElsewhere = new WeakMap<RawRequest, Derived>();

function derivedOf(req: RawRequest): Derived {
  const held = (req as { [DERIVED]?: Derived })[DERIVED];
  if (held?.of === req) return held;
  const derived: Derived = { of: req, parsed: undefined, sha256: undefined, decoded: undefined };
  if (!Object.isExtensible(req)) {
    const elsewhere = derivedElsewhere.get(req);
    if (elsewhere) return elsewhere;
    derivedElsewhere.set(req, derived);
    return derived;
  }
  // Not enumerable: a spread, JSON or deep-equal of the request does not see it.
  Object.defineProperty(req, DERIVED, { value: derived, writable: true, configurable: true });
  return derived;
}

/**
 * `decode(req)` once per request for `by` (a compiled connector): what its signature check,
 * filters, dedupe and answer share. Another `by` decodes again.
 */
export function decodedOnce<T>(req: RawRequest, by: object, decode: (req: RawRequest) => T): T {
  const derived = derivedOf(req);
  if (derived.decoded?.by !== by) derived.decoded = { by, value: decode(req) };
  return derived.decoded.value as T;
}

function parseByContentType(req: RawRequest): Verdict<ParsedBody> {
  const type = contentTypeOf(req);
  const text = req.body.toString('utf8');
  if (isJsonContentType(type)) return parseJson(req.body, text, type);
  if (type === 'application/x-www-form-urlencoded') return accept({ kind: 'form', value: parseForm(text) });
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return parseJson(req.body, text, type || 'no content type');
  if (/^[^=&\s]+=[^&\s]*(&[^=&\s]+=[^&\s]*)*$/.test(text.trim())) return accept({ kind: 'form', value: parseForm(text) });
  return refuse('unparseable_body', `body (${type || 'no content type'}, ${req.body.length} bytes) is neither JSON nor form-encoded`);
}

function parseJson(bytes: Buffer, text: string, type: string): Verdict<ParsedBody> {
  if (jsonNestsDeeperThan(bytes)) return refuse('unparseable_body', `body (${type}) nests deeper than ${MAX_JSON_DEPTH} levels`);
  try {
    return accept({ kind: 'json', value: JSON.parse(text) as unknown });
  } catch (error) {
    return refuse('unparseable_body', `body (${type}) is not valid JSON: ${(error as Error).message}`);
  }
}

function parseForm(text: string): Record<string, string | string[]> {
  const parsed = parseQueryString(text);
  const out: Record<string, string | string[]> = {};
  // for…in over the parser's null-prototype object: no [key, value] array per field.
  for (const key in parsed) {
    const value = parsed[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** The body's SHA-256 (hex), once per request: the trigger log and the replay key share it. */
export function bodySha256(req: RawRequest): string {
  const derived = derivedOf(req);
  // One-shot crypto.hash: no Hash object per request.
  derived.sha256 ??= hash('sha256', req.body, 'hex');
  return derived.sha256;
}
