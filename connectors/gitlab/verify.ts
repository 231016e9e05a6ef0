import { STANDARD_WEBHOOKS, passesAll, perParams, signHmac, signedRequestChecks, staticTokenCheck, type Check, type Clock, type RawRequest, type Verdict } from '../../core/connector-kit.js';
import type { GitlabParams } from './params.js';

const TOKEN = 'x-gitlab-token';

// Token mode: X-Gitlab-Token carries the secret in plain text (constant-time compare). Signed
// mode: GitLab's signing token follows Standard Webhooks (webhook-id/-timestamp/-signature).
const checks = perParams((params: GitlabParams): Check[] => {
  if (params.mode === 'token') return [staticTokenCheck({ key: TOKEN, secret: params.secret })];
  return signedRequestChecks(
    { key: STANDARD_WEBHOOKS.signature, prefix: 'v1,', separator: ' ', encoding: 'base64', secret_encoding: 'base64', secret: params.secret, message: STANDARD_WEBHOOKS.signed },
    { key: STANDARD_WEBHOOKS.timestamp, tolerance: params.tolerance },
  );
});

export async function verifyGitlab(req: RawRequest, params: GitlabParams, clock: Clock): Promise<Verdict<void>> {
  return passesAll(checks(params), req, clock);
}

export function signGitlab(body: Buffer, contentType: string, params: GitlabParams, nowMs: number): Record<string, string> {
  const event = { push: 'Push Hook', tag_push: 'Tag Push Hook', merge_request: 'Merge Request Hook', pipeline: 'Pipeline Hook' }[params.events[0]!] ?? 'Push Hook';
  const uuid = crypto.randomUUID();
  const headers: Record<string, string> = { 'content-type': contentType, 'x-gitlab-event': event, 'x-gitlab-event-uuid': uuid, 'idempotency-key': uuid };
  if (params.mode === 'token') return { ...headers, [TOKEN]: params.secret[0]! };
  const timestamp = String(Math.floor(nowMs / 1000));
  const signature = signHmac({ secret: params.secret[0]!, secretEncoding: 'base64', encoding: 'base64', message: STANDARD_WEBHOOKS.signed }, { body, timestamp, headers: { [STANDARD_WEBHOOKS.id]: uuid } });
  return { ...headers, [STANDARD_WEBHOOKS.id]: uuid, [STANDARD_WEBHOOKS.timestamp]: timestamp, [STANDARD_WEBHOOKS.signature]: `v1,${signature}` };
}

export function sampleGitlab(params: GitlabParams): { body: string; contentType: string } {
  const branch = params.branches?.find((b) => !/[*?[]/.test(b)) ?? 'main';
  const project = params.projects?.[0] ?? 'group/project';
  const after = [...crypto.getRandomValues(new Uint8Array(20))].map((b) => b.toString(16).padStart(2, '0')).join('');
  return {
    body: JSON.stringify({ object_kind: params.events[0], event_name: params.events[0], ref: `refs/heads/${branch}`, before: '0'.repeat(40), after, checkout_sha: after, user_username: 'hooklaunch', project: { id: 1, path_with_namespace: project, default_branch: 'main' }, commits: [{ id: after, message: 'hooklaunch test push' }], total_commits_count: 1 }),
    contentType: 'application/json',
  };
}

/** What this connector verifies, in words (`hooklaunch check`, the page), from the same constants as the check. */
export const describeGitlabVerification = (params: GitlabParams): string =>
  params.mode === 'token' ? `token in ${TOKEN}` : `Standard Webhooks HMAC-SHA256 (base64) "v1," in ${STANDARD_WEBHOOKS.signature} over "${STANDARD_WEBHOOKS.signed}"; ${STANDARD_WEBHOOKS.timestamp} within ±${params.tolerance} s`;
