/**
 * What of a request never reaches the trigger log, the admin API, the page or `logs --json`: one
 * rule for every request, those refused before their trigger is known included.
 *
 * Redacted everywhere: every header, query parameter and body field that any configured trigger or
 * registered connector reads a credential from (a credential for one trigger may be sent to
 * another, or to an unknown id), and every header or query parameter whose name says it carries
 * one (`X-Gitlab-Token`, `X-Shopify-Hmac-Sha256`, `?access_token=`).
 */
import { CREDENTIAL_FIELD, REDACTED } from '../request/credential-field.js';
import { lookupDotPath, splitDotPath } from '../request/dot-path.js';

export { REDACTED };

/** Names that say "credential"; matched anywhere in a header or query parameter name. */
const CREDENTIAL_NAME = /auth|token|secret|signature|signing|hmac|jwt|bearer|passw|api-?_?key|access-?_?key|private-?_?key|session|cookie|credential/i;
/** Header names ending in "key" (`X-Key`, `X-Hook-Key`), but not `Idempotency-Key`: no secret, and the delivery id. */
const KEY_HEADER = /^(?!idempotency-key$)(.*-)?key$/i;
/** Short query parameter names commonly carrying one (`?key=` API keys, `?sig=` signed URLs). */
const CREDENTIAL_QUERY = /^(key|sig|signature|code|pass|pw|pwd)$/i;
/** A query parameter without a value, this long, may itself be the credential (`?s3cr3t…`). */
const BARE_TOKEN_LENGTH = 16;

/** Where one trigger reads credentials: header and query names (lower case), body fields (JSON dot paths, form keys). */
export interface Credentials {
  readonly headers: ReadonlySet<string>;
  readonly query: ReadonlySet<string>;
  readonly fields: ReadonlySet<string>;
}

export interface Redaction {
  readonly headers: ReadonlySet<string>;
  readonly query: ReadonlySet<string>;
  readonly fields: ReadonlySet<string>;
}

/** Headers every request may carry credentials in, whatever the trigger. */
export const ALWAYS_SENSITIVE_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie'];

/** The one redaction of a service: every trigger's credentials, every connector's credential headers. */
export function createRedaction(credentials: Iterable<Credentials>, connectorHeaders: Iterable<string> = []): Redaction {
  const headers = new Set([...ALWAYS_SENSITIVE_HEADERS, ...[...connectorHeaders].map((h) => h.toLowerCase())]);
  const query = new Set<string>();
  const fields = new Set<string>();
  for (const c of credentials) {
    for (const h of c.headers) headers.add(h.toLowerCase());
    for (const q of c.query) query.add(q.toLowerCase());
    for (const f of c.fields) fields.add(f);
  }
  return { headers, query, fields };
}

/**
 * Adds a trigger's credential locations to a redaction made by createRedaction (a trigger created
 * or changed while the service runs). Never narrows: what was redacted stays redacted.
 */
export function widenRedaction(redaction: Redaction, credentials: Credentials): void {
  const { headers, query, fields } = redaction as { headers: Set<string>; query: Set<string>; fields: Set<string> };
  for (const h of credentials.headers) headers.add(h.toLowerCase());
  for (const q of credentials.query) query.add(q.toLowerCase());
  for (const f of credentials.fields) fields.add(f);
  decided.get(redaction)?.clear();
}

/**
 * Header names already judged, per redaction: the same dozen names come with every request, and
 * two regexes per name per request were a visible share of a rejection's cost. Bounded (names
 * are chosen by senders), and cleared when the redaction widens.
 */
const decided = new WeakMap<Redaction, Map<string, boolean>>();
const MAX_DECIDED = 1024;

export function isCredentialHeader(redaction: Redaction, name: string): boolean {
  let known = decided.get(redaction);
  if (!known) decided.set(redaction, (known = new Map()));
  let credential = known.get(name);
  if (credential === undefined) {
    const lower = name.toLowerCase();
    credential = redaction.headers.has(lower) || CREDENTIAL_NAME.test(lower) || KEY_HEADER.test(lower);
    if (known.size >= MAX_DECIDED) known.clear();
    known.set(name, credential);
  }
  return credential;
}

export function isCredentialQuery(redaction: Redaction, name: string): boolean {
  // `key[]`, `key%20`, `sig_`: the name as an application would read it.
  const lower = name.toLowerCase();
  const bare = lower.replace(/\[\]$/, '').replace(/^[\s_.-]+|[\s_.-]+$/g, '');
  return redaction.query.has(lower) || redaction.query.has(bare) || CREDENTIAL_NAME.test(lower) || CREDENTIAL_QUERY.test(bare);
}

/** Header values joined per name, credentials replaced by `[redacted]`. */
export function redactHeaders(headers: Readonly<Record<string, readonly string[]>>, redaction: Redaction): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, values] of Object.entries(headers)) out[name] = isCredentialHeader(redaction, name) ? REDACTED : values.join(', ');
  return out;
}

/** The path with its query string, credential-bearing parameters replaced by `[redacted]`. */
export function redactTarget(path: string, query: URLSearchParams, redaction: Redaction): string {
  if (query.size === 0) return path;
  const kept = new URLSearchParams();
  for (const [name, value] of query) {
    if (value === '' && name.length >= BARE_TOKEN_LENGTH) kept.append(REDACTED, '');
    // `a=1;token=…`: some servers split on ";" too.
    else if (isCredentialQuery(redaction, name) || value.split(';').some((part) => part.includes('=') && isCredentialQuery(redaction, part.slice(0, part.indexOf('='))))) kept.append(name, REDACTED);
    else kept.append(name, value);
  }
  return `${path}?${kept.toString()}`;
}

/**
 * A body as shown on the page and the admin API: credential fields replaced. JSON gets the
 * configured dot paths and credential-named keys at any depth; form bodies their configured and
 * credential-named keys (and a `payload=` JSON field, as Slack sends, the JSON rule).
 */
export function redactBodyFields(value: unknown, redaction: Redaction): unknown {
  const copy = structuredClone(value);
  for (const path of redaction.fields) {
    const parts = splitDotPath(path);
    const parent = parts.length > 1 ? lookupDotPath(copy, parts.slice(0, -1)) : { found: true, value: copy };
    const last = parts.at(-1)!;
    if (parent.found && parent.value !== null && typeof parent.value === 'object' && Object.hasOwn(parent.value, last)) {
      (parent.value as Record<string, unknown>)[last] = REDACTED;
    }
  }
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) {
        if (CREDENTIAL_FIELD.test(key) && (typeof child === 'string' || typeof child === 'number')) (node as Record<string, unknown>)[key] = REDACTED;
        else walk(child);
      }
    }
  };
  walk(copy);
  return copy;
}
