/**
 * What the sender got back, and how long each stage took, on the request's detail (issue #13
 * point 6): the admin API and the web page show the status, headers and body as sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/service.js';

const TRIGGER = '0190fe82-0000-7000-8000-0000000a5e01';
const SLACK = '0190fe82-0000-7000-8000-0000000a5e02';
const ADMIN = 'admin-token-for-the-answer-tests';

describe('the answer on the request detail', () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService(
      '- step: {name: ok, image: x, command: "true"}\n',
      `server: {admin_token: ${ADMIN}}
triggers:
  - id: ${TRIGGER}
    conditions: [{type: web-request-auth, auth_type: static_token, lookup: header, key: X-Token, secret: answer-token-0123456789}]
    actions: [{type: run-execution, step: ok}]
  - id: ${SLACK}
    connector: {type: slack, secret: slack-secret-0123456789}
    actions: [{type: run-execution, step: ok}]
`,
    );
  });
  afterAll(() => t.close());

  it('shows the status, headers and body the sender got, and the stage timings', async () => {
    const sent = await fetch(t.url(TRIGGER), { method: 'POST', headers: { 'x-token': 'answer-token-0123456789', 'content-type': 'application/json' }, body: '{"a":1}' });
    const body = await sent.text();
    const requestId = sent.headers.get('x-request-id')!;
    expect(requestId).toBeTruthy();
    const get = (path: string) => fetch(`${t.service.url}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });

    const detail = (await (await get(`/api/v0/requests/${requestId}/`)).json()) as {
      entry: { answer?: { status: number; headers: Record<string, string>; body: string; stages: { verify_ms?: number; store_ms?: number; total_ms: number } }; answeredMs?: number };
    };
    const answer = detail.entry.answer!;
    expect(answer.status).toBe(sent.status);
    expect(answer.body).toBe(body);
    expect(answer.headers['x-request-id']).toBe(requestId);
    expect(answer.headers['content-type']).toBe(sent.headers.get('content-type'));
    expect(answer.stages.total_ms).toBeGreaterThan(0);
    expect(answer.stages.verify_ms).toBeGreaterThanOrEqual(0);
    expect(answer.stages.store_ms).toBeGreaterThan(0);
    expect(detail.entry.answeredMs).toBe(Math.round(answer.stages.total_ms));

    const page = await (await get(`/ui/requests/${requestId}`)).text();
    expect(page).toContain(`Answered ${sent.status} in ${detail.entry.answeredMs} ms`);
    expect(page).toContain(`x-request-id: ${requestId}`);
    // The body as the page escapes it.
    expect(page).toContain(body.replaceAll('"', '&quot;'));
  });

  it("charts answer latency per hour against the connector's deadline, and says a generic trigger has none", async () => {
    // Unsigned: Slack's connector refuses it, and that answer is timed like any other.
    const unsigned = await fetch(t.url(SLACK), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'command=%2Fpredict' });
    expect(unsigned.status).toBeGreaterThanOrEqual(400);
    await unsigned.text();
    const launched = await fetch(t.url(TRIGGER), { method: 'POST', headers: { 'x-token': 'answer-token-0123456789' }, body: '{}' });
    expect(launched.ok).toBe(true);
    await launched.text();
    const get = async (path: string) => (await fetch(`${t.service.url}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();

    const slack = await get(`/ui/triggers/${SLACK}`);
    // Slack's deadline, from connectors/slack (ackDeadlineMs: 3000).
    expect(slack).toMatch(/<line [^>]*data-deadline-ms="3000"/);
    expect(slack).toMatch(/<polyline points="[\d.]+,[\d.]+" [^>]*data-series="p50"/);
    expect(slack).toMatch(/<circle [^>]*data-series="p99"/);

    const generic = await get(`/ui/triggers/${TRIGGER}`);
    expect(generic).not.toContain('data-deadline-ms');
    expect(generic).toContain('No deadline line');
    expect(generic).toMatch(/<polyline [^>]*data-series="p50"/);
  });
});
