/**
 * A batch's run still reports back to its sender (issue #17): Discord answers a command with a
 * deferred "thinking…" message that only the follow-up edits, and a Slack slash command's progress
 * goes to its response_url. A batch's run has batch.jsonl as its payload, which no connector
 * parses as one delivery, so every follow-up of a batched run was silently dropped. Through the
 * real server, with an injected clock; Discord's API and Slack's response_url are a local sink.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../../core/clock.js';
import { discordKey, discordRequest, slackRequest, slashCommandBody, type SignedRequest } from '../../helpers/provider-requests.js';
import { startTestService, type TestService } from '../../helpers/service.js';
import { startSink } from '../../helpers/template.js';

const DISCORD = '0190fe82-0000-7000-8000-0000000bf001';
const SLACK = '0190fe82-0000-7000-8000-0000000bf002';
const action = 'actions: [{type: run-execution, step: noop, payload_input: payload}]';

describe('follow-ups of a batched run', () => {
  let t: TestService | undefined;
  let sink: Awaited<ReturnType<typeof startSink>> | undefined;
  afterEach(async () => {
    await t?.close();
    await sink?.close();
  });

  it('tell the batch’s first delivery how the run goes, on Discord and on Slack', async () => {
    sink = await startSink();
    const clock = fixedClock(Date.now());
    const now = () => Math.floor(clock.now() / 1000);
    t = await startTestService(
      '- step: {name: noop, image: x, command: "true", inputs: [{name: payload}]}\n',
      `triggers:
  - {id: ${DISCORD}, connector: {type: discord, public_key: ${discordKey('batch-app').publicHex}, commands: [predict], api_base: "${sink.url}/api"}, batch: {window: 60}, ${action}}
  - {id: ${SLACK}, connector: {type: slack, secret: slack-secret-01234, response_url_hosts: ["127.0.0.1"]}, batch: {window: 60}, ${action}}
`,
      { clock, service: { batchPollMs: 3_600_000 } },
    );
    const send = async (id: string, request: SignedRequest) => {
      const res = await fetch(t!.url(id), { method: 'POST', headers: request.headers, body: request.body });
      return { status: res.status, body: (await res.json()) as unknown, position: res.headers.get('x-hooklaunch-batch-position') };
    };
    const command = (token: string) => discordRequest({ id: `cmd-${token}`, application_id: 'app1', type: 2, token, data: { name: 'predict' } }, discordKey('batch-app'), now());
    expect(await send(DISCORD, command('itok1'))).toEqual({ status: 200, body: { type: 5, data: { flags: 64 } }, position: '1' });
    expect(await send(DISCORD, command('itok2'))).toMatchObject({ status: 200, position: '2' });
    const slash = (n: number) => slackRequest(slashCommandBody({ response_url: `${sink!.url}/slack/response-${n}` }), 'slack-secret-01234', now());
    expect(await send(SLACK, slash(1))).toMatchObject({ status: 200, body: { response_type: 'ephemeral' }, position: '1' });
    expect(await send(SLACK, slash(2))).toMatchObject({ status: 200, position: '2' });

    clock.advance(60_000);
    expect(await t.service.batches.closeDue()).toBe(2);
    await t.service.settled();
    await expect.poll(() => sink!.received.length, { timeout: 5_000 }).toBe(4);
    const said = (path: string) => sink!.received.filter((r) => r.path === path).map((r) => (JSON.parse(r.body) as { content?: string; text?: string }));
    expect(said('/api/webhooks/app1/itok1/messages/@original').map((m) => m.content!.split('\n')[0])).toEqual([expect.stringMatching(/^⏳ Run \S+ started$/), expect.stringMatching(/^✅ Run \S+ completed$/)]);
    expect(said('/slack/response-1').map((m) => m.text!.split('\n')[0])).toEqual([expect.stringMatching(/^:hourglass_flowing_sand: Run \S+ started$/), expect.stringMatching(/^:white_check_mark: Run \S+ completed$/)]);
  });
});
