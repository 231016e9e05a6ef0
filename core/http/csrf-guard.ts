/**
 * Cross-site request forgery guard for writes authenticated by the web page's session cookie.
 * SameSite=Strict is not enough on its own: a page on another port of the same host is the same
 * *site*, so the browser attaches the cookie to its auto-submitted POSTs. A cookie-authenticated
 * write therefore needs both the session's form token (only a page of this service can read it)
 * and a same-origin `Sec-Fetch-Site` / `Origin`. Bearer-token calls carry no ambient credential
 * and are not checked.
 */
import { createHmac } from 'node:crypto';
import type { Request } from 'express';
import { secretEqual } from '../conditions/constant-time.js';

/** The header API clients send the token in; the page's forms send it as the `csrf` field. */
export const CSRF_HEADER = 'x-csrf-token';

export interface CsrfGuard {
  /** The form token of a session: the page puts it in its forms, API clients of the page send it as a header. */
  tokenFor(session: string): string;
  /** Why this write under `session` is refused, or undefined when it may go on. */
  refusal(req: Request, session: string, sentToken: string | undefined): string | undefined;
}

export function createCsrfGuard(publicUrl: string | undefined): CsrfGuard {
  const tokenFor = (session: string): string => createHmac('sha256', session).update('csrf').digest('hex');
  const publicOrigin = publicUrl ? new URL(publicUrl).origin : undefined;
  return {
    tokenFor,
    refusal(req, session, sentToken) {
      const site = req.get('sec-fetch-site');
      if (site !== undefined && site !== 'same-origin') return `cross-origin request refused (Sec-Fetch-Site: ${site})`;
      const origin = req.get('origin');
      // Browsers send Origin on every POST; a cookie-authenticated write without one is not from this page.
      if (origin === undefined && site === undefined) return 'cross-origin request refused (no Origin header)';
      if (origin !== undefined && !isSameOrigin(origin, req.get('host'), publicOrigin)) return `cross-origin request refused (Origin: ${origin})`;
      if (sentToken === undefined || !secretEqual(sentToken, tokenFor(session))) return 'the form token is missing or stale; reload the page and try again';
      return undefined;
    },
  };
}

/** Origin names this service: its public URL, or the host (with port) the browser addressed. */
function isSameOrigin(origin: string, host: string | undefined, publicOrigin: string | undefined): boolean {
  if (origin === publicOrigin) return true;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false; // "null" (sandboxed frames, file: pages) and garbage
  }
  return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && host !== undefined && parsed.host === host.toLowerCase();
}
