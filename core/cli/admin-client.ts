/**
 * The running service's admin API as the CLI reaches it: the base URL (`--url`, else the running
 * instance, else `server.public_url`: service-url.ts) and the first admin token of the config with the role a command needs.
 * `replay`, `apply` and `export` share it, so they find the service and pick a token the same way.
 */
import { InvalidArgumentError } from 'commander';
import { adminTokensOf } from '../config/admin-tokens.js';
import type { AdminRole, Config } from '../config/schema.js';
import { hasRole } from '../http/admin-auth.js';
import { fetchService, type ServiceUrl } from './service-url.js';

export interface AdminAnswer {
  readonly status: number;
  readonly body: unknown;
}

export interface AdminClient {
  readonly base: string;
  call(method: string, path: string, body?: unknown): Promise<AdminAnswer>;
}

/** `server`: the config's server section, the tokens' source (replay and export need nothing else of the file). */
export function createAdminClient(server: Config['server'], role: AdminRole, command: string, service: ServiceUrl): AdminClient {
  const token = adminTokensOf(server).find((t) => hasRole(t, role))?.token;
  const roles = role === 'viewer' ? 'any role' : role === 'operator' ? 'the operator or admin role' : 'the admin role';
  if (!token) throw new InvalidArgumentError(`${command} goes through the admin API: set server.admin_token, or a server.admin_tokens entry with ${roles}`);
  const base = service.url;
  return {
    base,
    async call(method, path, body) {
      const response = await fetchService(service, `${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // Not JSON (a proxy's error page): kept as text, for the message.
      }
      return { status: response.status, body: parsed };
    },
  };
}

/** The `{error: {message}}` of an admin API refusal, or the status. */
export function refusalMessage(answer: AdminAnswer): string {
  const message = (answer.body as { error?: { message?: unknown } } | null)?.error?.message;
  return typeof message === 'string' ? message : `HTTP ${answer.status}${typeof answer.body === 'string' && answer.body ? `: ${answer.body.slice(0, 200)}` : ''}`;
}
