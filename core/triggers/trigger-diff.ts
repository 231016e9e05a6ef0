/**
 * What a change did to a trigger, as the revision history shows it: every changed path with its
 * value before and after. Objects are compared key by key; a list is one value (it is replaced
 * whole, as a merge patch replaces it).
 */
import { formatPath } from '../yaml/config-error.js';
import type { TriggerChange } from '../store/store.js';

export function triggerDiff(before: unknown, after: unknown, path: PropertyKey[] = []): TriggerChange[] {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => triggerDiff(before[key], after[key], [...path, key]));
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  return [{ path: formatPath(path), ...(before !== undefined && { before }), ...(after !== undefined && { after }) }];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
