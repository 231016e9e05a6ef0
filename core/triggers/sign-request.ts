/**
 * Builds a request that a trigger accepts: its connector's signature, then each condition's
 * token, timestamp, HMAC, HS-signed JWT and delivery id, with secrets from the same config (and
 * environment) as the server. Used by `hooklaunch send` and the web page's test request.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { ConnectorBinding } from '../config/load-config.js';
import type { ConditionConfig, LocatorConfig, TriggerConfig } from '../config/schema.js';
import { signHmac } from '../conditions/hmac.js';
import { accept, refuse, type Verdict } from '../reject.js';

export interface SignedRequest {
  readonly headers: Record<string, string>;
  readonly query: Record<string, string>;
  readonly body: Buffer;
}

export async function signTriggerRequest(trigger: TriggerConfig, binding: ConnectorBinding | undefined, body: Buffer, contentType: string, nowMs: number): Promise<Verdict<SignedRequest>> {
  const headers: Record<string, string> = { 'content-type': contentType };
  const query: Record<string, string> = {};
  if (binding) {
    if (!binding.connector.sign) return refuse('internal_error', `the ${binding.connector.title} connector cannot sign requests here; only the provider can`);
    Object.assign(headers, binding.connector.sign(body, contentType, binding.params, nowMs));
  }
  // Header values assembled from several parts (Stripe-style "t=…,v1=…").
  const parts = new Map<string, { separator: string; values: string[] }>();
  const place = (locator: LocatorConfig, value: string, what: string): Verdict<void> => {
    const text = `${locator.prefix ?? ''}${value}`;
    if (locator.lookup === 'query') {
      query[locator.key] = text;
      return accept(undefined);
    }
    if (locator.lookup !== 'header') return refuse('internal_error', `${what} goes in the body (${locator.lookup} ${locator.key}); put it in the data you send`);
    const name = locator.key.toLowerCase();
    if (locator.separator !== undefined) {
      const entry = parts.get(name) ?? { separator: locator.separator, values: [] };
      entry.values.push(text);
      parts.set(name, entry);
    } else {
      headers[name] = text;
    }
    return accept(undefined);
  };

  const timestamp = trigger.conditions.find((c): c is Extract<ConditionConfig, { type: 'timestamp' }> => c.type === 'timestamp');
  const timestampText = timestamp && formatTimestamp(nowMs, timestamp.format);
  const ordered = [...trigger.conditions].sort((a, b) => order(a) - order(b));
  for (const condition of ordered) {
    let placed: Verdict<void> = accept(undefined);
    if (condition.type === 'timestamp') placed = place(condition, timestampText!, 'the timestamp');
    else if (condition.type === 'deduplicate') {
      if (condition.lookup === 'header') headers[condition.key.toLowerCase()] ??= randomUUID();
    } else if (condition.type === 'web-request-auth') {
      if (condition.auth_type === 'static_token') placed = place(condition, condition.secret[0]!, 'the token');
      else if (condition.auth_type === 'hmac') {
        for (const match of condition.message.matchAll(/\{header:([A-Za-z0-9_-]+)\}/g)) headers[match[1]!.toLowerCase()] ??= `msg_${randomUUID()}`;
        const signature = signHmac(
          { secret: condition.secret[0]!, algorithm: condition.algorithm, encoding: condition.encoding, secretEncoding: condition.secret_encoding, message: condition.message },
          { body, timestamp: timestampText, headers },
        );
        placed = place(condition, signature, 'the signature');
      } else {
        if (condition.secret === undefined) return refuse('internal_error', 'this trigger verifies JWTs with a public key; only the holder of the private key can sign them');
        const alg = condition.algorithms[0]!;
        const jwt = new SignJWT({}).setProtectedHeader({ alg }).setIssuedAt(Math.floor(nowMs / 1000)).setExpirationTime(Math.floor(nowMs / 1000) + 300);
        if (condition.issuer !== undefined) jwt.setIssuer(Array.isArray(condition.issuer) ? condition.issuer[0]! : condition.issuer);
        if (condition.audience !== undefined) jwt.setAudience(condition.audience);
        if (condition.subject !== undefined) jwt.setSubject(condition.subject);
        placed = place(condition, await jwt.sign(new TextEncoder().encode(condition.secret[0]!)), 'the JWT');
      }
    }
    if (!placed.ok) return placed;
  }
  for (const [name, { separator, values }] of parts) headers[name] = values.join(separator);
  return accept({ headers, query, body });
}

/** Timestamps are placed before signatures, which may sign them. */
function order(condition: ConditionConfig): number {
  return condition.type === 'timestamp' ? 0 : condition.type === 'deduplicate' ? 1 : 2;
}

function formatTimestamp(nowMs: number, format: 'unix_s' | 'unix_ms' | 'iso8601'): string {
  return format === 'unix_s' ? String(Math.floor(nowMs / 1000)) : format === 'unix_ms' ? String(nowMs) : new Date(nowMs).toISOString();
}
