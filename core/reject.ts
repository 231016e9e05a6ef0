/**
 * The closed list of reasons hooklaunch turns a request away. These codes are what the sender
 * sees in `{"error": {"code", "message"}}` and what the trigger log records; callers switch on them.
 */
export const REJECT_STATUS = {
  trigger_not_found: 404,
  method_not_allowed: 405,
  body_too_large: 413,
  missing_header: 400,
  missing_field: 400,
  duplicate_header: 400,
  malformed_signature: 400,
  signature_mismatch: 400,
  token_mismatch: 400,
  jwt_invalid: 400,
  jwt_expired: 400,
  jwt_algorithm_not_allowed: 400,
  jwt_claim_invalid: 400,
  jwt_key_unavailable: 503,
  timestamp_invalid: 400,
  timestamp_too_old: 400,
  timestamp_too_new: 400,
  unparseable_body: 400,
  payload_invalid: 400,
  filtered_out: 400,
  /** The sender is set up so that nothing it sends can launch (Datadog's default payload); the page and `check` flag the trigger. */
  sender_misconfigured: 422,
  rate_limited: 400,
  /** Paused through the admin API: nothing launches, every request is logged; connectors may answer in their provider's form. */
  trigger_paused: 409,
  run_not_found: 404,
  /** The admin API: a batch id the store does not hold (issue #17). */
  batch_not_found: 404,
  /** The admin API: a request id the trigger log does not hold (purged, or never logged). */
  request_not_found: 404,
  /** A logged request that cannot be evaluated again (no body kept, only a sample, or its trigger gone). */
  not_replayable: 409,
  /** The admin API: no route at this path. */
  route_not_found: 404,
  /** A state-changing admin request from another site (the page's CSRF guard). */
  cross_site_request: 403,
  url_signature_invalid: 403,
  url_expired: 403,
  unauthorized: 401,
  /** An admin token whose role is below the route's (a viewer asking to replay). */
  forbidden: 403,
  /** Past `server.limits` (connections or body bytes in flight); answered with Retry-After, body unread. */
  overloaded: 503,
  internal_error: 500,
} as const;

export type RejectCode = keyof typeof REJECT_STATUS;

export interface Rejection {
  readonly code: RejectCode;
  /** Names the header, field or condition at fault. Never contains a secret or an expected value. */
  readonly message: string;
  readonly status: number;
  /** Extra response headers, e.g. `Retry-After` for `rate_limited`, `Allow` for 405. */
  readonly headers?: Readonly<Record<string, string>>;
}

export type Verdict<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly rejection: Rejection };

/** A message may quote what the sender sent; it is answered, logged and stored, so it is bounded. */
export const MAX_MESSAGE_CHARS = 500;

export function boundedMessage(message: string): string {
  return message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS)}… (${message.length} characters)` : message;
}

export function reject(code: RejectCode, message: string, headers?: Record<string, string>): Rejection {
  const bounded = boundedMessage(message);
  return headers ? { code, message: bounded, status: REJECT_STATUS[code], headers } : { code, message: bounded, status: REJECT_STATUS[code] };
}

export function accept<T>(value: T): Verdict<T> {
  return { ok: true, value };
}

export function refuse<T = never>(code: RejectCode, message: string, headers?: Record<string, string>): Verdict<T> {
  return { ok: false, rejection: reject(code, message, headers) };
}
