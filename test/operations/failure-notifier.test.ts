import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../core/clock.js';
import { configSchema } from '../../core/config/schema.js';
import { createFailureNotifier } from '../../core/notify/failure-notifier.js';
import type { JobRecord } from '../../core/store/store.js';
import { silentLogger } from '../helpers/service.js';
import { startSink } from '../helpers/template.js';

const TRIGGER = '0190fe82-0000-7000-8000-0000000000c1';
const job: JobRecord = {
  id: 'run-1.0',
  runId: 'run-1',
  triggerId: TRIGGER,
  actionIndex: 0,
  spec: { type: 'fetch-repository' },
  state: 'failed',
  attempts: 5,
  nextAttemptAtMs: 0,
  acceptedAtMs: 0,
};

describe('failure notifications', () => {
  let sink: Awaited<ReturnType<typeof startSink>> | undefined;
  afterEach(async () => {
    await sink?.close();
  });

  const notifierFor = (targets: unknown, clock = fixedClock(1_000_000)) =>
    createFailureNotifier({
      config: configSchema.parse({ notify: targets, triggers: [], rejecting: { ratio: 0.8, min_requests: 5, window: 60 } }),
      clock,
      logger: silentLogger,
      retryDelaysMs: [5, 5],
    });

  it('posts a failed launch to a plain HTTP target, retrying a 503', async () => {
    let calls = 0;
    sink = await startSink(() => (++calls === 1 ? { status: 503, type: 'text/plain', body: Buffer.from('busy') } : undefined));
    const notifier = notifierFor([{ url: `${sink.url}/hook`, kind: 'http' }]);
    notifier.launchFailed(job, 'Nightly', { code: 'fetch_failed', message: 'git fetch origin failed: no route' });
    await notifier.idle();
    expect(calls).toBe(2);
    expect(sink.received).toHaveLength(1);
    expect(JSON.parse(sink.received[0]!.body)).toEqual({
      event: 'launch_failed',
      trigger_id: TRIGGER,
      trigger_title: 'Nightly',
      message: `hooklaunch: fetch-repository (action 0) of run run-1 on trigger "Nightly" failed after 5 attempt(s): fetch_failed: git fetch origin failed: no route`,
      run_id: 'run-1',
      action_index: 0,
      action: 'fetch-repository',
      attempts: 5,
      code: 'fetch_failed',
      reason: 'git fetch origin failed: no route',
    });
  });

  it('gives up after its retries, and does not retry a 4xx', async () => {
    let calls = 0;
    sink = await startSink(() => {
      calls++;
      return { status: calls < 10 ? 500 : 200, type: 'text/plain', body: Buffer.from('x') };
    });
    const notifier = notifierFor([{ url: `${sink.url}/a`, kind: 'http' }]);
    notifier.launchFailed(job, 'T', { code: 'c', message: 'm' });
    await notifier.idle();
    expect(calls).toBe(3);
    const refused = await startSink(() => ({ status: 404, type: 'text/plain', body: Buffer.from('no') }));
    const other = notifierFor([{ url: `${refused.url}/b`, kind: 'http' }]);
    other.launchFailed(job, 'T', { code: 'c', message: 'm' });
    await other.idle();
    await refused.close();
  });

  it('sends Slack incoming-webhook messages, and warns once when a trigger rejects most requests', async () => {
    sink = await startSink();
    const clock = fixedClock(1_000_000);
    const notifier = notifierFor([{ url: `${sink.url}/services/T/B/x`, kind: 'slack', on: ['rejecting'] }], clock);
    notifier.observe(TRIGGER, 'Slack /predict', 'accepted', undefined);
    for (let i = 0; i < 8; i++) notifier.observe(TRIGGER, 'Slack /predict', 'rejected', 'signature_mismatch');
    notifier.observe(TRIGGER, 'Slack /predict', 'rejected', 'timestamp_too_old');
    notifier.launchFailed(job, 'Slack /predict', { code: 'c', message: 'not sent: this target only wants rejecting' });
    await notifier.idle();
    expect(sink.received.map((r) => JSON.parse(r.body))).toEqual([
      { text: 'hooklaunch: trigger "Slack /predict" rejected 4 of its last 5 requests in 1 min, mostly signature_mismatch (a rotated secret?)' },
    ]);
    clock.advance(61_000);
    for (let i = 0; i < 5; i++) notifier.observe(TRIGGER, 'Slack /predict', 'rejected', 'token_mismatch');
    await notifier.idle();
    expect(sink.received).toHaveLength(2);
  });

  it('sends a failed execution with its last output lines to targets that want execution_failed (the default)', async () => {
    sink = await startSink();
    const notifier = notifierFor([
      { url: `${sink.url}/services/T/B/default`, kind: 'slack' },
      { url: `${sink.url}/services/T/B/launches-only`, kind: 'slack', on: ['launch_failed'] },
    ]);
    notifier.executionFailed(
      { runId: 'run-2', triggerId: TRIGGER, kind: 'execution', id: 'exec-1', name: 'train', status: 'error', launcher: 'local', error: 'command exited with code 3', lastOutput: ['Traceback:', 'x = ```y```'] },
      'Nightly',
    );
    await notifier.idle();
    expect(sink.received).toEqual([
      {
        path: '/services/T/B/default',
        body: JSON.stringify({
          text: 'hooklaunch: execution of train (exec-1) of run run-2 on trigger "Nightly" ended in error: command exited with code 3\n```\nTraceback:\nx = \'\'\'y\'\'\'\n```',
        }),
      },
    ]);
  });
});
