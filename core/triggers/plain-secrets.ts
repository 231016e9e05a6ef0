/**
 * Where a trigger body sent to the admin API holds a secret in clear. Until secrets are stored
 * encrypted at rest (issue #13 point 4), the API accepts a secret only as an `${env:NAME}`
 * reference, so the store never holds one in clear. A secret is any value under a key naming one
 * (`secret`, `signing_secret`, …), at any depth: conditions and connector blocks alike.
 */
import { namesSecret } from '../config/secret-key-name.js';

const ENV_REFERENCE = /^\$\{env:[A-Za-z_][A-Za-z0-9_]*\}$/;

export function plainSecretPaths(value: unknown, path: PropertyKey[] = [], underSecret = false): PropertyKey[][] {
  if (typeof value === 'string') return underSecret && !ENV_REFERENCE.test(value) ? [path] : [];
  if (Array.isArray(value)) return value.flatMap((item, index) => plainSecretPaths(item, [...path, index], underSecret));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => plainSecretPaths(item, [...path, key], underSecret || namesSecret(key)));
  }
  return underSecret && value !== undefined && value !== null ? [path] : [];
}
