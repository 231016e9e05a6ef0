import { createHash } from 'node:crypto';
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

const parsedBodies = new WeakMap<RawRequest, Verdict<ParsedBody>>();

/**
 * The body parsed by its content type, once per request (filters, dedupe and parameter templates
 * share it). Without a telling content type, JSON is tried, then form encoding.
 */
export function parseBody(req: RawRequest): Verdict<ParsedBody> {
  let verdict = parsedBodies.get(req);
  if (!verdict) {
    verdict = parseByContentType(req);
    parsedBodies.set(req, verdict);
  }
  return verdict;
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

const bodyHashes = new WeakMap<RawRequest, string>();

/** The body's SHA-256 (hex), once per request: the trigger log and the replay key share it. */
export function bodySha256(req: RawRequest): string {
  let hash = bodyHashes.get(req);
  if (hash === undefined) {
    hash = createHash('sha256').update(req.body).digest('hex');
    bodyHashes.set(req, hash);
  }
  return hash;
}
