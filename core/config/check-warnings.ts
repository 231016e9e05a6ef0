/**
 * What `hooklaunch check` warns about in a valid config: triggers anyone holding the URL can fire,
 * secrets too short to resist guessing, an admin page nobody can open, and batches nobody reads. Warnings, not errors:
 * each can be intended (a trigger on a private network, a provider's short token), so the service
 * still starts; `check` says so once, where the operator looks before going live.
 */
import { adminTokensOf } from './admin-tokens.js';
import { namesSecret } from './secret-key-name.js';
import { formatPath } from '../yaml/config-error.js';
// Below the HMAC key floor a shared secret can be guessed offline: the same 128 bits for every secret.
import { MIN_HMAC_KEY_BYTES as MIN_SECRET_BYTES } from './hmac-key.js';
import type { Config, TriggerConfig } from './schema.js';
import type { ConnectorBinding } from './load-config.js';



/** `connectors`: each connector trigger's bound connector (LoadedConfig.connectors), by trigger id. */
export function checkWarnings(config: Config, connectors: ReadonlyMap<string, ConnectorBinding> = new Map()): string[] {
  const warnings: string[] = [];
  if (adminTokensOf(config.server).length === 0) {
    warnings.push('the admin page and API are disabled: no admin token is configured (set server.admin_token, or server.admin_tokens with roles)');
  }
  config.triggers.forEach((trigger, index) => {
    const name = `triggers[${index}] (${trigger.title || trigger.id})`;
    if (!isAuthenticated(trigger)) {
      warnings.push(`${name} checks no credential: anyone who learns its URL can launch (add a web-request-auth condition or a connector)`);
    }
    // A connector that reports back to its sender (Slack, Discord) can tell one sender per run: a batch's first.
    const connector = connectors.get(trigger.id)?.connector;
    if (trigger.batch && connector?.followUp) {
      warnings.push(`${name} batches ${connector.id} deliveries: each sender is acknowledged, but only the batch's first delivery hears how the run went`);
    }
    if (trigger.batch && trigger.actions.every((a) => a.type === 'fetch-repository' || a.payload_input === undefined)) {
      warnings.push(`${name} batches its deliveries but no action has payload_input: the launched code never sees them (fine if the batch only debounces a burst into one run)`);
    }
    for (const { path, bytes } of shortSecrets(trigger)) {
      warnings.push(`${name}: the secret at ${formatPath(['triggers', index, ...path])} is ${bytes} byte${bytes === 1 ? '' : 's'}; use at least ${MIN_SECRET_BYTES} (\`openssl rand -hex 32\`) so it cannot be guessed`);
    }
  });
  return warnings;
}

/** A connector always verifies its provider's signature or token; otherwise a web-request-auth condition must. */
function isAuthenticated(trigger: TriggerConfig): boolean {
  return trigger.connector !== undefined || trigger.conditions.some((c) => c.type === 'web-request-auth');
}

/** Secrets as resolved (`${env:…}` already replaced), with their path inside the trigger. */
function shortSecrets(value: unknown, path: PropertyKey[] = [], underSecret = false): { path: PropertyKey[]; bytes: number }[] {
  if (typeof value === 'string') {
    const bytes = Buffer.byteLength(value, 'utf8');
    return underSecret && bytes < MIN_SECRET_BYTES ? [{ path, bytes }] : [];
  }
  if (Array.isArray(value)) return value.flatMap((item, i) => shortSecrets(item, [...path, i], underSecret));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => shortSecrets(item, [...path, key], underSecret || namesSecret(key)));
  }
  return [];
}
