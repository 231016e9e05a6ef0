/**
 * Known answers from outside hooklaunch for the signature schemes the Slack, GitHub and Standard
 * Webhooks tests do not already cover: Stripe (stripe-node as the signer and as the verifier to
 * agree with), Discord (RFC 8032 §7.1 Ed25519 test vectors) and Grafana (the framing of
 * grafana/alerting's http/hmac.go, digests computed outside this code base).
 *
 * Datadog and Label Studio sign nothing: they send a header the user types into their UI, so there
 * is no scheme to vector (the conformance suite checks the token compare). V7's workflow stage
 * does the same; V7's signed team webhooks have no published signing spec or example, so that mode
 * stays unvectored (connectors/v7/verify.ts says so).
 */
import { createPrivateKey, createPublicKey, sign as edSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { connectors } from '../../connectors/index.js';
import { fixedClock } from '../../core/clock.js';
import { rawRequest } from '../helpers/raw-request.js';

const fixture = (name: string): string => readFileSync(join(import.meta.dirname, '../fixtures', name), 'utf8');

describe('Stripe: stripe-node signs, and agrees', () => {
  const stripe = connectors.get('stripe')!;
  // stripe-node's own test/Webhook.spec.ts: its event payload (pretty-printed, as there) and secret.
  const EVENT_PAYLOAD_STRING = JSON.stringify({ id: 'evt_test_webhook', object: 'event' }, null, 2);
  const SECRET = 'whsec_test_secret';
  const T = 1_795_694_400;
  const params = stripe.params.parse({ secret: SECRET });

  it("verifies a header from stripe-node's generateTestHeaderString at its own time, and refuses it 301 s later", async () => {
    const header = Stripe.webhooks.generateTestHeaderString({ payload: EVENT_PAYLOAD_STRING, secret: SECRET, timestamp: T });
    expect(header).toMatch(new RegExp(`^t=${T},v1=[0-9a-f]{64}$`));
    const req = rawRequest({ headers: { 'content-type': 'application/json', 'stripe-signature': header }, body: EVENT_PAYLOAD_STRING });
    expect(await stripe.verify(req, params, fixedClock(T * 1000))).toEqual({ ok: true, value: undefined });
    expect(await stripe.verify(req, params, fixedClock((T + 301) * 1000))).toMatchObject({ ok: false, rejection: { code: 'timestamp_too_old' } });
    const tampered = rawRequest({ headers: { 'stripe-signature': header }, body: EVENT_PAYLOAD_STRING.replace('evt_test_webhook', 'evt_test_webhooK') });
    expect(await stripe.verify(tampered, params, fixedClock(T * 1000))).toMatchObject({ ok: false, rejection: { code: 'signature_mismatch' } });
  });

  it('verifies and decodes a real-shaped event signed by stripe-node', async () => {
    const body = fixture('stripe/checkout-session-completed.json');
    const header = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: SECRET, timestamp: T });
    const req = rawRequest({ headers: { 'content-type': 'application/json', 'stripe-signature': header }, body });
    expect(await stripe.verify(req, params, fixedClock(T * 1000))).toEqual({ ok: true, value: undefined });
    expect(stripe.parse(req, params)).toMatchObject({ ok: true, value: { deliveryId: JSON.parse(body).id } });
  });

  it("agrees with stripe-node's verifyHeader on every past-or-present request (Stripe does not refuse future ones)", async () => {
    const now = T;
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'grapheme', maxLength: 200 }),
        fc.integer({ min: -900, max: 0 }),
        fc.constantFrom('right', 'wrong', 'garbled', 'extra-v1', 'v0-only'),
        async (text, age, signer) => {
          const body = JSON.stringify({ id: 'evt_1', object: 'event', type: 'charge.succeeded', text });
          const timestamp = now + age;
          let header = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: signer === 'wrong' ? 'whsec_another_secret' : SECRET, timestamp, ...(signer === 'v0-only' && { scheme: 'v0' }) });
          if (signer === 'garbled') header = `t=${timestamp},v1=${'f'.repeat(64)}`;
          // Stripe's own case: a valid v1 among others verifies.
          if (signer === 'extra-v1') header = `${header},v1=potato`;
          const ours = (await stripe.verify(rawRequest({ headers: { 'stripe-signature': header }, body }), params, fixedClock(now * 1000))).ok;
          let theirs = true;
          try {
            Stripe.webhooks.signature!.verifyHeader(body, header, SECRET, 300, undefined, now * 1000);
          } catch {
            theirs = false;
          }
          expect(ours).toBe(theirs);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('Discord: RFC 8032 §7.1 Ed25519 test vectors', () => {
  const discord = connectors.get('discord')!;
  // RFC 8032 section 7.1, "Test Vectors for Ed25519" (https://www.rfc-editor.org/rfc/rfc8032#section-7.1),
  // TEST 1 (empty message), TEST 2 (one octet, 0x72) and TEST 3 (two octets, 0xaf82): secret key,
  // public key, message, signature, in hex. The second test below re-derives each from its secret key.
  const vectors = [
    {
      name: 'TEST 1',
      secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
      public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
      message: '',
      signature: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    },
    {
      name: 'TEST 2',
      secret: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
      public: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
      message: '72',
      signature: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
    },
    {
      name: 'TEST 3',
      secret: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
      public: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
      message: 'af82',
      signature: '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
    },
  ];
  // An Ed25519 private key from its 32-byte RFC seed (PKCS#8 wrapping, RFC 8410).
  const privateKeyOf = (seedHex: string) => createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(seedHex, 'hex')]), format: 'der', type: 'pkcs8' });
  const flip = (hex: string): string => (hex[0] === '0' ? '1' : '0') + hex.slice(1);

  it.each(vectors)("$name: the vector's signature passes the connector's check, and a flipped bit or another key does not", async (v) => {
    // Discord signs "{X-Signature-Timestamp}{body}". The RFC messages carry no timestamp, so it is
    // sent empty and the whole message is the body: the signature then verifies, and only the
    // empty timestamp is refused (the signature is checked first, so a probe with a bad one gets 401 signature_mismatch).
    const params = discord.params.parse({ public_key: v.public });
    const clock = fixedClock(Date.UTC(2026, 10, 28, 12));
    const send = (signature: string, key = params) => discord.verify(rawRequest({ headers: { 'x-signature-ed25519': signature, 'x-signature-timestamp': '' }, body: Buffer.from(v.message, 'hex') }), key, clock);
    expect(await send(v.signature)).toMatchObject({ ok: false, rejection: { code: 'timestamp_invalid', status: 401 } });
    expect(await send(flip(v.signature))).toMatchObject({ ok: false, rejection: { code: 'signature_mismatch', status: 401 } });
    const other = vectors.find((o) => o !== v)!;
    expect(await send(v.signature, discord.params.parse({ public_key: other.public }))).toMatchObject({ ok: false, rejection: { code: 'signature_mismatch' } });
  });

  it.each(vectors)('$name: the secret key gives the public key and signature the RFC lists (the vector is typed right)', (v) => {
    const key = privateKeyOf(v.secret);
    expect(Buffer.from(createPublicKey(key).export({ format: 'jwk' }).x!, 'base64url').toString('hex')).toBe(v.public);
    expect(edSign(null, Buffer.from(v.message, 'hex'), key).toString('hex')).toBe(v.signature);
  });

  it("accepts an interaction Discord-framed and signed with TEST 1's key pair at its own time", async () => {
    const v = vectors[0]!;
    const body = fixture('discord/application-command.json');
    const timestamp = '1795694400';
    const signature = edSign(null, Buffer.from(`${timestamp}${body}`), privateKeyOf(v.secret)).toString('hex');
    const req = rawRequest({ headers: { 'content-type': 'application/json', 'x-signature-ed25519': signature, 'x-signature-timestamp': timestamp }, body });
    const params = discord.params.parse({ public_key: v.public });
    expect(await discord.verify(req, params, fixedClock(Number(timestamp) * 1000))).toEqual({ ok: true, value: undefined });
    expect(discord.parse(req, params)).toMatchObject({ ok: true });
  });
});

