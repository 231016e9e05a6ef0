/**
 * What Slack sends, decoded: a slash command (form fields), an interaction (the JSON inside the
 * form's `payload=`), or an Events API envelope (JSON). The source of the generated parsers.
 */
import { z } from 'zod';

export const slashCommand = z.looseObject({
  command: z.string().describe('The command typed, e.g. /predict'),
  text: z.string().describe('Everything after the command'),
  response_url: z.string().describe('Where follow-up messages go (30 minutes, 5 uses)'),
  trigger_id: z.string(),
  user_id: z.string(),
  user_name: z.string().optional(),
  team_id: z.string(),
  team_domain: z.string().optional(),
  channel_id: z.string(),
  channel_name: z.string().optional(),
  api_app_id: z.string().optional(),
  enterprise_id: z.string().optional(),
  is_enterprise_install: z.string().optional(),
});

export const INTERACTION_TYPES = ['block_actions', 'view_submission', 'view_closed', 'shortcut', 'message_action', 'block_suggestion'] as const;

export const interaction = z.looseObject({
  type: z.enum(INTERACTION_TYPES),
  user: z.looseObject({ id: z.string(), username: z.string().optional(), team_id: z.string().optional() }),
  team: z.looseObject({ id: z.string(), domain: z.string().optional() }).nullable().optional(),
  channel: z.looseObject({ id: z.string(), name: z.string().optional() }).nullable().optional(),
  trigger_id: z.string().optional(),
  response_url: z.string().optional(),
  actions: z.array(z.looseObject({ action_id: z.string().optional(), value: z.string().optional() })).optional(),
});

export const eventCallback = z.looseObject({
  type: z.literal('event_callback'),
  event_id: z.string(),
  team_id: z.string(),
  api_app_id: z.string().optional(),
  event_time: z.number().optional(),
  event: z.looseObject({
    type: z.string(),
    user: z.string().optional(),
    channel: z.string().optional(),
    text: z.string().optional(),
    ts: z.string().optional(),
  }),
});

export const urlVerification = z.looseObject({
  type: z.literal('url_verification'),
  challenge: z.string(),
});

/**
 * Sent to the Events API Request URL when the app is rate limited (over 30,000 events an hour from
 * one workspace). Slack disables apps that answer under 95 % of deliveries with 200, so it is
 * answered 200 like a handshake (api.slack.com/events/app_rate_limited).
 */
export const appRateLimited = z.looseObject({
  type: z.literal('app_rate_limited'),
  team_id: z.string(),
  minute_rate_limited: z.number(),
  api_app_id: z.string().optional(),
});

/** Slack's unsigned SSL probe for slash command URLs; answered, never launched. */
export const sslCheck = z.looseObject({
  ssl_check: z.literal('1'),
});

export const slackPayload = z.union([
  slashCommand.meta({ title: 'SlashCommand' }),
  interaction.meta({ title: 'Interaction' }),
  eventCallback.meta({ title: 'EventCallback' }),
  urlVerification.meta({ title: 'UrlVerification' }),
  appRateLimited.meta({ title: 'AppRateLimited' }),
  sslCheck.meta({ title: 'SslCheck' }),
]);

export type SlackPayload = z.output<typeof slackPayload>;
export type SlashCommand = z.output<typeof slashCommand>;
export type Interaction = z.output<typeof interaction>;
export type EventCallback = z.output<typeof eventCallback>;

// Loose objects admit any key, so `in` checks do not narrow; these do.
export function isSlashCommand(payload: SlackPayload): payload is SlashCommand {
  return typeof payload.command === 'string' && typeof payload.trigger_id === 'string';
}
export function isEventCallback(payload: SlackPayload): payload is EventCallback {
  return payload.type === 'event_callback';
}
export function isUrlVerification(payload: SlackPayload): payload is z.output<typeof urlVerification> {
  return payload.type === 'url_verification';
}
export function isAppRateLimited(payload: SlackPayload): payload is z.output<typeof appRateLimited> {
  return payload.type === 'app_rate_limited';
}
export function isInteraction(payload: SlackPayload): payload is Interaction {
  return (INTERACTION_TYPES as readonly unknown[]).includes(payload.type);
}
export function isSslCheck(payload: SlackPayload): boolean {
  return payload.ssl_check === '1' && typeof payload.command !== 'string';
}
