import { accept, refuse, type RejectCode, type Verdict } from '../reject.js';
import { lookupDotPath, splitDotPath } from './dot-path.js';
import { parseBody, type RawRequest } from './raw-request.js';

/** Where a condition finds its value: a header, a query parameter, a form field or a JSON path, after an optional prefix and separator. */
export type LocatorConfig = { lookup: 'header' | 'query' | 'form' | 'json'; key: string; prefix?: string | undefined; separator?: string | undefined };

/** Human name of where a value is looked up, for messages: `header X-Signature`, `JSON field data.sig`. */
export function describeLocation(locator: Pick<LocatorConfig, 'lookup' | 'key'>): string {
  switch (locator.lookup) {
    case 'header':
      return `header ${locator.key}`;
    case 'query':
      return `query parameter ${locator.key}`;
    case 'form':
      return `form field ${locator.key}`;
    case 'json':
      return `JSON field ${locator.key}`;
  }
}

/**
 * Header names as the config writes them (`X-Signature`), lower-cased once each: lower-casing a
 * new string per lookup, two or three per request, was a visible share of a refusal (issue #14).
 * Bounded by the header names the configs name.
 */
const lowerCased = new Map<string, string>();

function headerName(key: string): string {
  let lower = lowerCased.get(key);
  if (lower === undefined) {
    lower = key.toLowerCase();
    lowerCased.set(key, lower);
  }
  return lower;
}

/** The single raw value at the locator, before prefix handling. */
export function locateRaw(req: RawRequest, locator: Pick<LocatorConfig, 'lookup' | 'key'>): Verdict<string> {
  // `where` is named only in a refusal: this runs for every signature and timestamp of every request.
  let values: readonly string[];
  switch (locator.lookup) {
    case 'header':
      values = req.headers[headerName(locator.key)] ?? [];
      if (values.length === 0) return refuse('missing_header', `${describeLocation(locator)} is missing`);
      if (values.length > 1) return refuse('duplicate_header', `${describeLocation(locator)} appears ${values.length} times; send it once`);
      return accept(values[0]!);
    case 'query':
      values = req.query.getAll(locator.key);
      if (values.length === 0) return refuse('missing_field', `${describeLocation(locator)} is missing`);
      if (values.length > 1) return refuse('missing_field', `${describeLocation(locator)} appears ${values.length} times; send it once`);
      return accept(values[0]!);
    case 'form':
    case 'json': {
      const where = describeLocation(locator);
      const body = parseBody(req);
      if (!body.ok) return body;
      if (locator.lookup === 'form' && body.value.kind !== 'form') {
        return refuse('unparseable_body', `${where} needs a form-encoded body (application/x-www-form-urlencoded)`);
      }
      const found = lookupDotPath(body.value.value, splitDotPath(locator.key));
      if (!found.found) return refuse('missing_field', `${where} is missing`);
      const value = found.value;
      if (Array.isArray(value)) return refuse('missing_field', `${where} appears ${value.length} times; send it once`);
      if (typeof value !== 'string' && typeof value !== 'number') return refuse('missing_field', `${where} is not a string`);
      return accept(String(value));
    }
  }
}

/**
 * The candidate values at the locator: the raw value split on `separator` (when set), keeping the
 * parts that carry `prefix`, with the prefix removed. None left → `malformedCode`.
 */
export function locateValues(req: RawRequest, locator: LocatorConfig, malformedCode: RejectCode): Verdict<string[]> {
  const raw = locateRaw(req, locator);
  if (!raw.ok) return raw;
  const prefix = locator.prefix ?? '';
  let values: string[];
  // One value, the usual case (a signature or timestamp header): no split, filter and map arrays.
  if (locator.separator === undefined) values = raw.value.startsWith(prefix) ? [raw.value.slice(prefix.length)] : [];
  else {
    values = raw.value
      .split(locator.separator)
      .map((p) => p.trim())
      .filter((p) => p.startsWith(prefix))
      .map((p) => p.slice(prefix.length));
  }
  if (values.length === 0) {
    const where = describeLocation(locator);
    return refuse(malformedCode, prefix ? `${where} has no value starting with "${prefix}"` : `${where} is empty`);
  }
  return accept(values);
}
