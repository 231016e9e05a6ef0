import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { STORES } from '../../helpers/stores.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { addRunNote, runNotes } from '../../../core/notify/run-notes.js';
import { openSqliteStore } from '../../../core/store/sqlite/sqlite-store.js';
import { PURGE_DEDUPE } from '../../../core/store/sqlite/sqlite-database.js';
import type { AcceptRequest, Store } from '../../../core/store/store.js';
import { MIGRATIONS } from '../../../core/store/postgres/migrations.js';
import { openPostgresStore } from '../../../core/store/postgres/postgres-store.js';
import { POSTGRES_SKIP, freshDatabase } from '../../helpers/postgres.js';

const TRIGGER = 'trigger-under-test-0001';
let seq = 0;
function acceptRequest(overrides: Partial<AcceptRequest> = {}, atMs = 1_000_000): AcceptRequest {
  seq++;
  return {
    request: { requestId: `req-${seq}`, triggerId: TRIGGER, receivedAtMs: atMs, method: 'POST', path: '/', remoteAddress: '127.0.0.1', sizeBytes: 2, bodySha256: 'x', headers: {} },
    runId: `run-${seq}`,
    payload: Buffer.from('{}'),
    contentType: 'application/json',
    actions: [{ type: 'fetch-repository' }],
    rateLimits: [],
    ...overrides,
  };
}


