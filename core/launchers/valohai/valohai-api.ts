/**
 * A small client for Valohai's REST API: token auth, JSON in and out, a timeout per call, and
 * errors turned into launch failures — transient ones (network, timeout, 408/425/429/5xx)
 * retryable, the rest permanent with the API's own message. Uses global fetch (undici): one
 * dependency fewer, and msw intercepts it in tests.
 */
import type { LaunchFailure } from '../../launch/launcher.js';

export type ApiResult<T> = { readonly ok: true; readonly status: number; readonly body: T } | { readonly ok: false; readonly failure: LaunchFailure };

export interface ValohaiApi {
  request<T>(method: 'GET' | 'POST', path: string, options?: { query?: Record<string, string>; body?: unknown }): Promise<ApiResult<T>>;
}

export interface ValohaiApiOptions {
  readonly host: string;
  readonly token: string;
  readonly timeoutMs: number;
}

const RETRYABLE = new Set([408, 425, 429, 500, 502, 503, 504]);

export function createValohaiApi({ host, token, timeoutMs }: ValohaiApiOptions): ValohaiApi {
  const base = host.replace(/\/+$/, '');
  return {
    async request<T>(method: 'GET' | 'POST', path: string, options: { query?: Record<string, string>; body?: unknown } = {}): Promise<ApiResult<T>> {
      const url = new URL(`${base}${path}`);
      for (const [key, value] of Object.entries(options.query ?? {})) url.searchParams.set(key, value);
      const what = `${method} ${url.pathname}`;
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          headers: {
            authorization: `Token ${token}`,
            accept: 'application/json',
            ...(options.body !== undefined && { 'content-type': 'application/json' }),
          },
          ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        const reason = (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : `${(error as Error).message}${causeOf(error)}`;
        return { ok: false, failure: { code: 'valohai_unreachable', message: `Valohai API ${what}: ${reason}`, retryable: true } };
      }
      const text = await response.text();
      let body: unknown = text;
      try {
        body = text ? (JSON.parse(text) as unknown) : undefined;
      } catch {
        // not JSON: keep the text for the message
      }
      if (response.ok) return { ok: true, status: response.status, body: body as T };
      const retryAfter = Number(response.headers.get('retry-after'));
      return {
        ok: false,
        failure: {
          code: `valohai_${response.status}`,
          message: `Valohai API ${what} answered ${response.status}: ${describeApiError(body)}`,
          retryable: RETRYABLE.has(response.status),
          ...(Number.isFinite(retryAfter) && retryAfter > 0 && { retryAfterMs: retryAfter * 1000 }),
        },
      };
    },
  };
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause ? ` (${cause.code ?? cause.message ?? 'unknown cause'})` : '';
}

/** Django REST Framework error bodies as Valohai sends them, flattened to one line. */
export function describeApiError(body: unknown): string {
  if (body === undefined || body === null || body === '') return '(empty body)';
  if (typeof body === 'string') return body.slice(0, 300);
  if (Array.isArray(body)) return body.map(describeApiError).join('; ');
  if (typeof body !== 'object') return String(body);
  const record = body as Record<string, unknown>;
  if (typeof record.message === 'string') return typeof record.code === 'string' ? `${record.message} (${record.code})` : record.message;
  if (typeof record.detail === 'string') return record.detail;
  if (typeof record.error === 'string') return record.error;
  return Object.entries(record)
    .map(([field, value]) => (field === 'non_field_errors' ? describeApiError(value) : `${field}: ${describeApiError(value)}`))
    .join('; ');
}
