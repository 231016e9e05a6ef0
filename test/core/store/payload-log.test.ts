import { closeSync, openSync, readdirSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { PAYLOAD_LOG_MIN_BYTES } from '../../../core/store/sqlite/payload-log.js';
import { LARGE, payloadAccept, servingStoreEachTest } from '../../helpers/payload-accepts.js';


describe('SQLite payload log', () => {
  const { path, serving, forget } = servingStoreEachTest('hooklaunch-payloads-');
  const segments = (): string[] => readdirSync(`${path()}.payloads`).sort();
  /** What the database file itself holds for a run (read after the store closed). */
  const runRow = (runId: string): { blob: number; segment: number | null } => {
    const db = new Database(path(), { readonly: true });
    try {
      const row = db.prepare('SELECT length(payload) AS blob, payload_segment AS segment FROM runs WHERE run_id = ?').get(runId) as { blob: number; segment: number | null };
      return row;
    } finally {
      db.close();
    }
  };

  it('keeps a large body out of the database, in a segment file, and gives it back byte for byte', async () => {
    const open = await serving();
    const large = payloadAccept(LARGE);
    const small = payloadAccept(PAYLOAD_LOG_MIN_BYTES - 1);
    await Promise.all([open.accept(large), open.accept(small)]);
    expect((await open.getPayload(large.runId))?.body.equals(large.payload)).toBe(true);
    expect((await open.getPayload(small.runId))?.body.equals(small.payload)).toBe(true);
    // Replay and the trigger log's raw view read the same bytes.
    expect((await open.getRequest(large.request.requestId))?.raw.body?.equals(large.payload)).toBe(true);
    await open.close();
    forget();
    expect(runRow(large.runId)).toEqual({ blob: 0, segment: 1 });
    expect(runRow(small.runId)).toEqual({ blob: small.payload.length, segment: null });
    const [segment] = segments();
    expect(segment).toBe('0000000001.seg');
    expect(readFileSync(join(`${path()}.payloads`, segment!)).equals(large.payload)).toBe(true);
  });

  it('answers an accept only once its payload is flushed, not only the WAL', async () => {
    const held: Array<() => void> = [];
    let hold = true;
    const open = await serving({ payloadFdatasync: (_fd) => new Promise<void>((resolve) => (hold ? held.push(resolve) : resolve())) });
    let answered = false;
    const accepting = open.accept(payloadAccept(LARGE)).then(() => (answered = true));
    while (held.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(answered).toBe(false);
    hold = false;
    held.shift()!();
    await accepting;
    expect(answered).toBe(true);
  });

  it('after a power loss, un-launches the runs whose payload never reached the disk and keeps the rest', async () => {
    const open = await serving();
    const kept = payloadAccept(LARGE, 'delivery-kept');
    await open.accept(kept);
    // Committed together after the first was flushed: the store noted that only the first is
    // known durable. A power loss then keeps their rows (the WAL reached the disk) but not all of
    // their bytes: one is cut short, one damaged in place.
    const cut = payloadAccept(LARGE, 'delivery-cut');
    const damaged = payloadAccept(LARGE, 'delivery-damaged');
    await Promise.all([open.accept(damaged), open.accept(cut)]);
    await open.close();
    forget();
    // A clean stop notes every payload durable; the power loss came before it, when the last note
    // (written with the commit of the two) said only the first was.
    const db = new Database(path());
    db.prepare(`UPDATE meta SET value = ? WHERE key = 'payload_log_durable'`).run(`1:${LARGE}`);
    db.close();
    const file = join(`${path()}.payloads`, '0000000001.seg');
    truncateSync(file, 3 * LARGE - 100);
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.from('garbage'), 0, 7, LARGE + 100);
    closeSync(fd);

    const reopened = await serving();
    expect((await reopened.getPayload(kept.runId))?.body.equals(kept.payload)).toBe(true);
    for (const lost of [cut, damaged]) {
      expect(await reopened.getRun(lost.runId)).toBeUndefined();
      const line = await reopened.getRequest(lost.request.requestId);
      expect(line?.entry).toMatchObject({ outcome: 'rejected', status: 500, code: 'internal_error' });
      expect(line?.entry.message).toMatch(/never acknowledged and nothing was launched/);
    }
    expect((await reopened.claimJobs(2_000_000, 10, 60_000)).map((job) => job.runId)).toEqual([kept.runId]);
    // The sender's retry is a new delivery, not a duplicate of a run that is gone; the kept one still dedupes.
    expect(await reopened.accept({ ...payloadAccept(LARGE, 'delivery-cut') })).toMatchObject({ kind: 'accepted' });
    expect(await reopened.accept({ ...payloadAccept(LARGE, 'delivery-kept') })).toMatchObject({ kind: 'duplicate', runId: kept.runId });
  });

  it('starts a new segment past the segment size and deletes segments once retention purged their runs', async () => {
    const open = await serving({ payloadSegmentBytes: 3 * LARGE });
    const first = Array.from({ length: 7 }, () => payloadAccept(LARGE));
    for (const input of first) await open.accept({ ...input, actions: [] });
    expect(segments()).toEqual(['0000000001.seg', '0000000002.seg', '0000000003.seg']);
    expect((await open.getPayload(first[0]!.runId))?.body.equals(first[0]!.payload)).toBe(true);
    // Purge the first four runs (received before the fifth): segment 1 (runs 1-3) has no run left, segment 2 still has one.
    await open.purge(first[4]!.request.receivedAtMs);
    expect(segments()).toEqual(['0000000002.seg', '0000000003.seg']);
    expect((await open.getPayload(first[6]!.runId))?.body.equals(first[6]!.payload)).toBe(true);
    await open.purge(Number.MAX_SAFE_INTEGER);
    // The segment appends go to stays.
    expect(segments()).toEqual(['0000000003.seg']);
  });
});
