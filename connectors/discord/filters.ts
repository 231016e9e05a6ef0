import type { Delivery } from '../../core/connector-kit.js';
import type { DiscordParams } from './params.js';
import type { DiscordPayload } from './payload.js';

export function filterDiscord({ payload }: Delivery<DiscordPayload>, params: DiscordParams): string | undefined {
  const name = payload.data?.name;
  if (params.commands && (payload.type !== 2 || !params.commands.includes(name ?? ''))) return `command ${name ?? '(none)'} is not one of ${params.commands.join(', ')}`;
  if (params.guild_ids && !params.guild_ids.includes(payload.guild_id ?? '')) return `guild ${payload.guild_id ?? '(none)'} is not enabled for this trigger`;
  const user = payload.member?.user.id ?? payload.user?.id;
  if (params.user_ids && !params.user_ids.includes(user ?? '')) return `user ${user ?? '(none)'} may not run this trigger`;
  return undefined;
}
