import { checkPublicKey } from '../conditions/jwt.js';
import { ConfigError, type ConfigIssue } from './config-error.js';
import type { LoadedConfig } from './load-config.js';

/** Imports every configured JWT public key once, so a bad PEM fails start-up rather than a request. */
export async function checkKeys(loaded: LoadedConfig): Promise<void> {
  const issues: ConfigIssue[] = [];
  for (const [t, trigger] of loaded.config.triggers.entries()) {
    for (const [c, condition] of trigger.conditions.entries()) {
      if (condition.type !== 'web-request-auth' || condition.auth_type !== 'jwt' || condition.public_key === undefined) continue;
      const problem = await checkPublicKey(condition.public_key, condition.algorithms);
      if (problem) issues.push({ path: `triggers[${t}].conditions[${c}].public_key`, message: problem });
    }
  }
  if (issues.length > 0) throw new ConfigError(loaded.file, issues);
}
