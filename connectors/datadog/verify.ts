import { perParams, staticTokenCheck, type Clock, type RawRequest, type Verdict } from '../../core/connector-kit.js';
import type { DatadogParams } from './params.js';

const check = perParams((params: DatadogParams) => staticTokenCheck({ key: params.header, prefix: params.prefix, secret: params.secret }));

export async function verifyDatadog(req: RawRequest, params: DatadogParams, clock: Clock): Promise<Verdict<void>> {
  return check(params)(req, clock);
}

export function signDatadog(body: Buffer, contentType: string, params: DatadogParams): Record<string, string> {
  return { 'content-type': contentType, [params.header.toLowerCase()]: `${params.prefix}${params.secret[0]!}` };
}

export function sampleDatadog(params: DatadogParams): { body: string; contentType: string } {
  return {
    body: JSON.stringify({ id: String(Date.now()), alert_id: '123', transition: params.transitions[0], title: '[Triggered] model drift', priority: params.priorities?.[0] ?? 'P2', tags: (params.tags ?? ['env:test']).join(','), link: 'https://app.datadoghq.com/event/1' }),
    contentType: 'application/json',
  };
}

/** What this connector verifies, in words (`hooklaunch check`, the page), from the same constants as the check. */
export const describeDatadogVerification = (params: DatadogParams): string => `token in ${params.header}${params.prefix ? ` after "${params.prefix}"` : ''}`;