// One suite, every store: the same behaviour is what lets PostgreSQL replace SQLite.
describe.each(STORES)('$name store', (factory) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  beforeEach(async (context) => {
    if (factory.skip) return context.skip(factory.skip);
    ({ store, cleanup } = await factory.open());
  });
  afterEach(async () => {
    if (factory.skip) return;
    await store.close();
    await cleanup();
  });

  it('group-commits concurrent accepts and keeps every one', async () => {
    const outcomes = await Promise.all(Array.from({ length: 200 }, () => store.accept(acceptRequest())));
    expect(outcomes.every((o) => o.kind === 'accepted')).toBe(true);
    expect(await store.listLog({ limit: 1000 })).toHaveLength(200);
  });

  it('gives back every payload of one commit byte for byte: empty, every byte value, small and large ones side by side', async () => {
    const everyByte = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const payloads = [Buffer.alloc(0), everyByte, Buffer.concat(Array.from({ length: 40 }, () => everyByte)), Buffer.from('{"n":1}'), Buffer.alloc(70_000, 0)];
    const inputs = payloads.map((payload) => acceptRequest({ payload }));
    // Submitted together: one group commit holds them all.
    expect((await Promise.all(inputs.map((input) => store.accept(input)))).map((o) => o.kind)).toEqual(payloads.map(() => 'accepted'));
    for (const input of inputs) expect((await store.getPayload(input.runId))?.body.equals(input.payload)).toBe(true);
  });

  it('enforces a sliding rate-limit window and says when to retry', async () => {
    const limit = { periodMs: 60_000, quota: 2 };
    expect((await store.accept(acceptRequest({ rateLimits: [limit] }, 0))).kind).toBe('accepted');
    expect((await store.accept(acceptRequest({ rateLimits: [limit] }, 10_000))).kind).toBe('accepted');
    const limited = await store.accept(acceptRequest({ rateLimits: [limit] }, 30_000));
    expect(limited).toMatchObject({ kind: 'rate_limited', retryAfterSeconds: 30 });
    // The first launch leaves the window at 60 s.
    expect((await store.accept(acceptRequest({ rateLimits: [limit] }, 60_001))).kind).toBe('accepted');
  });

  it('applies several limits together (hourly and daily)', async () => {
    const limits = [{ periodMs: 3_600_000, quota: 5 }, { periodMs: 86_400_000, quota: 6 }];
    for (let i = 0; i < 5; i++) expect((await store.accept(acceptRequest({ rateLimits: limits }, i))).kind).toBe('accepted');
    expect((await store.accept(acceptRequest({ rateLimits: limits }, 10))).kind).toBe('rate_limited');
    expect((await store.accept(acceptRequest({ rateLimits: limits }, 3_600_100))).kind).toBe('accepted');
    const daily = await store.accept(acceptRequest({ rateLimits: limits }, 3_600_200));
    expect(daily).toMatchObject({ kind: 'rate_limited', message: expect.stringMatching(/6 launches per 86400 s/) });
  });

  it('leases each due follow of remote work to one claimer at a time, and takes it over when the lease runs out', async () => {
    for (let i = 0; i < 6; i++) await store.followRemote({ remoteId: `remote-${i}`, kind: 'execution', runId: 'run-1', triggerId: 'trigger-1', nextCheckAtMs: 1000 });
    await store.followRemote({ remoteId: 'remote-0', kind: 'execution', runId: 'run-1', triggerId: 'trigger-1', nextCheckAtMs: 1 }); // idempotent
    expect(await store.claimFollows(999, 10, 60_000)).toEqual([]);
    const [a, b] = await Promise.all([store.claimFollows(1000, 4, 60_000), store.claimFollows(1000, 4, 60_000)]);
    const ids = [...a, ...b].map((f) => f.remoteId).sort();
    expect(ids).toEqual(['remote-0', 'remote-1', 'remote-2', 'remote-3', 'remote-4', 'remote-5']);
    expect(await store.claimFollows(30_000, 10, 60_000)).toEqual([]); // leased
    await store.rescheduleFollow('remote-0', 500_000);
    await store.endFollow('remote-1');
    const taken = await store.claimFollows(61_000, 10, 60_000);
    expect(taken.map((f) => f.remoteId).sort()).toEqual(['remote-2', 'remote-3', 'remote-4', 'remote-5']);
    expect(taken[0]).toMatchObject({ kind: 'execution', runId: 'run-1', triggerId: 'trigger-1', checks: 2 });
    for (const f of taken) await store.rescheduleFollow(f.remoteId, 900_000);
    expect((await store.claimFollows(500_000, 10, 60_000)).map((f) => f.remoteId)).toEqual(['remote-0']);
  });

  it('deduplicates within the window only', async () => {
    const dedupe = { keys: [{ key: 'delivery-1', what: 'delivery id' }], windowMs: 1000 };
    const first = await store.accept(acceptRequest({ dedupe }, 0));
    expect(await store.accept(acceptRequest({ dedupe }, 999))).toEqual({ kind: 'duplicate', runId: (first as { runId: string }).runId, what: 'delivery id' });
    expect((await store.accept(acceptRequest({ dedupe }, 1000))).kind).toBe('accepted');
  });

  it('leases claimed jobs and lets another claimer take over an expired lease', async () => {
    await store.accept(acceptRequest({}, 0));
    const [job] = await store.claimJobs(100, 10, 5_000);
    expect(job).toMatchObject({ state: 'running', attempts: 1 });
    expect(await store.claimJobs(4_000, 10, 5_000)).toHaveLength(0);
    const [again] = await store.claimJobs(5_100, 10, 5_000);
    expect(again).toMatchObject({ id: job!.id, attempts: 2 });
    await store.completeJob(job!.id, { kind: 'fetch', commits: [], errors: [] });
    expect(await store.claimJobs(99_999, 10, 5_000)).toHaveLength(0);
    expect(await store.nextJobDueMs()).toBeUndefined();
  });

  it('schedules a retry and records a permanent failure', async () => {
    await store.accept(acceptRequest({}, 0));
    const [job] = await store.claimJobs(0, 10, 1000);
    await store.failJob(job!.id, { code: 'boom', message: 'transient' }, 500);
    expect(await store.nextJobDueMs()).toBe(500);
    expect(await store.claimJobs(400, 10, 1000)).toHaveLength(0);
    const [retry] = await store.claimJobs(500, 10, 1000);
    await store.failJob(retry!.id, { code: 'bad', message: 'permanent' }, undefined);
    const run = await store.getRun(job!.runId);
    expect(run!.jobs[0]).toMatchObject({ state: 'failed', attempts: 2, lastError: { code: 'bad', message: 'permanent' } });
  });

  it('creates an execution once per id', async () => {
    const spec = { step: 's', title: 't', parameters: {}, payloadFilename: 'payload.json' };
    const a = await store.createExecution({ id: 'e1', jobId: 'j1', runId: 'r1', spec, createdAtMs: 1 });
    await store.updateExecution('e1', { status: 'complete', endedAtMs: 2, exitCode: 0 });
    const b = await store.createExecution({ id: 'e1', jobId: 'j1', runId: 'r1', spec, createdAtMs: 3 });
    expect(a.status).toBe('queued');
    expect(b).toMatchObject({ status: 'complete', createdAtMs: 1, exitCode: 0 });
  });

  it('returns an execution log in order with its sequence, and only what follows a sequence when asked', async () => {
    await store.appendExecutionLog('e1', [
      { stream: 'system', text: '$ run\n', atMs: 1 },
      { stream: 'stdout', text: 'one\ntwo\n', atMs: 2 },
    ]);
    await store.appendExecutionLog('e2', [{ stream: 'stdout', text: 'other\n', atMs: 2 }]);
    await store.appendExecutionLog('e1', [{ stream: 'stderr', text: 'oops', atMs: 3 }]);
    const all = await store.executionLog('e1');
    expect(all.map(({ stream, text, atMs }) => ({ stream, text, atMs }))).toEqual([
      { stream: 'system', text: '$ run\n', atMs: 1 },
      { stream: 'stdout', text: 'one\ntwo\n', atMs: 2 },
      { stream: 'stderr', text: 'oops', atMs: 3 },
    ]);
    expect(all.every((c, i) => i === 0 || c.seq! > all[i - 1]!.seq!)).toBe(true);
    expect(await store.executionLog('e1', all[1]!.seq)).toEqual([all[2]]);
    expect(await store.executionLog('e1', all[2]!.seq)).toEqual([]);
  });

  it('keeps a refused request for replay and drops it at purge', async () => {
    const request = acceptRequest({}, 0).request;
    await store.recordUnlaunched({ ...request, raw: { target: '/x?token=t', headers: { 'x-token': ['t'] }, body: Buffer.from('body') }, outcome: 'rejected', status: 400, code: 'token_mismatch', message: 'm' });
    const stored = await store.getRequest(request.requestId);
    expect(stored).toMatchObject({ entry: { outcome: 'rejected', code: 'token_mismatch' }, raw: { target: '/x?token=t', headers: { 'x-token': ['t'] } } });
    expect(stored!.raw.body!.toString()).toBe('body');
    expect(await store.purge(1)).toMatchObject({ requests: 1 });
    expect(await store.getRequest(request.requestId)).toBeUndefined();
  });

  it('gives back an accepted or duplicate request as sent, whatever its logged copy redacted or joined', async () => {
    const payload = Buffer.from('{"ref":"main"}');
    // The logged copy as the service writes it (core/trigger-log/redaction.ts): values joined, credentials redacted;
    // plus a name logged but not sent and one sent but not logged, which a store must not confuse either.
    const headers: Record<string, string> = { host: 'h', 'x-signature': '[redacted]', accept: 'a, b', 'x-empty': '', 'x-logged-only': 'v' };
    Object.defineProperty(headers, '__proto__', { value: 'p', enumerable: true });
    const rawHeaders: Record<string, string[]> = { host: ['h'], 'x-signature': ['sha256=abc'], accept: ['a', 'b'], 'x-empty': [''], 'x-sent-only': ['1', '2'] };
    Object.defineProperty(rawHeaders, '__proto__', { value: ['p'], enumerable: true });
    const raw = { target: '/launch?token=t&x=1', headers: rawHeaders, body: payload };
    const accepted = acceptRequest({ payload });
    const withRaw = { ...accepted, request: { ...accepted.request, path: '/launch?token=[redacted]&x=1', headers, raw } };
    const outcome = await store.accept(withRaw);
    const repeat = { ...acceptRequest().request, path: '/launch', headers: { host: 'h' }, raw: { target: '/launch', headers: { host: ['h'] }, body: payload } };
    await store.recordUnlaunched({ ...repeat, outcome: 'duplicate', status: 200, message: 'repeat', runId: (outcome as { runId: string }).runId });

    const stored = (await store.getRequest(withRaw.request.requestId))!;
    expect(stored.raw).toEqual({ target: '/launch?token=t&x=1', headers: rawHeaders, body: payload, truncated: false });
    expect(Object.keys(stored.raw.headers).sort()).toEqual(Object.keys(rawHeaders).sort());
    expect(stored.entry).toMatchObject({ path: '/launch?token=[redacted]&x=1', headers: { host: 'h', 'x-signature': '[redacted]', accept: 'a, b' } });
    expect((await store.getRequest(repeat.requestId))!.raw).toEqual({ target: '/launch', headers: { host: ['h'] }, body: payload, truncated: false });
  });

  it('lists a trigger\'s log by outcome, newest first, or after a seq oldest first', async () => {
    const other = 'trigger-under-test-0002';
    const written: Array<{ requestId: string; triggerId: string; outcome: string }> = [];
    for (let i = 0; i < 12; i++) {
      const input = acceptRequest({}, 1_000 + i);
      const request = { ...input.request, triggerId: i % 3 === 0 ? other : TRIGGER };
      const outcome = (['accepted', 'rejected', 'accepted', 'duplicate'] as const)[i % 4]!;
      if (outcome === 'accepted') await store.accept({ ...input, request });
      else await store.recordUnlaunched({ ...request, outcome, status: outcome === 'rejected' ? 401 : 200, code: outcome === 'rejected' ? 'signature_mismatch' : undefined, message: 'm' });
      written.push({ requestId: request.requestId, triggerId: request.triggerId, outcome });
    }
    const ids = (entries: ReadonlyArray<{ requestId: string }>): string[] => entries.map((e) => e.requestId);
    const expected = (triggerId: string | undefined, outcome: string): string[] =>
      written.filter((w) => (triggerId === undefined || w.triggerId === triggerId) && w.outcome === outcome).map((w) => w.requestId);
    for (const outcome of ['accepted', 'rejected', 'duplicate'] as const) {
      expect(ids(await store.listLog({ triggerId: TRIGGER, outcome, limit: 100 }))).toEqual(expected(TRIGGER, outcome).reverse());
      expect(ids(await store.listLog({ triggerId: other, outcome, limit: 1 }))).toEqual(expected(other, outcome).reverse().slice(0, 1));
      expect(ids(await store.listLog({ outcome, limit: 100 }))).toEqual(expected(undefined, outcome).reverse());
    }
    const all = await store.listLog({ triggerId: TRIGGER, limit: 100 });
    const oldest = all.at(-1)!;
    expect(ids(await store.listLog({ triggerId: TRIGGER, outcome: 'rejected', afterSeq: oldest.seq, limit: 100 }))).toEqual(expected(TRIGGER, 'rejected').filter((id) => id !== oldest.requestId));
  });

  it('keeps run notes with their run and purges them with it', async () => {
    const finished = acceptRequest({}, 1_000);
    const pending = acceptRequest({}, 1_000);
    await store.accept(finished);
    await store.accept(pending);
    const [job] = (await store.claimJobs(2_000, 10, 60_000)).filter((j) => j.runId === finished.runId);
    await store.completeJob(job!.id, { kind: 'fetch', commits: [], errors: [] });
    await addRunNote(store, finished.runId, 'follow-up dropped: finished', 3_000);
    await addRunNote(store, pending.runId, 'follow-up dropped: pending', 3_000);
    expect(await runNotes(store, finished.runId)).toEqual(['follow-up dropped: finished']);
    await store.purge(5_000);
    expect(await store.getRun(finished.runId)).toBeUndefined();
    expect(await runNotes(store, finished.runId)).toEqual([]);
    expect(await runNotes(store, pending.runId)).toEqual(['follow-up dropped: pending']);
  });

  it('counts requests per trigger and outcome', async () => {
    await store.accept(acceptRequest({}, 5_000));
    await store.recordUnlaunched({ ...acceptRequest({}, 6_000).request, outcome: 'rejected', status: 400, code: 'token_mismatch', message: 'm' });
    const [stats] = await store.triggerStats(0);
    expect(stats).toMatchObject({ triggerId: TRIGGER, counts: { accepted: 1, rejected: 1 }, lastAtMs: 6_000 });
    expect(await store.triggerStats(10_000)).toMatchObject([{ counts: { accepted: 0, rejected: 0 } }]);
  });

  it('keeps exact rate limits under concurrent accepts', async () => {
    const limit = { periodMs: 60_000, quota: 7 };
    const outcomes = await Promise.all(Array.from({ length: 60 }, (_, i) => store.accept(acceptRequest({ rateLimits: [limit] }, 1_000 + i))));
    expect(outcomes.filter((o) => o.kind === 'accepted')).toHaveLength(7);
  });

  it('decides the accepts of one group commit in order: a repeat in the batch is a duplicate, earlier accepts count against the limit', async () => {
    const limit = { periodMs: 60_000, quota: 3 };
    const dedupe = (key: string) => ({ keys: [{ key, what: 'delivery id' }], windowMs: 60_000 });
    // Submitted in one turn of the event loop: one batch.
    const outcomes = await Promise.all(
      ['d1', 'd1', 'd2', 'd3', 'd2', 'd4'].map((key, i) => store.accept(acceptRequest({ dedupe: dedupe(key), rateLimits: [limit] }, 1_000 + i))),
    );
    expect(outcomes.map((o) => o.kind)).toEqual(['accepted', 'duplicate', 'accepted', 'accepted', 'duplicate', 'rate_limited']);
    expect(outcomes[1]).toMatchObject({ runId: (outcomes[0] as { runId: string }).runId });
    expect(outcomes[4]).toMatchObject({ runId: (outcomes[2] as { runId: string }).runId });
    expect(outcomes[5]).toMatchObject({ retryAfterSeconds: 60 });
    // The next batch sees what this one wrote.
    expect(await store.accept(acceptRequest({ dedupe: dedupe('d3') }, 2_000))).toMatchObject({ kind: 'duplicate', runId: (outcomes[3] as { runId: string }).runId });
    expect((await store.accept(acceptRequest({ dedupe: dedupe('d5'), rateLimits: [limit] }, 2_000))).kind).toBe('rate_limited');
    expect(await store.listLog({ limit: 100 })).toHaveLength(3);
  });

  it('counts a launch against every rate limit of its trigger, also one its own request did not carry (a limit changed by a reload)', async () => {
    const strict = { periodMs: 60_000, quota: 2 };
    expect((await store.accept(acceptRequest({ rateLimits: [strict] }, 1_000))).kind).toBe('accepted');
    expect((await store.accept(acceptRequest({ rateLimits: [{ periodMs: 60_000, quota: 100 }] }, 2_000))).kind).toBe('accepted');
    expect(await store.accept(acceptRequest({ rateLimits: [strict] }, 3_000))).toMatchObject({ kind: 'rate_limited', retryAfterSeconds: 58 });
  });

  it('enforces a quota of millions with a long window as exactly as a small one', async () => {
    const huge = { periodMs: 3_600_000, quota: 100_000_000 };
    const outcomes = await Promise.all(Array.from({ length: 50 }, (_, i) => store.accept(acceptRequest({ rateLimits: [huge, { periodMs: 3_600_000, quota: 60 }] }, 1_000 + i))));
    expect(outcomes.every((o) => o.kind === 'accepted')).toBe(true);
    const more = await Promise.all(Array.from({ length: 20 }, (_, i) => store.accept(acceptRequest({ rateLimits: [huge, { periodMs: 3_600_000, quota: 60 }] }, 2_000 + i))));
    expect(more.filter((o) => o.kind === 'accepted')).toHaveLength(10);
  });

  it('keeps what the sender got back with its logged request, and leaves older rows without one', async () => {
    const answered = acceptRequest();
    const unanswered = acceptRequest();
    await store.accept(answered);
    await store.accept(unanswered);
    const answer = { status: 202, headers: { 'content-type': 'application/json; charset=utf-8', 'x-request-id': answered.request.requestId }, body: '{"run_id":"r"}', stages: { verify_ms: 0.2, store_ms: 3.5, total_ms: 4.1 } };
    await store.recordAnswers([{ requestId: answered.request.requestId, answer, answeredMs: 4.1 }]);
    const entry = (await store.getRequest(answered.request.requestId))!.entry;
    expect(entry.answer).toEqual(answer);
    expect(entry.answeredMs).toBe(4);
    const listed = await store.listLog({ limit: 10 });
    expect(listed.find((e) => e.requestId === answered.request.requestId)!.answer).toEqual(answer);
    expect(listed.find((e) => e.requestId === unanswered.request.requestId)!.answer).toBeUndefined();
  });

  it('keeps an answer only for a request with a line: last one wins, and purge drops it with its line', async () => {
    const answer = (status: number) => ({ status, headers: {}, body: '', stages: { total_ms: 1 } });
    const request = acceptRequest({}, 1_000).request;
    const line = { ...request, outcome: 'rejected', status: 400, code: 'token_mismatch', message: 'm' } as const;
    // An answer for a line not written (yet) is not kept, as an UPDATE of a missing line keeps nothing.
    await store.recordAnswers([{ requestId: request.requestId, answer: answer(500), answeredMs: 1 }]);
    await store.recordUnlaunched(line);
    expect((await store.getRequest(request.requestId))!.entry.answer).toBeUndefined();
    await store.recordAnswers([
      { requestId: request.requestId, answer: answer(401), answeredMs: 1 },
      { requestId: request.requestId, answer: answer(400), answeredMs: 2 },
    ]);
    expect((await store.getRequest(request.requestId))!.entry).toMatchObject({ answer: answer(400), answeredMs: 2 });
    // Purged with its line: a line written again under the same id starts without one.
    expect(await store.purge(2_000)).toMatchObject({ requests: 1 });
    await store.recordUnlaunched({ ...line, receivedAtMs: 3_000 });
    expect((await store.getRequest(request.requestId))!.entry.answer).toBeUndefined();
  });

  it('keeps its generated secrets', async () => {
    const first = await store.secret('k');
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(await store.secret('k')).toBe(first);
  });

  it('keeps triggers with store-wide revisions, refuses a write based on a stale one, and remembers deletions', async () => {
    const base = { paused: false, atMs: 5000, by: 'admin', diff: [{ path: 'title', after: 'a' }] };
    expect(await store.triggerRevision()).toBe(0);
    expect(await store.writeTriggerDef({ ...base, id: 'one', config: { id: 'one', title: 'a' }, expectRevision: 0 })).toEqual({ kind: 'written', revision: 1 });
    expect(await store.writeTriggerDef({ ...base, id: 'two', config: { id: 'two' }, expectRevision: 0 })).toEqual({ kind: 'written', revision: 2 });
    // Created again, or changed from a revision it is no longer at: refused.
    expect(await store.writeTriggerDef({ ...base, id: 'one', config: { id: 'one' }, expectRevision: 0 })).toEqual({ kind: 'conflict', currentRevision: 1 });
    expect(await store.writeTriggerDef({ ...base, id: 'one', config: { id: 'one', title: 'b' }, paused: true, expectRevision: 1 })).toEqual({ kind: 'written', revision: 3 });
    expect(await store.listTriggerDefs()).toEqual([
      { id: 'one', config: { id: 'one', title: 'b' }, paused: true, revision: 3, updatedAtMs: 5000, updatedBy: 'admin' },
      { id: 'two', config: { id: 'two' }, paused: false, revision: 2, updatedAtMs: 5000, updatedBy: 'admin' },
    ]);
    expect(await store.writeTriggerDef({ ...base, id: 'two', expectRevision: 2 })).toEqual({ kind: 'written', revision: 4 });
    expect((await store.listTriggerDefs()).map((d) => d.id)).toEqual(['one']);
    expect(await store.triggerRevision()).toBe(4);
    expect((await store.triggerRevisions('one')).map((r) => [r.revision, r.paused, r.config])).toEqual([
      [3, true, { id: 'one', title: 'b' }],
      [1, false, { id: 'one', title: 'a' }],
    ]);
    expect(await store.triggerRevisions('two')).toMatchObject([{ revision: 4, config: undefined }, { revision: 2 }]);
  });
});

