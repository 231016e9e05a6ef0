/**
 * Action parameters may be taken from the payload: `"{payload.text}"`, `"{payload.data.url}"`.
 * Values are data: they are type-checked against the step's parameter and, on the local runner,
 * shell-quoted; nothing in a payload is ever evaluated.
 */
import { lookupDotPath, splitDotPath } from './dot-path.js';
import { MAX_JSON_DEPTH, valueNestsDeeperThan } from './json-depth.js';
import { accept, refuse, type Verdict } from '../reject.js';

const PAYLOAD_ONLY = /\{payload((?:\.(?:\\\.|[^{}.\\])+)*)\}/g;
const PLACEHOLDER = new RegExp(`${PAYLOAD_ONLY.source}|\\{run_id\\}`, 'g');
const WHOLE = new RegExp(`^${PAYLOAD_ONLY.source}$`);

export function isTemplated(value: string): boolean {
  return /\{payload[.}]|\{run_id\}/.test(value);
}

/** A config-time check of placeholder syntax; undefined when the template is well-formed. */
export function findTemplateErrors(template: string): string | undefined {
  const stripped = template.replace(PLACEHOLDER, '');
  if (/\{payload[.}]/.test(stripped)) return `malformed placeholder in "${template}"; write {payload.field.subfield}`;
  return undefined;
}

/**
 * A config-time check for a template that only the payload may fill (a batch key): any `{…}` left
 * once the `{payload…}` placeholders are taken out would stay in the value as written, silently.
 */
export function findNonPayloadPlaceholder(template: string): string | undefined {
  const left = /\{[^{}]*\}/.exec(template.replace(PAYLOAD_ONLY, ''));
  return left ? `${left[0]} is not filled in here: only {payload.field} placeholders are (headers and the run id are not part of a batch key)` : undefined;
}

export interface TemplateContext {
  /** The payload templates read: the parsed body, or a connector's decoded payload. */
  readonly payload: () => Verdict<unknown>;
  readonly runId: string;
}

/** `"{payload.x}"` alone keeps the field's JSON type; placeholders inside text become text. */
export function renderTemplate(template: string, context: TemplateContext, label: string): Verdict<unknown> {
  const whole = WHOLE.exec(template);
  if (whole) return lookup(whole[1]!, context, label);
  let failure: Verdict<unknown> | undefined;
  const text = template.replace(PLACEHOLDER, (match, path: string | undefined) => {
    if (match === '{run_id}') return context.runId;
    const found = lookup(path ?? '', context, label);
    if (!found.ok) {
      failure ??= found;
      return '';
    }
    const value = found.value;
    return typeof value === 'string' ? value : JSON.stringify(value);
  });
  return failure ?? accept(text);
}

function lookup(path: string, context: TemplateContext, label: string): Verdict<unknown> {
  const payload = context.payload();
  if (!payload.ok) return refuse(payload.rejection.code, `${payload.rejection.message} (${label} is taken from the payload)`);
  if (path === '') {
    if (valueNestsDeeperThan(payload.value)) return refuse('payload_invalid', `${label}: the payload nests deeper than ${MAX_JSON_DEPTH} levels`);
    return accept(payload.value);
  }
  const dotted = path.slice(1);
  const found = lookupDotPath(payload.value, splitDotPath(dotted));
  if (!found.found) return refuse('payload_invalid', `${label}: the payload has no field ${dotted}`);
  // What a template yields is stringified, type-checked and stored by recursive code: bounded here
  // whatever decoded the payload (parseBody bounds its own JSON; a connector's decoder may not).
  if (valueNestsDeeperThan(found.value)) return refuse('payload_invalid', `${label}: the payload's field ${dotted} nests deeper than ${MAX_JSON_DEPTH} levels`);
  return accept(found.value);
}
