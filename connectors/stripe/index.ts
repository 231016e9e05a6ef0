/** Stripe: Stripe-Signature (t=, v1=) over "{t}.{body}", events deduplicated by id. */
import { defineConnector } from '../../core/connector-kit.js';
import { filterStripe } from './filters.js';
import { stripeParams, type StripeParams } from './params.js';
import { parseStripe } from './parse.js';
import { stripePayload, type StripePayload } from './payload.js';
import { acceptedStripe, ignoredStripe } from './respond.js';
import { describeStripeVerification, sampleStripe, signStripe, verifyStripe } from './verify.js';

export const stripe = defineConnector<StripeParams, StripePayload>({
  id: 'stripe',
  title: 'Stripe',
  params: stripeParams,
  payload: stripePayload,
  encoding: 'json',
  ackDeadlineMs: 10_000,
  // Live-mode events are retried for up to 3 days.
  dedupeWindowSeconds: 3 * 86_400,
  sensitiveHeaders: ['stripe-signature'],
  setup: {
    steps: 'Developers → Webhooks → Add endpoint: URL = {url} and the events; its Signing secret (whsec_…) is the trigger\'s secret.',
    providerIssuesSecret: true,
  },
  secretFormat: () => 'whsec',
  verify: verifyStripe,
  verification: describeStripeVerification,
  parse: parseStripe,
  filter: filterStripe,
  ignored: ignoredStripe,
  accepted: acceptedStripe,
  sign: signStripe,
  sample: sampleStripe,
});
