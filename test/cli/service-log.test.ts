/**
 * #15 point 3 (the service log), through the real command: readable lines on a terminal, pino's
 * JSON lines otherwise, and `--log-level`. The terminal is a pseudo-terminal made by util-linux's
 * `script`, as a user's shell would give.
 */
import { execFileSync, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { tempProject, type TempProject } from '../helpers/project.js';
import { CLI, hooklaunch, serve } from './cli.js';

const VALOHAI = '- step: {name: s, image: x, command: "true"}\n';
const CONFIG = 'store: {url: "sqlite:state.db"}\nserver: {port: 0}\ntriggers: []\n';
const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const quote = (text: string): string => `'${text.replaceAll("'", `'"'"'`)}'`;

describe('the service log', () => {
  let project: TempProject | undefined;
  afterEach(() => project?.remove());

  it.skipIf(!hasScript)('is readable on a terminal (needs util-linux script for the pseudo-terminal)', async () => {
    project = tempProject(VALOHAI);
    const config = project.write('hooklaunch.yaml', CONFIG);
    const command = [process.execPath, '--import', 'tsx', CLI, 'serve', '-c', config].map(quote).join(' ');
    const child = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const pid = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 20_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /hooklaunch listening on \S+, pid (\d+)/.exec(out);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
    });
    process.kill(pid, 'SIGTERM');
    await exited;
    const plain = out.replace(/\u001b\[[0-9;]*m/g, '');
    expect(plain).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: hooklaunch listening \{"url":"http:\/\/127\.0\.0\.1:\d+","triggers":0,"store":"sqlite:.*state\.db"\}\r?$/m);
    expect(plain).not.toContain('{"level":');
    // Colour only where a terminal shows it.
    expect(out).toContain('\u001b[32mINFO\u001b[39m');
  });

  it('is JSON lines through a pipe, down to the level asked for; a wrong level is a usage error', async () => {
    project = tempProject(VALOHAI);
    const config = project.write('hooklaunch.yaml', CONFIG);
    const json = await serve(['-c', config]);
    const lines = await json.stop().then(() => json.stdout());
    expect(lines.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { msg: string }).map((entry) => entry.msg)).toContain('hooklaunch listening');
    const quiet = await serve(['-c', config, '--log-level', 'warn']);
    await quiet.stop();
    expect(quiet.stdout()).toBe('');
    const wrong = await hooklaunch(['serve', '-c', config, '--log-level', 'loud']);
    expect(wrong).toMatchObject({ code: 2, stderr: 'hooklaunch: --log-level must be one of trace, debug, info, warn, error, fatal, silent\n' });
  });
});
