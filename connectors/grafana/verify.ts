import {
  basicAuthMatches,
  hmacCheck,
  header,
  passesAll,
  perParams,
  refuse,
  signHmac,
  staticTokenCheck,
  timestampCheck,
  type Check,
  type Clock,
  type RawRequest,
  type TimestampCondition,
  type Verdict,
} from '../../core/connector-kit.js';
import type { GrafanaParams } from './params.js';

// Grafana's source uses X-Grafana-Alert-Signature; Terraform and many receivers use X-Grafana-Alerting-Signature.
/** What Grafana's HMAC covers (alerting http/hmac.go): the check and `signGrafana` share it. */
const signedString = (timestamped: boolean): string => (timestamped ? '{timestamp}:{body}' : '{body}');

const SIGNATURE_HEADERS = ['x-grafana-alert-signature', 'x-grafana-alerting-signature'];

const checks = perParams((params: GrafanaParams): Check[] => {
  if (params.auth === 'bearer') {
    return [staticTokenCheck({ key: 'Authorization', prefix: 'Bearer ', secret: params.secret })];
  }
  if (params.auth === 'basic') {
    return [
      (req) => {
        const value = header(req, 'authorization');
        if (value === undefined) return refuse('missing_header', 'header Authorization is missing (or repeated)');
        return params.secret.some((password) => basicAuthMatches(value, params.user!, password)) ? { ok: true, value: undefined } : refuse('token_mismatch', 'header Authorization does not carry valid basic credentials');
      },
    ];
  }
  const timestamp: TimestampCondition | undefined = params.timestamp_header ? { key: params.timestamp_header, tolerance: params.tolerance } : undefined;
  const hmacFor = (key: string) => hmacCheck({ key, secret: params.secret, message: signedString(timestamp !== undefined) }, timestamp);
  const candidates = params.signature_header ? [params.signature_header.toLowerCase()] : SIGNATURE_HEADERS;
  const hmacs = new Map(candidates.map((name) => [name, hmacFor(name)]));
  const signature: Check = (req, clock) => {
    const present = candidates.find((name) => req.headers[name] !== undefined);
    if (!present) return refuse('missing_header', `header ${candidates.join(' or ')} is missing (set the HMAC signature on the contact point)`);
    return hmacs.get(present)!(req, clock);
  };
  return timestamp ? [timestampCheck(timestamp), signature] : [signature];
});

export async function verifyGrafana(req: RawRequest, params: GrafanaParams, clock: Clock): Promise<Verdict<void>> {
  return passesAll(checks(params), req, clock);
}

export function signGrafana(body: Buffer, contentType: string, params: GrafanaParams, nowMs: number): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': contentType };
  if (params.auth === 'bearer') return { ...headers, authorization: `Bearer ${params.secret[0]!}` };
  if (params.auth === 'basic') return { ...headers, authorization: `Basic ${Buffer.from(`${params.user}:${params.secret[0]!}`).toString('base64')}` };
  const timestamp = String(Math.floor(nowMs / 1000));
  if (params.timestamp_header) headers[params.timestamp_header.toLowerCase()] = timestamp;
  headers[(params.signature_header ?? SIGNATURE_HEADERS[0]!).toLowerCase()] = signHmac({ secret: params.secret[0]!, message: signedString(params.timestamp_header !== undefined) }, { body, timestamp });
  return headers;
}

export function sampleGrafana(params: GrafanaParams): { body: string; contentType: string } {
  const labels = { alertname: 'ModelDrift', ...params.labels };
  return {
    body: JSON.stringify({ receiver: 'hooklaunch', status: params.statuses[0], orgId: 1, alerts: [{ status: params.statuses[0], labels, annotations: { summary: 'test' }, fingerprint: Date.now().toString(16) }], commonLabels: labels, groupKey: `{}:{alertname="ModelDrift"}`, title: '[FIRING:1] ModelDrift', state: 'alerting' }),
    contentType: 'application/json',
  };
}

/** What this connector verifies, in words (`hooklaunch check`, the page), from the same constants as the check. */
export const describeGrafanaVerification = (params: GrafanaParams): string => {
  if (params.auth === 'bearer') return 'bearer token in Authorization';
  if (params.auth === 'basic') return `basic credentials (user ${params.user}) in Authorization`;
  const header = params.signature_header ?? SIGNATURE_HEADERS.join(' or ');
  return `HMAC-SHA256 in ${header} over "${signedString(params.timestamp_header !== undefined)}"${params.timestamp_header ? `; ${params.timestamp_header} within ±${params.tolerance} s` : ''}`;
};
