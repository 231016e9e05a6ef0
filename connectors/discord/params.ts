import { timestampTolerance } from '../../core/connector-kit.js';
import { z } from 'zod';

const ids = z.array(z.string().min(1)).min(1).optional();

/** The `connector:` block of a Discord interactions trigger. */
export const discordParams = z.strictObject({
  /** The application's public key (Developer Portal → General Information), hex; a list while rotating. */
  public_key: z.union([z.string().regex(/^[0-9a-fA-F]{64}$/, 'a 64-digit hex Ed25519 public key'), z.array(z.string().regex(/^[0-9a-fA-F]{64}$/)).min(1)]).transform((v) => (Array.isArray(v) ? v : [v])),
  /** Slash command names that launch (without "/"); any when absent. */
  commands: ids,
  guild_ids: ids,
  user_ids: ids,
  /** Edit the deferred answer as the run starts, fails and completes. */
  follow_up: z.boolean().default(true),
  /** Where follow-ups go; only tests change it. */
  api_base: z.url().default('https://discord.com/api/v10'),
  /** Discord sets no window; a stale timestamp beyond this is refused. */
  tolerance: timestampTolerance(),
});

export type DiscordParams = z.output<typeof discordParams>;
