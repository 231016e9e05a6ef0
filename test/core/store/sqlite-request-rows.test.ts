/**
 * Where the embedded store keeps a request's raw capture and answer (issue #14): a bodiless
 * capture in the request's own row as a difference from the logged headers, an answer in
 * request_answers; rows written before that read as they did (request_raw rows) or are moved
 * (answers that were in the row).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../../core/store/sqlite/sqlite-database.js';
import { openSqliteStore } from '../../../core/store/sqlite/sqlite-store.js';
import { applyHeaderDelta, headerDelta } from '../../../core/store/sqlite/raw-header-delta.js';
import type { AcceptRequest, Store } from '../../../core/store/store.js';

const TRIGGER = 'trigger-under-test-0001';
let seq = 0;
function accepted(): AcceptRequest {
  seq++;
  const payload = Buffer.from('{"ref":"main"}');
  return {
    request: {
      requestId: `req-${seq}`,
      triggerId: TRIGGER,
      receivedAtMs: 1_000_000,
      method: 'POST',
      path: '/launch',
      remoteAddress: '127.0.0.1',
      sizeBytes: payload.length,
      bodySha256: 'x',
      headers: { host: 'h', 'x-signature': '[redacted]' },
      raw: { target: '/launch', headers: { host: ['h'], 'x-signature': ['sha256=abc'] }, body: payload },
    },
    runId: `run-${seq}`,
    payload,
    contentType: 'application/json',
    actions: [{ type: 'fetch-repository' }],
    rateLimits: [],
  };
}

describe('SQLite request rows', () => {
  let dir: string;
  let path: string;
  let store: Store | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hooklaunch-request-rows-'));
    path = join(dir, 'store.db');
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps an accepted request\'s headers in its row, only where they differ from the logged ones, keeps its answer beside it, and leaves it out of the outcome index', async () => {
    store = await openSqliteStore(path);
    const input = accepted();
    await store.accept(input);
    await store.recordAnswers([{ requestId: input.request.requestId, answeredMs: 3, answer: { status: 200, headers: {}, body: '{}', stages: { total_ms: 3 } } }]);
    await store.close();
    store = undefined;
    const db = new Database(path, { readonly: true });
    try {
      expect(db.prepare('SELECT COUNT(*) AS n FROM request_raw').get()).toEqual({ n: 0 });
      expect(db.prepare('SELECT raw_target, raw_headers FROM requests').get()).toEqual({ raw_target: null, raw_headers: '{"x-signature":["sha256=abc"]}' });
      expect(db.prepare('SELECT answer_ms FROM request_answers').get()).toEqual({ answer_ms: 3 });
      // Accepted requests stay out of the outcome index: the log finds them through requests_by_trigger.
      expect(db.prepare(`SELECT sql FROM sqlite_master WHERE name = 'requests_by_outcome'`).get()).toEqual({ sql: expect.stringContaining(`WHERE outcome <> 'accepted'`) });
    } finally {
      db.close();
    }
  });

  it('reads rows written before: the raw capture in request_raw, the answer moved from the row to request_answers', async () => {
    // A store as the release before migration 14 left it: the answer in its request's row.
    const before = MIGRATIONS.findIndex((sql) => sql.includes('CREATE TABLE request_answers'));
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    for (const sql of MIGRATIONS.slice(0, before)) db.exec(sql);
    db.pragma(`user_version = ${before}`);
    const answer = { status: 202, headers: { 'x-request-id': 'old-1' }, body: '{"run_id":"r"}', stages: { total_ms: 2 } };
    db.prepare(
      `INSERT INTO requests (request_id, trigger_id, received_at, method, path, remote_address, size_bytes, body_sha256, headers, outcome, status, run_id, answer, answer_ms)
       VALUES ('old-1', ?, 1000, 'POST', '/launch', '127.0.0.1', 2, 'x', '{"host":"h"}', 'rejected', 401, NULL, ?, 2)`,
    ).run(TRIGGER, JSON.stringify(answer));
    db.prepare(`INSERT INTO request_raw (request_id, target, headers, body, truncated) VALUES ('old-1', '/launch?a=1', '{"host":["h"],"x-token":["t"]}', X'7b7d', 0)`).run();
    db.close();

    store = await openSqliteStore(path);
    expect(await store.getRequest('old-1')).toEqual({
      entry: expect.objectContaining({ requestId: 'old-1', answer, answeredMs: 2 }),
      raw: { target: '/launch?a=1', headers: { host: ['h'], 'x-token': ['t'] }, body: Buffer.from('{}'), truncated: false },
    });
    expect((await store.listLog({ limit: 10 }))[0]).toMatchObject({ requestId: 'old-1', answer, answeredMs: 2 });
    const after = new Database(path, { readonly: true });
    try {
      // One place to read an answer from: the row's columns are gone.
      expect((after.pragma('table_info(requests)') as Array<{ name: string }>).map((c) => c.name)).not.toContain('answer');
      expect(after.prepare('SELECT request_id, answer_ms FROM request_answers').all()).toEqual([{ request_id: 'old-1', answer_ms: 2 }]);
    } finally {
      after.close();
    }
  });

  it('purges a request\'s answer with it', async () => {
    store = await openSqliteStore(path);
    const { request } = accepted();
    await store.recordUnlaunched({ ...request, outcome: 'rejected', status: 401, code: 'signature_mismatch', message: 'm' });
    await store.recordAnswers([{ requestId: request.requestId, answeredMs: 3, answer: { status: 401, headers: {}, body: '{}', stages: { total_ms: 3 } } }]);
    expect(await store.purge(2_000_000)).toMatchObject({ requests: 1 });
    await store.close();
    store = undefined;
    const db = new Database(path, { readonly: true });
    try {
      expect(db.prepare('SELECT COUNT(*) AS n FROM request_answers').get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  });
});

describe('raw header delta', () => {
  const cases: Array<[string, Record<string, string>, Record<string, string[]>]> = [
    ['every header as logged', { host: 'h', 'content-type': 'application/json' }, { host: ['h'], 'content-type': ['application/json'] }],
    ['a redacted credential', { 'x-signature': '[redacted]' }, { 'x-signature': ['sha256=abc'] }],
    ['a repeated header, joined when logged', { accept: 'a, b' }, { accept: ['a', 'b'] }],
    ['one value that itself holds ", "', { accept: 'a, b' }, { accept: ['a, b'] }],
    ['an empty value', { 'x-empty': '' }, { 'x-empty': [''] }],
    ['a header sent but not logged', {}, { 'x-sent': ['1'] }],
    ['a header logged but not sent', { 'x-logged': 'v' }, {}],
    ['no headers at all', {}, {}],
  ];
  it.each(cases)('rebuilds the raw headers exactly: %s', (_name, logged, raw) => {
    const delta = JSON.parse(JSON.stringify(headerDelta(logged, raw))) as ReturnType<typeof headerDelta>;
    expect(applyHeaderDelta(logged, delta)).toEqual(raw);
  });

  it('keeps a header named __proto__ as a header', () => {
    const raw: Record<string, string[]> = {};
    Object.defineProperty(raw, '__proto__', { value: ['x'], enumerable: true });
    const rebuilt = applyHeaderDelta({}, JSON.parse(JSON.stringify(headerDelta({}, raw))) as ReturnType<typeof headerDelta>);
    expect(Object.getPrototypeOf(rebuilt)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(rebuilt, '__proto__')?.value).toEqual(['x']);
  });

  it('writes nothing for headers the logged copy already says', () => {
    expect(headerDelta({ host: 'h', 'x-signature': '[redacted]' }, { host: ['h'], 'x-signature': ['s'] })).toEqual({ 'x-signature': ['s'] });
  });
});
