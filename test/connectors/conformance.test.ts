/**
 * One suite over every registered connector: what any provider integration must get right.
 * A case a connector cannot meet is skipped with the reason in its name.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { connectors } from '../../connectors/index.js';
import { fixedClock } from '../../core/clock.js';
import type { Connector } from '../../core/connector.js';
import { rawRequest } from '../helpers/raw-request.js';
import {
  discordKey,
  discordRequest,
  githubRequest,
  gitlabPush,
  gitlabRequest,
  grafanaBody,
  grafanaRequest,
  slackRequest,
  slashCommandBody,
  standardRequest,
  stripeBody,
  stripeRequest,
  toWhsec,
  v7SignedRequest,
  v7TokenRequest,
  type SignedRequest,
} from '../helpers/provider-requests.js';

const NOW_S = 1_795_000_000;
const v7Payload = readFileSync(join(import.meta.dirname, '../fixtures/v7/labeling-complete.json'), 'utf8');

interface Case {
  readonly name: string;
  readonly connector: Connector;
  /** The connector block, with `secret` filled in by the suite. */
  readonly params: (secret: string | string[]) => Record<string, unknown>;
  readonly sign: (secret: string, timestampS: number) => Promise<SignedRequest>;
  readonly requiredHeaders: readonly string[];
  /** Why the timestamp cases do not apply, when they do not. */
  readonly noTimestamp?: string;
  /** Why a flipped body byte cannot be detected, when it cannot. */
  readonly bodyUnsigned?: string;
}