// github.com/grafana/alerting: http/hmac.go (HMACRoundTripper.sign) and http/hmac_test.go.
describe("Grafana: grafana/alerting http/hmac.go's signing", () => {
  const grafana = connectors.get('grafana')!;
  // hmac.go: hex HMAC-SHA256 keyed with the secret as is, over the body, or over "{unix s}:{body}"
  // when a timestamp header is set; default header X-Grafana-Alert-Signature. The cases are
  // hmac_test.go's (body "test message" or empty, with or without a timestamp; its
  // benbjohnson/clock mock starts at the Unix epoch, so the timestamp is "0"), keyed with
  // "test-hmac-secret" from FullValidConfigForTesting (receivers/webhook/v1/testing.go) (hmac_test.go's own
  // 6-byte "secret" is under the 16 bytes hooklaunch accepts). hmac_test.go recomputes its digests
  // rather than listing them; these come from Python's hmac module and agree with `openssl dgst -hmac`:
  //   python3 -c 'import hmac,hashlib; print(hmac.new(b"test-hmac-secret", b"0:test message", hashlib.sha256).hexdigest())'
  const cases = [
    { name: 'Valid signing without timestamp (default header)', body: 'test message', timestamp: undefined, signature: 'e288ccd1b20bf4c759e42f758d08f4b4411997a54eddbadec32f5d1d27ffe565' },
    { name: 'Valid signing with timestamp', body: 'test message', timestamp: '0', signature: 'd615d5d80dd3bb5f678e5526ec7b68850254d57fb86d55e85cf50933a2beb941' },
    { name: 'Empty body without timestamp', body: '', timestamp: undefined, signature: 'f2b05c22b9314703b5f1745beec2b17545853003d1438cd961641f2369021e7e' },
    { name: 'Empty body with timestamp', body: '', timestamp: '0', signature: 'f102c58b5ffdd71786d109342a9a913ea4c9e03781af1b691a3b5b2503b6b813' },
  ];

  it.each(cases)("hmac_test.go's $name verifies", async (c) => {
    const params = grafana.params.parse({ secret: 'test-hmac-secret', ...(c.timestamp !== undefined && { timestamp_header: 'X-Timestamp' }) });
    const headers = { 'x-grafana-alert-signature': c.signature, ...(c.timestamp !== undefined && { 'x-timestamp': c.timestamp }) };
    expect(await grafana.verify(rawRequest({ headers, body: c.body }), params, fixedClock(0))).toEqual({ ok: true, value: undefined });
    expect(await grafana.verify(rawRequest({ headers, body: `${c.body}.` }), params, fixedClock(0))).toMatchObject({ ok: false, rejection: { code: 'signature_mismatch' } });
  });

  it("verifies the firing fixture under grafana/alerting's full test config (X-Grafana-Alerting-Signature and -Timestamp)", async () => {
    // receivers/webhook/v1/testing.go FullValidConfigForTesting: hmacConfig {secret "test-hmac-secret",
    // header "X-Grafana-Alerting-Signature", timestampHeader "X-Grafana-Alerting-Timestamp"}.
    // Digest: Python's hmac over "1795694400:" + the fixture's bytes.
    const params = grafana.params.parse({ secret: 'test-hmac-secret', signature_header: 'X-Grafana-Alerting-Signature', timestamp_header: 'X-Grafana-Alerting-Timestamp' });
    const headers = { 'content-type': 'application/json', 'x-grafana-alerting-signature': '4a5a95263ecb456b1aa7100c2172b35ef1377c5cc746b91ceda4ca8a3ba1c54e', 'x-grafana-alerting-timestamp': '1795694400' };
    const req = rawRequest({ headers, body: fixture('grafana/firing.json') });
    expect(await grafana.verify(req, params, fixedClock(1_795_694_400_000))).toEqual({ ok: true, value: undefined });
    expect(grafana.parse(req, params)).toMatchObject({ ok: true });
    expect(await grafana.verify(req, params, fixedClock(1_795_694_400_000 + 301_000))).toMatchObject({ ok: false, rejection: { code: 'timestamp_too_old' } });
  });
});
