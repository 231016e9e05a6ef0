/** GitHub: repository and organization webhooks, signed with X-Hub-Signature-256. */
import { defineConnector } from '../../core/connector-kit.js';
import { filterGithub } from './filters.js';
import { githubParams, type GithubParams } from './params.js';
import { parseGithub } from './parse.js';
import { githubPayload, type GithubPayload } from './payload.js';
import { acceptedGithub, handshakeGithub, ignoredGithub } from './respond.js';
import { describeGithubVerification, sampleGithub, signGithub, verifyGithub } from './verify.js';
import { githubParserHelpers } from './parser-helpers.js';

export const github = defineConnector<GithubParams, GithubPayload>({
  id: 'github',
  title: 'GitHub',
  params: githubParams,
  payload: githubPayload,
  encoding: 'form-or-json',
  parserHelpers: { python: githubParserHelpers },
  // github.com cuts the connection after 10 s (GHES 30 s).
  ackDeadlineMs: 10_000,
  // No automatic retries, but manual redeliveries (same X-GitHub-Delivery) reach back 3 days.
  dedupeWindowSeconds: 3 * 86_400,
  sensitiveHeaders: ['x-hub-signature-256', 'x-hub-signature'],
  setup: {
    steps: 'Repository → Settings → Webhooks → Add webhook: Payload URL = {url}, Content type application/json, Secret = the trigger\'s secret, and the events the trigger lists (connector.events).',
  },
  // "Payloads are capped at 25 MB" (docs.github.com, webhook events and payloads); read as MiB so
  // no delivery GitHub sends is ever refused.
  maxBodyBytes: 25 * 1024 * 1024,
  verify: verifyGithub,
  verification: describeGithubVerification,
  sign: signGithub,
  sample: sampleGithub,
  parse: parseGithub,
  handshake: handshakeGithub,
  filter: filterGithub,
  ignored: ignoredGithub,
  accepted: acceptedGithub,
});
