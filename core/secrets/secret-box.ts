/**
 * Seals a secret set through the admin API or page before it is stored, and opens it again:
 * AES-256-GCM with a random 12-byte nonce, bound to where the secret belongs (its context, e.g.
 * `trigger:<id>:conditions[0].secret`) as additional authenticated data, so a sealed value copied
 * to another trigger or field does not open there.
 *
 * Hand-written over node:crypto rather than taken from a library: node:crypto *is* the AES-GCM
 * implementation (OpenSSL); what is here is only the framing (key derivation, nonce, AAD, a
 * versioned string). A dependency would add supply-chain surface to the one module every stored
 * secret passes through, for about sixty lines.
 *
 * Sealed form: `v1:<key id>:<context id>:<base64 nonce>:<base64 ciphertext+tag>`. The two ids are
 * diagnostics only (GCM alone cannot tell a wrong key from a wrong context from an altered value:
 * all three fail the tag): the key id says "sealed under another key" (a lost `secret.key`, two
 * instances with different keys), the context id says "sealed for another trigger or field".
 * Both are keyed, so they reveal neither the key nor the context (trigger ids are secret URL parts).
 */
import { createCipheriv, createDecipheriv, createHmac, createSecretKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';

const VERSION = 'v1';
// GCM's native nonce size; random 96-bit nonces stay safe for 2^32 seals under one key (NIST SP 800-38D §8.3).
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const ID_BYTES = 8;

/** HKDF `info` labels: the configured key is never used directly, one subkey per purpose. */
export const ENCRYPTION_KEY_INFO = 'hooklaunch secret-box v1 aes-256-gcm';
export const FINGERPRINT_KEY_INFO = 'hooklaunch secret-box v1 fingerprints';

export type OpenProblem = 'unknown_version' | 'malformed' | 'wrong_key' | 'wrong_context' | 'tampered';

/**
 * A sealed value that does not open is the server's problem (a key or stored row), never the
 * request's, so it is not one of core/reject.ts's request codes: the caller decides the answer.
 */
export type Opened = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly problem: OpenProblem; readonly message: string };

interface Subkeys {
  readonly encryption: KeyObject;
  readonly fingerprints: KeyObject;
}

const derived = new WeakMap<KeyObject, Subkeys>();

function subkeys(key: KeyObject): Subkeys {
  let keys = derived.get(key);
  if (!keys) {
    if (key.type !== 'secret' || key.symmetricKeySize !== 32) throw new Error('the secret box needs a 32-byte secret key');
    const master = key.export();
    const derive = (info: string) => createSecretKey(Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), info, 32)));
    keys = { encryption: derive(ENCRYPTION_KEY_INFO), fingerprints: derive(FINGERPRINT_KEY_INFO) };
    derived.set(key, keys);
  }
  return keys;
}

function fingerprint(key: KeyObject, label: string): string {
  return createHmac('sha256', subkeys(key).fingerprints).update(label).digest().subarray(0, ID_BYTES).toString('hex');
}

/** A one-way fingerprint of the key: logged at start, so operators can see instances share one. */
export function keyId(key: KeyObject): string {
  return fingerprint(key, 'key');
}

function contextId(key: KeyObject, context: string): string {
  return fingerprint(key, `context\0${context}`);
}

function additionalData(context: string): Buffer {
  return Buffer.from(`${VERSION}\0${context}`, 'utf8');
}

export function seal(plaintext: string, key: KeyObject, context: string): string {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', subkeys(key).encryption, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData(context));
  const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return [VERSION, keyId(key), contextId(key, context), nonce.toString('base64'), sealed.toString('base64')].join(':');
}

export function open(sealed: string, key: KeyObject, context: string): Opened {
  const parts = sealed.split(':');
  const version = parts[0] ?? '';
  if (version !== VERSION) {
    const named = /^v\d{1,4}$/.test(version) ? `format "${version}"` : 'no known format';
    return problem('unknown_version', `the sealed secret has ${named}; this hooklaunch opens ${VERSION} (was it written by a newer version?)`);
  }
  if (parts.length !== 5) return problem('malformed', `a ${VERSION} sealed secret has 5 parts separated by ":", this one has ${parts.length}`);
  const [, sealedKeyId, sealedContextId, nonceText, bodyText] = parts as [string, string, string, string, string];
  const mine = keyId(key);
  if (sealedKeyId !== mine) {
    const theirs = /^[0-9a-f]{16}$/.test(sealedKeyId) ? `key ${sealedKeyId}` : 'another key';
    return problem('wrong_key', `the secret was sealed under ${theirs}, this instance's key is ${mine}: HOOKLAUNCH_SECRET_KEY or secret.key is not the key it was sealed with`);
  }
  if (sealedContextId !== contextId(key, context)) {
    return problem('wrong_context', `the secret was sealed for another trigger or field than ${context}; a sealed value cannot be moved`);
  }
  const nonce = strictBase64(nonceText);
  const body = strictBase64(bodyText);
  if (nonce?.length !== NONCE_BYTES) return problem('malformed', `the nonce is not ${NONCE_BYTES} bytes of base64`);
  if (body === undefined || body.length < TAG_BYTES) return problem('malformed', `the ciphertext is not base64 of at least ${TAG_BYTES} bytes (its tag)`);
  const decipher = createDecipheriv('aes-256-gcm', subkeys(key).encryption, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(additionalData(context));
  decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
  try {
    const plaintext = Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
    return { ok: true, value: plaintext.toString('utf8') };
  } catch {
    return problem('tampered', `the sealed secret for ${context} was altered: it fails authentication (AES-GCM tag)`);
  }
}

function problem(code: OpenProblem, message: string): Opened {
  return { ok: false, problem: code, message };
}

// Node's base64 decoder skips characters outside the alphabet; a value that does not re-encode to itself was altered.
function strictBase64(text: string): Buffer | undefined {
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}
