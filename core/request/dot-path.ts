import { jsonNestsDeeperThan } from './json-depth.js';

/**
 * Dot paths into a payload, as Valohai's payload filters write them: `data.kind`, `items.0.id`,
 * and `\.` for a dot inside a key (`data.valohai\.execution-step`).
 */
export function splitDotPath(path: string): string[] {
  const segments: string[] = [];
  let current = '';
  for (let i = 0; i < path.length; i++) {
    const char = path[i]!;
    if (char === '\\' && path[i + 1] === '.') {
      current += '.';
      i++;
    } else if (char === '.') {
      segments.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  segments.push(current);
  return segments;
}

export type Lookup = { readonly found: true; readonly value: unknown } | { readonly found: false };

/**
 * Walks the segments. A string met midway that holds JSON is parsed and walked into, so
 * `payload.type` reaches into Slack's and GitHub's form deliveries (`payload=<json>`).
 */
export function lookupDotPath(root: unknown, segments: readonly string[]): Lookup {
  let value = root;
  for (const segment of segments) {
    if (typeof value === 'string') value = tryParseJson(value);
    if (Array.isArray(value)) {
      if (!/^\d+$/.test(segment) || Number(segment) >= value.length) return { found: false };
      value = value[Number(segment)];
    } else if (value !== null && typeof value === 'object' && Object.hasOwn(value, segment)) {
      value = (value as Record<string, unknown>)[segment];
    } else {
      return { found: false };
    }
  }
  return { found: true, value };
}

function tryParseJson(text: string): unknown {
  const start = text.trimStart()[0];
  // Too deep to be a real payload: left as the string it is rather than parsed (issue #11).
  if ((start !== '{' && start !== '[') || jsonNestsDeeperThan(text)) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
