/** templates/slack-predict end to end: `/predict <png url>` → ack in Slack's 3 s → analysis posted back. */
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slackRequest, slashCommandBody } from '../helpers/provider-requests.js';
import { startSink, startTemplate, type TemplateService } from '../helpers/template.js';

const TRIGGER = '0190fe82-5b8f-7a3c-8d4e-4f618a7b9c0d';
const SECRET = 'slack-signing-secret-for-tests';

/** A 4×3 RGB PNG, mostly red. */
function png(): Buffer {
  const width = 4;
  const height = 3;
  const rows = Buffer.concat(Array.from({ length: height }, () => Buffer.from([0, ...Array.from({ length: width }, () => [200, 30, 10]).flat()])));
  const chunk = (kind: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4); // the step's decoder does not check CRCs
    return Buffer.concat([length, Buffer.from(kind), data, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

describe('template slack-predict', () => {
  let t: TemplateService;
  let slackSink: Awaited<ReturnType<typeof startSink>>;
  let images: Awaited<ReturnType<typeof startSink>>;

  beforeAll(async () => {
    slackSink = await startSink();
    images = await startSink((path) => (path === '/cat.png' ? { status: 200, type: 'image/png', body: png() } : undefined));
    t = await startTemplate('slack-predict', { SLACK_SIGNING_SECRET: SECRET, SLACK_RESPONSE_URL_HOSTS: slackSink.host });
  });
  afterAll(async () => {
    await t.close();
    await slackSink.close();
    await images.close();
  });

  const send = (fields: Record<string, string>, secret = SECRET, at = Math.floor(Date.now() / 1000)) => {
    const signed = slackRequest(slashCommandBody({ response_url: `${slackSink.url}/commands/T0001/1/abc`, ...fields }), secret, at);
    return fetch(t.url(TRIGGER), { method: 'POST', headers: signed.headers, body: signed.body });
  };

  it('acks /predict inside 3 s, analyses the image and answers in Slack', async () => {
    const started = performance.now();
    const res = await send({ text: `${images.url}/cat.png`, trigger_id: 'trig-1' });
    const ackMs = performance.now() - started;
    expect(res.status).toBe(200);
    expect(ackMs).toBeLessThan(3000);
    const ack = (await res.json()) as { response_type: string; text: string };
    expect(ack.response_type).toBe('ephemeral');
    expect(ack.text).toMatch(new RegExp(`^Looking at ${images.url}/cat.png \\(run [0-9a-f-]{36}\\)$`));

    await t.service.settled();
    const messages = slackSink.received.map((r) => JSON.parse(r.body) as { text: string; response_type: string });
    const answer = messages.find((m) => m.response_type === 'in_channel');
    expect(answer?.text).toBe(`<@U0001> ${images.url}/cat.png: png 4x3, brightness 0.314, mostly r`);
    expect(messages.some((m) => /^:white_check_mark: Run [0-9a-f-]{36} completed/.test(m.text))).toBe(true);
    expect(slackSink.received.every((r) => r.path === '/commands/T0001/1/abc')).toBe(true);
  });

  it('rejects a wrong signature and a stale timestamp', async () => {
    const wrong = await send({}, 'not-the-secret');
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ error: { code: 'signature_mismatch' } });
    const stale = await send({}, SECRET, Math.floor(Date.now() / 1000) - 600);
    expect(await stale.json()).toMatchObject({ error: { code: 'timestamp_too_old' } });
  });

  it('launches a replayed command once', async () => {
    const first = (await (await send({ text: `${images.url}/cat.png`, trigger_id: 'trig-replay' })).json()) as { text: string };
    const again = (await (await send({ text: `${images.url}/cat.png`, trigger_id: 'trig-replay' })).json()) as { text: string };
    expect(again.text).toBe(first.text);
    const log = await t.service.store.listLog({ triggerId: TRIGGER, limit: 1 });
    expect(log[0]).toMatchObject({ outcome: 'duplicate' });
    await t.service.settled();
  });

  it('answers other commands without launching, and Slack handshakes', async () => {
    const other = await send({ command: '/train' });
    expect(other.status).toBe(200);
    expect(await other.json()).toEqual({ response_type: 'ephemeral', text: 'Not run: command /train is not one of /predict' });
    const challenge = slackRequest(JSON.stringify({ type: 'url_verification', token: 't', challenge: 'abc123' }), SECRET, Math.floor(Date.now() / 1000), 'application/json');
    const answered = await fetch(t.url(TRIGGER), { method: 'POST', headers: challenge.headers, body: challenge.body });
    expect(await answered.json()).toEqual({ challenge: 'abc123' });
    const probe = await fetch(t.url(TRIGGER), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'ssl_check=1&token=x' });
    expect(probe.status).toBe(200);
    const log = await t.service.store.listLog({ triggerId: TRIGGER, limit: 3 });
    expect(log.map((l) => l.outcome)).toEqual(['handshake', 'handshake', 'ignored']);
  });
});
