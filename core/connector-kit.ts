/**
 * Everything a connector may import from core. Connectors never reach into the store, the
 * launchers or the server: what they need to verify, decode and answer is here.
 */
import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { minimatch } from 'minimatch';
import { z } from 'zod';
import { PASS, type Check } from './conditions/check.js';
import { compileHmac } from './conditions/hmac.js';
import { compileStaticToken } from './conditions/static-token.js';
import { compileTimestamp } from './conditions/timestamp.js';
import { hmacAuth, staticTokenAuth, timestampCondition } from './config/schema.js';
import { secretEqual } from './conditions/constant-time.js';
import { parseBody as parseRequestBody } from './request/raw-request.js';
import { refuse as refuseWith } from './reject.js';
import { runChecks } from './triggers/run-checks.js';
export type { Clock } from './clock.js';
export { fixedClock } from './clock.js';
export type { Connector, Delivery, FollowUpResult, PayloadScope, ResponseSpec, RunProgress } from './connector.js';
export { defineConnector } from './connector.js';
export { secrets as secretsSchema } from './config/schema.js';
/** For params whose secret becomes an HMAC key: fewer than 16 key bytes are refused at start-up. */
export { hmacSecrets as hmacSecretsSchema, refineHmacSecrets } from './config/schema.js';
export { signHmac } from './conditions/hmac.js';
export { bytesEqual, secretEqual } from './conditions/constant-time.js';
export type { Check } from './conditions/check.js';
export { PASS } from './conditions/check.js';
export { lookupDotPath, splitDotPath } from './request/dot-path.js';
export { locateRaw } from './request/locate-value.js';
export { contentTypeOf, isJsonContentType, parseBody, type ParsedBody, type RawRequest } from './request/raw-request.js';
export { accept, refuse, reject, type Rejection, type RejectCode, type Verdict } from './reject.js';

// A connector's scheme is written with the keys a user would write in hooklaunch.yaml, and goes
// through the same schema (defaults, validation) and the same compiled checks as a configured trigger.
export type StaticTokenCondition = Omit<z.input<typeof staticTokenAuth>, 'type' | 'auth_type'>;
export type HmacCondition = Omit<z.input<typeof hmacAuth>, 'type' | 'auth_type'>;
export type TimestampCondition = Omit<z.input<typeof timestampCondition>, 'type'>;

/**
 * A connector's `tolerance` parameter: how far, in seconds, a signed timestamp may be from this
 * machine's clock. Every provider here documents five minutes (Slack, Stripe, Standard Webhooks,
 * Discord's interactions guidance), so that is the default, in this one place.
 */
/**
 * The Standard Webhooks scheme (standardwebhooks.com): its headers and the string its signatures
 * cover. Spoken by the standard-webhooks connector and by GitLab's signing tokens.
 */
export const STANDARD_WEBHOOKS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
  signed: '{header:webhook-id}.{timestamp}.{body}',
} as const;

export function timestampTolerance(defaultSeconds = 300) {
  return z.number().int().positive().default(defaultSeconds);
}

export function staticTokenCheck(condition: StaticTokenCondition): Check {
  return compileStaticToken(staticTokenAuth.parse({ type: 'web-request-auth', auth_type: 'static_token', ...condition }));
}

export function timestampCheck(condition: TimestampCondition): Check {
  return compileTimestamp(timestampCondition.parse({ type: 'timestamp', ...condition }));
}

/** An HMAC check; its `{timestamp}` is read where `timestamp` says (the same place the timestamp check reads). */
export function hmacCheck(condition: HmacCondition, timestamp?: TimestampCondition): Check {
  const locator = timestamp && timestampCondition.parse({ type: 'timestamp', ...timestamp });
  return compileHmac(hmacAuth.parse({ type: 'web-request-auth', auth_type: 'hmac', ...condition }), locator);
}

/** The usual signed-request pair: the timestamp within tolerance, then the HMAC over it. */
export function signedRequestChecks(hmac: HmacCondition, timestamp: TimestampCondition): Check[] {
  return [timestampCheck(timestamp), hmacCheck(hmac, timestamp)];
}

/** The single value of a header (lower-case name), or undefined when absent or repeated. */
export function header(req: import('./request/raw-request.js').RawRequest, name: string): string | undefined {
  const values = req.headers[name.toLowerCase()];
  return values?.length === 1 ? values[0] : undefined;
}

/**
 * Compiles something once per params object: connectors build their checks from the trigger's
 * params at the first request and reuse them after.
 */
export function perParams<P extends object, T>(build: (params: P) => T): (params: P) => T {
  const cache = new WeakMap<P, T>();
  return (params) => {
    let built = cache.get(params);
    if (built === undefined) {
      built = build(params);
      cache.set(params, built);
    }
    return built;
  };
}

/** Glob match for names like `refs/heads/release/*` (minimatch: `*` stays within a path segment). */
export function matchesGlob(text: string, glob: string): boolean {
  return minimatch(text, glob, { dot: true });
}

/**
 * Ed25519 verification with node:crypto (Discord, Standard Webhooks v1a): the raw 32-byte public
 * key wrapped as a JWK, no extra dependency.
 */
export function ed25519Verify(publicKey: Buffer, message: Buffer, signature: Buffer): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey.toString('base64url') }, format: 'jwk' });
    return cryptoVerify(null, message, key, signature);
  } catch {
    return false;
  }
}

/** `Basic <base64(user:password)>` compared in constant time. */
export function basicAuthMatches(header: string | undefined, user: string, password: string): boolean {
  return header !== undefined && secretEqual(header, `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`);
}

/** The usual answers: the run id for a launch, and a 2xx "not triggered" with the reason. */
export function runIdAnswer(runId: string): import('./connector.js').ResponseSpec {
  return { status: 200, json: { run_id: runId } };
}
export function notTriggeredAnswer(reason: string): import('./connector.js').ResponseSpec {
  return { status: 200, json: { triggered: false, reason } };
}

/** A JSON body checked against a zod schema; the first problem names its field. */
export function parseJsonPayload<T>(req: import('./request/raw-request.js').RawRequest, schema: { safeParse(value: unknown): { success: true; data: T } | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } } }, provider: string): import('./reject.js').Verdict<T> {
  const body = parseRequestBody(req);
  if (!body.ok) return body;
  if (body.value.kind !== 'json') return refuseWith('unparseable_body', `a ${provider} webhook delivers JSON`);
  const parsed = schema.safeParse(body.value.value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return refuseWith('payload_invalid', `not a ${provider} payload: ${issue.path.join('.') || '(body)'}: ${issue.message}`);
  }
  return { ok: true, value: parsed.data };
}

/** Runs checks in order; the first failure, or a pass. Synchronous while the checks are. */
export function passesAll(checks: readonly import('./conditions/check.js').Check[], req: import('./request/raw-request.js').RawRequest, clock: import('./clock.js').Clock): import('./reject.js').Verdict<void> | Promise<import('./reject.js').Verdict<void>> {
  const failed = runChecks(checks, req, clock);
  if (failed instanceof Promise) return failed.then((verdict) => verdict ?? PASS);
  return failed ?? PASS;
}
