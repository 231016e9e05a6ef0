/**
 * Secrets of API-managed triggers at rest (issue #13 point 4). A secret sent in clear is sealed
 * (secret-box.ts) before the trigger is stored, bound to `trigger:<id>:<field>`; the compiler gets
 * the opened config. Each sealed value holds JSON `{"value", "expires_at"}` so a previous secret
 * carries the end of its rotation overlap without a store schema change. `${env:…}` references are
 * left as written. What the API shows of a secret is `[sealed]`, never the value.
 */
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { formatPath } from '../yaml/config-error.js';
import { open, seal } from '../secrets/secret-box.js';
import { dropExpired, nextExpiryMs, type DatedSecret } from '../secrets/rotation.js';
import { plainSecretPaths } from './plain-secrets.js';
import { namesSecret } from '../config/secret-key-name.js';

export const SEALED_SHOWN = '[sealed]';

// secret-box.ts's v1 form; a value of this shape is taken as already sealed, never sealed twice.
const SEALED_FORM = /^v1:[0-9a-f]{16}:[0-9a-f]{16}:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/;

const sealedPayload = z.strictObject({ value: z.string().min(1), expires_at: z.number().int().nullable() });

export const isSealed = (value: unknown): value is string => typeof value === 'string' && SEALED_FORM.test(value);

/** The field a secret path belongs to: up to the first key naming a secret (a list index after it is one of its secrets). */
export function secretFieldOf(path: readonly PropertyKey[]): string {
  const end = path.findIndex((key) => typeof key === 'string' && namesSecret(key));
  return formatPath(path.slice(0, end + 1) as PropertyKey[]);
}

export const sealContext = (triggerId: string, field: string): string => `trigger:${triggerId}:${field}`;

export function sealSecret(secret: DatedSecret, key: KeyObject, triggerId: string, field: string): string {
  return seal(JSON.stringify({ value: secret.value, expires_at: secret.expiresAtMs ?? null }), key, sealContext(triggerId, field));
}

export type Unsealed = { readonly ok: true; readonly secret: DatedSecret } | { readonly ok: false; readonly message: string };

export function openSecret(sealed: string, key: KeyObject, triggerId: string, field: string): Unsealed {
  const opened = open(sealed, key, sealContext(triggerId, field));
  if (!opened.ok) return { ok: false, message: opened.message };
  let parsed: unknown;
  try {
    parsed = JSON.parse(opened.value);
  } catch {
    parsed = undefined;
  }
  const payload = sealedPayload.safeParse(parsed);
  if (!payload.success) return { ok: false, message: `the sealed secret for ${field} opens but does not hold {"value", "expires_at"}` };
  return { ok: true, secret: { value: payload.data.value, expiresAtMs: payload.data.expires_at ?? undefined } };
}

type Tree = Record<PropertyKey, unknown>;

function mapSecrets(config: unknown, replace: (value: string, path: PropertyKey[]) => unknown): unknown {
  const copy = structuredClone(config);
  for (const path of plainSecretPaths(copy)) {
    let node = copy as Tree;
    for (const key of path.slice(0, -1)) node = node[key as string] as Tree;
    const last = path.at(-1) as string;
    node[last] = replace(String(node[last]), path);
  }
  return copy;
}

/** The config with every secret in clear sealed; values already sealed and references are kept. */
export function sealSecrets(config: unknown, key: KeyObject, triggerId: string): unknown {
  return mapSecrets(config, (value, path) => (isSealed(value) ? value : sealSecret({ value }, key, triggerId, secretFieldOf(path))));
}

/**
 * The config as the API shows it: every secret not a reference is `[sealed]`. `underSecret`: the
 * value is itself a secret field's (a revision diff at `connector.secret`).
 */
export function maskSecrets(config: unknown, underSecret = false): unknown {
  if (config === undefined) return undefined;
  const key = underSecret ? 'secret' : 'value';
  return (mapSecrets({ [key]: config }, () => SEALED_SHOWN) as Tree)[key];
}

export type Kept = { readonly ok: true; readonly config: unknown } | { readonly ok: false; readonly path: string; readonly message: string };

/**
 * A body read back with GET holds `[sealed]` where a secret is stored: each stands for the sealed
 * value at the same path of `previous` (the stored config), so a GET-edit-PUT round trip keeps it.
 */
export function keepShownSecrets(config: unknown, previous: unknown): Kept {
  let missing: string | undefined;
  const kept = mapSecrets(config, (value, path) => {
    if (value !== SEALED_SHOWN) return value;
    const stored = lookup(previous, path);
    if (isSealed(stored)) return stored;
    missing ??= formatPath(path);
    return value;
  });
  if (missing !== undefined) return { ok: false, path: missing, message: `"${SEALED_SHOWN}" stands for a secret already stored at this path, and there is none; send the secret itself` };
  return { ok: true, config: kept };
}

export type OpenedConfig =
  | { readonly ok: true; readonly config: unknown; readonly nextExpiryMs: number | undefined }
  | { readonly ok: false; readonly path: string; readonly message: string };

/**
 * The config the compiler gets at `atMs`: every sealed value opened, previous secrets past their
 * overlap dropped (a list keeps at least its current secret), and when the set next changes by itself.
 */
export function openSecrets(config: unknown, key: KeyObject, triggerId: string, atMs: number): OpenedConfig {
  const fields = new Map<string, { parent: Tree; last: string | number; dated: DatedSecret[]; list: boolean }>();
  const copy = structuredClone(config);
  for (const path of plainSecretPaths(copy)) {
    const value = lookup(copy, path);
    if (!isSealed(value)) return { ok: false, path: formatPath(path), message: 'a secret is stored in clear; it should have been sealed' };
    const field = secretFieldOf(path);
    const opened = openSecret(value, key, triggerId, field);
    if (!opened.ok) return { ok: false, path: formatPath(path), message: opened.message };
    const fieldPath = path.slice(0, field === formatPath(path) ? path.length : -1);
    const entry = fields.get(field) ?? { parent: lookup(copy, fieldPath.slice(0, -1)) as Tree, last: fieldPath.at(-1) as string, dated: [], list: fieldPath.length !== path.length };
    entry.dated.push(opened.secret);
    fields.set(field, entry);
  }
  let next: number | undefined;
  for (const { parent, last, dated, list } of fields.values()) {
    const live = dropExpired(dated, atMs);
    parent[last] = list ? live.map((s) => s.value) : live[0]!.value;
    const expiry = nextExpiryMs(live);
    if (expiry !== undefined) next = Math.min(next ?? expiry, expiry);
  }
  return { ok: true, config: copy, nextExpiryMs: next };
}

/** The dated secrets a field holds (sealed values only; undefined when it holds none or one does not open). */
export function datedSecretsOf(config: unknown, key: KeyObject, triggerId: string, field: string): DatedSecret[] | undefined {
  const dated: DatedSecret[] = [];
  for (const path of plainSecretPaths(config)) {
    if (secretFieldOf(path) !== field) continue;
    const value = lookup(config, path);
    if (!isSealed(value)) return undefined;
    const opened = openSecret(value, key, triggerId, field);
    if (!opened.ok) return undefined;
    dated.push(opened.secret);
  }
  return dated.length > 0 ? dated : undefined;
}

/** The fields of a config holding stored secrets (sealed, or in clear before sealing), by path; `${env:…}` references are not. */
export function secretFields(config: unknown): string[] {
  return [...new Set(plainSecretPaths(config).map(secretFieldOf))];
}

function lookup(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const key of path) node = (node as Tree | undefined)?.[key as string];
  return node;
}