describe('SQLite store only', () => {
  let dir: string;
  let store: Store;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hooklaunch-store-'));
    store = await openSqliteStore(join(dir, 'state.db'));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to serve a file another live process serves', async () => {
    writeFileSync(join(dir, 'state.db.serve.lock'), String(process.ppid));
    await expect(store.takeOver()).rejects.toThrow(/another hooklaunch \(pid \d+\) is serving this store/);
  });

  it('finds expired dedupe rows through their expiry index, not by reading the whole table', async () => {
    await store.accept(acceptRequest({ dedupe: { keys: [{ key: 'd1', what: 'delivery id' }], windowMs: 1 } }, 0));
    const db = new Database(join(dir, 'state.db'), { readonly: true });
    try {
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${PURGE_DEDUPE}`).all(Date.now()) as Array<{ detail: string }>).map((row) => row.detail);
      expect(plan).toEqual([expect.stringMatching(/^SEARCH dedupe USING (COVERING )?INDEX dedupe_by_expiry \(expires_at<\?\)$/)]);
    } finally {
      db.close();
    }
  });

  it('takes over a stale lock and releases claims of the dead process', async () => {
    writeFileSync(join(dir, 'state.db.serve.lock'), '999999999');
    await store.accept(acceptRequest({}, 0));
    await store.claimJobs(0, 10, 60_000);
    await store.takeOver();
    expect(await store.claimJobs(1, 10, 60_000)).toHaveLength(1);
  });
});

describe.skipIf(POSTGRES_SKIP)('PostgreSQL store only', () => {
  // libpq's PGOPTIONS (which pg honours) set for every connection, here the schema the store lives in:
  // the accept connections, given options of their own for their plans, connected without it and
  // found no tables (every accept failed) while the other connections read and migrated that schema.
  it('accepts on connections with the same settings as the rest (PGOPTIONS: the store in a schema of its own)', async () => {
    const database = await freshDatabase();
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    const before = process.env.PGOPTIONS;
    process.env.PGOPTIONS = '-c search_path=hooklaunch_own';
    let store: Store | undefined;
    try {
      await admin.query('CREATE SCHEMA hooklaunch_own');
      store = await openPostgresStore(database.url, 'test-instance');
      const input = acceptRequest();
      expect(await store.accept(input)).toMatchObject({ kind: 'accepted' });
      expect((await store.listLog({ limit: 10 })).map((e) => e.requestId)).toEqual([input.request.requestId]);
      expect(((await admin.query(`SELECT COUNT(*)::int AS n FROM hooklaunch_own.requests`)).rows[0] as { n: number }).n).toBe(1);
    } finally {
      if (before === undefined) delete process.env.PGOPTIONS;
      else process.env.PGOPTIONS = before;
      await store?.close();
      await admin.end();
      await database.drop();
    }
  });

  // Purge's statements each read the requests anew (READ COMMITTED): a run that finished between the
  // delete of the raw captures and answers and the delete of the lines let its request go and left
  // its capture (the whole body) and answer behind, found by no later purge (they are found through lines).
  it('purges a request\'s raw capture and answer with its line, when its run finishes during the purge', async () => {
    const database = await freshDatabase();
    const store = await openPostgresStore(database.url, 'test-instance');
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const query = pg.Client.prototype.query;
    try {
      const input = acceptRequest({}, 1_000);
      const request = { ...input.request, raw: { target: '/', headers: { 'x-token': ['t'] }, body: input.payload } };
      await store.accept({ ...input, request });
      await store.recordAnswers([{ requestId: request.requestId, answeredMs: 1, answer: { status: 200, headers: {}, body: '', stages: { total_ms: 1 } } }]);
      const [job] = await store.claimJobs(2_000, 10, 60_000);
      let finished = false;
      // The run's job settles just before purge deletes the lines (as a launch worker may, on another connection).
      vi.spyOn(pg.Client.prototype, 'query').mockImplementation(function (this: pg.Client, ...args: unknown[]) {
        const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text;
        if (!finished && text?.includes('DELETE FROM requests ')) {
          finished = true;
          return store.completeJob(job!.id, { kind: 'fetch', commits: [], errors: [] }).then(() => (query as (...a: unknown[]) => unknown).apply(this, args));
        }
        return (query as (...a: unknown[]) => unknown).apply(this, args);
      } as typeof query);
      await store.purge(5_000);
      vi.restoreAllMocks();
      expect(finished).toBe(true);
      const left = async (table: string) => Number(((await client.query(`SELECT COUNT(*)::int AS n FROM ${table} t WHERE NOT EXISTS (SELECT 1 FROM requests r WHERE r.request_id = t.request_id)`)).rows[0] as { n: number }).n);
      expect({ raw: await left('request_raw'), answers: await left('request_answers') }).toEqual({ raw: 0, answers: 0 });
    } finally {
      vi.restoreAllMocks();
      await client.end();
      await store.close();
      await database.drop();
    }
  });

  it('compresses stored payloads with lz4 where the server has it', async () => {
    const database = await freshDatabase();
    const store = await openPostgresStore(database.url, 'test-instance');
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const lz4 = (await client.query(`SELECT 'lz4' = ANY(enumvals) AS has FROM pg_settings WHERE name = 'default_toast_compression'`)).rows[0] as { has: boolean };
      const input = acceptRequest({ payload: Buffer.from(JSON.stringify({ text: 'compressible '.repeat(1000) })) });
      await store.accept(input);
      const row = (await client.query('SELECT pg_column_compression(payload) AS method FROM runs WHERE run_id = $1', [input.runId])).rows[0] as { method: string };
      expect(row.method).toBe(lz4.has ? 'lz4' : 'pglz');
      expect((await store.getPayload(input.runId))?.body.equals(input.payload)).toBe(true);
    } finally {
      await client.end();
      await store.close();
      await database.drop();
    }
  });

  // Issue #14: left to choose, the server planned the accept statements anew on the first commits and
  // on every one where a custom plan looked cheaper (fewer than ten accepts), ~190 us of its CPU each.
  it('plans the accept statements once, not on every group commit', async () => {
    const database = await freshDatabase();
    const store = await openPostgresStore(database.url, 'test-instance');
    try {
      const query = vi.spyOn(pg.Client.prototype, 'query');
      // Group commits of ten, as under load.
      for (let round = 0; round < 12; round++) {
        await Promise.all(Array.from({ length: 10 }, (_, i) => store.accept(acceptRequest({ rateLimits: [{ periodMs: 60_000, quota: 1_000 }] }, 1_000 + round * 10 + i))));
      }
      const written = query.mock.calls.findIndex(([config]) => (config as { name?: string }).name === 'hooklaunch_accept_write');
      const client = query.mock.contexts[written] as pg.Client;
      query.mockRestore();
      // The connection that ran the commits holds its prepared statements: how each was planned.
      const plans = (await client.query(`SELECT name, generic_plans::int, custom_plans::int FROM pg_prepared_statements WHERE name LIKE 'hooklaunch_accept_%' ORDER BY name`)).rows as Array<{ generic_plans: number }>;
      expect(plans).toEqual([
        { name: 'hooklaunch_accept_look_up', generic_plans: expect.any(Number), custom_plans: 0 },
        { name: 'hooklaunch_accept_write', generic_plans: expect.any(Number), custom_plans: 0 },
      ]);
      expect(plans.reduce((sum, plan) => sum + plan.generic_plans, 0)).toBeGreaterThan(0);
    } finally {
      await store.close();
      await database.drop();
    }
  });

  it('moves the answers a store kept in its request lines to request_answers when it upgrades (migration 11)', async () => {
    const database = await freshDatabase();
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      // A store as the version before left it: schema 10, the answer in its line.
      await client.query('CREATE TABLE hooklaunch_schema (version INTEGER NOT NULL)');
      for (const migration of MIGRATIONS.slice(0, 10)) await client.query(migration);
      await client.query('INSERT INTO hooklaunch_schema (version) VALUES (10)');
      const answer = { status: 202, headers: { 'x-request-id': 'old' }, body: '{}', stages: { total_ms: 7 } };
      await client.query(
        `INSERT INTO requests (request_id, trigger_id, received_at, method, path, remote_address, size_bytes, body_sha256, headers, outcome, status, answer, answer_ms)
         VALUES ('old', $1, 1000, 'POST', '/', '127.0.0.1', 2, 'x', '{}', 'accepted', 202, $2, 7), ('unanswered', $1, 1001, 'POST', '/', '127.0.0.1', 2, 'x', '{}', 'accepted', 202, NULL, NULL)`,
        [TRIGGER, JSON.stringify(answer)],
      );
      const store = await openPostgresStore(database.url, 'test-instance');
      try {
        expect((await store.getRequest('old'))!.entry).toMatchObject({ answer, answeredMs: 7 });
        expect((await store.getRequest('unanswered'))!.entry.answer).toBeUndefined();
      } finally {
        await store.close();
      }
    } finally {
      await client.end();
      await database.drop();
    }
  });

  // Issue #14: accepted requests are most of the log and are listed through requests_by_trigger;
  // indexing them by outcome too cost a B-tree insert per accept.
  it('indexes by outcome only the requests not accepted, and lists those through that index', async () => {
    const database = await freshDatabase();
    const store = await openPostgresStore(database.url, 'test-instance');
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await store.accept(acceptRequest());
      await store.recordUnlaunched({ ...acceptRequest().request, outcome: 'rejected', status: 400, code: 'token_mismatch', message: 'm' });
      const query = vi.spyOn(pg.Pool.prototype, 'query');
      const listed = await store.listLog({ triggerId: TRIGGER, outcome: 'rejected', limit: 10 });
      const [sql, values] = query.mock.calls.find(([text]) => String(text).includes('FROM requests'))! as unknown as [string, unknown[]];
      query.mockRestore();
      expect(listed.map((e) => e.outcome)).toEqual(['rejected']);
      expect((await store.listLog({ triggerId: TRIGGER, outcome: 'accepted', limit: 10 })).map((e) => e.outcome)).toEqual(['accepted']);
      // A generic plan with sequential scans off takes any index it can prove holds the rows: the partial one only when the query says so.
      await client.query('SET enable_seqscan = off');
      await client.query('SET plan_cache_mode = force_generic_plan');
      await client.query(`PREPARE listed AS ${sql}`);
      const plan = (await client.query(`EXPLAIN EXECUTE listed(${values.map((value) => client.escapeLiteral(String(value))).join(', ')})`)).rows.map((row: Record<string, string>) => row['QUERY PLAN']).join('\n');
      expect(plan).toContain('requests_by_outcome');
      const definition = (await client.query(`SELECT pg_get_indexdef('requests_by_outcome'::regclass) AS def`)).rows[0] as { def: string };
      expect(definition.def).toContain(`WHERE (outcome <> 'accepted'::text)`);
    } finally {
      await client.end();
      await store.close();
      await database.drop();
    }
  });

  // Issue #14: the answer, written a second after its line, was an UPDATE that copied the line to a
  // new page and into all five request indexes, a quarter of the server's CPU per accept.
  it('keeps an answer without rewriting the line it belongs to', async () => {
    const database = await freshDatabase();
    const store = await openPostgresStore(database.url, 'test-instance');
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const input = acceptRequest();
      await store.accept(input);
      const place = async () => (await client.query('SELECT ctid::text AS at, xmin::text AS by FROM requests WHERE request_id = $1', [input.request.requestId])).rows[0] as { at: string; by: string };
      const before = await place();
      await store.recordAnswers([{ requestId: input.request.requestId, answer: { status: 200, headers: {}, body: '', stages: { total_ms: 3 } }, answeredMs: 3 }]);
      expect(await place()).toEqual(before);
      expect((await store.getRequest(input.request.requestId))!.entry.answeredMs).toBe(3);
    } finally {
      await client.end();
      await store.close();
      await database.drop();
    }
  });

  // Issue #14: one statement per item made PostgreSQL the slow path (1,143 round trips for this
  // batch before); a batch costs BEGIN, lock-and-look-up, one write and COMMIT, whatever its size.
  it('commits a batch in a fixed number of round trips, whatever its size', async () => {
    const database = await freshDatabase();
    const store = await openPostgresStore(database.url, 'test-instance');
    try {
      await store.accept(acceptRequest({}, -100_000)); // connects; outside the window below
      const query = vi.spyOn(pg.Client.prototype, 'query');
      const limit = { periodMs: 60_000, quota: 150 };
      const raw = { target: '/', headers: { 'content-type': ['application/json'] }, body: Buffer.from('{}') };
      const outcomes = await Promise.all(
        Array.from({ length: 200 }, (_, i) => {
          const input = acceptRequest({ dedupe: { keys: [{ key: `d${i % 190}`, what: 'delivery id' }], windowMs: 60_000 }, rateLimits: [limit] }, 1_000 + i);
          return store.accept({ ...input, request: { ...input.request, raw } });
        }),
      );
      const calls = query.mock.calls.length;
      query.mockRestore();
      expect(outcomes.filter((o) => o.kind === 'accepted')).toHaveLength(150);
      expect(outcomes.filter((o) => o.kind === 'duplicate')).toHaveLength(10);
      expect(calls).toBeLessThanOrEqual(4);
      const logged = (await store.listLog({ limit: 1000 })).filter((e) => e.receivedAtMs >= 1_000);
      expect(logged).toHaveLength(150);
      expect((await store.getRequest(logged[0]!.requestId))!.raw.body).toEqual(Buffer.from('{}'));
    } finally {
      await store.close();
      await database.drop();
    }
  });
});
