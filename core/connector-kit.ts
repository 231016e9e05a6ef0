/**
 * Everything a connector may import from core. Connectors never reach into the store, the
 * launchers or the server: what they need to verify, decode and answer is here.
 */
import { minimatch } from 'minimatch';
export type { Clock } from './clock.js';
export { fixedClock } from './clock.js';
export type { Connector, Delivery, ResponseSpec, RunProgress } from './connector.js';
export { defineConnector } from './connector.js';
export { secrets as secretsSchema, type HmacConfig, type TimestampConfig } from './config/schema.js';
export { conditionSchema } from './config/schema.js';
export { compileHmac, signHmac } from './conditions/hmac.js';
export { compileTimestamp } from './conditions/timestamp.js';
export { compileStaticToken } from './conditions/static-token.js';
export { bytesEqual, secretEqual } from './conditions/constant-time.js';
export type { Check } from './conditions/check.js';
export { PASS } from './conditions/check.js';
export { lookupDotPath, splitDotPath } from './request/dot-path.js';
export { locateRaw } from './request/locate-value.js';
export { contentTypeOf, isJsonContentType, parseBody, type ParsedBody, type RawRequest } from './request/raw-request.js';
export { accept, refuse, reject, type Rejection, type RejectCode, type Verdict } from './reject.js';

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
