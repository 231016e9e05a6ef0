/**
 * How the other commands find a running `serve`: it writes a run file with its pid and the URL it
 * really listens on, next to the SQLite database (`state.db.run.json`), or, with PostgreSQL, in
 * `.hooklaunch/run.json` beside the config. `send`, `replay`, `check` and `logs --follow` read
 * it; a file whose pid is gone (a crash) counts as no running instance.
 */
import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { isAlive } from '../store/sqlite/serve-lock.js';

export interface RunningInstance {
  readonly pid: number;
  /** A URL this machine reaches it at (loopback when it listens on every interface). */
  readonly url: string;
  /** The address it listens on, as an URL (`http://0.0.0.0:8080`). */
  readonly listen: string;
  readonly config: string;
  readonly startedAt: string;
}

const runFileSchema = z.object({ pid: z.number().int().positive(), url: z.string(), listen: z.string(), config: z.string(), startedAt: z.string() });

export function runFilePath(storeUrl: string, configFile: string): string {
  const sqlite = storeUrl.startsWith('sqlite:') ? storeUrl.slice('sqlite:'.length) : undefined;
  if (sqlite !== undefined && sqlite !== ':memory:') return `${sqlite}.run.json`;
  return join(dirname(configFile), '.hooklaunch', 'run.json');
}

/** Written whole or not at all (a reader never sees half a file). */
export function writeRunFile(path: string, instance: RunningInstance): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(instance, null, 2)}\n`);
  renameSync(temporary, path);
}

/** Removes the run file if it is still this process's (another instance may have started since). */
export function removeRunFile(path: string, pid: number = process.pid): void {
  try {
    if (readRunFile(path)?.pid === pid) unlinkSync(path);
  } catch {
    // Already gone.
  }
}

function readRunFile(path: string): RunningInstance | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = runFileSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The instance the run file names, if its process is alive. */
export function findRunningInstance(path: string): RunningInstance | undefined {
  const instance = readRunFile(path);
  return instance && isAlive(instance.pid) ? instance : undefined;
}

/** The URL a client on this machine uses for a listening address: loopback for "every interface". */
export function reachableUrl(address: string, port: number, scheme: 'http' | 'https' = 'http'): string {
  if (address === '0.0.0.0') return `${scheme}://127.0.0.1:${port}`;
  if (address === '::') return `${scheme}://[::1]:${port}`;
  return address.includes(':') ? `${scheme}://[${address}]:${port}` : `${scheme}://${address}:${port}`;
}
