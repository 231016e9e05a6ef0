/** A Discord interaction: PING (1), application command (2), component (3), autocomplete (4), modal (5). */
import { z } from 'zod';

const user = z.looseObject({ id: z.string(), username: z.string().optional() });

export const discordPayload = z.looseObject({
  id: z.string().describe('The interaction id'),
  application_id: z.string(),
  type: z.number().int(),
  token: z.string().describe('Valid 15 minutes for follow-ups'),
  version: z.number().optional(),
  guild_id: z.string().optional(),
  channel_id: z.string().optional(),
  member: z.looseObject({ user }).optional(),
  user: user.optional(),
  data: z
    .looseObject({
      name: z.string().optional(),
      options: z.array(z.looseObject({ name: z.string(), type: z.number().optional(), value: z.unknown().optional() })).optional(),
      custom_id: z.string().optional(),
    })
    .optional(),
});

export type DiscordPayload = z.output<typeof discordPayload>;
