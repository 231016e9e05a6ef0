/**
 * The payload log (core/store/sqlite/payload-log.ts) under the faults an operator meets: a failed
 * flush, a `.payloads` path that is not a folder, retention beside a run that stays pending for
 * days, a crashed process's segment settled by the next one.
 */
import { readdirSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openPayloadLog } from '../../../core/store/sqlite/payload-log.js';
import { LARGE, PAYLOAD_TRIGGER, payloadAccept, servingStoreEachTest } from '../../helpers/payload-accepts.js';


describe('SQLite payload log under faults', () => {
  const { path, serving, forget } = servingStoreEachTest('hooklaunch-payload-faults-');

  it('acknowledges nothing more after a failed flush, not even the appends queued behind it', async () => {
    const flushes: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];
    const log = openPayloadLog(path(), { fdatasync: () => new Promise<void>((resolve, reject) => flushes.push({ resolve, reject })) });
    try {
      log.append([Buffer.alloc(4096, 1)]);
      const first = log.durable();
      // Appended while the first flush runs: waits for the next round.
      log.append([Buffer.alloc(4096, 2)]);
      const queued = log.durable();
      queued.catch(() => undefined);
      expect(flushes).toHaveLength(1);
      flushes[0]!.reject(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
      await expect(first).rejects.toThrow('EIO');
      // On Linux a second fsync after a failed one reports success, though the kernel dropped the
      // pages it could not write (the "fsyncgate" of PostgreSQL, 2018): the queued round must not count.
      await new Promise((resolve) => setTimeout(resolve, 10));
      for (const flush of flushes.slice(1)) flush.resolve();
      await expect(queued).rejects.toThrow(/could not flush its payload log/);
    } finally {
      await log.close();
    }
  });

  it('fails the takeover when the payload folder is a file, instead of every commit that holds a large body', async () => {
    writeFileSync(`${path()}.payloads`, 'not a folder');
    // Before: the start went through, then each group commit holding a body of 2 KiB or more threw,
    // failing the small requests committed with it too.
    await expect(serving()).rejects.toThrow(/state\.db\.payloads/);
  });

  it('deletes every segment no run points into, also those after one a pending run keeps', async () => {
    const open = await serving({ payloadSegmentBytes: LARGE });
    // Its job stays pending (nothing claims it), as a run does while its execution trains for days.
    const pending = payloadAccept(LARGE);
    await open.accept(pending);
    const done = Array.from({ length: 3 }, () => payloadAccept(LARGE));
    for (const input of done) await open.accept({ ...input, actions: [] });
    expect(readdirSync(`${path()}.payloads`).sort()).toEqual(['0000000001.seg', '0000000002.seg', '0000000003.seg', '0000000004.seg']);
    await open.purge(Number.MAX_SAFE_INTEGER);
    // Before: only the segments below the oldest one still in use went, so one long pending run kept every later segment on disk.
    expect(readdirSync(`${path()}.payloads`).sort()).toEqual(['0000000001.seg', '0000000004.seg']);
    expect((await open.getPayload(pending.runId))?.body.equals(pending.payload)).toBe(true);
  });

  it('after a clean stop, counts every payload durable: damage found later is reported, not taken for an unacknowledged request', async () => {
    const open = await serving();
    const acknowledged = payloadAccept(LARGE);
    await open.accept(acknowledged);
    await open.close();
    forget();
    // The folder restored from a backup taken a little earlier than the database's: the bytes are gone.
    truncateSync(join(`${path()}.payloads`, '0000000001.seg'), 0);
    const reopened = await serving();
    // Before: the stop had not noted its last flush, so the run was taken for one whose sender was
    // never answered: deleted with its job, its log line rewritten to "never acknowledged".
    expect(await reopened.getRun(acknowledged.runId)).toBeDefined();
    expect(await reopened.listLog({ triggerId: PAYLOAD_TRIGGER, limit: 10 })).toEqual([expect.objectContaining({ outcome: 'accepted', runId: acknowledged.runId })]);
    await expect(reopened.getPayload(acknowledged.runId)).rejects.toThrow(/missing or damaged/);
  });

  it('acknowledges nothing more once the segment being appended to is deleted under it', async () => {
    const open = await serving({ walCheckEveryMs: 0 });
    await open.accept(payloadAccept(LARGE));
    // A clean-up script, or an operator taking the folder for a cache. Appends would go on into
    // the unlinked file, be flushed and answered, and be gone at the next start (the WAL has the
    // same guard, wal-sync.ts).
    unlinkSync(join(`${path()}.payloads`, '0000000001.seg'));
    await expect(open.accept(payloadAccept(LARGE))).rejects.toThrow(/0000000001\.seg/);
    await expect(open.accept(payloadAccept(100))).rejects.toThrow(/could not flush its payload log/);
  });

  it('purges while accepting without deleting a segment a new run points into', async () => {
    const open = await serving({ payloadSegmentBytes: 2 * LARGE });
    const old = Array.from({ length: 6 }, () => payloadAccept(LARGE));
    for (const input of old) await open.accept({ ...input, actions: [] });
    const cutoffMs = old.at(-1)!.request.receivedAtMs + 1;
    const fresh = Array.from({ length: 40 }, () => payloadAccept(LARGE));
    // Purges interleaved with the accepts' group commits, each purge over everything before the cutoff.
    await Promise.all([...fresh.map((input) => open.accept(input)), open.purge(cutoffMs), open.purge(cutoffMs), open.purge(cutoffMs)]);
    await open.purge(cutoffMs);
    for (const input of fresh) expect((await open.getPayload(input.runId))?.body.equals(input.payload)).toBe(true);
    for (const input of old) expect(await open.getRun(input.runId)).toBeUndefined();
    // The old runs' segments (1-3) are gone; the fresh ones' all stay.
    expect(readdirSync(`${path()}.payloads`).sort()[0]).toBe('0000000004.seg');
  });

  it('answers a duplicate of a large delivery only once the original\'s bytes are flushed', async () => {
    const held: Array<() => void> = [];
    let hold = true;
    const open = await serving({ payloadFdatasync: () => new Promise<void>((resolve) => (hold ? held.push(resolve) : resolve())) });
    const original = { ...payloadAccept(LARGE), dedupe: { keys: [{ key: 'delivery-1', what: 'delivery id' }], windowMs: 3_600_000 } };
    const answers: string[] = [];
    const first = open.accept(original).then((outcome) => answers.push(outcome.kind));
    while (held.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    // The sender's retry arrives while the original's payload flush is still under way.
    const repeat = open.accept({ ...payloadAccept(LARGE), dedupe: original.dedupe }).then((outcome) => answers.push(outcome.kind));
    await new Promise((resolve) => setTimeout(resolve, 20));
    // "duplicate" promises the original is kept: not before its bytes are on disk.
    expect(answers).toEqual([]);
    hold = false;
    for (const release of held.splice(0)) release();
    await Promise.all([first, repeat]);
    expect(answers.sort()).toEqual(['accepted', 'duplicate']);
  });
});
