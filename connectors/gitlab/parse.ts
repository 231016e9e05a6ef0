import { header, parseJsonPayload, type Delivery, type RawRequest, type Verdict } from '../../core/connector-kit.js';
import type { GitlabParams } from './params.js';
import { gitlabPayload, type GitlabPayload } from './payload.js';

export function parseGitlab(req: RawRequest, params: GitlabParams): Verdict<Delivery<GitlabPayload>> {
  const payload = parseJsonPayload(req, gitlabPayload, 'GitLab webhook');
  if (!payload.ok) return payload;
  // Signed, the id is the webhook-id the signature covers (an unsigned header could be changed by
  // whoever replays a capture). Otherwise Idempotency-Key (GitLab ≥ 17.4) stays the same on
  // resends; older GitLab has only the event UUID.
  const deliveryId = params.mode === 'signed' ? header(req, 'webhook-id') : (header(req, 'idempotency-key') ?? header(req, 'x-gitlab-event-uuid'));
  return { ok: true, value: { payload: payload.value, kind: payload.value.object_kind, deliveryId } };
}
