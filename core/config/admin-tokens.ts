/**
 * Every admin token the config names: `server.admin_token` as the token "admin" with the admin
 * role (as it always had every right), then `server.admin_tokens` in file order.
 */
import { SINGLE_ADMIN_TOKEN_NAME, type AdminTokenConfig, type Config } from './schema.js';

export function adminTokensOf(server: Pick<Config['server'], 'admin_token' | 'admin_tokens'>): readonly AdminTokenConfig[] {
  const single = server.admin_token === undefined ? [] : [{ name: SINGLE_ADMIN_TOKEN_NAME, token: server.admin_token, role: 'admin' as const }];
  return [...single, ...server.admin_tokens];
}
