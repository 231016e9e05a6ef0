import { isValidSlackRequest } from '@slack/bolt';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { slack } from '../../../connectors/slack/index.js';
import { isAllowedResponseUrl } from '../../../connectors/slack/respond.js';
import { fixedClock } from '../../../core/clock.js';
import { rawRequest } from '../../helpers/raw-request.js';
import { slackRequest, slashCommandBody } from '../../helpers/provider-requests.js';

// Slack's documented example (reference/providers.md §0).
const DOC_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const DOC_BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const DOC_HEADERS = {
  'content-type': 'application/x-www-form-urlencoded',
  'x-slack-request-timestamp': '1531420618',
  'x-slack-signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
};

const params = (extra: Record<string, unknown> = {}) => slack.params.parse({ secret: DOC_SECRET, ...extra });

describe('Slack connector', () => {
  it("verifies Slack's documented example at its own time and decodes the slash command", async () => {
    const req = rawRequest({ headers: DOC_HEADERS, body: DOC_BODY });
    expect(await slack.verify(req, params(), fixedClock(1531420618_000))).toEqual({ ok: true, value: undefined });
    const delivery = slack.parse(req, params());
    expect(delivery).toMatchObject({ ok: true, value: { kind: 'slash_command', deliveryId: '398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c', payload: { command: '/webhook-collect', text: '', user_id: 'U2CERLKJA' } } });
  });

  it("rejects the documented example today as too old, not as a bad signature", async () => {
    const req = rawRequest({ headers: DOC_HEADERS, body: DOC_BODY });
    expect(await slack.verify(req, params(), fixedClock(Date.parse('2026-11-26T00:00:00Z')))).toMatchObject({ ok: false, rejection: { code: 'timestamp_too_old' } });
  });

  it("agrees with Bolt's isValidSlackRequest on every past-or-present request", async () => {
    const now = 1_795_000_000;
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 200 }),
        fc.integer({ min: -900, max: 0 }),
        fc.constantFrom('right', 'wrong', 'garbled'),
        async (text, age, signer) => {
          const body = slashCommandBody({ text, trigger_id: '1.2.3' });
          const signed = slackRequest(body, signer === 'wrong' ? 'another-secret' : DOC_SECRET, now + age);
          if (signer === 'garbled') signed.headers['x-slack-signature'] = `v0=${'f'.repeat(64)}`;
          const ours = (await slack.verify(rawRequest({ headers: signed.headers, body }), params(), fixedClock(now * 1000))).ok;
          const bolt = isValidSlackRequest({
            signingSecret: DOC_SECRET,
            body,
            headers: { 'x-slack-signature': signed.headers['x-slack-signature']!, 'x-slack-request-timestamp': now + age },
            nowMilliseconds: now * 1000,
          });
          expect(ours).toBe(bolt);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('rejects a timestamp from the future, which Bolt would accept', async () => {
    const now = 1_795_000_000;
    const body = slashCommandBody({});
    const signed = slackRequest(body, DOC_SECRET, now + 600);
    expect(await slack.verify(rawRequest({ headers: signed.headers, body }), params(), fixedClock(now * 1000))).toMatchObject({ ok: false, rejection: { code: 'timestamp_too_new' } });
    expect(isValidSlackRequest({ signingSecret: DOC_SECRET, body, headers: { 'x-slack-signature': signed.headers['x-slack-signature']!, 'x-slack-request-timestamp': now + 600 }, nowMilliseconds: now * 1000 })).toBe(true);
  });

  it('decodes interactivity (payload= JSON) and Events API deliveries', () => {
    const interaction = new URLSearchParams({ payload: JSON.stringify({ type: 'block_actions', user: { id: 'U1' }, team: { id: 'T1' }, trigger_id: 't-9', response_url: 'https://hooks.slack.com/actions/x', actions: [{ action_id: 'run', value: 'go' }] }) }).toString();
    expect(slack.parse(rawRequest({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: interaction }), params())).toMatchObject({ ok: true, value: { kind: 'block_actions', deliveryId: 't-9' } });
    const event = JSON.stringify({ type: 'event_callback', event_id: 'Ev123', team_id: 'T1', event: { type: 'app_mention', user: 'U1', text: 'hi', channel: 'C1' } });
    expect(slack.parse(rawRequest({ headers: { 'content-type': 'application/json' }, body: event }), params())).toMatchObject({ ok: true, value: { kind: 'event_callback', deliveryId: 'Ev123' } });
    const bad = slack.parse(rawRequest({ headers: { 'content-type': 'application/json' }, body: '{"type":"event_callback"}' }), params());
    expect(bad).toMatchObject({ ok: false, rejection: { code: 'payload_invalid' } });
  });

  it('answers url_verification and the unsigned SSL probe without launching', async () => {
    const challenge = JSON.stringify({ type: 'url_verification', token: 'x', challenge: 'ch-123' });
    const delivery = slack.parse(rawRequest({ headers: { 'content-type': 'application/json' }, body: challenge }), params());
    if (!delivery.ok) throw new Error('unparsed');
    expect(slack.handshake!(delivery.value, params())).toEqual({ status: 200, json: { challenge: 'ch-123' } });

    const probe = rawRequest({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'ssl_check=1&token=abc' });
    expect(await slack.verify(probe, params(), fixedClock(0))).toMatchObject({ ok: true });
    const parsed = slack.parse(probe, params());
    if (!parsed.ok) throw new Error('unparsed');
    expect(slack.handshake!(parsed.value, params())).toEqual({ status: 200 });
    // Anything smuggled beside the probe makes it an ordinary, unsigned request.
    const smuggled = rawRequest({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'ssl_check=1&command=/predict' });
    expect(await slack.verify(smuggled, params(), fixedClock(0))).toMatchObject({ ok: false, rejection: { code: 'missing_header' } });
  });

  it('filters on command, user, channel, team and event type', () => {
    const deliver = (fields: Record<string, string>) => {
      const parsed = slack.parse(rawRequest({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: slashCommandBody(fields) }), params());
      if (!parsed.ok) throw new Error('unparsed');
      return parsed.value;
    };
    const p = params({ commands: ['/predict'], user_ids: ['U0001'], channel_ids: ['C0001'], team_ids: ['T0001'] });
    expect(slack.filter!(deliver({}), p)).toBeUndefined();
    expect(slack.filter!(deliver({ command: '/train' }), p)).toBe('command /train is not one of /predict');
    expect(slack.filter!(deliver({ user_id: 'U9' }), p)).toBe('user U9 may not run this trigger');
    expect(slack.filter!(deliver({ channel_id: 'C9' }), p)).toBe('channel C9 is not enabled for this trigger');
    expect(slack.filter!(deliver({ team_id: 'T9' }), p)).toBe('team T9 is not enabled for this trigger');
    expect(slack.ignored('x', deliver({}), p)).toEqual({ status: 200, json: { response_type: 'ephemeral', text: 'Not run: x' } });
  });

  it('acks a slash command with the configured ephemeral text', () => {
    const parsed = slack.parse(rawRequest({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: slashCommandBody({ text: 'https://x.test/a.png' }) }), params());
    if (!parsed.ok) throw new Error('unparsed');
    expect(slack.accepted('run-1', parsed.value, params({ ack_text: 'On it: {text} ({run_id})' }))).toEqual({ status: 200, json: { response_type: 'ephemeral', text: 'On it: https://x.test/a.png (run-1)' } });
  });

  it("posts follow-ups only to Slack's hosts unless told otherwise", () => {
    expect(isAllowedResponseUrl('https://hooks.slack.com/commands/T/1/x', ['hooks.slack.com'])).toBe(true);
    expect(isAllowedResponseUrl('http://hooks.slack.com/commands/T/1/x', ['hooks.slack.com'])).toBe(false);
    expect(isAllowedResponseUrl('https://evil.test/commands', ['hooks.slack.com'])).toBe(false);
    expect(isAllowedResponseUrl('https://hooks.slack.com.evil.test/x', ['hooks.slack.com'])).toBe(false);
    expect(isAllowedResponseUrl('http://169.254.169.254/latest', ['hooks.slack.com'])).toBe(false);
    expect(isAllowedResponseUrl('http://127.0.0.1:4000/sink', ['127.0.0.1:4000'])).toBe(true);
    expect(isAllowedResponseUrl('not a url', ['hooks.slack.com'])).toBe(false);
  });
});

describe('Slack trigger templates', () => {
  it('offer the command text split into words as {payload.args.N}', async () => {
    const { tempProject } = await import('../../helpers/project.js');
    const { compileTrigger } = await import('../../../core/triggers/compile-trigger.js');
    const project = tempProject('- step: {name: s, image: x, command: "run {parameters}", parameters: [{name: url, type: string}, {name: mode, type: string}]}\n');
    try {
      const loaded = project.load(
        `triggers:\n  - id: 0190fe82-c984-7f66-8302-0000000000f1\n    connector: {type: slack, secret: slack-signing-secret-0123}\n    actions: [{type: run-execution, step: s, parameters: {url: "{payload.args.0}", mode: "{payload.args.1}"}}]\n`,
      );
      const trigger = loaded.config.triggers[0]!;
      const compiled = compileTrigger(trigger, loaded.project, loaded.connectors.get(trigger.id));
      const req = rawRequest({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: slashCommandBody({ text: '  https://x.test/a.png   fast ' }) });
      expect(compiled.resolveActions(req, 'run-1')).toMatchObject({ ok: true, value: [{ parameters: { url: 'https://x.test/a.png', mode: 'fast' } }] });
    } finally {
      project.remove();
    }
  });
});
