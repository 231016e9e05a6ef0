/** Slack: signed slash commands, interactivity and Events API deliveries. */
import { defineConnector } from '../../core/connector-kit.js';
import { filterSlack } from './filters.js';
import { slackParams, type SlackParams } from './params.js';
import { parseSlack } from './parse.js';
import { slackPayload, type SlackPayload } from './payload.js';
import { acceptedSlack, followUpSlack, handshakeSlack, ignoredSlack, pausedSlack } from './respond.js';
import { describeSlackVerification, sampleSlack, signSlack, verifySlack } from './verify.js';
import { slackParserHelpers } from './parser-helpers.js';

export const slack = defineConnector<SlackParams, SlackPayload>({
  id: 'slack',
  title: 'Slack',
  params: slackParams,
  payload: slackPayload,
  encoding: 'form-or-json',
  parserHelpers: { python: slackParserHelpers },
  ackDeadlineMs: 3000,
  // Events API retries come at once, after 1 min and after 5 min: an hour covers them all.
  dedupeWindowSeconds: 3600,
  sensitiveHeaders: ['x-slack-signature'],
  setup: {
    steps: 'Slack app → Basic Information → copy the Signing Secret into the trigger (connector.secret). Slash Commands (or Interactivity, or Event Subscriptions) → Request URL = {url}.',
    providerIssuesSecret: true,
  },
  verify: verifySlack,
  verification: describeSlackVerification,
  sign: signSlack,
  sample: sampleSlack,
  parse: parseSlack,
  handshake: handshakeSlack,
  filter: filterSlack,
  ignored: ignoredSlack,
  paused: pausedSlack,
  accepted: acceptedSlack,
  followUp: followUpSlack,
});
