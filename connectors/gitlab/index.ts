/** GitLab: X-Gitlab-Token or a signing token (Standard Webhooks), object_kind and branch filters. */
import { defineConnector } from '../../core/connector-kit.js';
import { filterGitlab } from './filters.js';
import { gitlabParams, type GitlabParams } from './params.js';
import { parseGitlab } from './parse.js';
import { gitlabPayload, type GitlabPayload } from './payload.js';
import { acceptedGitlab, ignoredGitlab, pausedGitlab } from './respond.js';
import { describeGitlabVerification, sampleGitlab, signGitlab, verifyGitlab } from './verify.js';

export const gitlab = defineConnector<GitlabParams, GitlabPayload>({
  id: 'gitlab',
  title: 'GitLab',
  params: gitlabParams,
  payload: gitlabPayload,
  encoding: 'json',
  ackDeadlineMs: 10_000,
  // Only manual resends (same Idempotency-Key); keep keys a few days like GitHub's.
  dedupeWindowSeconds: 3 * 86_400,
  sensitiveHeaders: ['x-gitlab-token', 'webhook-signature'],
  setup: {
    steps: 'Project → Settings → Webhooks → URL = {url}, Secret token = the trigger\'s secret (or a signing token whsec_… with mode: signed), and tick Push events (and what connector.events lists).',
  },
  // Signing tokens (mode: signed) are Standard Webhooks keys; plain tokens are not.
  secretFormat: (block) => (block.mode === 'signed' ? 'whsec' : 'hex'),
  // Signed mode is Standard Webhooks: webhook-id is in the signed string.
  signsDeliveryId: (params) => params.mode === 'signed',
  // GitLab does not send a hook whose JSON exceeds 25 MB (gitlab-org/gitlab!38687, Gitlab::Json::LimitedEncoder).
  maxBodyBytes: 25 * 1024 * 1024,
  verify: verifyGitlab,
  verification: describeGitlabVerification,
  parse: parseGitlab,
  filter: filterGitlab,
  ignored: ignoredGitlab,
  paused: pausedGitlab,
  accepted: acceptedGitlab,
  sign: signGitlab,
  sample: sampleGitlab,
});
