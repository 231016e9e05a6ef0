import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../../core/clock.js';
import { createLaunchWorker, type LaunchWorker } from '../../../core/launch/launch-worker.js';
import { launched, launchFailed, type Launcher, type LaunchOutcome } from '../../../core/launch/launcher.js';
import { summariseRun } from '../../../core/launch/run-status.js';
import { openSqliteStore } from '../../../core/store/sqlite/sqlite-store.js';
import type { Store } from '../../../core/store/store.js';
import { silentLogger } from '../../helpers/service.js';

// The worker's only time source: backoffs come due when a test moves it, never by waiting.
const START_MS = Date.UTC(2026, 10, 28, 12);

async function acceptOne(store: Store, actions = 1): Promise<string> {
  const runId = `run-${Math.random()}`;
  await store.accept({
    request: { requestId: runId, triggerId: 't', receivedAtMs: START_MS, method: 'POST', path: '/', remoteAddress: '', sizeBytes: 0, bodySha256: '', headers: {} },
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
  let clock = fixedClock(START_MS);
  afterEach(async () => {
    await worker?.stop();
    await store?.close();
    clock = fixedClock(START_MS);
  });

  /**
   * Runs the queue to the end without waiting: after each pass, moves the clock to the next
   * retry's due time and wakes the worker. A run still pending after a bounded number of passes
   * fails the test (a retry that never comes due, a worker that never claims).
   */
  async function drain(runId: string): Promise<ReturnType<typeof summariseRun>> {
    for (let pass = 0; pass < 20; pass++) {
      await worker!.idle();
      const summary = summariseRun((await store!.getRun(runId))!);
      if (summary.status !== 'pending') return summary;
      const due = await store!.nextJobDueMs();
      if (due === undefined) throw new Error(`run ${runId} is pending but no job of it is due`);
      clock.set(Math.max(clock.now(), due));
      worker!.notify();
    }
    throw new Error(`run ${runId} still pending after 20 passes of the worker`);
  }

  it('retries a transient failure with backoff until it succeeds', async () => {
    store = await openSqliteStore(':memory:');
    const launcher = scripted([launchFailed('unavailable', 'engine returned 503', true), launchFailed('unavailable', 'engine returned 503', true), ok]);
    const delays: number[] = [];
    worker = createLaunchWorker({ store, launcher, clock, logger: silentLogger, maxAttempts: 5, backoff: (n) => (delays.push(n), 5) });
    const runId = await acceptOne(store);
    worker.start();
    const summary = await drain(runId);
    expect(summary).toEqual({ status: 'completed', result: [{ action: 'fetch_repository', commits: [{ ref: 'main', identifier: 'abc' }], errors: [] }], errors: [] });
    expect(launcher.calls).toBe(3);
    expect(delays).toEqual([1, 2]);
    expect((await store.getRun(runId))!.jobs[0]!.attempts).toBe(3);
  });

  it('does not retry before the backoff has passed on its clock', async () => {
    store = await openSqliteStore(':memory:');
    const launcher = scripted([launchFailed('unavailable', 'engine returned 503', true), ok]);
    worker = createLaunchWorker({ store, launcher, clock, logger: silentLogger, maxAttempts: 5, backoff: () => 5_000 });
    const runId = await acceptOne(store);
    worker.start();
    await worker.idle();
    expect(launcher.calls).toBe(1);
    clock.advance(4_999);
    worker.notify();
    await worker.idle();
    expect(launcher.calls).toBe(1);
    clock.advance(1);
    worker.notify();
    await worker.idle();
    expect(launcher.calls).toBe(2);
    expect(summariseRun((await store.getRun(runId))!).status).toBe('completed');
  });

  it('records a permanent failure without retrying, with its reason', async () => {
    store = await openSqliteStore(':memory:');
    const launcher = scripted([launchFailed('step_not_found', 'no step "x"', false)]);
    worker = createLaunchWorker({ store, launcher, clock, logger: silentLogger, maxAttempts: 5, backoff: () => 5 });
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
    worker = createLaunchWorker({ store, launcher, clock, logger: silentLogger, maxAttempts: 3, backoff: () => 5 });
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
    worker = createLaunchWorker({ store, launcher, clock, logger: silentLogger, maxAttempts: 3, backoff: () => 5 });
    const runId = await acceptOne(store, 2);
    worker.start();
    expect((await drain(runId)).status).toBe('complete_with_error');
  });
});
