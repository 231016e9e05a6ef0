/** Requests signed the way each provider signs them, for tests and fixtures. */
import { sign as signGithub } from '@octokit/webhooks-methods';
import { signHmac } from '../../core/conditions/hmac.js';

export interface SignedRequest {
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Slack's v0 scheme: HMAC-SHA256 over "v0:{timestamp}:{body}". */
export function slackRequest(body: string, secret: string, timestampS: number, contentType = 'application/x-www-form-urlencoded'): SignedRequest {
  const signature = signHmac({ secret, message: 'v0:{timestamp}:{body}' }, { body: Buffer.from(body), timestamp: String(timestampS) });
  return {
    body,
    headers: { 'content-type': contentType, 'x-slack-request-timestamp': String(timestampS), 'x-slack-signature': `v0=${signature}` },
  };
}

export function slashCommandBody(fields: Record<string, string>): string {
  return new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: 'T0001',
    team_domain: 'acme',
    channel_id: 'C0001',
    channel_name: 'ml',
    user_id: 'U0001',
    user_name: 'ada',
    command: '/predict',
    text: 'https://example.test/cat.png',
    api_app_id: 'A0001',
    is_enterprise_install: 'false',
    response_url: 'https://hooks.slack.com/commands/T0001/1/abc',
    trigger_id: `${Date.now()}.${Math.random()}`,
    ...fields,
  }).toString();
}

/** GitHub's X-Hub-Signature-256 via @octokit/webhooks-methods, JSON or form (`payload=`). */
export async function githubRequest(payload: unknown, secret: string, event: string, delivery: string, form = false): Promise<SignedRequest> {
  const json = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const body = form ? new URLSearchParams({ payload: json }).toString() : json;
  return {
    body,
    headers: {
      'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json',
      'x-github-event': event,
      'x-github-delivery': delivery,
      'x-github-hook-id': '1',
      'user-agent': 'GitHub-Hookshot/test',
      'x-hub-signature-256': await signGithub(secret, body),
    },
  };
}

/** V7's workflow webhook stage: the configured Authorization value. */
export function v7TokenRequest(payload: unknown, token: string): SignedRequest {
  return { body: JSON.stringify(payload), headers: { 'content-type': 'application/json', authorization: token } };
}

/** V7's signed team webhooks: v7-signature: t=<unix s>,v1=<hex HMAC-SHA256 of "{t}.{body}">. */
export function v7SignedRequest(payload: unknown, key: string, timestampS: number): SignedRequest {
  const body = JSON.stringify(payload);
  const signature = signHmac({ secret: key, message: '{timestamp}.{body}' }, { body: Buffer.from(body), timestamp: String(timestampS) });
  return { body, headers: { 'content-type': 'application/json', 'v7-signature': `t=${timestampS},v1=${signature}` } };
}
