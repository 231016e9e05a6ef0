import { z } from 'zod';
import { hmacSecretsSchema, timestampTolerance } from '../../core/connector-kit.js';

const ids = z.array(z.string().min(1)).min(1).optional();

/** The `connector:` block of a Slack trigger. */
export const slackParams = z.strictObject({
  /** The app's Signing Secret (Basic Information → App Credentials); a list, newest first, while rotating. */
  secret: hmacSecretsSchema('utf8'),
  /** Slash commands this trigger runs, e.g. [/predict]; any when absent. */
  commands: z.array(z.string().regex(/^\/\S+$/, 'a slash command starts with "/", e.g. /predict')).min(1).optional(),
  user_ids: ids,
  channel_ids: ids,
  team_ids: ids,
  /** Events API event types (event.type) that launch, e.g. [app_mention]; any when absent. */
  events: ids,
  /** The ephemeral message Slack shows at once; {run_id}, {command} and {text} are filled in. */
  ack_text: z.string().min(1).default('Working on `{command} {text}` (run {run_id})'),
  /** Post progress (started, failed, completed) to the command's response_url. */
  follow_up: z.boolean().default(true),
  /** Hosts follow-ups may post to (a list, or comma-separated); a crafted response_url elsewhere is never called. */
  response_url_hosts: z
    .union([z.array(z.string().min(1)).min(1), z.string().min(1).transform((list) => list.split(',').map((h) => h.trim()).filter(Boolean))])
    .default(['hooks.slack.com']),
  /**
   * The app's bot token (`xoxb-…`, OAuth & Permissions), for follow-ups once the response_url has
   * expired (30 minutes) or been used 5 times: they go to the command's channel through
   * chat.postMessage. Needs the `chat:write` scope and the bot in the channel (or `chat:write.public`).
   * A credential: never logged, never shown.
   */
  bot_token: z.string().regex(/^xoxb-\S+$/, 'a bot token starts with "xoxb-" (OAuth & Permissions → Bot User OAuth Token)').optional(),
  /** Seconds either side of now a request timestamp may be; Slack documents 5 minutes. */
  tolerance: timestampTolerance(),
});

export type SlackParams = z.output<typeof slackParams>;
