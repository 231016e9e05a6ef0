import type { Delivery } from '../../core/connector-kit.js';
import type { SlackParams } from './params.js';
import { isEventCallback, isInteraction, isSlashCommand, type SlackPayload } from './payload.js';

/** The reason a delivery is not for this trigger, or undefined when it is. */
export function filterSlack({ payload }: Delivery<SlackPayload>, params: SlackParams): string | undefined {
  if (params.commands) {
    if (!isSlashCommand(payload)) return 'only slash commands run this trigger';
    if (!params.commands.includes(payload.command)) return `command ${payload.command} is not one of ${params.commands.join(', ')}`;
  }
  if (params.events) {
    if (!isEventCallback(payload)) return 'only Events API events run this trigger';
    if (!params.events.includes(payload.event.type)) return `event ${payload.event.type} is not one of ${params.events.join(', ')}`;
  }
  const { user, channel, team } = whoAndWhere(payload);
  if (params.user_ids && !params.user_ids.includes(user ?? '')) return `user ${user ?? '(none)'} may not run this trigger`;
  if (params.channel_ids && !params.channel_ids.includes(channel ?? '')) return `channel ${channel ?? '(none)'} is not enabled for this trigger`;
  if (params.team_ids && !params.team_ids.includes(team ?? '')) return `team ${team ?? '(none)'} is not enabled for this trigger`;
  return undefined;
}

function whoAndWhere(payload: SlackPayload): { user?: string | undefined; channel?: string | undefined; team?: string | undefined } {
  if (isSlashCommand(payload)) return { user: payload.user_id, channel: payload.channel_id, team: payload.team_id };
  if (isEventCallback(payload)) return { user: payload.event.user, channel: payload.event.channel, team: payload.team_id };
  if (isInteraction(payload)) return { user: payload.user.id, channel: payload.channel?.id, team: payload.team?.id ?? payload.user.team_id };
  return {};
}
