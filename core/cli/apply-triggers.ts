/**
 * `hooklaunch apply`: makes the running service's API-managed triggers what a file says, through
 * the admin API. Per trigger: absent → POST; API-managed and different → PATCH with the merge patch
 * from what the service has to what the file says; file-managed → skipped (it changes in its own
 * file). `prune` deletes API-managed triggers the file does not name; `dryRun` only says what it
 * would do. The comparison is against GET's answer, where a stored secret reads `[sealed]`: the same
 * placeholder in the file is equal to it, so a file exported by `hooklaunch export` applies unchanged.
 */
import { formatPath } from '../yaml/config-error.js';
import { SEALED_SHOWN } from '../triggers/sealed-secrets.js';
import { refusalMessage, type AdminClient } from './admin-client.js';
import type { FileTrigger } from './read-triggers-file.js';
import { namesSecret } from '../config/secret-key-name.js';

const ENV_REFERENCE = /^\$\{env:[^}]+\}$/;
const SECRET_SHOWN = '[secret]';

export interface ApplyOptions {
  readonly prune: boolean;
  readonly dryRun: boolean;
}

export interface ApplyOutcome {
  /** Writes the service refused or that failed. */
  readonly failed: number;
  /** File-managed triggers named in the file. */
  readonly skipped: number;
}

interface TriggerView {
  readonly id: string;
  readonly managed_by: 'api' | 'file';
  readonly file?: string;
  readonly line?: number | null;
  readonly config: unknown;
}

export async function applyTriggers(client: AdminClient, triggers: readonly FileTrigger[], options: ApplyOptions, print: (line: string) => void): Promise<ApplyOutcome> {
  let failed = 0;
  let skipped = 0;
  const path = (id: string): string => `/api/v0/triggers/${encodeURIComponent(id)}/`;
  for (const { id, config } of triggers) {
    const current = await client.call('GET', path(id));
    if (current.status === 404) {
      if (options.dryRun) {
        print(`create ${id}`);
        continue;
      }
      const created = await client.call('POST', '/api/v0/triggers/', config);
      if (created.status === 201) print(`created ${id}`);
      else {
        failed++;
        print(`${id}: not created: ${refusalMessage(created)}`);
      }
      continue;
    }
    if (current.status !== 200) {
      failed++;
      print(`${id}: not read: ${refusalMessage(current)}`);
      continue;
    }
    const view = current.body as TriggerView;
    if (view.managed_by === 'file') {
      skipped++;
      print(`${id}: managed by ${view.file}${view.line == null ? '' : `:${view.line}`}, skipped`);
      continue;
    }
    const changes = describeChanges(view.config, config);
    if (changes.length === 0) {
      print(`unchanged ${id}`);
      continue;
    }
    if (options.dryRun) {
      print(`update ${id}: ${changes.join('; ')}`);
      continue;
    }
    const patched = await client.call('PATCH', path(id), mergePatchBetween(view.config, config));
    if (patched.status === 200) print(`updated ${id}: ${changes.join('; ')}`);
    else {
      failed++;
      print(`${id}: not updated: ${refusalMessage(patched)}`);
    }
  }
  if (options.prune) {
    const listed = await client.call('GET', '/api/v0/triggers/');
    if (listed.status !== 200) {
      print(`prune: the triggers were not listed: ${refusalMessage(listed)}`);
      return { failed: failed + 1, skipped };
    }
    const named = new Set(triggers.map((t) => t.id));
    for (const id of apiManagedIds(listed.body)) {
      if (named.has(id)) continue;
      if (options.dryRun) {
        print(`delete ${id}`);
        continue;
      }
      const deleted = await client.call('DELETE', path(id));
      if (deleted.status === 200) print(`deleted ${id}`);
      else {
        failed++;
        print(`${id}: not deleted: ${refusalMessage(deleted)}`);
      }
    }
  }
  return { failed, skipped };
}

/** Every API-managed trigger of GET /api/v0/triggers/: those served, and those stored but not served here. */
export function apiManagedIds(list: unknown): string[] {
  const { triggers = [], not_served = [] } = list as { triggers?: Array<{ id: string; managed_by: string }>; not_served?: Array<{ id: string }> };
  return [...new Set([...triggers.filter((t) => t.managed_by === 'api').map((t) => t.id), ...not_served.map((t) => t.id)])];
}

/**
 * `path: before → after` for each value that differs, lists compared item by item so a changed
 * filter is named by its index; secrets (other than `${env:…}` references) shown as `[secret]`.
 */
export function describeChanges(before: unknown, after: unknown, path: PropertyKey[] = []): string[] {
  if ((isObject(before) && isObject(after)) || (Array.isArray(before) && Array.isArray(after))) {
    const keys = Array.isArray(before) && Array.isArray(after) ? [...Array(Math.max(before.length, after.length)).keys()] : [...new Set([...Object.keys(before as object), ...Object.keys(after as object)])].sort();
    return keys.flatMap((key) => describeChanges((before as Record<PropertyKey, unknown>)[key], (after as Record<PropertyKey, unknown>)[key], [...path, key]));
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  const underSecret = path.some((key) => typeof key === 'string' && namesSecret(key));
  const shown = (value: unknown): string => (value === undefined ? '(none)' : JSON.stringify(masked(value, underSecret)));
  return [`${formatPath(path)}: ${shown(before)} → ${shown(after)}`];
}

function masked(value: unknown, underSecret: boolean): unknown {
  if (Array.isArray(value)) return value.map((item) => masked(item, underSecret));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, masked(item, underSecret || namesSecret(key))]));
  if (!underSecret || value === undefined || (typeof value === 'string' && ENV_REFERENCE.test(value))) return value;
  return value === SEALED_SHOWN ? SEALED_SHOWN : SECRET_SHOWN;
}

/**
 * The RFC 7386 merge patch that turns `before` into `after`: changed keys, `null` for removed ones,
 * lists whole. Hand-written for the same reason as merge-patch.ts: it is the RFC's algorithm run
 * backwards, a dozen lines.
 */
export function mergePatchBetween(before: unknown, after: unknown): unknown {
  if (!isObject(before) || !isObject(after)) return after;
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(before)) if (!(key in after)) patch[key] = null;
  for (const [key, value] of Object.entries(after)) {
    if (JSON.stringify(before[key]) !== JSON.stringify(value)) patch[key] = mergePatchBetween(before[key], value);
  }
  return patch;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
