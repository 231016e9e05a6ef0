/**
 * A real `hooklaunch serve` child process, for the tests that need what an in-process service
 * cannot give: a SIGKILL or SIGTERM, SIGHUP, the process's own RSS, two instances side by side.
 * Everything else goes through `startTestService` (test/helpers/service.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type Database from 'better-sqlite3';

const CLI = join(import.meta.dirname, '../../core/cli/main.ts');
const LISTENING = /"url":"(http:\/\/[^"]+)"/;

export interface ServeOptions {
  /** `--instance` (instances sharing a PostgreSQL store). */
  readonly instance?: string;
  /** Added to this process's environment. */
  readonly env?: NodeJS.ProcessEnv;
  /** How long the process may take to log its URL; past it the promise rejects with its output. */
  readonly startTimeoutMs?: number;
}

export interface ServeProcess {
  readonly child: ChildProcess;
  /** The base URL it logged when listening. */
  readonly url: string;
  /** Its exit, with the time it was seen (for "exits within the grace" checks). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>;
  /** Standard output up to the moment it logged its URL. */
  readonly startLog: string;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Both streams in the order they arrived (log lines go to either). */
  readonly output: () => string;
}

/**
 * Starts `hooklaunch serve --config <config> --port 0` and resolves once it logs its URL; rejects
 * with everything it printed if it exits or stays silent past `startTimeoutMs` first.
 */
export function serveProcess(config: string, options: ServeOptions = {}): Promise<ServeProcess> {
  const args = ['--import', 'tsx', CLI, 'serve', '--config', config, '--port', '0', ...(options.instance ? ['--instance', options.instance] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>((done) => child.once('exit', (code, signal) => done({ code, signal, atMs: Date.now() })));
  let out = '';
  let err = '';
  let both = '';
  const name = options.instance ? `serve ${options.instance}` : 'serve';
  let listening = false;
  return new Promise<ServeProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not log its URL within ${options.startTimeoutMs ?? 20_000} ms: ${both}`));
    }, options.startTimeoutMs ?? 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      both += chunk.toString();
      const match = listening ? null : LISTENING.exec(out);
      if (!match) return;
      listening = true;
      clearTimeout(timer);
      resolve({ child, url: match[1]!, exited, startLog: out, stdout: () => out, stderr: () => err, output: () => both });
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      both += chunk.toString();
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${signal ?? code}) before listening: ${both}`));
    });
  });
}

/** SIGKILL, resolved once the process is gone. */
export async function killProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/**
 * Whether a store read beside a serving process has no work left in flight: no job pending or
 * running, no execution queued or started (what the crash tests wait for after a restart).
 */
export function workSettled(check: Database.Database): boolean {
  return (
    (check.prepare(`SELECT COUNT(*) AS n FROM jobs WHERE state IN ('pending', 'running')`).get() as { n: number }).n === 0 &&
    (check.prepare(`SELECT COUNT(*) AS n FROM executions WHERE status IN ('queued', 'started')`).get() as { n: number }).n === 0
  );
}
