/**
 * An execution's output as the process wrote it (issue #12): lines put back together across the
 * pieces the pipes delivered, stdout and stderr interleaved by line, `[stderr]` once per line, a
 * long line kept as one entry, and the same text in `hooklaunch runs`, the run API and the web page.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { escape } from '../../core/ui/html.js';
import { startTestService, type TestService } from '../helpers/service.js';

const CLI = join(import.meta.dirname, '../../core/cli/main.ts');
const TRIGGER = '0190fe82-c984-7f66-8302-0000000000d1';
const ADMIN = 'an-admin-token-for-output-tests';
const run = promisify(execFile);

// Writes as real programs do: a line in one-byte writes, another stream in the middle of it, a
// line too long to keep, then an uncaught exception whose traceback Python (-u) writes in pieces.
// Each piece waits until hooklaunch has read the one before (nothing left queued on the socket),
// so the order hooklaunch sees is the order written, on a loaded machine too.
const SCRIPT = `
import fcntl, os, stat, struct, termios, time

def drained(fd):
    # Node hands a child a socket pair, not a pipe: bytes not yet read by the other side are the
    # socket's send queue (TIOCOUTQ); on a pipe they are what FIONREAD counts.
    request = termios.TIOCOUTQ if stat.S_ISSOCK(os.fstat(fd).st_mode) else termios.FIONREAD
    while struct.unpack('i', fcntl.ioctl(fd, request, b'\\0' * 4))[0] > 0:
        time.sleep(0.001)

def write(fd, text, bytewise=True):
    for piece in (text if bytewise else [text]):
        os.write(fd, piece.encode())
        drained(fd)

write(1, 'step 1\\n')
write(2, 'warning: half')
write(1, 'step 2\\n')
write(2, ' a line\\n')
write(1, 'x' * 70000 + '\\n', bytewise=False)

def fail():
    return 1 / 0

fail()
`;

const config = (): string => `
server: {admin_token: ${ADMIN}}
launcher: {kind: local, concurrency: 1}
triggers:
  - id: ${TRIGGER}
    actions: [{type: run-execution, step: talk}]
`;

describe('execution output', () => {
  let t: TestService | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('shows a traceback written in pieces, interleaved with stdout, as its lines: the same in runs, the API and the page', async () => {
    t = await startTestService('- step: {name: talk, image: python:3.11, command: python3 -u output.py}\n', config(), { files: { 'output.py': SCRIPT } });
    const res = await fetch(t.url(TRIGGER), { method: 'POST', body: '{}' });
    const { run_id } = (await res.json()) as { run_id: string };
    const requestId = res.headers.get('x-request-id')!;
    await t.service.settled();
    const [execution] = (await t.service.store.getRun(run_id))!.executions;
    expect(execution).toMatchObject({ status: 'error', error: 'command exited with code 1' });

    // Python's own traceback for this script, as it prints it when run directly.
    const direct = spawnSync('python3', ['-u', 'output.py'], { cwd: t.project.dir, encoding: 'utf8' });
    expect(direct.stderr.startsWith('warning: half a line\nTraceback (most recent call last):\n')).toBe(true);
    const traceback = direct.stderr.slice('warning: half a line\n'.length);
    const expected = [
      '[hooklaunch] image python:3.11 is ignored by the local runner; the command runs on this machine\n',
      '[hooklaunch] $ python3 -u output.py\n',
      'step 1\n',
      'step 2\n',
      '[stderr] warning: half a line\n',
      `${'x'.repeat(65_536)}… (4464 more bytes)\n`,
      ...traceback.replace(/\n$/, '').split('\n').map((line) => `[stderr] ${line}\n`),
      '[hooklaunch] command exited with code 1\n',
    ].join('');

    // Stored as lines (batched by stream), not as the hundreds of pieces written.
    expect((await t.service.store.executionLog(execution!.id)).length).toBeLessThan(12);

    const cli = await run(process.execPath, ['--import', 'tsx', CLI, 'runs', run_id, '--config', join(t.project.dir, 'hooklaunch.yaml')], { maxBuffer: 8 << 20 });
    const heading = `\nexecution ${execution!.id}  step talk  error (command exited with code 1)\n`;
    expect(cli.stdout.slice(cli.stdout.indexOf(heading) + heading.length)).toBe(expected);

    const api = (await (await fetch(`${t.service.url}/api/v0/runs/${run_id}`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { executions: Array<{ output: string }> };
    expect(api.executions[0]!.output).toBe(expected);

    const page = await (await fetch(`${t.service.url}/ui/requests/${requestId}`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();
    expect(page).toContain(`<pre>${escape(expected)}</pre>`);
    expect(page).not.toContain('[stderr] [stderr]');
  });

  it('follows a running execution with runs --follow until the run ends', async () => {
    const command = ['echo waiting', 'while [ ! -e go ]; do sleep 0.05; done', 'echo done', 'echo bye >&2'];
    t = await startTestService(`- step: {name: talk, image: x, command: ${JSON.stringify(command)}}\n`, config());
    const { run_id } = (await (await fetch(t.url(TRIGGER), { method: 'POST', body: '{}' })).json()) as { run_id: string };
    await t.service.worker.idle();
    const follow = spawn(process.execPath, ['--import', 'tsx', CLI, 'runs', run_id, '--follow', '--config', join(t.project.dir, 'hooklaunch.yaml')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    follow.stdout.setEncoding('utf8').on('data', (text: string) => (out += text));
    const exited = new Promise<number | null>((resolve) => follow.once('exit', resolve));
    try {
      // The execution is still running (waiting for the file) when its first line is shown.
      await expect.poll(() => out, { timeout: 15_000, interval: 20 }).toContain('\nwaiting\n');
      expect(out).not.toContain('\ndone\n');
      writeFileSync(join(t.project.dir, 'go'), '');
      expect(await exited).toBe(0);
    } finally {
      follow.kill('SIGKILL');
    }
    const [execution] = (await t.service.store.getRun(run_id))!.executions;
    expect(out).toBe(
      [
        `run ${run_id}  trigger ${TRIGGER}  accepted ${new Date((await t.service.store.getRun(run_id))!.acceptedAtMs).toISOString()}  status pending\n`,
        `\nexecution ${execution!.id}  step talk\n`,
        '[hooklaunch] image x is ignored by the local runner; the command runs on this machine\n',
        `[hooklaunch] $ ${command.join(' && ')}\n`,
        'waiting\n',
        'done\n',
        '[stderr] bye\n',
        `execution ${execution!.id}: complete\n`,
        `run ${run_id}: completed\n`,
      ].join(''),
    );
  });
});
