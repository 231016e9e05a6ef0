/**
 * The project's git repository, as the local launcher uses it: fetch from the configured remote,
 * resolve a ref to a commit, and materialise a commit as a clean folder for one execution.
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type GitResult<T> = { ok: true; value: T } | { ok: false; message: string };

export interface FetchedCommit {
  readonly ref: string;
  readonly identifier: string;
}

export interface GitRepository {
  /** `git fetch` from the remote; the branches whose commit changed. Concurrent calls run one at a time. */
  fetch(): Promise<GitResult<FetchedCommit[]>>;
  /** A branch as last fetched from the remote wins over a local one of the same name; shas and tags resolve as given. */
  resolve(ref: string): Promise<GitResult<string>>;
  /** A clean copy of `sha` in `dir` (no worktree registered, safe to delete). */
  checkout(sha: string, dir: string): Promise<GitResult<void>>;
  /** One file's text at `sha`. */
  show(sha: string, file: string): Promise<GitResult<string>>;
}

/** `remote` is a remote's name (`origin`) or any URL git understands (`file:///srv/repo.git`). */
export function openGitRepository(path: string, remote: string): GitRepository {
  const isUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(remote) || remote.includes(':') || remote.startsWith('/');
  const trackingPrefix = `refs/remotes/${isUrl ? 'hooklaunch' : remote}/`;
  let fetching: Promise<unknown> = Promise.resolve();

  const git = async (...args: string[]): Promise<GitResult<string>> => {
    try {
      const { stdout } = await run('git', ['-C', path, ...args], { maxBuffer: 64 * 1024 * 1024 });
      return { ok: true, value: stdout };
    } catch (error) {
      const stderr = ((error as { stderr?: string }).stderr ?? '').trim();
      return { ok: false, message: stderr.split('\n').filter(Boolean).slice(-3).join('; ') || (error as Error).message };
    }
  };

  const trackedBranches = async (): Promise<Map<string, string>> => {
    const listed = await git('for-each-ref', '--format=%(refname) %(objectname)', trackingPrefix);
    const branches = new Map<string, string>();
    if (!listed.ok) return branches;
    for (const line of listed.value.split('\n').filter(Boolean)) {
      const [ref, sha] = line.split(' ');
      if (ref && sha && !ref.endsWith('/HEAD')) branches.set(ref.slice(trackingPrefix.length), sha);
    }
    return branches;
  };

  const fetchOnce = async (): Promise<GitResult<FetchedCommit[]>> => {
    const before = await trackedBranches();
    const fetched = await git('fetch', '--prune', '--no-tags', '--', remote, `+refs/heads/*:${trackingPrefix}*`);
    if (!fetched.ok) return { ok: false, message: `git fetch ${remote} failed: ${fetched.message}` };
    const after = await trackedBranches();
    const commits = [...after].filter(([ref, sha]) => before.get(ref) !== sha).map(([ref, identifier]) => ({ ref, identifier }));
    return { ok: true, value: commits };
  };

  return {
    fetch() {
      const result = fetching.then(fetchOnce, fetchOnce);
      fetching = result;
      return result;
    },
    async resolve(ref) {
      for (const candidate of [`${trackingPrefix}${ref}`, ref]) {
        const sha = await git('rev-parse', '--verify', '--quiet', '--end-of-options', `${candidate}^{commit}`);
        if (sha.ok) return { ok: true, value: sha.value.trim() };
      }
      return { ok: false, message: `commit "${ref}" is not in the repository at ${path} (nor fetched from ${remote})` };
    },
    async show(sha, file) {
      const text = await git('show', `${sha}:${file}`);
      return text.ok ? text : { ok: false, message: `cannot read ${file} at ${sha}: ${text.message}` };
    },
    async checkout(sha, dir) {
      await mkdir(dir, { recursive: true });
      try {
        await run('/bin/sh', ['-c', 'git -C "$1" archive --format=tar "$2" | tar -x -C "$3"', 'checkout', path, sha, dir], { maxBuffer: 16 * 1024 * 1024 });
        return { ok: true, value: undefined };
      } catch (error) {
        return { ok: false, message: `could not check out ${sha}: ${(error as Error).message}` };
      }
    },
  };
}

/** Whether `path` is inside a git work tree or is a bare repository. */
export async function isGitRepository(path: string): Promise<boolean> {
  try {
    await run('git', ['-C', path, 'rev-parse', '--git-dir']);
    return true;
  } catch {
    return false;
  }
}
