import {
  compileHmac,
  compileStaticToken,
  compileTimestamp,
  conditionSchema,
  perParams,
  type Check,
  type Clock,
  type HmacConfig,
  type RawRequest,
  type TimestampConfig,
  type Verdict,
} from '../../core/connector-kit.js';
import type { V7Params } from './params.js';

const SIGNATURE = 'v7-signature';

// Token mode: the webhook stage sends whatever was entered as its Authorization value.
// Signed mode: `v7-signature: t=<unix s>,v1=<hex>`, HMAC-SHA256 with the team's signing key; the
// signed string is taken to be "{t}.{body}" as in Stripe's scheme, which V7's docs resemble.
const checks = perParams((params: V7Params): Check[] => {
  if (params.mode === 'token') {
    const token = conditionSchema.parse({ type: 'web-request-auth', auth_type: 'static_token', lookup: 'header', key: params.header, prefix: params.prefix, secret: params.secret });
    return [compileStaticToken(token as Parameters<typeof compileStaticToken>[0])];
  }
  const timestamp = conditionSchema.parse({ type: 'timestamp', key: SIGNATURE, prefix: 't=', separator: ',', tolerance: params.tolerance }) as TimestampConfig;
  const hmac = conditionSchema.parse({
    type: 'web-request-auth',
    auth_type: 'hmac',
    key: SIGNATURE,
    prefix: 'v1=',
    separator: ',',
    secret: params.secret,
    message: '{timestamp}.{body}',
  }) as HmacConfig;
  return [compileTimestamp(timestamp), compileHmac(hmac, timestamp)];
});

export async function verifyV7(req: RawRequest, params: V7Params, clock: Clock): Promise<Verdict<void>> {
  for (const check of checks(params)) {
    const verdict = await check(req, clock);
    if (!verdict.ok) return verdict;
  }
  return { ok: true, value: undefined };
}
