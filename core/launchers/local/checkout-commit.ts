import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type Checkout = { ok: true; sha: string } | { ok: false; message: string };

/**
 * Materialises `ref` of the project's git repository into `dir` (a clean copy per execution, so
 * concurrent runs at different commits never share a work tree). `git archive` rather than a
 * worktree: nothing is registered in the repository and the copy can be deleted freely.
 */
export async function checkoutCommit(repository: string, ref: string, dir: string): Promise<Checkout> {
  let sha: string;
  try {
    const { stdout } = await run('git', ['-C', repository, 'rev-parse', '--verify', '--end-of-options', `${ref}^{commit}`]);
    sha = stdout.trim();
  } catch (error) {
    const detail = ((error as { stderr?: string }).stderr ?? (error as Error).message).trim().split('\n')[0];
    return { ok: false, message: `commit "${ref}" is not in the repository at ${repository}: ${detail}` };
  }
  await mkdir(dir, { recursive: true });
  try {
    await run('/bin/sh', ['-c', 'git -C "$1" archive --format=tar "$2" | tar -x -C "$3"', 'checkout', repository, sha, dir], { maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    return { ok: false, message: `could not check out ${sha}: ${(error as Error).message}` };
  }
  return { ok: true, sha };
}
