/**
 * Bounds on how deep a payload may nest (issue #11: JSON nested 10,000 deep reached a title
 * template and its JSON.stringify blew the stack → a 500 with no trace). 128 levels is far above
 * any real webhook (GitHub, Slack block kit and Jira's document format stay under ~20) and far
 * below where a recursive walk — JSON.stringify, zod, the store's serialiser — nears the stack limit.
 */
export const MAX_JSON_DEPTH = 128;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;

/**
 * Whether JSON text nests deeper than `maxDepth`, by one pass over the bytes before parsing
 * (JSON.parse has no depth option). Brackets inside strings do not count; the text need not be
 * valid — JSON.parse still judges that. UTF-8 continuation bytes never equal these ASCII codes.
 */
export function jsonNestsDeeperThan(text: Buffer | string, maxDepth: number = MAX_JSON_DEPTH): boolean {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  if (openersAtMost(bytes, maxDepth)) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_BRACKET || byte === OPEN_BRACE) {
      if (++depth > maxDepth) return true;
    } else if (byte === CLOSE_BRACKET || byte === CLOSE_BRACE) {
      depth--;
    }
  }
  return false;
}

/**
 * Whether the text holds at most `limit` opening brackets, strings included — then it cannot nest
 * deeper than `limit`. Found with indexOf (memchr), so a usual webhook (a GitHub push has a few
 * dozen) is cleared in a few hops instead of a byte-by-byte walk, several times slower.
 */
function openersAtMost(bytes: Buffer, limit: number): boolean {
  let count = 0;
  for (const opener of [OPEN_BRACE, OPEN_BRACKET]) {
    for (let at = bytes.indexOf(opener); at >= 0; at = bytes.indexOf(opener, at + 1)) {
      if (++count > limit) return false;
    }
  }
  return true;
}

/** Whether a parsed value nests deeper than `maxDepth`; iterative, and stops at the first level past it. */
export function valueNestsDeeperThan(value: unknown, maxDepth: number = MAX_JSON_DEPTH): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth + 1 > maxDepth) return true;
    for (const child of Object.values(current)) if (child !== null && typeof child === 'object') stack.push({ value: child, depth: depth + 1 });
  }
  return false;
}
