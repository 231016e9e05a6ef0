/**
 * RFC 7386 JSON Merge Patch: an object patch merges key by key, `null` deletes a key, anything
 * else (arrays included) replaces. Hand-written: the whole algorithm is the RFC's ten-line
 * pseudo-code (section 2), smaller than a dependency.
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
