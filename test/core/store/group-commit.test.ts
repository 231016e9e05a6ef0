import { describe, expect, it } from 'vitest';
import { createGroupCommit } from '../../../core/store/group-commit.js';

/** A commit that waits until the test releases it, recording what it held. */
function controlledCommits() {
  const commits: Array<{ items: number[]; release: () => void }> = [];
  let running = 0;
  let most = 0;
  const commit = (items: readonly number[]) =>
    new Promise<number[]>((resolve) => {
      running++;
      most = Math.max(most, running);
      commits.push({
        items: [...items],
        release: () => {
          running--;
          resolve(items.map((i) => i * 10));
        },
      });
    });
  return { commits, commit, most: () => most };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('group commit', () => {
  it('runs one commit at a time by default and batches what arrives meanwhile', async () => {
    const c = controlledCommits();
    const group = createGroupCommit(c.commit);
    const first = group.submit(1);
    await tick();
    const rest = [2, 3, 4].map((i) => group.submit(i));
    await tick();
    expect(c.commits.map((x) => x.items)).toEqual([[1]]);
    c.commits[0]!.release();
    await first;
    await tick();
    expect(c.commits.map((x) => x.items)).toEqual([[1], [2, 3, 4]]);
    c.commits[1]!.release();
    expect(await Promise.all(rest)).toEqual([20, 30, 40]);
    await group.drain();
    expect(c.most()).toBe(1);
  });

  it('overlaps up to maxInFlight commits, answers each caller from its own commit, and drains only when all are done', async () => {
    const c = controlledCommits();
    const group = createGroupCommit(c.commit, { maxInFlight: 2 });
    const answers: Array<Promise<number>> = [];
    answers.push(group.submit(1));
    await tick();
    answers.push(group.submit(2));
    await tick();
    answers.push(group.submit(3), group.submit(4));
    await tick();
    // Two in flight; 3 and 4 wait for a free slot and then go together.
    expect(c.commits.map((x) => x.items)).toEqual([[1], [2]]);
    let drained = false;
    void group.drain().then(() => (drained = true));
    c.commits[1]!.release();
    await tick();
    await tick();
    expect(c.commits.map((x) => x.items)).toEqual([[1], [2], [3, 4]]);
    c.commits[2]!.release();
    await tick();
    expect(drained).toBe(false);
    c.commits[0]!.release();
    expect(await Promise.all(answers)).toEqual([10, 20, 30, 40]);
    await tick();
    expect(drained).toBe(true);
    expect(c.most()).toBe(2);
  });
});
