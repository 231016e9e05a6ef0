import { header, parseJsonPayload, type Delivery, type RawRequest, type Verdict } from '../../core/connector-kit.js';
import { gitlabPayload, type GitlabPayload } from './payload.js';

export function parseGitlab(req: RawRequest): Verdict<Delivery<GitlabPayload>> {
  const payload = parseJsonPayload(req, gitlabPayload, 'GitLab webhook');
  if (!payload.ok) return payload;
  // Idempotency-Key (GitLab ≥ 17.4; equal to webhook-id when signed) stays the same on resends;
  // older GitLab has only the event UUID.
  const deliveryId = header(req, 'idempotency-key') ?? header(req, 'webhook-id') ?? header(req, 'x-gitlab-event-uuid');
  return { ok: true, value: { payload: payload.value, kind: payload.value.object_kind, deliveryId } };
}
