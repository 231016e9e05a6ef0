/**
 * #15 point 3, through the real command: `runs` filters by trigger (title or id prefix), status
 * and time, `--follow` prints new runs and status changes as they happen, and `runs cancel`
 * stops a local execution through the running service's admin API (the local runner's children
 * belong to `serve`).
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { tempProject, type TempProject } from '../helpers/project.js';
import { CLI, hooklaunch, serve, type Served } from './cli.js';

const VALOHAI = `- step: {name: quick, image: x, command: "echo done"}
- step: {name: slow, image: x, command: "echo started; sleep 60"}
`;
const QUICK = '0190fe82-0000-7000-8000-00000000a001';
const SLOW = '0190fe82-0000-7000-8000-00000000b002';
const ADMIN = 'runs-test-admin-token-0123';
const CONFIG = `server: {admin_token: ${ADMIN}}
store:
  url: sqlite:state.db
launcher: {kind: local, grace: 1}
triggers:
  - id: ${QUICK}
    title: Quick job
    conditions: [{type: web-request-auth, auth_type: static_token, key: Authorization, prefix: "Bearer ", secret: quick-token}]
    actions: [{type: run-execution, step: quick}]
  - id: ${SLOW}
    title: Slow job
    conditions: [{type: web-request-auth, auth_type: static_token, key: Authorization, prefix: "Bearer ", secret: slow-token}]
    actions: [{type: run-execution, step: slow}]
`;

/** The run's status as the admin API reports it, until `until` holds (bounded: 15 s). */
type RunDetail = { summary: { status: string }; executions: Array<{ status: string }> };
async function waitForRun(served: Served, runId: string, until: (detail: RunDetail) => boolean): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const response = await fetch(`${served.url}/api/v0/runs/${runId}/`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const detail = (await response.json()) as RunDetail;
    if (until(detail)) return;
    if (Date.now() > deadline) throw new Error(`run ${runId} never got there: ${JSON.stringify(detail)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function runIdOf(sent: { stdout: string }): string {
  const runId = /"run_id":"([^"]+)"/.exec(sent.stdout)?.[1];
  if (!runId) throw new Error(`no run id in ${sent.stdout}`);
  return runId;
}

describe('hooklaunch runs', () => {
  let project: TempProject | undefined;
  let served: Served | undefined;
  afterEach(async () => {
    await served?.stop();
    served = undefined;
    project?.remove();
  });

  it('filters by trigger, status and time; --follow shows new runs and status changes; cancel stops a local execution', async () => {
    project = tempProject(VALOHAI);
    const config = project.write('hooklaunch.yaml', CONFIG);
    served = await serve(['-c', config, '--port', '0']);

    const quickRun = runIdOf(await hooklaunch(['send', 'Quick job', '-c', config]));
    await waitForRun(served, quickRun, (d) => d.summary.status === 'completed');

    // Followed from before the slow run exists: its arrival and its end both show.
    const follower = spawn(process.execPath, ['--import', 'tsx', CLI, 'runs', '--follow', '-c', config, '--trigger', SLOW.slice(0, 33)], { env: { PATH: process.env.PATH, HOME: process.env.HOME }, stdio: ['ignore', 'pipe', 'pipe'] });
    let followed = '';
    let followErr = '';
    follower.stdout.on('data', (chunk: Buffer) => void (followed += chunk.toString()));
    follower.stderr.on('data', (chunk: Buffer) => void (followErr += chunk.toString()));
    const followerExit = new Promise<number | null>((resolve) => follower.once('exit', resolve));
    const waitFollowed = async (pattern: RegExp): Promise<void> => {
      const deadline = Date.now() + 15_000;
      while (!pattern.test(followed)) {
        if (Date.now() > deadline) throw new Error(`runs --follow never printed ${pattern}: ${followed}\n${followErr}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    try {
      const deadline = Date.now() + 15_000;
      while (!followErr.includes('following the runs of')) {
        if (Date.now() > deadline) throw new Error(`runs --follow did not start: ${followErr}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }

      const slowRun = runIdOf(await hooklaunch(['send', 'Slow job', '-c', config]));
      await waitForRun(served, slowRun, (d) => d.executions[0]?.status === 'started');

      // By title and by id prefix: only that trigger's runs.
      const quickOnly = await hooklaunch(['runs', '-c', config, '--trigger', 'Quick job']);
      expect(quickOnly.code).toBe(0);
      expect(quickOnly.stdout).toContain(quickRun);
      expect(quickOnly.stdout).not.toContain(slowRun);
      const pending = await hooklaunch(['runs', '-c', config, '--status', 'pending']);
      expect(pending.stdout.trim().split('\n')).toEqual([expect.stringContaining(`${slowRun}  ${SLOW}  pending`)]);
      const completed = await hooklaunch(['runs', '-c', config, '--status', 'completed', '--since', '1h']);
      expect(completed.stdout.trim().split('\n')).toEqual([expect.stringContaining(`${quickRun}  ${QUICK}  completed`)]);
      const before = await hooklaunch(['runs', '-c', config, '--until', '2020-01-01T00:00:00Z']);
      expect(before.stdout).toBe('');
      expect(before.stderr).toContain('no run matches');
      const bad = await hooklaunch(['runs', '-c', config, '--since', 'yesterday']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/^hooklaunch: --since yesterday: give an age/);
      expect((await hooklaunch(['runs', '-c', config, '--status', 'done'])).code).toBe(2);

      await waitFollowed(new RegExp(`${slowRun}  ${SLOW}  pending`));
      expect(followed).not.toContain(quickRun);

      const cancelled = await hooklaunch(['runs', 'cancel', slowRun, '-c', config]);
      expect(cancelled.stderr).toBe('');
      expect(cancelled.code).toBe(0);
      expect(cancelled.stdout).toMatch(/^\S+ {2}slow {2}stopping\n$/);
      await waitForRun(served, slowRun, (d) => d.summary.status !== 'pending');
      // The follower saw the change: the run ended in error, its execution cancelled.
      await waitFollowed(new RegExp(`${slowRun}  ${SLOW}  error  action 0: execution \\S+ failed: cancelled: cancelled by admin`));
      const shown = await hooklaunch(['runs', slowRun, '-c', config]);
      expect(shown.stdout).toMatch(/step slow {2}cancelled \(cancelled: cancelled by admin\)/);

      // A second cancel finds nothing left; an unknown run is one line and exit 1.
      const again = await hooklaunch(['runs', 'cancel', slowRun, '-c', config]);
      expect(again.stdout).toContain('already ended (cancelled)');
      expect(again.stdout).toContain('nothing left to cancel');
      const unknown = await hooklaunch(['runs', 'cancel', '0190fe82-0000-7000-8000-0000000dead0', '-c', config]);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toBe('hooklaunch: run 0190fe82-0000-7000-8000-0000000dead0 not cancelled: no such run\n');
    } finally {
      follower.kill('SIGINT');
      expect(await followerExit).toBe(0);
    }
  }, 90_000);
});
