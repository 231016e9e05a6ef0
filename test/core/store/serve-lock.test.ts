import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireServeLock, isAlive } from '../../../core/store/sqlite/serve-lock.js';

describe('serve lock', () => {
  // A server SIGKILLed under a supervisor that has not reaped it yet is a zombie: it holds no
  // store, so a restart must not be refused on its account.
  it.skipIf(!existsSync('/proc/self/stat'))('takes a zombie for dead: its lock is stale', async () => {
    // `sleep 0.1` is a child of a process that exec'd into `sleep 5` and never reaps it.
    const parent = spawn('/bin/sh', ['-c', 'sleep 0.1 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = Number(await new Promise<string>((resolve) => parent.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()))));
      await expect.poll(() => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0], { timeout: 5_000, interval: 20 }).toBe('Z');
      // Still a process table entry: kill(pid, 0) succeeds, yet it is dead.
      expect(() => process.kill(pid, 0)).not.toThrow();
      expect(isAlive(pid)).toBe(false);
      expect(isAlive(parent.pid!)).toBe(true);

      const dir = mkdtempSync(join(tmpdir(), 'hooklaunch-lock-'));
      try {
        const file = join(dir, 'state.db.serve.lock');
        writeFileSync(file, String(pid));
        const lock = acquireServeLock(file);
        expect(readFileSync(file, 'utf8').trim()).toBe(String(process.pid));
        lock.release();
        writeFileSync(file, String(parent.pid));
        expect(() => acquireServeLock(file)).toThrow(/another hooklaunch \(pid \d+\) is serving this store/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
