/**
 * Body fields that are credentials by name wherever they sit (Slack's verification `token`), and
 * what is shown instead of one. Here, below conditions/ and trigger-log/, so a payload filter's
 * refusal and the trigger log's redaction follow the one rule.
 */
import { splitDotPath } from './dot-path.js';

export const REDACTED = '[redacted]';

/** JSON and form fields that are credentials by name wherever they sit. */
export const CREDENTIAL_FIELD = /^(token|secret|password|passwd|api_?key|access_?token|client_secret|signing_secret|verification_token)$/i;

/** Whether the field at a dot path (`token`, `auth.api_key`) is a credential by its name. */
export function isCredentialFieldPath(dotPath: string): boolean {
  return CREDENTIAL_FIELD.test(splitDotPath(dotPath).at(-1) ?? '');
}

/** A payload filter in words (`ref equals "refs/heads/main"`): the refusal, the trigger's description and its sample say it alike. */
export function payloadFilterWords(filter: { readonly lookup: string; readonly operation: string; readonly value?: unknown }): string {
  return `${filter.lookup} ${filter.operation}${filter.value === undefined ? '' : ` ${shownFieldValue(filter.lookup, filter.value)}`}`;
}

/** A value read at a dot path as it may be shown: quoted, or `[redacted]` when the field is a credential. */
function shownFieldValue(dotPath: string, value: unknown): string {
  return isCredentialFieldPath(dotPath) ? REDACTED : JSON.stringify(value);
}
