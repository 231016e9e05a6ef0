/** Discord interactions: Ed25519-signed, PING/PONG, deferred answers edited as the run goes. */
import { defineConnector } from '../../core/connector-kit.js';
import { filterDiscord } from './filters.js';
import { discordParams, type DiscordParams } from './params.js';
import { parseDiscord } from './parse.js';
import { discordPayload, type DiscordPayload } from './payload.js';
import { acceptedDiscord, followUpDiscord, handshakeDiscord, ignoredDiscord, pausedDiscord } from './respond.js';
import { describeDiscordVerification, sampleDiscord, verifyDiscord } from './verify.js';

export const discord = defineConnector<DiscordParams, DiscordPayload>({
  id: 'discord',
  title: 'Discord',
  params: discordParams,
  payload: discordPayload,
  encoding: 'json',
  // The initial response is due within 3 s.
  ackDeadlineMs: 3000,
  // No retries; an interaction id is unique. An hour outlives any replay of a captured request.
  dedupeWindowSeconds: 3600,
  sensitiveHeaders: ['x-signature-ed25519'],
  setup: {
    steps: 'Developer Portal → your application → Interactions Endpoint URL = {url}; connector.public_key = General Information → Public Key. Register the slash commands named in connector.commands.',
  },
  verify: verifyDiscord,
  verification: describeDiscordVerification,
  parse: parseDiscord,
  handshake: handshakeDiscord,
  filter: filterDiscord,
  ignored: ignoredDiscord,
  paused: pausedDiscord,
  accepted: acceptedDiscord,
  sample: sampleDiscord,
  followUp: followUpDiscord,
});
