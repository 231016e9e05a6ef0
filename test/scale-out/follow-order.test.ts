/**
 * A live follower on PostgreSQL (`hooklaunch logs --follow`, `runs --follow`, the trigger page's
 * live log, `runs RUN_ID --follow`) reads "after the last seq I showed". Two commits in flight (two
 * per instance, or two instances) can take seqs n and n+1 and commit n+1 first: a follower shown
 * n+1 went on after it and never showed n. Reads now stop where no earlier row can still commit
 * (core/store/postgres/settled-horizon.ts). The transactions here are two pg connections, as two
 * instances' commits are.
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../core/store/postgres/postgres-store.js';
import type { Store } from '../../core/store/store.js';
import { POSTGRES_SKIP, freshDatabase } from '../helpers/postgres.js';

const TRIGGER = '0190fe82-0000-7000-8000-0000000f0110';

const insertLine = (client: pg.Client, requestId: string) =>
  client.query(
    `INSERT INTO requests (request_id, trigger_id, received_at, method, path, remote_address, size_bytes, body_sha256, headers, outcome, status, code, message)
     VALUES ($1, $2, $3, 'POST', '/', '127.0.0.1', 0, '', '{}', 'rejected', 401, 'signature_mismatch', 'test')`,
    [requestId, TRIGGER, Date.now()],
  );

describe.skipIf(POSTGRES_SKIP)(`following on PostgreSQL${POSTGRES_SKIP ? ` (skipped: ${POSTGRES_SKIP})` : ''}`, () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setUp(): Promise<{ store: Store; first: pg.Client; second: pg.Client }> {
    const database = await freshDatabase();
    cleanups.push(database.drop);
    const store = await openPostgresStore(database.url, 'follow-test');
    cleanups.push(() => store.close());
    const clients = [new pg.Client({ connectionString: database.url }), new pg.Client({ connectionString: database.url })] as const;
    for (const client of clients) {
      await client.connect();
      cleanups.push(() => client.end());
    }
    return { store, first: clients[0], second: clients[1] };
  }

  it('shows a line committed after a later one, in sequence order, once both are in', async () => {
    const { store, first, second } = await setUp();
    const follow = async (after: number) => store.listLog({ triggerId: TRIGGER, afterSeq: after, limit: 100 });

    await first.query('BEGIN');
    await insertLine(first, 'earlier'); // takes the smaller seq, commits last
    await insertLine(second, 'later'); // committed at once
    const shown: string[] = [];
    let after = 0;
    for (const entry of await follow(after)) {
      shown.push(entry.requestId);
      after = entry.seq;
    }
    // The earlier line is still in flight: the later one waits for it.
    expect(shown).toEqual([]);
    // The newest-first read a follower starts from waits too.
    expect((await store.listLog({ triggerId: TRIGGER, limit: 10 })).map((e) => e.requestId)).toEqual([]);

    await first.query('COMMIT');
    for (const entry of await follow(after)) {
      shown.push(entry.requestId);
      after = entry.seq;
    }
    expect(shown).toEqual(['earlier', 'later']);
  }, 20_000);

  it('goes past a number whose transaction rolled back', async () => {
    const { store, first, second } = await setUp();
    await first.query('BEGIN');
    await insertLine(first, 'rolled-back');
    await insertLine(second, 'kept');
    await first.query('ROLLBACK');
    expect((await store.listLog({ triggerId: TRIGGER, afterSeq: 0, limit: 100 })).map((e) => e.requestId)).toEqual(['kept']);
  });

  it('is not held back by a long transaction that takes no number (a purge, an update)', async () => {
    const { store, first, second } = await setUp();
    await first.query('BEGIN');
    // RowExclusiveLock on requests, as the purge's DELETE takes: no seq, nothing to wait for.
    await first.query(`DELETE FROM requests WHERE request_id = 'none'`);
    await insertLine(second, 'kept');
    const started = performance.now();
    expect((await store.listLog({ triggerId: TRIGGER, afterSeq: 0, limit: 100 })).map((e) => e.requestId)).toEqual(['kept']);
    // A wait would take the whole settle bound (2 s).
    expect(performance.now() - started).toBeLessThan(1_500);
    await first.query('ROLLBACK');
  });

  it('follows execution output the same way', async () => {
    const { store, first, second } = await setUp();
    const chunk = (client: pg.Client, text: string) => client.query(`INSERT INTO execution_logs (execution_id, at, stream, text) VALUES ('exec-1', 0, 'stdout', $1)`, [text]);
    await first.query('BEGIN');
    await chunk(first, 'one\n');
    await chunk(second, 'two\n');
    const shown: string[] = [];
    let after = 0;
    for (const c of await store.executionLog('exec-1', after)) {
      shown.push(c.text);
      after = c.seq!;
    }
    await first.query('COMMIT');
    for (const c of await store.executionLog('exec-1', after)) {
      shown.push(c.text);
      after = c.seq!;
    }
    expect(shown).toEqual(['one\n', 'two\n']);
    // Read whole (no afterSeq), nothing waits.
    expect((await store.executionLog('exec-1')).map((c) => c.text)).toEqual(['one\n', 'two\n']);
  }, 20_000);
});
