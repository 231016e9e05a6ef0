import { header, parseBody, refuse, type Delivery, type PayloadScope, type RawRequest, type Verdict } from '../../core/connector-kit.js';
import { githubOwnFields, githubPayload, type GithubPayload } from './payload.js';
import { DELIVERY, EVENT } from './verify.js';

/**
 * JSON deliveries, and form deliveries whose `payload` field holds the JSON. With scope `own`,
 * only the fields the connector reads are checked, and the payload is the decoded body as is.
 */
export function parseGithub(req: RawRequest, _params?: unknown, scope: PayloadScope = 'all'): Verdict<Delivery<GithubPayload>> {
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
  const parsed = scope === 'own' ? githubOwnFields.safeParse(decoded) : githubPayload.safeParse(decoded);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return refuse('payload_invalid', `not a GitHub webhook payload: ${issue.path.join('.') || '(body)'}: ${issue.message}`);
  }
  // Checked on the fields this connector reads; the rest is read by the launched code's parser.
  const payload = scope === 'own' ? (decoded as GithubPayload) : (parsed.data as GithubPayload);
  const event = header(req, EVENT)!;
  const kind = payload.action ? `${event}.${payload.action}` : event;
  return { ok: true, value: { payload, kind, deliveryId: header(req, DELIVERY) } };
}
