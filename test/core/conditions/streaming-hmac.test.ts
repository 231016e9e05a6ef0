/**
 * The streamed HMAC (issue #11) gives the same verdict as `compileHmac` over the whole body,
 * however the body is cut into chunks: providers' documented vectors, then forged and flipped bodies.
 */
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../../core/clock.js';
import { conditionSchema, type HmacConfig, type TimestampConfig } from '../../../core/config/schema.js';
import { compileHmac, compileStreamingHmac } from '../../../core/conditions/hmac.js';
import type { RawRequest } from '../../../core/request/raw-request.js';
import { rawRequest } from '../../helpers/raw-request.js';

const hmac = (fields: Record<string, unknown>) => conditionSchema.parse({ type: 'web-request-auth', auth_type: 'hmac', ...fields }) as HmacConfig;
const timestamp = (fields: Record<string, unknown>) => conditionSchema.parse({ type: 'timestamp', ...fields }) as TimestampConfig;

// Slack's documented example (https://api.slack.com/authentication/verifying-requests-from-slack),
// the same vector test/core/conditions/hmac.test.ts checks with compileHmac.
const SLACK_BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const slackTimestamp = timestamp({ key: 'X-Slack-Request-Timestamp' });
const slackHmac = hmac({ key: 'X-Slack-Signature', prefix: 'v0=', secret: ['rotated-new-secret', '8f742231b10e8888abcd99yyyzzz85a5'], message: 'v0:{timestamp}:{body}' });
const slack = (body: string) =>
  rawRequest({ headers: { 'X-Slack-Signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503', 'X-Slack-Request-Timestamp': '1531420618' }, body });
// GitHub's documented X-Hub-Signature-256 example (docs.github.com, "Validating webhook deliveries").
const githubHmac = hmac({ key: 'X-Hub-Signature-256', prefix: 'sha256=', secret: "It's a Secret to Everybody" });
const github = (body: string) => rawRequest({ headers: { 'X-Hub-Signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17' }, body });

function streamed(config: HmacConfig, ts: TimestampConfig | undefined, req: RawRequest, chunkBytes: number) {
  const begin = compileStreamingHmac(config, ts);
  if (!begin) throw new Error('not streamable');
  const started = begin({ ...req, body: Buffer.alloc(0) });
  if (!started.ok) return started;
  for (let at = 0; at < req.body.length; at += chunkBytes) started.value.update(req.body.subarray(at, at + chunkBytes));
  return started.value.verdict();
}

describe('streamed HMAC', () => {
  const cases: Array<[string, HmacConfig, TimestampConfig | undefined, RawRequest]> = [
    ['Slack example', slackHmac, slackTimestamp, slack(SLACK_BODY)],
    ['Slack example, one byte flipped', slackHmac, slackTimestamp, slack(SLACK_BODY.replace('foobar', 'foobas'))],
    ['GitHub example', githubHmac, undefined, github('Hello, World!')],
    ['GitHub example, empty body', githubHmac, undefined, github('')],
    ['GitHub example, signature header missing', githubHmac, undefined, rawRequest({ body: 'Hello, World!' })],
  ];
  it.each(cases)('%s: the same verdict as compileHmac for every chunking', async (_name, config, ts, req) => {
    const whole = await compileHmac(config, ts)(req, fixedClock(0));
    for (const chunkBytes of [1, 3, 64, 1 << 20]) expect(streamed(config, ts, req, chunkBytes)).toEqual(whole);
  });

  it('the documented vectors pass (so the equality above is not two equal failures)', () => {
    expect(streamed(slackHmac, slackTimestamp, slack(SLACK_BODY), 7)).toEqual({ ok: true, value: undefined });
    expect(streamed(githubHmac, undefined, github('Hello, World!'), 5)).toEqual({ ok: true, value: undefined });
  });

  it.each([
    ['body not last', { message: '{body}.{timestamp}' }],
    ['body twice', { message: '{body}{body}' }],
    ['no body', { message: '{timestamp}' }],
    ['signature in the JSON body', { lookup: 'json', message: '{body}' }],
  ])('is not offered when %s', (_name, fields) => {
    expect(compileStreamingHmac(hmac({ key: 'sig', secret: 'streaming-secret-01', ...fields }), timestamp({ key: 'X-Ts' }))).toBeUndefined();
  });

  it('is not offered when {timestamp} comes from the body', () => {
    expect(compileStreamingHmac(hmac({ key: 'sig', secret: 'streaming-secret-01', message: '{timestamp}.{body}' }), timestamp({ key: 'ts', lookup: 'json' }))).toBeUndefined();
  });
});
