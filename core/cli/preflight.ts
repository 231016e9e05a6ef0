import { checkPublicKey } from '../conditions/jwt.js';
import { isGitRepository } from '../launchers/local/git-repository.js';
import { ConfigError, type ConfigIssue } from '../yaml/config-error.js';
import { readTlsFiles } from '../http/tls-files.js';
import type { LoadedConfig } from '../config/load-config.js';

/**
 * The start-up checks that need I/O: every JWT public key imports, and a project whose triggers
 * fetch or run at a commit is a git repository; `server.tls`'s files make a certificate and its
 * key. Fails start-up rather than a request.
 */
export async function preflight(loaded: LoadedConfig): Promise<void> {
  const issues: ConfigIssue[] = [];
  let needsGit: string | undefined;
  for (const [t, trigger] of loaded.config.triggers.entries()) {
    for (const [c, condition] of trigger.conditions.entries()) {
      if (condition.type !== 'web-request-auth' || condition.auth_type !== 'jwt' || condition.public_key === undefined) continue;
      const problem = await checkPublicKey(condition.public_key, condition.algorithms);
      if (problem) issues.push({ path: `triggers[${t}].conditions[${c}].public_key`, message: problem });
    }
    for (const [a, action] of trigger.actions.entries()) {
      if (action.type === 'fetch-repository') needsGit ??= `triggers[${t}].actions[${a}]`;
      else if (action.commit !== undefined) needsGit ??= `triggers[${t}].actions[${a}].commit`;
    }
  }
  if (needsGit !== undefined && loaded.config.launcher.kind === 'local' && !(await isGitRepository(loaded.projectPath))) {
    issues.push({ path: needsGit, message: `needs project.path (${loaded.projectPath}) to be a git repository` });
  }
  // `check` too: a certificate that cannot be served is found before `serve` is started.
  const tls = loaded.tls && readTlsFiles(loaded.tls);
  if (tls && !tls.ok) issues.push(...tls.issues);
  if (issues.length > 0) throw new ConfigError(loaded.file, issues);
}
