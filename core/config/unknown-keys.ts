/**
 * How an unknown config key is reported: named, and with the key it most likely meant when one
 * is a typo away (`max_item` → `max_items`). The candidates are every key the config's JSON Schema
 * knows (connectors' included), the same schema the loader runs.
 */
import { configJsonSchema, type JsonSchema } from './config-json-schema.js';
import type { ConnectorRegistry } from './load-config.js';

const vocabularies = new WeakMap<ConnectorRegistry, readonly string[]>();
const NO_CONNECTORS: ConnectorRegistry = new Map();

export function unknownKeysMessage(keys: readonly string[], registry: ConnectorRegistry = NO_CONNECTORS): string {
  const named = `unknown key${keys.length > 1 ? 's' : ''} ${keys.join(', ')}`;
  const guesses = keys.map((key) => closest(key, vocabularyOf(registry))).filter((g): g is string => g !== undefined);
  return guesses.length > 0 ? `${named} (did you mean ${guesses.join(', ')}?)` : named;
}

function vocabularyOf(registry: ConnectorRegistry): readonly string[] {
  let known = vocabularies.get(registry);
  if (!known) {
    const names = new Set<string>();
    const walk = (value: unknown): void => {
      if (Array.isArray(value)) return value.forEach(walk);
      if (value === null || typeof value !== 'object') return;
      const schema = value as JsonSchema & Record<string, unknown>;
      for (const name of Object.keys(schema.properties ?? {})) names.add(name);
      Object.values(schema).forEach(walk);
    };
    walk(configJsonSchema(registry));
    known = [...names];
    vocabularies.set(registry, known);
  }
  return known;
}

/**
 * The known key nearest `key` within one edit (two for keys longer than 8 letters), if exactly one
 * is nearest. The candidates come from the whole config, not the block the key is in: a tight
 * bound keeps a guess from another block (`branch` → `batch`) out.
 */
function closest(key: string, known: readonly string[]): string | undefined {
  const limit = key.length <= 8 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = limit + 1;
  let tie = false;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase(), limit);
    if (distance < bestDistance) [best, bestDistance, tie] = [candidate, distance, false];
    else if (distance === bestDistance && candidate !== best) tie = true;
  }
  return best !== undefined && !tie ? best : undefined;
}

// Hand-written rather than a package: a bounded Levenshtein over config key names is a dozen lines.
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}
