import { header, parseBody, refuse, type Delivery, type RawRequest, type Verdict } from '../../core/connector-kit.js';
import { githubPayload, type GithubPayload } from './payload.js';
import { DELIVERY, EVENT } from './verify.js';

/** JSON deliveries, and form deliveries whose `payload` field holds the JSON. */
export function parseGithub(req: RawRequest): Verdict<Delivery<GithubPayload>> {
  const body = parseBody(req);
  if (!body.ok) return body;
  let decoded: unknown = body.value.value;
  if (body.value.kind === 'form') {
    const field = body.value.value.payload;
    if (typeof field !== 'string') return refuse('unparseable_body', 'a form-encoded GitHub delivery carries its JSON in the field "payload"');
    try {
      decoded = JSON.parse(field) as unknown;
    } catch {
      return refuse('unparseable_body', 'form field payload is not valid JSON');
    }
  }
  const parsed = githubPayload.safeParse(decoded);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return refuse('payload_invalid', `not a GitHub webhook payload: ${issue.path.join('.') || '(body)'}: ${issue.message}`);
  }
  const event = header(req, EVENT)!;
  const kind = parsed.data.action ? `${event}.${parsed.data.action}` : event;
  return { ok: true, value: { payload: parsed.data, kind, deliveryId: header(req, DELIVERY) } };
}
