/** Runs the `hooklaunch` command from the sources, as a separate process, the way a user runs it. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const CLI = join(import.meta.dirname, '../../core/cli/main.ts');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `env` replaces the environment (PATH and HOME kept), so a test says exactly which variables are set. */
export async function hooklaunch(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', CLI, ...args], { env: baseEnv(env), timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

export interface Served {
  readonly child: ChildProcess;
  /** What `serve` printed it listens on. */
  readonly url: string;
  readonly pid: number;
  /** Everything it wrote to stderr so far (grows). */
  stderr(): string;
  /** Everything it wrote to stdout (its service log) so far. */
  stdout(): string;
  /** SIGTERM, and its exit code. */
  stop(): Promise<number | null>;
}

/** Starts `hooklaunch serve ...args` and resolves once it prints the address it listens on. */
export function serve(args: string[], env: Record<string, string> = {}): Promise<Served> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', ...args], { env: baseEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not start in 20 s: ${err}${out}`));
    }, 20_000);
    child.stdout!.on('data', (chunk: Buffer) => void (out += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      const match = /hooklaunch listening on (\S+?),? .*pid (\d+)/.exec(err);
      if (!match) return;
      clearTimeout(timer);
      resolve({
        child,
        url: match[1]!,
        pid: Number(match[2]),
        stderr: () => err,
        stdout: () => out,
        stop: () => {
          child.kill('SIGTERM');
          return exited;
        },
      });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}: ${err}${out}`));
    });
  });
}

function baseEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...env };
}
