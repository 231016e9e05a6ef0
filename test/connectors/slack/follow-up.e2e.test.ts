/**
 * Slack follow-ups that outlive the command's response_url (#12 point 6), through the real server,
 * with msw standing in for hooks.slack.com and slack.com/api. Slack: a response_url takes "up to 5"
 * posts "within 30 minutes" (api.slack.com/interactivity/handling#message_responses); after that a
 * bot token can still post with chat.postMessage (docs.slack.dev/reference/methods/chat.postMessage:
 * POST https://slack.com/api/chat.postMessage, `Authorization: Bearer xoxb-…`, JSON {channel, text}).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { http, HttpResponse } from 'msw';
import { pino } from 'pino';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../../core/clock.js';
import { slackRequest, slashCommandBody } from '../../helpers/provider-requests.js';
import { startTestService, type TestService } from '../../helpers/service.js';

const WITH_BOT = '0190fe82-5b8f-7a3c-8d4e-000000000b01';
const WITHOUT_BOT = '0190fe82-5b8f-7a3c-8d4e-000000000b02';
const SECRET = 'slack-signing-secret-for-tests';
const BOT_TOKEN = 'xoxb-1234-5678-abcdefghijkl';
const MINUTE = 60_000;

interface Seen {
  readonly url: string;
  readonly authorization: string | null;
  readonly body: { text: string; channel?: string };
}
const seen: Seen[] = [];
const logged: string[] = [];
const logger = pino({ level: 'info' }, { write: (line: string) => void logged.push(line) });
let startedPosted: () => void = () => undefined;

const slackApi = setupServer(
  http.post('https://hooks.slack.com/commands/:team/:id/:secret', async ({ request }) => {
    const body = (await request.json()) as Seen['body'];
    seen.push({ url: request.url, authorization: request.headers.get('authorization'), body });
    if (/ started/.test(body.text)) startedPosted();
    return new HttpResponse('ok');
  }),
  http.post('https://slack.com/api/chat.postMessage', async ({ request }) => {
    const body = (await request.json()) as Seen['body'];
    seen.push({ url: request.url, authorization: request.headers.get('authorization'), body });
    return HttpResponse.json({ ok: true, channel: body.channel, ts: '1700000000.000100', message: { text: body.text } });
  }),
);

describe('Slack follow-ups after the response_url expired', () => {
  let t: TestService;
  const clock = fixedClock(Date.now());
  const gates = mkdtempSync(join(tmpdir(), 'slack-gates-'));

  beforeAll(async () => {
    slackApi.listen({
      onUnhandledRequest(request, print) {
        if (['127.0.0.1', 'localhost'].includes(new URL(request.url).hostname)) return;
        print.error();
      },
    });
    // The step waits for a file the test writes, so the run finishes when the test says (after the clock jumped).
    t = await startTestService(
      ['bot', 'plain'].map((gate) => `- step: {name: wait-${gate}, image: x, command: "until [ -e ${gates}/go-${gate} ]; do sleep 0.02; done"}\n`).join(''),
      `
triggers:
  - {id: ${WITH_BOT}, connector: {type: slack, secret: ${SECRET}, bot_token: "\${env:SLACK_BOT_TOKEN}"}, actions: [{type: run-execution, step: wait-bot}]}
  - {id: ${WITHOUT_BOT}, connector: {type: slack, secret: ${SECRET}}, actions: [{type: run-execution, step: wait-plain}]}
`,
      { clock, env: { SLACK_BOT_TOKEN: BOT_TOKEN }, service: { logger } },
    );
  });
  beforeEach(() => {
    seen.length = 0;
  });
  afterAll(async () => {
    await t.close();
    slackApi.close();
    rmSync(gates, { recursive: true, force: true });
  });

  /** Sends /predict, waits for the "started" follow-up, lets 31 minutes pass, then lets the run finish. */
  const runFinishingAfter31Minutes = async (triggerId: string, gate: string): Promise<string> => {
    const started = new Promise<void>((resolve) => (startedPosted = resolve));
    const signed = slackRequest(slashCommandBody({ response_url: 'https://hooks.slack.com/commands/T0001/1/abc' }), SECRET, Math.floor(clock.now() / 1000));
    const res = await fetch(t.url(triggerId), { method: 'POST', headers: signed.headers, body: signed.body });
    expect(res.status).toBe(200);
    const runId = /\(run ([0-9a-f-]{36})\)/.exec(((await res.json()) as { text: string }).text)![1]!;
    await started;
    clock.advance(31 * MINUTE);
    writeFileSync(join(gates, `go-${gate}`), '');
    await t.service.settled();
    return runId;
  };

  const runInfo = async (triggerId: string, runId: string) => {
    const signed = slackRequest(JSON.stringify({ run_id: runId }), SECRET, Math.floor(clock.now() / 1000), 'application/json');
    const res = await fetch(t.url(triggerId, 'run/'), { method: 'POST', headers: signed.headers, body: signed.body });
    expect(res.status).toBe(200);
    return (await res.json()) as { status: string; notes?: string[] };
  };

  it('posts the completion through chat.postMessage with the bot token, to the command channel', async () => {
    const runId = await runFinishingAfter31Minutes(WITH_BOT, 'bot');
    const hooks = seen.filter((s) => s.url.startsWith('https://hooks.slack.com/'));
    const api = seen.filter((s) => s.url === 'https://slack.com/api/chat.postMessage');
    expect(hooks.map((s) => s.body.text.split('\n')[0])).toEqual([`:hourglass_flowing_sand: Run ${runId} started`]);
    expect(hooks[0]!.authorization).toBeNull();
    expect(api).toHaveLength(1);
    expect(api[0]!.authorization).toBe(`Bearer ${BOT_TOKEN}`);
    expect(api[0]!.body.channel).toBe('C0001');
    expect(api[0]!.body.text.split('\n')[0]).toBe(`<@U0001> :white_check_mark: Run ${runId} completed`);
    expect((await runInfo(WITH_BOT, runId)).notes).toBeUndefined();
  });

  it('without a bot token, drops the follow-up and says why in run info', async () => {
    const runId = await runFinishingAfter31Minutes(WITHOUT_BOT, 'plain');
    expect(seen.filter((s) => s.url.startsWith('https://slack.com/'))).toEqual([]);
    expect(seen.map((s) => s.body.text.split('\n')[0])).toEqual([`:hourglass_flowing_sand: Run ${runId} started`]);
    const info = await runInfo(WITHOUT_BOT, runId);
    expect(info.status).toBe('completed');
    expect(info.notes).toEqual(['follow-up dropped: response_url expired (after 30 min) and no bot_token configured']);
    const warned = logged.map((line) => JSON.parse(line) as { msg: string; runId?: string; reason?: string }).filter((l) => l.runId === runId && l.msg === 'run progress not reported to the sender');
    expect(warned.map((l) => l.reason)).toEqual(['response_url expired (after 30 min) and no bot_token configured']);
  });

  it('never logs the bot token', () => {
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.join('\n')).not.toContain(BOT_TOKEN);
  });
});
