/**
 * Issue #11 point 8 through the real server: a payload nested 10,000 deep that reaches a title
 * template is a 4xx with a code and a trigger-log entry (it was a 500 with no trace), and a real
 * internal failure is a 500 that carries X-Request-Id, is logged with that id and, when the store
 * still answers, appears in the trigger log.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/service.js';

const TITLED = '0190fe82-0000-7000-8000-0000000000c1';
const FRESH = '0190fe82-0000-7000-8000-0000000000c2';
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('failures leave a trace', () => {
  let t: TestService;
  const lines: Array<Record<string, unknown>> = [];
  beforeAll(async () => {
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    t = await startTestService(
      '- step: {name: ok, image: x, command: "true"}\n',
      `
triggers:
  - id: ${TITLED}
    actions: [{type: run-execution, step: ok, title: "build {payload.a.0}"}]
  - id: ${FRESH}
    actions: [{type: run-execution, step: ok, title: "build {payload.a.0}"}]
`,
      { service: { logger } },
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  const post = async (body: string, contentType: string, trigger = TITLED) => {
    const res = await fetch(t.url(trigger), { method: 'POST', headers: { 'content-type': contentType }, body });
    return { status: res.status, requestId: res.headers.get('x-request-id'), body: (await res.json()) as { error?: { code: string; message: string } } };
  };
  const logged = async (requestId: string | null) => (await t.service.store.listLog({ triggerId: TITLED, limit: 100 })).find((e) => e.requestId === requestId);

  it.each([
    ['JSON 10,000 deep', `{"a":${nested(10_000)}}`, 'application/json', 'unparseable_body'],
    // A form field holding JSON the dot path walks into (as Slack's `payload=`): too deep, it is left a string.
    ['a form field holding JSON 10,000 deep', `a=${encodeURIComponent(nested(10_000))}`, 'application/x-www-form-urlencoded', 'payload_invalid'],
  ])('%s reaching a title template: 4xx with a code, logged with its request id', async (_name, body, type, code) => {
    const answer = await post(body, type);
    expect(answer.status).toBe(400);
    expect(answer.body.error?.code).toBe(code);
    expect(answer.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await logged(answer.requestId)).toMatchObject({ outcome: 'rejected', status: 400, code });
  });

  it('a failing store: 500 with X-Request-Id, a log line with that id, and a trigger-log entry', async () => {
    const store = t.service.store;
    const accept = store.accept.bind(store);
    store.accept = () => Promise.reject(new Error('disk full (test)'));
    try {
      const answer = await post('{"a":["x"]}', 'application/json');
      expect(answer.status).toBe(500);
      expect(answer.body.error?.code).toBe('internal_error');
      expect(answer.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(answer.body.error?.message).toContain(answer.requestId);
      const line = lines.find((l) => l.requestId === answer.requestId && l.level === 50);
      expect(line).toMatchObject({ triggerId: TITLED, msg: 'request failed', err: expect.objectContaining({ message: 'disk full (test)' }) });
      await t.service.rejections.flush();
      expect(await logged(answer.requestId)).toMatchObject({ outcome: 'rejected', status: 500, code: 'internal_error', answer: expect.objectContaining({ status: 500 }) });
    } finally {
      store.accept = accept;
    }
  });

  it('a store failing even to log: still a 500 with X-Request-Id and two log lines with that id', async () => {
    const store = t.service.store;
    const accept = store.accept.bind(store);
    const recordUnlaunched = store.recordUnlaunched.bind(store);
    store.accept = () => Promise.reject(new Error('store down (test)'));
    store.recordUnlaunched = () => Promise.reject(new Error('store down (test)'));
    try {
      const answer = await post('{"a":["x"]}', 'application/json');
      expect(answer.status).toBe(500);
      expect(answer.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(lines.filter((l) => l.requestId === answer.requestId && l.level === 50)).toHaveLength(2);
    } finally {
      store.accept = accept;
      store.recordUnlaunched = recordUnlaunched;
    }
  });

  // A commit that reached the disk and then failed (an fdatasync error after the WAL write, a
  // PostgreSQL COMMIT whose answer was lost with its connection): the request's line is there. A
  // second line under its id broke the UNIQUE request_id, and failed with it every other request
  // of the group commit it shared (each of their senders a 500).
  it('a store failing after its commit: a 500, and the line already written stands alone', async () => {
    const store = t.service.store;
    const accept = store.accept.bind(store);
    store.accept = async (input) => {
      await accept(input);
      throw new Error('fdatasync failed after the commit (test)');
    };
    let answer: Awaited<ReturnType<typeof post>>;
    try {
      answer = await post('{"a":["x"]}', 'application/json');
    } finally {
      store.accept = accept;
    }
    expect(answer.status).toBe(500);
    expect(answer.body.error?.code).toBe('internal_error');
    await t.service.rejections.flush();
    expect(lines.filter((l) => l.requestId === answer.requestId && l.msg === 'could not write a request to the trigger log')).toEqual([]);
    const entries = (await t.service.store.listLog({ triggerId: TITLED, limit: 100 })).filter((e) => e.requestId === answer.requestId);
    expect(entries).toEqual([expect.objectContaining({ outcome: 'accepted' })]);
    // The line says what the sender got: not the accept it records, but the 500.
    expect(entries[0]!.answer).toMatchObject({ status: 500, headers: expect.objectContaining({ 'x-request-id': answer.requestId }) });
    expect(JSON.parse(entries[0]!.answer!.body)).toMatchObject({ error: { code: 'internal_error' } });
  });

  // Whether the line is there is asked of the store before writing one: a store that does not
  // answer (an unreachable PostgreSQL) must not hold the sender's 500 for as long as it is silent.
  it('a store failing and then silent: the 500 still goes out, within the lookup bound', async () => {
    const store = t.service.store;
    const accept = store.accept.bind(store);
    const getRequest = store.getRequest.bind(store);
    store.accept = () => Promise.reject(new Error('connection reset (test)'));
    store.getRequest = () => new Promise(() => undefined);
    const started = Date.now();
    try {
      const answer = await post('{"a":["x"]}', 'application/json');
      expect(answer.status).toBe(500);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(lines.some((l) => l.requestId === answer.requestId && String(l.msg).startsWith('the store did not say'))).toBe(true);
    } finally {
      store.accept = accept;
      store.getRequest = getRequest;
    }
  });

  // The launch route answers from the body's `end` event (issue #14): a bug thrown there must not
  // take the process down, and an answer already sent still reaches its sender.
  it('a bug thrown after the answer was sent: the sender has its answer, the failure is logged, the server serves on', async () => {
    const rejections = t.service.rejections;
    const recordAnswer = rejections.recordAnswer.bind(rejections);
    rejections.recordAnswer = () => {
      throw new Error('bug after the answer (test)');
    };
    try {
      // A refusal with a line of its own (a trigger no earlier refusal was folded into), answered in the body's turn.
      const answer = await post('{}', 'application/json', FRESH);
      expect(answer.status).toBe(400);
      expect(answer.body.error?.code).toBe('payload_invalid');
      await expect.poll(() => lines.some((l) => l.msg === 'request failed' && (l.err as { message?: string } | undefined)?.message === 'bug after the answer (test)')).toBe(true);
    } finally {
      rejections.recordAnswer = recordAnswer;
    }
    expect((await post('{}', 'application/json', FRESH)).status).toBe(400);
  });
});
