/**
 * Signed, expiring URLs under the service's public URL that hand a run's stored payload to a
 * remote execution: HMAC-SHA256 over the path and the expiry, so a URL cannot be altered to
 * reach another run's payload or to live longer.
 */
import { createHmac } from 'node:crypto';
import { bytesEqual } from '../conditions/constant-time.js';
import { accept, refuse, type Verdict } from '../reject.js';

export const PAYLOAD_PATH = /^\/api\/v0\/payloads\/([^/]+)\/([^/]+)$/;

export interface PayloadUrlSigner {
  /** The absolute URL of a run's payload, valid for the configured time from `nowMs`. */
  sign(runId: string, filename: string, nowMs: number): string;
  /** Checks a request's path and query; the run id it names when the signature holds. */
  verify(path: string, query: URLSearchParams, nowMs: number): Verdict<{ runId: string; filename: string }>;
}

export function createPayloadUrlSigner(key: string, publicUrl: string, ttlSeconds: number): PayloadUrlSigner {
  const mac = (path: string, expires: string): Buffer => createHmac('sha256', key).update(`${path}\n${expires}`).digest();
  return {
    sign(runId, filename, nowMs) {
      const path = `/api/v0/payloads/${encodeURIComponent(runId)}/${encodeURIComponent(filename)}`;
      const expires = String(Math.floor(nowMs / 1000) + ttlSeconds);
      return `${publicUrl}${path}?expires=${expires}&signature=${mac(path, expires).toString('hex')}`;
    },
    verify(path, query, nowMs) {
      const match = PAYLOAD_PATH.exec(path);
      const expires = query.get('expires') ?? '';
      const signature = query.get('signature') ?? '';
      if (!match || !/^\d{1,12}$/.test(expires) || !/^[0-9a-f]{64}$/.test(signature)) {
        return refuse('url_signature_invalid', 'this payload URL is not signed; use the URL hooklaunch handed to the execution');
      }
      if (!bytesEqual(Buffer.from(signature, 'hex'), mac(path, expires))) {
        return refuse('url_signature_invalid', 'the signature of this payload URL does not match');
      }
      if (Number(expires) * 1000 < nowMs) return refuse('url_expired', 'this payload URL has expired');
      return accept({ runId: decodeURIComponent(match[1]!), filename: decodeURIComponent(match[2]!) });
    },
  };
}
