/**
 * The one place that turns a configured secret into HMAC key bytes, and judges whether those
 * bytes make a key at all. The config schema and every connector whose secret becomes an HMAC
 * key refuse a weak one at start-up, so a trigger never runs with it.
 */

export type SecretEncoding = 'utf8' | 'base64';

/**
 * 16 bytes (128 bits) is the floor: a shorter key can be brute-forced offline from a single
 * signed request, and an empty one is a key everyone has (anyone can sign with it).
 */
export const MIN_HMAC_KEY_BYTES = 16;

/** Secret string → key bytes. `base64` keys may carry Standard Webhooks' `whsec_` prefix. */
export function secretKey(secret: string, encoding: SecretEncoding): Buffer {
  if (encoding === 'utf8') return Buffer.from(secret, 'utf8');
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
}

/** Why this secret makes a weak HMAC key, or undefined when it is long enough. */
export function weakHmacKey(secret: string, encoding: SecretEncoding): string | undefined {
  const bytes = secretKey(secret, encoding).length;
  if (bytes >= MIN_HMAC_KEY_BYTES) return undefined;
  // Node's base64 decoder skips characters outside the alphabet: "!!!!" and "whsec_" decode to nothing.
  const what = encoding === 'base64' ? `decodes (base64${secret.startsWith('whsec_') ? ', after the whsec_ prefix' : ''}) to ${bytes} byte${bytes === 1 ? '' : 's'} of HMAC key` : `is ${bytes} byte${bytes === 1 ? '' : 's'} of HMAC key`;
  const why = bytes === 0 ? 'an empty key is a public key: anyone can sign requests with it' : 'a shorter key can be brute-forced from one signed request';
  return `the secret ${what}; at least ${MIN_HMAC_KEY_BYTES} are needed (${why})`;
}
