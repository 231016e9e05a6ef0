/**
 * followUpSlack against msw standing in for hooks.slack.com and slack.com/api. Slack's rules: a
 * response_url takes "up to 5" posts "within 30 minutes" (api.slack.com/interactivity/handling#message_responses);
 * chat.postMessage answers HTTP 200 `{"ok": false, "error": "<code>"}` on failure and HTTP 429 with
 * Retry-After when rate limited (docs.slack.dev/reference/methods/chat.postMessage,
 * docs.slack.dev/apis/web-api/rate-limits). @slack/web-api's WebClient is the oracle for where the
 * request goes and how the token is sent.
 */
import { randomUUID } from 'node:crypto';
import { WebClient } from '@slack/web-api';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunProgress } from '../../../core/connector.js';
import { slack } from '../../../connectors/slack/index.js';
import { slackParams } from '../../../connectors/slack/params.js';
import { createResponseUrlBudget } from '../../../connectors/slack/response-url-budget.js';

const BOT_TOKEN = 'xoxb-1234-5678-abcdefghijkl';
const RESPONSE_URL = 'https://hooks.slack.com/commands/T0001/1/abc';
const MINUTE = 60_000;
const T0 = 1_795_000_000_000;

interface Seen {
  readonly url: string;
  readonly authorization: string | null;
  readonly contentType: string | null;
  readonly body: string;
}
const seen: Seen[] = [];
let apiAnswers: Array<() => Response> = [];

const slackApi = setupServer(
  http.post('https://hooks.slack.com/commands/:team/:id/:secret', async ({ request }) => {
    seen.push({ url: request.url, authorization: request.headers.get('authorization'), contentType: request.headers.get('content-type'), body: await request.text() });
    return new HttpResponse('ok');
  }),
  http.post('https://slack.com/api/chat.postMessage', async ({ request }) => {
    seen.push({ url: request.url, authorization: request.headers.get('authorization'), contentType: request.headers.get('content-type'), body: await request.text() });
    const answer = apiAnswers.shift();
    return answer ? answer() : HttpResponse.json({ ok: true, channel: 'C0001', ts: '1700000000.000100' });
  }),
);

const command = {
  command: '/predict',
  text: 'cat.png',
  response_url: RESPONSE_URL,
  trigger_id: '123.456.abc',
  user_id: 'U0001',
  team_id: 'T0001',
  channel_id: 'C0001',
};
const delivery = { payload: command, kind: 'slash_command' };
const params = (extra: Record<string, unknown> = {}) => slackParams.parse({ secret: 'slack-signing-secret-for-tests', ...extra });
const progress = (runId: string, atMs: number, phase: RunProgress['phase'] = 'started'): RunProgress => ({ runId, phase, details: [], acceptedAtMs: T0, atMs });
const followUp = (p: RunProgress, extra?: Record<string, unknown>) => slack.followUp!(p, delivery, params(extra));