const cases: Case[] = [
  {
    name: 'slack',
    connector: connectors.get('slack')!,
    params: (secret) => ({ secret }),
    sign: async (secret, ts) => slackRequest(slashCommandBody({ trigger_id: '1.2.3' }), secret, ts),
    requiredHeaders: ['x-slack-signature', 'x-slack-request-timestamp'],
  },
  {
    name: 'github',
    connector: connectors.get('github')!,
    params: (secret) => ({ secret }),
    sign: (secret) => githubRequest({ ref: 'refs/heads/main', after: 'a'.repeat(40), repository: { id: 1, name: 'r', full_name: 'o/r' } }, secret, 'push', 'delivery-1'),
    requiredHeaders: ['x-hub-signature-256', 'x-github-event', 'x-github-delivery'],
    noTimestamp: 'GitHub signs no timestamp; redeliveries are caught by X-GitHub-Delivery',
  },
  {
    name: 'v7 (token)',
    connector: connectors.get('v7')!,
    params: (secret) => ({ secret, prefix: 'Bearer ' }),
    sign: async (secret) => v7TokenRequest(JSON.parse(v7Payload), `Bearer ${secret}`),
    requiredHeaders: ['authorization'],
    noTimestamp: "the webhook stage's token carries no timestamp",
    bodyUnsigned: "the webhook stage's token does not sign the body",
  },
  {
    name: 'v7 (signed)',
    connector: connectors.get('v7')!,
    params: (secret) => ({ secret, mode: 'signed' }),
    sign: async (secret, ts) => v7SignedRequest(JSON.parse(v7Payload), secret, ts),
    requiredHeaders: ['v7-signature'],
  },
  {
    name: 'gitlab (token)',
    connector: connectors.get('gitlab')!,
    params: (secret) => ({ secret }),
    sign: async (secret) => gitlabRequest(secret),
    requiredHeaders: ['x-gitlab-token'],
    noTimestamp: 'X-Gitlab-Token carries no timestamp',
    bodyUnsigned: 'X-Gitlab-Token does not sign the body',
  },
  {
    name: 'gitlab (signed)',
    connector: connectors.get('gitlab')!,
    params: (secret) => ({ secret: toWhsec(secret), mode: 'signed' }),
    sign: async (secret, ts) => standardRequest(gitlabPush, toWhsec(secret), ts, { 'x-gitlab-event': 'Push Hook' }),
    requiredHeaders: ['webhook-id', 'webhook-timestamp', 'webhook-signature'],
  },
  {
    name: 'discord',
    connector: connectors.get('discord')!,
    params: (secret) => ({ public_key: (Array.isArray(secret) ? secret : [secret]).map((s) => discordKey(s).publicHex) }),
    sign: async (secret, ts) => discordRequest({ id: '1', application_id: 'a', type: 2, token: 't', data: { name: 'predict' } }, discordKey(secret), ts),
    requiredHeaders: ['x-signature-ed25519', 'x-signature-timestamp'],
  },
  {
    name: 'label-studio',
    connector: connectors.get('label-studio')!,
    params: (secret) => ({ secret }),
    sign: async (secret) => ({ body: JSON.stringify({ action: 'ANNOTATION_CREATED', project: { id: 1 }, annotation: { id: 2 } }), headers: { 'content-type': 'application/json', authorization: `Token ${secret}` } }),
    requiredHeaders: ['authorization'],
    noTimestamp: 'Label Studio sends a static header, no timestamp',
    bodyUnsigned: 'Label Studio signs nothing',
  },
  {
    name: 'datadog',
    connector: connectors.get('datadog')!,
    params: (secret) => ({ secret }),
    sign: async (secret) => ({ body: JSON.stringify({ id: '1', transition: 'Triggered' }), headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` } }),
    requiredHeaders: ['authorization'],
    noTimestamp: 'Datadog sends a static header, no timestamp',
    bodyUnsigned: 'Datadog signs nothing',
  },
  {
    name: 'grafana (hmac)',
    connector: connectors.get('grafana')!,
    params: (secret) => ({ secret }),
    sign: async (secret) => grafanaRequest(grafanaBody, secret),
    requiredHeaders: ['x-grafana-alert-signature'],
    noTimestamp: 'without timestamp_header Grafana signs the body only',
  },
  {
    name: 'grafana (hmac + timestamp)',
    connector: connectors.get('grafana')!,
    params: (secret) => ({ secret, timestamp_header: 'X-Grafana-Timestamp' }),
    sign: async (secret, ts) => grafanaRequest(grafanaBody, secret, { header: 'X-Grafana-Alerting-Signature', timestampHeader: 'X-Grafana-Timestamp', timestampS: ts }),
    requiredHeaders: ['x-grafana-alerting-signature', 'x-grafana-timestamp'],
  },
  {
    name: 'stripe',
    connector: connectors.get('stripe')!,
    params: (secret) => ({ secret }),
    sign: async (secret, ts) => stripeRequest(stripeBody, secret, ts),
    requiredHeaders: ['stripe-signature'],
  },
  {
    name: 'standard-webhooks',
    connector: connectors.get('standard-webhooks')!,
    params: (secret) => ({ secret: toWhsec(secret) }),
    sign: async (secret, ts) => standardRequest({ type: 'invoice.paid', data: {} }, toWhsec(secret), ts),
    requiredHeaders: ['webhook-id', 'webhook-timestamp', 'webhook-signature'],
  },
];

it('covers every registered connector', () => {
  expect(new Set(cases.map((c) => c.connector.id))).toEqual(new Set(connectors.keys()));
});

describe.each(cases)('$name conformance', (c) => {
  const clock = fixedClock(NOW_S * 1000);
  const params = (secret: string | string[]) => c.connector.params.parse(c.params(secret));
  const check = async (signed: SignedRequest, secret: string | string[] = 'current-secret-0123') => {
    const req = rawRequest({ headers: signed.headers, body: signed.body });
    const verdict = await c.connector.verify(req, params(secret), clock);
    return verdict.ok ? c.connector.parse(req, params(secret)) : verdict;
  };

  it('accepts a correctly signed request and decodes it', async () => {
    const verdict = await check(await c.sign('current-secret-0123', NOW_S));
    expect(verdict).toMatchObject({ ok: true, value: { kind: expect.any(String) } });
  });

  it.skipIf(c.bodyUnsigned)(`rejects one flipped body byte as signature_mismatch${c.bodyUnsigned ? ` (skipped: ${c.bodyUnsigned})` : ''}`, async () => {
    const signed = await c.sign('current-secret-0123', NOW_S);
    const bytes = Buffer.from(signed.body);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = bytes[middle]! ^ 0x01;
    const verdict = await check({ headers: signed.headers, body: bytes.toString('latin1') });
    expect(verdict).toMatchObject({ ok: false, rejection: { code: 'signature_mismatch' } });
  });

  it.each(c.requiredHeaders)('names the missing header %s', async (name) => {
    const signed = await c.sign('current-secret-0123', NOW_S);
    const headers = Object.fromEntries(Object.entries(signed.headers).filter(([k]) => k !== name));
    const verdict = await check({ headers, body: signed.body });
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.rejection.message.toLowerCase()).toContain(name);
  });

  it.skipIf(c.noTimestamp)(`rejects timestamps outside the window on both sides${c.noTimestamp ? ` (skipped: ${c.noTimestamp})` : ''}`, async () => {
    // The window the runtime checks: the connector's own parsed `tolerance` parameter.
    const tolerance = (params('current-secret-0123') as { tolerance?: number }).tolerance;
    expect(tolerance, 'a connector that signs a timestamp has a tolerance parameter').toBeTypeOf('number');
    if (tolerance === undefined) return;
    expect(await check(await c.sign('current-secret-0123', NOW_S - tolerance - 5))).toMatchObject({ ok: false, rejection: { code: 'timestamp_too_old' } });
    expect(await check(await c.sign('current-secret-0123', NOW_S + tolerance + 5))).toMatchObject({ ok: false, rejection: { code: 'timestamp_too_new' } });
    expect(await check(await c.sign('current-secret-0123', NOW_S - tolerance + 5))).toMatchObject({ ok: true });
  });

  it('says in words what it verifies, naming the credential header a signed request carries (hooklaunch check, the page)', async () => {
    const words = c.connector.verification(params('current-secret-0123')).toLowerCase();
    const signed = await c.sign('current-secret-0123', NOW_S);
    const carried = Object.keys(signed.headers).map((name) => name.toLowerCase()).filter((name) => c.connector.sensitiveHeaders.includes(name));
    expect(carried.length, `${c.connector.id} signs with a credential header`).toBeGreaterThan(0);
    for (const name of carried) expect(words, `verification of ${c.connector.id}`).toContain(name);
  });

  it('accepts the previous secret during rotation, and no other', async () => {
    const signedWithOld = await c.sign('previous-secret-0123', NOW_S);
    expect(await check(signedWithOld, ['current-secret-0123', 'previous-secret-0123'])).toMatchObject({ ok: true });
    expect((await check(signedWithOld, ['current-secret-0123'])).ok).toBe(false);
  });

  it('never throws on random bytes, empty bodies or stray headers', async () => {
    const signed = await c.sign('current-secret-0123', NOW_S);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), fc.boolean(), async (bytes, keepHeaders) => {
        const req = rawRequest({ headers: keepHeaders ? signed.headers : { 'content-type': 'application/json' }, body: Buffer.from(bytes) });
        const verdict = await c.connector.verify(req, params('current-secret-0123'), clock);
        expect(typeof verdict.ok).toBe('boolean');
        const parsed = c.connector.parse(req, params('current-secret-0123'));
        expect(typeof parsed.ok).toBe('boolean');
      }),
      { numRuns: 150 },
    );
    expect((await check({ headers: signed.headers, body: '' })).ok).toBe(false);
  });
});
