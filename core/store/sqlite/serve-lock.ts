import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';

export interface ServeLock {
  release(): void;
}

/**
 * One serving process per SQLite file: rate limits and job claims are exact only within one
 * process. The lock file holds the owner's pid; a lock whose pid is gone is stale and taken over.
 */
export function acquireServeLock(file: string): ServeLock {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return {
        release: () => {
          try {
            if (readFileSync(file, 'utf8') === String(process.pid)) unlinkSync(file);
          } catch {
            // already gone
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(file, 'utf8'));
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
        throw new Error(`another hooklaunch (pid ${owner}) is serving this store; stop it first, or remove ${file} if that pid is not hooklaunch`);
      }
      unlinkSync(file);
    }
  }
  throw new Error(`could not take the lock ${file}`);
}

/**
 * Whether a process with this pid runs (EPERM: it does, owned by another user). A zombie — killed,
 * not yet reaped by its parent — answers kill(pid, 0) but holds nothing: where /proc says so, it is dead.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  try {
    // /proc/<pid>/stat: "pid (comm) S ..."; comm may hold spaces or parentheses, the state follows the last ")".
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false; // no /proc (macOS), or it just exited
  }
}