describe('Slack follow-ups beyond the response_url', () => {
  beforeAll(() => slackApi.listen({ onUnhandledRequest: 'error' }));
  beforeEach(() => {
    seen.length = 0;
    apiAnswers = [];
  });
  afterEach(() => slackApi.resetHandlers());
  afterAll(() => slackApi.close());

  it('uses the response_url 5 times, then posts the 6th follow-up with chat.postMessage', async () => {
    const runId = randomUUID();
    const outcomes = [];
    for (let i = 0; i < 6; i++) outcomes.push(await followUp(progress(runId, T0 + i * MINUTE), { bot_token: BOT_TOKEN }));
    expect(outcomes).toEqual([...Array.from({ length: 5 }, () => ({ sent: 'response_url' })), { sent: 'chat.postMessage' }]);
    expect(seen.slice(0, 5).every((s) => s.url === RESPONSE_URL && s.authorization === null)).toBe(true);
    expect(seen[5]).toMatchObject({ url: 'https://slack.com/api/chat.postMessage', authorization: `Bearer ${BOT_TOKEN}`, contentType: 'application/json; charset=utf-8' });
    expect(JSON.parse(seen[5]!.body)).toEqual({ channel: 'C0001', text: `<@U0001> :hourglass_flowing_sand: Run ${runId} started` });
  });

  it('sends what @slack/web-api sends: same URL, same bearer token, same channel and text', async () => {
    const runId = randomUUID();
    await followUp(progress(runId, T0 + 31 * MINUTE), { bot_token: BOT_TOKEN });
    const ours = seen.pop()!;
    await new WebClient(BOT_TOKEN, { retryConfig: { retries: 0 } }).chat.postMessage({ channel: 'C0001', text: `<@U0001> :hourglass_flowing_sand: Run ${runId} started` });
    const theirs = seen.pop()!;
    expect(ours.url).toBe(theirs.url);
    expect(ours.authorization).toBe(theirs.authorization);
    // WebClient form-encodes; Slack takes the same arguments as JSON from write methods.
    const form = Object.fromEntries(new URLSearchParams(theirs.body));
    expect(JSON.parse(ours.body)).toEqual({ channel: form.channel, text: form.text });
  });

  it('after 29 minutes goes to chat.postMessage; without a bot token the follow-up is dropped, saying why', async () => {
    expect(await followUp(progress(randomUUID(), T0 + 29 * MINUTE), { bot_token: BOT_TOKEN })).toEqual({ sent: 'chat.postMessage' });
    expect(await followUp(progress(randomUUID(), T0 + 31 * MINUTE))).toEqual({ dropped: 'response_url expired (after 30 min) and no bot_token configured' });
    const runId = randomUUID();
    for (let i = 0; i < 5; i++) await followUp(progress(runId, T0));
    expect(await followUp(progress(runId, T0))).toEqual({ dropped: 'response_url used 5 times and no bot_token configured' });
    expect(seen.filter((s) => s.url.startsWith('https://slack.com/'))).toHaveLength(1);
  });

  it.each([
    ['not_in_channel', 'the bot is not in the channel: invite it, or give the app the chat:write.public scope'],
    ['channel_not_found', 'the bot cannot see the channel (a private channel or DM it is not in)'],
    ['invalid_auth', 'bot_token is not valid'],
  ])('reports ok:false %s with its code, once, without retrying', async (code, hint) => {
    apiAnswers = [() => HttpResponse.json({ ok: false, error: code })];
    const outcome = await followUp(progress(randomUUID(), T0 + 40 * MINUTE), { bot_token: BOT_TOKEN });
    expect(outcome).toEqual({ dropped: `response_url expired (after 30 min); chat.postMessage failed: ${code} (${hint})` });
    expect(seen).toHaveLength(1);
  });

  it('retries a rate-limited post once after a short Retry-After, never more', async () => {
    const limited = (seconds: string) => () => HttpResponse.json({ ok: false, error: 'ratelimited' }, { status: 429, headers: { 'retry-after': seconds } });
    apiAnswers = [limited('0'), limited('0'), limited('0')];
    expect(await followUp(progress(randomUUID(), T0 + 40 * MINUTE), { bot_token: BOT_TOKEN })).toEqual({
      dropped: 'response_url expired (after 30 min); chat.postMessage failed: ratelimited (rate limited, retry after 0 s)',
    });
    expect(seen).toHaveLength(2);

    seen.length = 0;
    apiAnswers = [limited('120')];
    const outcome = await followUp(progress(randomUUID(), T0 + 40 * MINUTE), { bot_token: BOT_TOKEN });
    expect(outcome).toMatchObject({ dropped: expect.stringContaining('ratelimited (rate limited, retry after 120 s)') });
    expect(seen).toHaveLength(1);
  });

  it('falls back to chat.postMessage when Slack refuses a response_url this process had not used up', async () => {
    slackApi.use(http.post('https://hooks.slack.com/commands/:team/:id/:secret', () => new HttpResponse('used_url', { status: 404 }), { once: true }));
    expect(await followUp(progress(randomUUID(), T0), { bot_token: BOT_TOKEN })).toEqual({ sent: 'chat.postMessage' });
  });

  it('refuses a bot_token that is not a bot token, without echoing it', () => {
    const parsed = slackParams.safeParse({ secret: 'slack-signing-secret-for-tests', bot_token: 'xoxp-user-token-secret' });
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).not.toContain('xoxp-user-token-secret');
  });
});

describe('response_url budget', () => {
  it('allows 5 uses within 29 minutes of the command, per run', () => {
    const budget = createResponseUrlBudget();
    const verdicts = Array.from({ length: 6 }, () => budget.take('run-a', T0, T0 + MINUTE));
    expect(verdicts).toEqual(['usable', 'usable', 'usable', 'usable', 'usable', 'used_up']);
    expect(budget.take('run-b', T0, T0 + 29 * MINUTE - 1)).toBe('usable');
    expect(budget.take('run-c', T0, T0 + 29 * MINUTE)).toBe('expired');
  });
});
