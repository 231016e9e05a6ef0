import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../core/clock.js';
import { createLaunchWorker, type LaunchWorker } from '../../../core/launch/launch-worker.js';
import { launched, launchFailed, type Launcher, type LaunchOutcome } from '../../../core/launch/launcher.js';
import { summariseRun } from '../../../core/launch/run-status.js';
import { openSqliteStore } from '../../../core/store/sqlite/sqlite-store.js';
import type { Store } from '../../../core/store/store.js';
import { silentLogger } from '../../helpers/service.js';

async function acceptOne(store: Store, actions = 1): Promise<string> {
  const runId = `run-${Math.random()}`;
  await store.accept({
    request: { requestId: runId, triggerId: 't', receivedAtMs: Date.now(), method: 'POST', path: '/', remoteAddress: '', sizeBytes: 0, bodySha256: '', headers: {} },
    runId,
    payload: Buffer.alloc(0),
    contentType: 'application/octet-stream',
    actions: Array.from({ length: actions }, () => ({ type: 'fetch-repository' as const })),
    rateLimits: [],
  });
  return runId;
}

function scripted(outcomes: LaunchOutcome[]): Launcher & { calls: number } {
  const launcher = {
    calls: 0,
    async launch() {
      return outcomes[Math.min(launcher.calls++, outcomes.length - 1)]!;
    },
  };
  return launcher;
}

const ok = launched({ kind: 'fetch', commits: [{ ref: 'main', identifier: 'abc' }], errors: [] });

describe('launch worker', () => {
  let worker: LaunchWorker | undefined;
  let store: Store | undefined;
  afterEach(async () => {
    await worker?.stop();
    await store?.close();
  });

  async function drain(runId: string): Promise<ReturnType<typeof summariseRun>> {
    for (let i = 0; i < 200; i++) {
      await worker!.idle();
      const summary = summariseRun((await store!.getRun(runId))!);
      if (summary.status !== 'pending') return summary;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error('run did not settle');
  }

  it('retries a transient failure with backoff until it succeeds', async () => {
    store = await openSqliteStore(':memory:');
    const launcher = scripted([launchFailed('unavailable', 'engine returned 503', true), launchFailed('unavailable', 'engine returned 503', true), ok]);
    const delays: number[] = [];
    worker = createLaunchWorker({ store, launcher, clock: systemClock, logger: silentLogger, maxAttempts: 5, backoff: (n) => (delays.push(n), 5) });
    const runId = await acceptOne(store);
    worker.start();
    const summary = await drain(runId);
    expect(summary).toEqual({ status: 'completed', result: [{ action: 'fetch_repository', commits: [{ ref: 'main', identifier: 'abc' }], errors: [] }], errors: [] });
    expect(launcher.calls).toBe(3);
    expect(delays).toEqual([1, 2]);
    expect((await store.getRun(runId))!.jobs[0]!.attempts).toBe(3);
  });

  it('records a permanent failure without retrying, with its reason', async () => {
    store = await openSqliteStore(':memory:');
    const launcher = scripted([launchFailed('step_not_found', 'no step "x"', false)]);
    worker = createLaunchWorker({ store, launcher, clock: systemClock, logger: silentLogger, maxAttempts: 5, backoff: () => 5 });
    const runId = await acceptOne(store);
    worker.start();
    const summary = await drain(runId);
    expect(summary.status).toBe('error');
    expect(summary.errors).toEqual(['action 0: launch failed (step_not_found): no step "x"']);
    expect(launcher.calls).toBe(1);
  });

  it('gives up after max_attempts transient failures', async () => {
    store = await openSqliteStore(':memory:');
    const launcher = scripted([launchFailed('unavailable', 'down', true)]);
    worker = createLaunchWorker({ store, launcher, clock: systemClock, logger: silentLogger, maxAttempts: 3, backoff: () => 5 });
    const runId = await acceptOne(store);
    worker.start();
    expect((await drain(runId)).status).toBe('error');
    expect(launcher.calls).toBe(3);
  });

  it('reports complete_with_error when only some actions fail, and survives a throwing launcher', async () => {
    store = await openSqliteStore(':memory:');
    let call = 0;
    const launcher: Launcher = {
      async launch(job) {
        call++;
        if (job.actionIndex === 1) return launchFailed('bad', 'nope', false);
        if (call === 1) throw new Error('bug in a launcher');
        return ok;
      },
    };
    worker = createLaunchWorker({ store, launcher, clock: systemClock, logger: silentLogger, maxAttempts: 3, backoff: () => 5 });
    const runId = await acceptOne(store, 2);
    worker.start();
    expect((await drain(runId)).status).toBe('complete_with_error');
  });
});
