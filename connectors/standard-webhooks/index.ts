/** Standard Webhooks: webhook-id / webhook-timestamp / webhook-signature (v1 HMAC, v1a Ed25519). */
import { defineConnector } from '../../core/connector-kit.js';
import { filterStandardWebhooks } from './filters.js';
import { standardWebhooksParams, type StandardWebhooksParams } from './params.js';
import { parseStandardWebhooks } from './parse.js';
import { standardWebhooksPayload, type StandardWebhooksPayload } from './payload.js';
import { acceptedStandardWebhooks, ignoredStandardWebhooks } from './respond.js';
import { describeStandardWebhooksVerification, sampleStandardWebhooks, signStandardWebhooks, verifyStandardWebhooks } from './verify.js';

export const standardWebhooks = defineConnector<StandardWebhooksParams, StandardWebhooksPayload>({
  id: 'standard-webhooks',
  title: 'Standard Webhooks',
  params: standardWebhooksParams,
  payload: standardWebhooksPayload,
  encoding: 'json',
  ackDeadlineMs: 15_000,
  // Senders retry with backoff for hours to days.
  dedupeWindowSeconds: 3 * 86_400,
  sensitiveHeaders: ['webhook-signature'],
  setup: {
    steps: 'In the sender (Svix-based, Replicate, …) add an endpoint with URL = {url}; its endpoint secret whsec_… is the trigger\'s secret (public_keys for asymmetric v1a signing).',
    providerIssuesSecret: true,
  },
  secretFormat: () => 'whsec',
  signsDeliveryId: () => true,
  verify: verifyStandardWebhooks,
  verification: describeStandardWebhooksVerification,
  parse: parseStandardWebhooks,
  filter: filterStandardWebhooks,
  ignored: ignoredStandardWebhooks,
  accepted: acceptedStandardWebhooks,
  sign: signStandardWebhooks,
  sample: sampleStandardWebhooks,
});
