import { request as httpsRequest } from 'node:https';
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
  if (url.protocol === 'https:') return postToSelfOverTls(url, signed.value.headers, signed.value.body);
  const response = await fetch(url, { method: 'POST', headers: signed.value.headers, body: signed.value.body });
  return { ok: response.ok, status: response.status, requestId: response.headers.get('x-request-id') ?? undefined, answer: await response.text() };
}

/**
 * `baseUrl` is this process's own listening socket (127.0.0.1): its certificate names the public
 * host, not that address, and may be self-signed, so it is not verified — there is no third party
 * on the way to authenticate. fetch cannot be told so without undici's Agent (not a dependency).
 */
function postToSelfOverTls(url: URL, headers: Record<string, string>, body: Uint8Array | string): Promise<TestRequestResult> {
  return new Promise((resolve) => {
    const req = httpsRequest(url, { method: 'POST', headers, rejectUnauthorized: false, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('end', () => {
        const status = res.statusCode ?? 0;
        const requestId = res.headers['x-request-id'];
        resolve({ ok: status >= 200 && status < 300, status, requestId: typeof requestId === 'string' ? requestId : undefined, answer: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.once('timeout', () => req.destroy(new Error('no answer in 30 s')));
    req.once('error', (error) => resolve({ ok: false, error: `the test request failed: ${error.message}` }));
    req.end(body);
  });
}
