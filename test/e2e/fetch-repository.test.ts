/** Push → fetch → run: a trigger fetches the project's repository, then runs the pushed code. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/service.js';

const TRIGGER = '0190fe82-c984-7f66-8302-0000000000d1';
const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-C', cwd, '-c', 'user.name=dev', '-c', 'user.email=dev@example.test', '-c', 'init.defaultBranch=main', ...args], { encoding: 'utf8' }).trim();
const valohai = (word: string) => `- step: {name: say, image: busybox, command: echo ${word}}\n`;

describe('fetch-repository', () => {
  let scratch: string;
  let bare: string;
  let dev: string;
  let t: TestService | undefined;

  beforeEach(() => {
    scratch = mkdtempSync(join(tmpdir(), 'hooklaunch-git-'));
    bare = join(scratch, 'remote.git');
    dev = join(scratch, 'dev');
    execFileSync('git', ['init', '-q', '--bare', '-b', 'main', bare]);
    execFileSync('git', ['init', '-q', '-b', 'main', dev]);
    writeFileSync(join(dev, 'valohai.yaml'), valohai('v1'));
    git(dev, 'add', 'valohai.yaml');
    git(dev, 'commit', '-qm', 'v1');
    git(dev, 'remote', 'add', 'origin', `file://${bare}`);
    git(dev, 'push', '-q', 'origin', 'main');
  });
  afterEach(async () => {
    await t?.close();
    t = undefined;
    rmSync(scratch, { recursive: true, force: true });
  });

  const push = (word: string): string => {
    writeFileSync(join(dev, 'valohai.yaml'), valohai(word));
    git(dev, 'commit', '-qam', word);
    git(dev, 'push', '-q', 'origin', 'main');
    return git(dev, 'rev-parse', 'HEAD');
  };

  it('fetches the pushed commit and runs the step as it is there', async () => {
    const config = `
project:
  remote: file://${bare}
triggers:
  - id: ${TRIGGER}
    actions:
      - type: fetch-repository
      - type: run-execution
        step: say
        commit: main
`;
    // The service's own project folder is an empty repository: all code arrives by fetch.
    t = await startTestService(valohai('v1'), config);
    git(t.project.dir, 'init', '-q', '-b', 'main');
    const pushed = push('v2');

    const res = await fetch(t.url(TRIGGER), { method: 'POST', body: '{"ref":"refs/heads/main"}' });
    const { run_id } = (await res.json()) as { run_id: string };
    await t.service.settled();
    const info = await (await fetch(`${t.url(TRIGGER, 'run/')}?run_id=${run_id}`)).json();
    expect(info).toEqual({
      status: 'completed',
      result: [
        { action: 'fetch_repository', commits: [{ ref: 'main', identifier: pushed }], errors: [] },
        { action: 'run_execution', execution_step: 'say', execution_id: expect.any(String), execution_status: 'complete' },
      ],
    });
    const run = (await t.service.store.getRun(run_id))!;
    expect(run.executions[0]!.spec).toMatchObject({ commit: pushed, commitRef: 'main' });
    const log = await t.service.store.executionLog(run.executions[0]!.id);
    expect(log.filter((c) => c.stream === 'stdout').map((c) => c.text).join('')).toBe('v2\n');

    // A second push: the same trigger now runs the newer code; a fetch with nothing new reports no commits.
    const newer = push('v3');
    const again = (await (await fetch(t.url(TRIGGER), { method: 'POST', body: '{}' })).json()) as { run_id: string };
    const nothing = (await (await fetch(t.url(TRIGGER), { method: 'POST', body: '{}' })).json()) as { run_id: string };
    await t.service.settled();
    const second = (await t.service.store.getRun(again.run_id))!;
    const third = (await t.service.store.getRun(nothing.run_id))!;
    const fetched = [second, third].map((r) => r.jobs[0]!.result);
    expect(fetched).toContainEqual({ kind: 'fetch', commits: [{ ref: 'main', identifier: newer }], errors: [] });
    expect(fetched).toContainEqual({ kind: 'fetch', commits: [], errors: [] });
    expect(second.executions[0]!.spec.commit).toBe(newer);
  });

  it('records a failing remote as a launch error, retried and then failed', async () => {
    const config = `
project:
  remote: file://${join(scratch, 'missing.git')}
launcher: {kind: local, max_attempts: 2}
triggers:
  - id: ${TRIGGER}
    actions: [{type: fetch-repository}]
`;
    t = await startTestService(valohai('v1'), config);
    git(t.project.dir, 'init', '-q');
    const { run_id } = (await (await fetch(t.url(TRIGGER), { method: 'POST', body: '{}' })).json()) as { run_id: string };
    await t.service.settled();
    const job = (await t.service.store.getRun(run_id))!.jobs[0]!;
    expect(job).toMatchObject({ state: 'failed', attempts: 2, lastError: { code: 'fetch_failed', message: expect.stringMatching(/git fetch .*missing\.git failed/) } });
  });
});
