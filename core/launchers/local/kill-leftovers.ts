/**
 * Finds and kills what is left of an execution whose hooklaunch died: its processes run in their
 * own process group, so they outlive a SIGKILL of hooklaunch and would run beside the re-run.
 * They are recognised by the variable every execution's process inherits (VH_EXECUTION_ID=<id>),
 * not by a remembered pid, which a reboot or a long pause may have given to someone else.
 * Linux only (/proc); elsewhere nothing is found.
 */
import { readdir, readFile } from 'node:fs/promises';

export async function killLeftovers(executionId: string): Promise<number> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return 0;
  }
  const marker = Buffer.from(`\0VH_EXECUTION_ID=${executionId}\0`);
  let killed = 0;
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let environ: Buffer;
    try {
      // A leading NUL so the first variable matches like the others.
      environ = Buffer.concat([Buffer.from([0]), await readFile(`/proc/${entry}/environ`), Buffer.from([0])]);
    } catch {
      continue; // gone, or another user's
    }
    if (!environ.includes(marker)) continue;
    try {
      process.kill(Number(entry), 'SIGKILL');
      killed++;
    } catch {
      // ended meanwhile
    }
  }
  return killed;
}
