import { describe, expect, it } from 'vitest';
import { flushRounds } from '../../../core/store/sqlite/flush-rounds.js';

/** A flush the test finishes by hand: each call is one pending flush. */
function heldFlush() {
  const flushes: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];
  return {
    flushes,
    flush: () => new Promise<void>((resolve, reject) => flushes.push({ resolve, reject })),
  };
}

const turns = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('flush rounds', () => {
  it('runs one flush at a time; callers during it share the next one, which begins when it ends', async () => {
    const held = heldFlush();
    const rounds = flushRounds(held.flush, (cause) => new Error('could not flush', { cause }));
    const done: string[] = [];
    const first = rounds.after().then(() => done.push('first'));
    const second = rounds.after().then(() => done.push('second'));
    const third = rounds.after().then(() => done.push('third'));
    await turns();
    expect(held.flushes).toHaveLength(1);
    held.flushes[0]!.resolve();
    await first;
    await turns();
    // The running flush may have begun before the second and third callers wrote: they wait for the next.
    expect(done).toEqual(['first']);
    expect(held.flushes).toHaveLength(2);
    held.flushes[1]!.resolve();
    await Promise.all([second, third]);
    expect(done).toEqual(['first', 'second', 'third']);
    expect(rounds.running).toBeUndefined();
  });

  it('keeps the first failure: every later flush fails without touching the disk, the one queued behind it too', async () => {
    const held = heldFlush();
    const rounds = flushRounds(held.flush, (cause) => new Error('could not flush', { cause }));
    const failing = rounds.after();
    // Written while the failing flush ran: a second fsync would report its pages flushed, dropped or not.
    const queued = rounds.after();
    queued.catch(() => undefined);
    held.flushes[0]!.reject(new Error('EIO'));
    await expect(failing).rejects.toThrow('EIO');
    await expect(queued).rejects.toThrow('could not flush');
    await expect(rounds.after()).rejects.toThrow('could not flush');
    expect(held.flushes).toHaveLength(1);
    expect(rounds.failure).toBeInstanceOf(Error);
  });
});
