/**
 * What of a request never reaches the trigger log, the admin API, the page or `logs --json`: one
 * rule for every request, those refused before their trigger is known included.
 *
 * A header or query parameter is redacted when a condition or connector reads a credential from it
 * (the trigger's own list), when it is one of every registered connector's credential headers, or
 * when its name says it carries one (`X-Gitlab-Token`, `X-Hub-Signature-256`, `?access_token=`).
 */
export const REDACTED = '[redacted]';

/** Names that say "credential"; matched anywhere in a header or query parameter name. */
const CREDENTIAL_NAME = /auth|token|secret|signature|passw|api-?_?key|access-?_?key|private-?_?key|session|cookie|credential/i;
/** Short query parameter names commonly carrying one (`?key=` API keys, `?sig=` signed URLs). */
const CREDENTIAL_QUERY = /^(key|sig|signature|code|pass|pwd)$/i;

/** Headers every request may carry credentials in, whatever the trigger. */
export const ALWAYS_SENSITIVE_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie'];

export interface Redaction {
  /** Lower-case header names. */
  readonly headers: ReadonlySet<string>;
  /** Lower-case query parameter names. */
  readonly query: ReadonlySet<string>;
}

export function createRedaction(headers: Iterable<string>, query: Iterable<string> = []): Redaction {
  return {
    headers: new Set([...ALWAYS_SENSITIVE_HEADERS, ...[...headers].map((h) => h.toLowerCase())]),
    query: new Set([...query].map((q) => q.toLowerCase())),
  };
}

export function isCredentialHeader(redaction: Redaction, name: string): boolean {
  const lower = name.toLowerCase();
  return redaction.headers.has(lower) || CREDENTIAL_NAME.test(lower);
}

export function isCredentialQuery(redaction: Redaction, name: string): boolean {
  const lower = name.toLowerCase();
  return redaction.query.has(lower) || CREDENTIAL_NAME.test(lower) || CREDENTIAL_QUERY.test(lower);
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
  for (const [name, value] of query) kept.append(name, isCredentialQuery(redaction, name) ? REDACTED : value);
  return `${path}?${kept.toString()}`;
}
