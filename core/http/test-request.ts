import type { CompiledTrigger } from '../triggers/compile-trigger.js';
import { signTriggerRequest } from '../triggers/sign-request.js';

export interface TestRequestResult {
  readonly ok: boolean;
  readonly status?: number;
  readonly requestId?: string | undefined;
  readonly answer?: string;
  readonly error?: string;
}

/** Signs `body` (or the connector's sample) with the trigger's own scheme and sends it to `baseUrl`. */
export async function sendTestRequest(trigger: CompiledTrigger, baseUrl: string, body?: string, contentType?: string): Promise<TestRequestResult> {
  const sample = trigger.connector?.connector.sample?.(trigger.connector.params);
  const text = body ?? sample?.body ?? '{}';
  const type = contentType ?? sample?.contentType ?? 'application/json';
  const binding = trigger.connector && { connector: trigger.connector.connector, params: trigger.connector.params };
  const signed = await signTriggerRequest(trigger.config, binding, Buffer.from(text), type, Date.now());
  if (!signed.ok) return { ok: false, error: signed.rejection.message };
  const url = new URL(`${baseUrl}/api/v0/launch/${trigger.id}/`);
  for (const [key, value] of Object.entries(signed.value.query)) url.searchParams.set(key, value);
  const response = await fetch(url, { method: 'POST', headers: signed.value.headers, body: signed.value.body });
  return { ok: response.ok, status: response.status, requestId: response.headers.get('x-request-id') ?? undefined, answer: await response.text() };
}
