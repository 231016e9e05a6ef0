/**
 * #15 point 6: each template's README has a "Try it locally" section whose lines work as written.
 * The fenced block is taken from the README and run through the real command in a folder made by
 * `hooklaunch init`: each `export NAME=$(openssl rand -hex 32)` becomes that variable (a random
 * value), `git init -q` runs in the folder, `hooklaunch serve &` is started (with `--port 0`
 * added: tests never take 8080), and every other `hooklaunch …` line must exit 0 — `send` exits 1
 * unless the trigger accepted the request.
 * HOOKLAUNCH_CONFIG points the commands at the copy, as running them in that folder does.
 * HOOKLAUNCH_PAUSE_LAUNCHES keeps the launched work queued: the templates' steps would reach out
 * to Slack, GitHub or V7, and what is tried here is the trigger.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, serve, type Served } from '../cli/cli.js';

const run = promisify(execFile);
const TEMPLATES = ['slack-predict', 'github-autofetch', 'v7-train'];
const V7_TRIGGER = '0190fe82-7c6b-7a49-8827-41659e8d7c6b';

/** The `sh` block under "## Try it locally". */
function tryItLocally(readme: string): string[] {
  const section = /^## Try it locally\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1];
  const block = section && /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('no "## Try it locally" section with a ```sh block');
  return block.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
}

/** Shell words as these lines use them: bare words and double-quoted strings, nothing else. */
function words(line: string): string[] {
  const found = [...line.matchAll(/"([^"$`\\]*)"|([^\s"'$`\\]+)/g)].map((m) => m[1] ?? m[2]!);
  expect(found.join(' ').length, `a line the test cannot take as written: ${line}`).toBeGreaterThan(0);
  return found;
}

describe('template READMEs: Try it locally', () => {
  let dir: string | undefined;
  let served: Served | undefined;
  afterEach(async () => {
    await served?.stop();
    served = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each(TEMPLATES)('%s: the lines work as written', async (template) => {
    const lines = tryItLocally(readFileSync(join(import.meta.dirname, '../../templates', template, 'README.md'), 'utf8'));
    dir = mkdtempSync(join(tmpdir(), `hooklaunch-try-${template}-`));
    const folder = join(dir, template);
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', HOOKLAUNCH_CONFIG: join(folder, 'hooklaunch.yaml'), HOOKLAUNCH_PAUSE_LAUNCHES: '1' };
    const cli = async (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
      try {
        const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', CLI, ...args], { env, cwd: join(import.meta.dirname, '../..'), timeout: 20_000 });
        return { code: 0, stdout, stderr };
      } catch (error) {
        const e = error as { code: number; stdout: string; stderr: string };
        return { code: e.code, stdout: e.stdout, stderr: e.stderr };
      }
    };
    expect((await cli(['init', template, folder])).code).toBe(0);

    let sent = 0;
    let batchId: string | undefined;
    for (const line of lines) {
      const exported = /^export ([A-Z0-9_]+)=\$\(openssl rand -hex 32\)$/.exec(line);
      if (exported) {
        env[exported[1]!] = randomBytes(32).toString('hex');
        continue;
      }
      if (line.replace(/\s+#.*$/, '') === 'git init -q') {
        await run('git', ['init', '-q'], { cwd: folder, env });
        continue;
      }
      // The pause that lets a pasted block's `serve &` start listening; here serve() already waited for it.
      if (/^sleep \d+\s+#/.test(line)) {
        expect(served, 'the pause comes right after serve starts').toBeDefined();
        continue;
      }
      expect(line, 'every other line is a hooklaunch command').toMatch(/^hooklaunch /);
      if (line === 'hooklaunch serve &') {
        served = await serve(['--port', '0'], env);
        continue;
      }
      const result = await cli(words(line).slice(1));
      expect(result.code, `${line}\n${result.stdout}${result.stderr}`).toBe(0);
      if (line.startsWith('hooklaunch send ')) {
        sent++;
        // Sent to the instance `serve` started (found by its run file), and accepted.
        expect(result.stderr).toContain(`to: ${served!.url} (the running hooklaunch`);
        expect(result.stdout).toMatch(/^20[02] /);
      }
      if (line.startsWith('hooklaunch send ') && template === 'v7-train') {
        // The item waits in its dataset's batch: `send` names it (the answer's batch headers; V7's answer body is empty).
        batchId = /^200 OK {2}request \S+ {2}batch (\S+) item 1$/m.exec(result.stdout)?.[1];
        expect(batchId, result.stdout).toBeDefined();
      }
      if (line.startsWith('hooklaunch runs ')) {
        // v7-train: nothing has launched yet; `runs` shows the open batch above the (empty) list of runs.
        if (template === 'v7-train') expect(result.stdout).toMatch(new RegExp(`^ {2}${batchId} {2}${V7_TRIGGER} {2}key "cars" {2}1/500 items {2}age \\d+s {2}closes by \\S+Z$`, 'm'));
        else expect(result.stdout).toMatch(/ pending$/m);
      }
      // v7-train batches its deliveries (issue #17): the request waits in its batch, logged as batched.
      if (line.startsWith('hooklaunch logs ')) expect(result.stdout).toContain(template === 'v7-train' ? ` batched  item 1 of batch ${batchId}, run ` : ' accepted ');
    }
    expect(sent).toBeGreaterThan(0);
    expect(served, 'the block starts the service').toBeDefined();
    if (template !== 'v7-train') return;

    // What the text after the block says: `hooklaunch batch close <id>` launches the batch at once, `runs` then lists its run.
    const closed = await cli(['batch', 'close', batchId!]);
    expect(closed.code, closed.stdout + closed.stderr).toBe(0);
    const runId = new RegExp(`^batch ${batchId}: launched run (\\S+) with 1 delivery$`, 'm').exec(closed.stdout)?.[1];
    expect(runId, closed.stdout).toBeDefined();
    const listed = await cli(['runs', '--trigger', 'V7 labeling complete']);
    expect(listed.stdout).toMatch(new RegExp(`^\\S+Z {2}${runId} {2}${V7_TRIGGER} {2}batch of 1 {2}pending$`, 'm'));
    expect(listed.stdout).not.toContain('not launched yet');
    const shown = await cli(['runs', runId!]);
    expect(shown.stdout).toMatch(new RegExp(`^batch ${batchId} {2}key "cars" {2}1 delivery {2}.* \\(manual\\)$`, 'm'));
  }, 90_000);
});
