import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { summariseRun } from '../../../core/launch/run-status.js';
import { openSqliteStore } from '../../../core/store/sqlite/sqlite-store.js';
import type { ExecutionRecord } from '../../../core/store/store.js';
import { startTestService, type TestService } from '../../helpers/service.js';

const TRIGGER = '0190fe82-c984-7f66-8302-0000000000b1';

async function launch(t: TestService, body = '{}'): Promise<ExecutionRecord> {
  const res = await fetch(t.url(TRIGGER), { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  const { run_id } = (await res.json()) as { run_id: string };
  await t.service.settled();
  return (await t.service.store.getRun(run_id))!.executions[0]!;
}

const trigger = (step: string, extra = '') => `
launcher: {kind: local, concurrency: CONCURRENCY}
triggers:
  - id: ${TRIGGER}
    actions:
      - type: run-execution
        step: ${step}
${extra}`;

describe('local runner', () => {
  let t: TestService | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('stops an execution at its time-limit', async () => {
    t = await startTestService('- step: {name: slow, image: x, command: sleep 20, time-limit: 1}\n', trigger('slow').replace('CONCURRENCY', '1'));
    const started = Date.now();
    const execution = await launch(t);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(execution).toMatchObject({ status: 'error', error: 'stopped: time limit of 1 s exceeded' });
  });

  it('records how an execution ended even when the store refuses the first writes (a lock held elsewhere)', async () => {
    t = await startTestService('- step: {name: quick, image: x, command: "true"}\n', trigger('quick').replace('CONCURRENCY', '1'));
    const store = t.service.store;
    const update = store.updateExecution.bind(store);
    let refusals = 0;
    // The first write of the execution's end fails as SQLite does when another process holds the lock.
    store.updateExecution = async (id, change) => {
      if (change.status === 'complete' && refusals++ < 1) throw new Error('database is locked');
      return update(id, change);
    };
    const execution = await launch(t);
    expect(refusals).toBe(2);
    expect(execution.status).toBe('complete');
  });

  it('honours a cancel (runs cancel) that comes while an execution is being prepared, before its command starts', async () => {
    t = await startTestService('- step: {name: marked, image: x, command: "true", inputs: [{name: payload}]}\n', trigger('marked', '        payload_input: payload').replace('CONCURRENCY', '1'));
    const store = t.service.store;
    const getPayload = store.getPayload.bind(store);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let reached!: (runId: string) => void;
    const preparing = new Promise<string>((resolve) => (reached = resolve));
    // Preparing the folder reads the payload: held there, the execution is neither queued nor running.
    store.getPayload = async (runId) => {
      reached(runId);
      await gate;
      return getPayload(runId);
    };
    await fetch(t.url(TRIGGER), { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    const runId = await preparing;
    const execution = (await store.getRun(runId))!.executions[0]!;
    await t.service.runner!.cancel(execution.id, 'cancelled by test');
    release();
    await t.service.settled();
    const ended = await store.getExecution(execution.id);
    expect(ended).toMatchObject({ status: 'cancelled', error: 'cancelled by test' });
    expect(ended!.startedAtMs).toBeUndefined();
  });

  it('closes while one execution runs and another waits its turn', async () => {
    t = await startTestService('- step: {name: slow, image: x, command: sleep 20}\n', trigger('slow').replace('CONCURRENCY', '1'));
    const service = t;
    const send = () => fetch(service.url(TRIGGER), { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    await Promise.all([send(), send()]);
    await vi.waitFor(async () => expect(await service.service.store.executionsWithStatus('started')).toHaveLength(1), { timeout: 10_000, interval: 50 });
    let timer: NodeJS.Timeout | undefined;
    const closed = await Promise.race([service.close().then(() => 'closed'), new Promise((resolve) => (timer = setTimeout(resolve, 10_000, 'still closing after 10 s')))]);
    clearTimeout(timer);
    t = undefined;
    expect(closed).toBe('closed');
  });

  it.each([
    [1, false],
    [2, true],
  ])('runs at most %i execution(s) at once', async (concurrency, overlap) => {
    t = await startTestService('- step: {name: nap, image: x, command: sleep 0.4}\n', trigger('nap').replace('CONCURRENCY', String(concurrency)));
    const [a, b] = await Promise.all([launch(t), launch(t)]);
    const [first, second] = [a!, b!].sort((x, y) => x.startedAtMs! - y.startedAtMs!);
    expect(first!.status).toBe('complete');
    expect(second!.status).toBe('complete');
    expect(second!.startedAtMs! < first!.endedAtMs!).toBe(overlap);
  });

  it('captures stdout and stderr, records the exit code, and hides the config secrets from the command', async () => {
    const valohai = '- step: {name: talk, image: busybox, command: ["echo out", "echo err >&2", "echo secret=${HOOKLAUNCH_TEST_SECRET:-unset}", "exit 3"]}\n';
    process.env.HOOKLAUNCH_TEST_SECRET = 'hunter2';
    try {
      t = await startTestService(valohai, trigger('talk').replace('CONCURRENCY', '1') + '    conditions: [{type: web-request-auth, auth_type: static_token, key: X-T, secret: "${env:HOOKLAUNCH_TEST_SECRET}"}]\n', {
        env: { HOOKLAUNCH_TEST_SECRET: 'hunter2' },
      });
      const res = await fetch(t.url(TRIGGER), { method: 'POST', headers: { 'x-t': 'hunter2' }, body: '{}' });
      const { run_id } = (await res.json()) as { run_id: string };
      await t.service.settled();
      const execution = (await t.service.store.getRun(run_id))!.executions[0]!;
      expect(execution).toMatchObject({ status: 'error', exitCode: 3, error: 'command exited with code 3' });
      const log = await t.service.store.executionLog(execution.id);
      const text = (stream: string) => log.filter((c) => c.stream === stream).map((c) => c.text).join('');
      expect(text('stdout')).toBe('out\nsecret=unset\n');
      expect(text('stderr')).toBe('err\n');
      expect(text('system')).toContain('image busybox is ignored by the local runner');
    } finally {
      delete process.env.HOOKLAUNCH_TEST_SECRET;
    }
  });

  it('runs the step as it is at the commit an action names', async () => {
    const valohai = (word: string) => `- step: {name: say, image: x, command: echo ${word}}\n`;
    // The ref is resolved at launch time, so the repository can be made after start-up.
    t = await startTestService(valohai('new'), trigger('say', '        commit: HEAD~1\n').replace('CONCURRENCY', '1'));
    const git = (...args: string[]) => execFileSync('git', ['-C', t!.project.dir, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { encoding: 'utf8' });
    git('init', '-q');
    t.project.write('valohai.yaml', valohai('old'));
    git('add', 'valohai.yaml');
    git('commit', '-qm', 'old');
    t.project.write('valohai.yaml', valohai('new'));
    git('commit', '-qam', 'new');
    const oldSha = git('rev-parse', 'HEAD~1').trim();
    const execution = await launch(t);
    expect(execution.status).toBe('complete');
    const log = await t.service.store.executionLog(execution.id);
    expect(log.filter((c) => c.stream === 'stdout').map((c) => c.text).join('')).toBe('old\n');
    expect(log.find((c) => c.stream === 'system')!.text).toBe(`commit HEAD~1 = ${oldSha}\n`);
  });

  // Node refuses to spawn with a NUL byte in an environment string, and the kernel refuses one
  // over MAX_ARG_STRLEN (131072 bytes) with E2BIG: both throw from spawn() itself.
  it.each([
    ['a NUL byte in an environment variable', '"a\\0b"', /could not start the command: .*must be a string without null bytes/],
    ['an environment variable over 128 KiB', `"${'x'.repeat(200 * 1024)}"`, /could not start the command: spawn E2BIG/],
  ])('ends the execution as an error with the reason when the spawn fails (%s)', async (_name, value, reason) => {
    t = await startTestService(`- step: {name: env, image: x, command: "echo never", environment-variables: [{name: BAD_VALUE, default: ${value}}]}\n`, trigger('env').replace('CONCURRENCY', '1'));
    const execution = await launch(t);
    expect(execution).toMatchObject({ status: 'error', error: expect.stringMatching(reason), endedAtMs: expect.any(Number) });
    const log = await t.service.store.executionLog(execution.id);
    expect(log.filter((c) => c.stream === 'system').map((c) => c.text).join('')).toMatch(reason);
    const run = (await t.service.store.getRun(execution.runId))!;
    expect(summariseRun(run).status).toBe('error');
    expect(t.service.runner!.isIdle()).toBe(true);
  });

  it('lets an execution that ends within the shutdown grace complete, and stops one that does not (queued again)', async () => {
    const valohai = '- step: {name: short, image: x, command: "sleep 0.5; echo finished"}\n- step: {name: long, image: x, command: "sleep 30"}\n';
    const config = trigger('short').replace('CONCURRENCY', '2') + `  - id: ${TRIGGER.replace('b1', 'b2')}\n    actions: [{type: run-execution, step: long}]\n`;
    t = await startTestService(valohai, config, { service: { shutdownGraceMs: 2_000 } });
    const ids: string[] = [];
    for (const id of [TRIGGER, TRIGGER.replace('b1', 'b2')]) ids.push(((await (await fetch(t.url(id), { method: 'POST', body: '{}' })).json()) as { run_id: string }).run_id);
    await t.service.worker.idle();
    const executions = async (): Promise<ExecutionRecord[]> => Promise.all(ids.map(async (id) => (await t!.service.store.getRun(id))!.executions[0]!));
    await expect.poll(async () => (await executions()).map((e) => e.status), { timeout: 10_000, interval: 20 }).toEqual(['started', 'started']);
    const closing = Date.now();
    await t.service.close();
    expect(Date.now() - closing).toBeLessThan(2_000 + 5_000);
    const store = await openSqliteStore(join(t.project.dir, 'state.db'));
    try {
      const [short, long] = await Promise.all(ids.map(async (id) => (await store.getRun(id))!.executions[0]!));
      expect(short).toMatchObject({ status: 'complete', exitCode: 0 });
      expect(long!.status).toBe('queued');
      expect((await store.executionLog(long!.id)).at(-1)).toMatchObject({ stream: 'system', text: 'interrupted by shutdown; it runs again from the start on the next start\n' });
    } finally {
      await store.close();
    }
  });

  it('fails the launch clearly, without retrying, when the commit does not exist', async () => {
    t = await startTestService('- step: {name: say, image: x, command: echo hi}\n', trigger('say', '        commit: no-such-branch\n').replace('CONCURRENCY', '1'));
    execFileSync('git', ['-C', t.project.dir, 'init', '-q']);
    const res = await fetch(t.url(TRIGGER), { method: 'POST', body: '{}' });
    const { run_id } = (await res.json()) as { run_id: string };
    await t.service.settled();
    const run = (await t.service.store.getRun(run_id))!;
    expect(run.executions).toHaveLength(0);
    expect(run.jobs[0]).toMatchObject({ state: 'failed', attempts: 1, lastError: { code: 'commit_not_found', message: expect.stringMatching(/commit "no-such-branch" is not in the repository/) } });
  });
});
