import { isMap, isSeq, type Document, type LineCounter, type Node } from 'yaml';

/**
 * The 1-based line of the YAML node at `path`, or of its nearest existing ancestor when the path
 * names something missing (a required key that is absent still points at its parent object).
 */
export function lineOf(doc: Document, lines: LineCounter, path: readonly PropertyKey[]): number | undefined {
  let node: unknown = doc.contents;
  let offset = rangeStart(node);
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => scalarValue(item.key) === String(segment));
      if (!pair) break;
      offset = rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      if (item === undefined) break;
      node = item;
      offset = rangeStart(node) ?? offset;
    } else {
      break;
    }
  }
  return offset === undefined ? undefined : lines.linePos(offset).line;
}

function rangeStart(node: unknown): number | undefined {
  return (node as Node | null)?.range?.[0];
}

function scalarValue(node: unknown): string | undefined {
  const value = (node as { value?: unknown } | null)?.value;
  return value === undefined || value === null ? undefined : String(value);
}
