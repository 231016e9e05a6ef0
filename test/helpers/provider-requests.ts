/**
 * Requests signed the way each provider signs them, for tests and fixtures. Each signs with
 * node:crypto (or the provider's own library), never with hooklaunch's HMAC code, so a test does
 * not share a mistake with the code it checks.
 */
import { createHmac, generateKeyPairSync, randomUUID, sign as edSign, type KeyObject } from 'node:crypto';
import { sign as signGithub } from '@octokit/webhooks-methods';

export interface SignedRequest {
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Slack's v0 scheme: HMAC-SHA256 over "v0:{timestamp}:{body}". */
export function slackRequest(body: string, secret: string, timestampS: number, contentType = 'application/x-www-form-urlencoded'): SignedRequest {
  const signature = createHmac('sha256', secret).update(`v0:${timestampS}:${body}`).digest('hex');
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

/** V7's signed team webhooks: v7-signature: t=<unix s>,v1=<hex HMAC-SHA256 of "{t}.{body}"> (the assumed, unverified string). */
export function v7SignedRequest(payload: unknown, key: string, timestampS: number): SignedRequest {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const signature = createHmac('sha256', key).update(`${timestampS}.${body}`).digest('hex');
  return { body, headers: { 'content-type': 'application/json', 'v7-signature': `t=${timestampS},v1=${signature}` } };
}

/** A whsec_ key made from any test secret string (Standard Webhooks keys are base64 bytes). */
export function toWhsec(secret: string | string[]): string | string[] {
  const one = (s: string) => `whsec_${Buffer.from(s.padEnd(24, '.')).toString('base64')}`;
  return Array.isArray(secret) ? secret.map(one) : one(secret);
}

/** Standard Webhooks: v1,<base64 HMAC-SHA256 of "{id}.{ts}.{body}"> keyed with base64-decode(whsec_…). */
export function standardRequest(payload: unknown, whsec: string | string[], timestampS: number, extra: Record<string, string> = {}): SignedRequest {
  const body = JSON.stringify(payload);
  const id = `msg_${timestampS}_${Math.random().toString(36).slice(2)}`;
  const key = Buffer.from((Array.isArray(whsec) ? whsec[0]! : whsec).slice('whsec_'.length), 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${timestampS}.${body}`).digest('base64');
  return { body, headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(timestampS), 'webhook-signature': `v1,${signature}`, ...extra } };
}

export const gitlabPush = {
  object_kind: 'push',
  event_name: 'push',
  ref: 'refs/heads/main',
  before: '0'.repeat(40),
  after: 'b'.repeat(40),
  checkout_sha: 'b'.repeat(40),
  user_username: 'dev',
  project: { id: 7, path_with_namespace: 'ml/models', git_http_url: 'https://gitlab.example.com/ml/models.git', default_branch: 'main' },
  commits: [{ id: 'b'.repeat(40), message: 'Retrain' }],
  total_commits_count: 1,
};

export function gitlabRequest(token: string, payload: unknown = gitlabPush, uuid = randomUUID()): SignedRequest {
  return { body: JSON.stringify(payload), headers: { 'content-type': 'application/json', 'x-gitlab-token': token, 'x-gitlab-event': 'Push Hook', 'x-gitlab-event-uuid': uuid, 'idempotency-key': uuid } };
}

const discordKeys = new Map<string, { privateKey: KeyObject; publicHex: string }>();

/** A stable Ed25519 key pair per test secret name (Discord signs with the private half). */
export function discordKey(name: string | string[]): { privateKey: KeyObject; publicHex: string } {
  const key = Array.isArray(name) ? name[0]! : name;
  let pair = discordKeys.get(key);
  if (!pair) {
    const generated = generateKeyPairSync('ed25519');
    const publicHex = Buffer.from(generated.publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('hex');
    pair = { privateKey: generated.privateKey, publicHex };
    discordKeys.set(key, pair);
  }
  return pair;
}

/** Discord: X-Signature-Ed25519 (hex) over "{timestamp}{body}". */
export function discordRequest(payload: unknown, key: { privateKey: KeyObject }, timestampS: number): SignedRequest {
  const body = JSON.stringify(payload);
  const signature = edSign(null, Buffer.from(`${timestampS}${body}`), key.privateKey).toString('hex');
  return { body, headers: { 'content-type': 'application/json', 'x-signature-ed25519': signature, 'x-signature-timestamp': String(timestampS) } };
}

export const grafanaBody = JSON.stringify({
  receiver: 'hooklaunch',
  status: 'firing',
  orgId: 1,
  alerts: [{ status: 'firing', labels: { alertname: 'ModelDrift', team: 'ml' }, annotations: { summary: 'drift' }, fingerprint: 'f1' }],
  commonLabels: { alertname: 'ModelDrift', team: 'ml' },
  groupKey: '{}:{alertname="ModelDrift"}',
  title: '[FIRING:1] ModelDrift',
});

/**
 * Grafana's webhook contact point with an HMAC (grafana/alerting http/hmac.go): hex HMAC-SHA256
 * keyed with the secret as is, over the body, or over "{timestamp}:{body}" when a timestamp
 * header is configured. Grafana's default header is X-Grafana-Alert-Signature; Terraform examples
 * and many receivers name it X-Grafana-Alerting-Signature, so tests choose.
 */
export function grafanaRequest(body: string, secret: string, options: { header?: string; timestampHeader?: string; timestampS?: number } = {}): SignedRequest {
  const { header = 'x-grafana-alert-signature', timestampHeader, timestampS } = options;
  const stamped = timestampHeader !== undefined;
  if (stamped && timestampS === undefined) throw new Error('grafanaRequest: a timestamp header needs timestampS');
  const signature = createHmac('sha256', secret).update(stamped ? `${timestampS}:${body}` : body).digest('hex');
  return {
    body,
    headers: { 'content-type': 'application/json', ...(stamped && { [timestampHeader.toLowerCase()]: String(timestampS) }), [header.toLowerCase()]: signature },
  };
}

/** Stripe: Stripe-Signature: t=<unix s>,v1=<hex HMAC-SHA256 of "{t}.{body}"> keyed with the whsec_ string as is. */
export function stripeRequest(body: string, secret: string, timestampS: number): SignedRequest {
  const signature = createHmac('sha256', secret).update(`${timestampS}.${body}`).digest('hex');
  return { body, headers: { 'content-type': 'application/json', 'stripe-signature': `t=${timestampS},v1=${signature}` } };
}

export const stripeBody = JSON.stringify({ id: 'evt_1', object: 'event', type: 'checkout.session.completed', created: 1, livemode: false, data: { object: { id: 'cs_1' } } });
