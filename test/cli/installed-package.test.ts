/**
 * The package as a user gets it (#15): `npm pack` of this checkout, installed with
 * `npm install -g` into a scratch prefix, then the github-autofetch template's flow through the
 * installed `hooklaunch` command from a folder outside the checkout: init, check, serve on a free
 * port, a signed send (which finds it), logs. Slow (the install fetches the dependencies and may build better-sqlite3 from
 * source), so it runs in CI (CI=true, set by .ci/run) or with HOOKLAUNCH_TEST_PACKAGE=1.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const CHECKOUT = join(import.meta.dirname, '../..');
const TRIGGER = '0190fe82-1e2d-7c4b-9a69-4788b5c4d3e2'; // templates/github-autofetch/hooklaunch.yaml
const enabled = process.env.CI === 'true' || process.env.HOOKLAUNCH_TEST_PACKAGE === '1';

/** npm run by `npm test` exports npm_* settings (its prefix among them) that must not steer the inner npm. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_')));
  delete env.HOOKLAUNCH_CONFIG;
  return { ...env, ...extra };
}

describe.skipIf(!enabled)('the installed package (CI=true or HOOKLAUNCH_TEST_PACKAGE=1)', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'hooklaunch-package-'));
  const prefix = join(scratch, 'prefix');
  const bin = join(prefix, 'bin', 'hooklaunch');
  // Only the installed command and node itself on PATH: nothing of the checkout (tsx) can help it.
  const env = cleanEnv({ PATH: `${join(prefix, 'bin')}:${dirname(process.execPath)}:/usr/bin:/bin`, GITHUB_WEBHOOK_SECRET: 'package-test-secret-0123456789' });
  let serve: ChildProcess | undefined;
  afterAll(() => {
    serve?.kill('SIGKILL');
    rmSync(scratch, { recursive: true, force: true });
  });

  const hooklaunch = async (args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> => {
    try {
      return { code: 0, ...(await run(bin, args, { cwd, env })) };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  it('packs compiled JavaScript and the templates only, installs, and runs the github-autofetch flow from any folder', { timeout: 600_000 }, async () => {
    const packed = await run('npm', ['pack', '--json', '--pack-destination', scratch], { cwd: CHECKOUT, env: cleanEnv({}), maxBuffer: 64 * 1024 * 1024 });
    const { filename, files } = (JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>)[0]!;
    const paths = files.map((f) => f.path);
    expect(paths).toContain('dist/core/cli/main.js');
    expect(paths).toContain('templates/github-autofetch/hooklaunch.yaml');
    expect(paths).toContain('README.md');
    expect(paths.filter((p) => p.startsWith('test/') || p.startsWith('.ci/') || p.startsWith('core/') || p.startsWith('templates/quickstart/') || p.endsWith('.map'))).toEqual([]);
    expect(paths.filter((p) => p.startsWith('dist/') && !p.endsWith('.js'))).toEqual([]);

    // As the README's Install section says; --allow-scripts lets better-sqlite3 build or fetch its binary.
    await run('npm', ['install', '-g', '--prefix', prefix, '--allow-scripts=better-sqlite3', '--no-audit', '--no-fund', join(scratch, filename)], { cwd: scratch, env: cleanEnv({}) });

    const work = mkdtempSync(join(scratch, 'work-'));
    const { version } = JSON.parse(readFileSync(join(CHECKOUT, 'package.json'), 'utf8')) as { version: string };
    expect(await hooklaunch(['--version'], work)).toMatchObject({ code: 0, stdout: `${version}\n` });
    const init = await hooklaunch(['init', 'github-autofetch', 'gh'], work);
    expect(init).toMatchObject({ code: 0, stdout: expect.stringContaining(`github-autofetch copied to ${join(work, 'gh')}`) });
    const project = join(work, 'gh');
    expect(readdirSync(project)).toContain('hooklaunch.yaml');
    // The template runs in a clone of the repository it fetches (its README's step 2).
    for (const args of [['init', '-q', '-b', 'main'], ['add', '-A'], ['-c', 'user.name=ci', '-c', 'user.email=ci@example.test', 'commit', '-qm', 'template']]) await run('git', args, { cwd: project });

    const check = await hooklaunch(['check'], project);
    // The template sets no admin token: check's one warning is that the page is off, nothing else.
    expect(check.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^warning: the admin page and API are disabled/)]);
    expect(check).toMatchObject({ code: 0, stdout: expect.stringContaining(`/api/v0/launch/${TRIGGER}/`) });

    serve = spawn(bin, ['serve', '--port', '0'], { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const take = (chunk: Buffer): void => {
        out += chunk.toString();
        const match = /hooklaunch listening on (http:\/\/\S+), pid/.exec(out);
        if (match) resolve(match[1]!);
      };
      serve!.stdout!.on('data', take);
      serve!.stderr!.on('data', take);
      serve!.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
    });

    // No --url: send finds the instance serve started through its run file.
    const send = await hooklaunch(['send', 'GitHub push to main'], project);
    expect(send.code).toBe(0);
    expect(send.stderr).toContain(`to: ${url} (the running hooklaunch`);
    const answer = /^(2\d\d) [^\n]*request ([0-9a-f-]{36})\n(.*)\n$/s.exec(send.stdout);
    expect(answer).not.toBeNull();
    const runId = (JSON.parse(answer![3]!) as { run_id: string }).run_id;
    expect(runId).toMatch(/^[0-9a-f-]{36}$/);

    const logs = await hooklaunch(['logs'], project);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain(`${TRIGGER}  POST from 127.0.0.1`);
    expect(logs.stdout).toMatch(new RegExp(`accepted  run ${runId} .*\\[request ${answer![2]}\\]`));

    const exited = new Promise<number | null>((resolve) => serve!.once('exit', resolve));
    serve.kill('SIGTERM');
    expect(await exited).toBe(0);
    serve = undefined;
  });
});
