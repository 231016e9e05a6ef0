/**
 * Secrets hooklaunch generates for a trigger (create, rotate), shaped as the sender expects them:
 * `hex` for plain HMAC keys and static tokens (GitHub, GitLab tokens, generic conditions),
 * `whsec` for Standard Webhooks senders (base64 key bytes after `whsec_`, the spec's "secret
 * serialization"; Stripe's endpoint secrets look the same).
 */
import { randomBytes } from 'node:crypto';
import { MIN_HMAC_KEY_BYTES } from '../config/hmac-key.js';

export const SECRET_FORMATS = ['hex', 'whsec'] as const;
export type SecretFormat = (typeof SECRET_FORMATS)[number];

/** 256 bits: as strong as the HMAC-SHA256 it keys. */
export const GENERATED_SECRET_BYTES = 32;

/**
 * The config refuses HMAC keys under 16 bytes (hmac-key.ts), so a generated one never is; Standard
 * Webhooks asks for "at least 24 bytes (192 bits, 512 maximum)" (spec/standard-webhooks.md, signature scheme table).
 */
const MIN_BYTES: Record<SecretFormat, number> = { hex: MIN_HMAC_KEY_BYTES, whsec: 24 };
const MAX_BYTES = 64;

export function generateSecret(format: SecretFormat = 'hex', bytes = GENERATED_SECRET_BYTES): string {
  if (!Number.isInteger(bytes) || bytes < MIN_BYTES[format] || bytes > MAX_BYTES) {
    throw new RangeError(`a generated ${format} secret takes ${MIN_BYTES[format]} to ${MAX_BYTES} random bytes, not ${bytes}`);
  }
  const random = randomBytes(bytes);
  return format === 'hex' ? random.toString('hex') : `whsec_${random.toString('base64')}`;
}
