/**
 * How a stored body is decoded before its fields are checked. json: JSON only; form-or-json: a
 * provider's JSON or form body, unwrapping a form's `payload` field (Slack interactivity, GitHub's
 * form deliveries); json-or-form: a generic trigger's body, JSON or plain form fields.
 */
export type PayloadEncoding = 'json' | 'form-or-json' | 'json-or-form';

/**
 * A generic trigger's body the way its generated parser decodes it (`json-or-form`), so a schema
 * inferred from stored bodies describes what the parser will see: JSON when it looks like JSON,
 * else form fields, the first value of each.
 */
export function decodeJsonOrForm(body: Buffer | string): unknown {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const start = text.trimStart()[0];
  if (start === '{' || start === '[') return JSON.parse(text) as unknown;
  const fields: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(text)) if (!Object.hasOwn(fields, key)) fields[key] = value;
  return fields;
}
