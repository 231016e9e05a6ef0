import { parseJsonPayload, type Delivery, type RawRequest, type Verdict } from '../../core/connector-kit.js';
import { discordPayload, type DiscordPayload } from './payload.js';

const KINDS: Record<number, string> = { 1: 'ping', 2: 'application_command', 3: 'message_component', 4: 'autocomplete', 5: 'modal_submit' };

export function parseDiscord(req: RawRequest): Verdict<Delivery<DiscordPayload>> {
  const payload = parseJsonPayload(req, discordPayload, 'Discord interaction');
  if (!payload.ok) return payload;
  const kind = KINDS[payload.value.type] ?? `type_${payload.value.type}`;
  return { ok: true, value: { payload: payload.value, kind, deliveryId: payload.value.type === 1 ? undefined : payload.value.id } };
}
