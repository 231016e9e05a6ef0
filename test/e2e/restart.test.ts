/** Nothing accepted is lost and nothing is launched twice across restarts and crashes. */
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../core/clock.js';
import { openSqliteStore } from '../../core/store/sqlite/sqlite-store.js';
import { tempProject } from '../helpers/project.js';
import { serveProcess as serve } from '../helpers/serve-process.js';
import { startTestService, type TestService } from '../helpers/service.js';

const TRIGGER = '0190fe82-c984-7f66-8302-00000000000a';
const VALOHAI = `
- step:
    name: record
    image: busybox
    command: echo {parameter-value:tag} >> "$VH_REPOSITORY_DIR/launches.txt"
    parameters:
      - {name: tag, type: string}
- step:
    name: slow
    image: busybox
    command: sleep 30
`;
const CONFIG = `
triggers:
  - id: ${TRIGGER}
    actions:
      - type: run-execution
        step: record
        parameters: { tag: "{payload.tag}" }
`;

const launches = (t: { project: { dir: string } }): string[] => {
  try {
    return readFileSync(join(t.project.dir, 'launches.txt'), 'utf8').trim().split('\n');
  } catch {
    return [];
  }
};

describe('restart', () => {
  let t: TestService | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('resumes a launch that was accepted but not yet launched when the service stopped', async () => {
    t = await startTestService(VALOHAI, CONFIG);
    await t.service.worker.stop();
    const res = await fetch(t.url(TRIGGER), { method: 'POST', body: '{"tag":"pending-at-stop"}', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(200);
    const { run_id } = (await res.json()) as { run_id: string };
    expect((await t.service.store.getRun(run_id))!.jobs[0]!.state).toBe('pending');
    await t.restart();
    await t.service.settled();
    expect(launches(t)).toEqual(['pending-at-stop']);
    const run = (await t.service.store.getRun(run_id))!;
    expect(run.jobs[0]!.state).toBe('done');
    expect(run.executions).toHaveLength(1);
  });

  it('re-launches a job whose claimer died mid-launch exactly once', async () => {
    // The lease runs out on the injected clock, not by waiting for it.
    const clock = fixedClock(Date.UTC(2026, 10, 28, 12));
    t = await startTestService(VALOHAI, CONFIG, { clock, service: { leaseMs: 300 } });
    await t.service.worker.stop();
    const res = await fetch(t.url(TRIGGER), { method: 'POST', body: '{"tag":"claimed-then-crashed"}' });
    const { run_id } = (await res.json()) as { run_id: string };
    // A claimer takes the job and dies before recording anything.
    const [claimed] = await t.service.store.claimJobs(clock.now(), 10, 300);
    expect(claimed!.runId).toBe(run_id);
    await t.restart({ leaseMs: 300 });
    clock.advance(400);
    t.service.worker.notify();
    await t.service.settled();
    expect(launches(t)).toEqual(['claimed-then-crashed']);
    const run = (await t.service.store.getRun(run_id))!;
    expect(run.jobs[0]).toMatchObject({ state: 'done', attempts: 2 });
    expect(run.executions).toHaveLength(1);
  });

  it('re-runs an execution a crash left running, and fails it with the reason after its third crashed run', async () => {
    t = await startTestService(VALOHAI, CONFIG);
    const { run_id } = (await (await fetch(t.url(TRIGGER), { method: 'POST', body: '{"tag":"again"}' })).json()) as { run_id: string };
    await t.service.settled();
    const [execution] = (await t.service.store.getRun(run_id))!.executions;
    expect(launches(t)).toEqual(['again']);
    // A crash: the next process finds the execution still "started" in the store.
    const crash = async (): Promise<void> => {
      await t!.service.store.updateExecution(execution!.id, { status: 'started' });
      await t!.restart();
      await t!.service.settled();
    };
    await crash();
    expect(await t.service.store.getExecution(execution!.id)).toMatchObject({ status: 'complete' });
    expect(launches(t)).toEqual(['again', 'again']);
    await crash();
    expect(launches(t)).toEqual(['again', 'again', 'again']);
    const notes = (await t.service.store.executionLog(execution!.id)).filter((c) => c.stream === 'system' && c.text.startsWith('interrupted'));
    expect(notes.map((c) => c.text)).toEqual([
      'interrupted: hooklaunch stopped without shutting down while this execution was running (1 of at most 3 times); re-run\n',
      'interrupted: hooklaunch stopped without shutting down while this execution was running (2 of at most 3 times); re-run\n',
    ]);
    await crash();
    expect(launches(t)).toHaveLength(3);
    expect(await t.service.store.getExecution(execution!.id)).toMatchObject({
      status: 'error',
      error: 'interrupted: hooklaunch stopped without shutting down while this execution was running, 3 times; not run again',
    });
  });
});

describe('crash (SIGKILL) right after the acknowledgement', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill('SIGKILL');
  });

  it('keeps every acknowledged request and launches each once after restart', async () => {
    const project = tempProject(VALOHAI);
    const config = join(project.dir, 'hooklaunch.yaml');
    writeFileSync(config, `store:\n  url: sqlite:${join(project.dir, 'state.db')}\n${CONFIG}`);
    try {
      const first = await serve(config);
      child = first.child;
      const acknowledged = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          fetch(`${first.url}/api/v0/launch/${TRIGGER}/`, { method: 'POST', body: JSON.stringify({ tag: `r${i}` }) }).then(async (r) => {
            expect(r.status).toBe(200);
            return ((await r.json()) as { run_id: string }).run_id;
          }),
        ),
      );
      first.child.kill('SIGKILL');
      await first.exited;

      const second = await serve(config);
      child = second.child;
      const store = await openSqliteStore(join(project.dir, 'state.db'));
      try {
        // A real child process: no clock to inject, so poll its store, and fail (not fall through) if it never settles.
        const settled = async (): Promise<boolean> =>
          (await Promise.all(acknowledged.map((id) => store.getRun(id)))).every((run) => run && run.jobs.every((j) => j.state === 'done') && run.executions.every((e) => e.status !== 'queued' && e.status !== 'started'));
        await expect.poll(settled, { timeout: 15_000, interval: 50 }).toBe(true);
        const runs = await Promise.all(acknowledged.map((id) => store.getRun(id)));
        expect(runs.every((run) => run !== undefined)).toBe(true);
        for (const run of runs) expect(run!.executions.length).toBeLessThanOrEqual(1);
        // Executions that finished before the kill and those launched after restart: each tag at most once.
        const tags = launches({ project });
        expect(new Set(tags).size).toBe(20);
        // One cut off by the kill runs again after the restart: every execution completes.
        expect(runs.map((run) => run!.executions[0]?.status)).toEqual(Array(20).fill('complete'));
        // A command cut off by the kill may have written its line before it and again when re-run:
        // at most the executions running at the kill (concurrency 2) show twice.
        expect(tags.length).toBeLessThanOrEqual(20 + 2);
      } finally {
        await store.close();
      }
    } finally {
      project.remove();
    }
  });
});
