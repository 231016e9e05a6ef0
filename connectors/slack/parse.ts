import { parseBody, refuse, type Delivery, type RawRequest, type Verdict } from '../../core/connector-kit.js';
import { isAppRateLimited, isEventCallback, isSlashCommand, isSslCheck, isUrlVerification, slackPayload, type Interaction, type SlackPayload } from './payload.js';

/** What filters and `{payload.x}` templates see: the payload, plus the command text split into words. */
export type SlackView = SlackPayload & { args?: string[] };

export function parseSlack(req: RawRequest): Verdict<Delivery<SlackPayload>> {
  const body = parseBody(req);
  if (!body.ok) return body;
  let decoded: unknown;
  if (body.value.kind === 'form') {
    // A loop, not fromEntries(entries().map()): three arrays per field on every slash command.
    const form = body.value.value;
    const fields: Record<string, string | undefined> = {};
    for (const key in form) {
      const value = form[key]!;
      fields[key] = Array.isArray(value) ? value[0] : value;
    }
    if (typeof fields.payload === 'string') {
      try {
        decoded = JSON.parse(fields.payload) as unknown;
      } catch {
        return refuse('unparseable_body', 'form field payload is not valid JSON');
      }
    } else {
      decoded = fields;
    }
  } else {
    decoded = body.value.value;
  }
  const parsed = slackPayload.safeParse(decoded);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return refuse('payload_invalid', `not a Slack slash command, interaction or event: ${describeIssue(issue)}`);
  }
  const payload = parsed.data;
  if (isSlashCommand(payload)) {
    const view: SlackView = { ...payload, args: payload.text.split(/\s+/).filter(Boolean) };
    return { ok: true, value: { payload, view, kind: 'slash_command', deliveryId: payload.trigger_id } };
  }
  if (isEventCallback(payload)) return { ok: true, value: { payload, kind: 'event_callback', deliveryId: payload.event_id } };
  if (isUrlVerification(payload)) return { ok: true, value: { payload, kind: 'url_verification' } };
  if (isSslCheck(payload)) return { ok: true, value: { payload, kind: 'ssl_check' } };
  if (isAppRateLimited(payload)) return { ok: true, value: { payload, kind: 'app_rate_limited' } };
  const interaction = payload as Interaction;
  return { ok: true, value: { payload, kind: interaction.type, deliveryId: interaction.trigger_id } };
}

function describeIssue(issue: { path: PropertyKey[]; message: string }): string {
  return issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message;
}
