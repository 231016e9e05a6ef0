/**
 * Who is asking the admin API and the web page, and what they may do. A request resolves to one
 * configured admin token — `{name, role}` — by its bearer token or by the page's session cookie;
 * `requireRole(role)` in front of a route lets through that role and the ones above it
 * (viewer < operator < admin), checks the form token on cookie-authenticated writes, and writes
 * the audit line of every state-changing request. New routes take it like the existing ones:
 * `app.post('/api/v0/triggers/:id/pause/', requireRole('operator'), handler)`, and read who
 * acted with `adminIdentity(res)`.
 */
import { createHmac } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { secretEqual } from '../conditions/constant-time.js';
import { ADMIN_ROLES, type AdminRole, type AdminTokenConfig } from '../config/schema.js';
import { REJECT_STATUS, type RejectCode } from '../reject.js';
import { CSRF_HEADER, createCsrfGuard } from './csrf-guard.js';

export type { AdminRole } from '../config/schema.js';

export const SESSION_COOKIE = 'hooklaunch_session';
const SESSION_PATTERN = new RegExp(`(?:^|;\\s*)${SESSION_COOKIE}=([0-9a-f]{64})`);
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface AdminIdentity {
  /** The token's name (never the token): what the audit log and revision history show. */
  readonly name: string;
  readonly role: AdminRole;
  /** The session cookie's value when the request came from the web page; absent for bearer calls. */
  readonly session?: string;
}

/** Why a request may not go on, answered as JSON by the API and as a page (or the login form) by the UI. */
export interface AuthRefusal {
  readonly status: 401 | 403;
  readonly code: Extract<RejectCode, 'unauthorized' | 'forbidden' | 'cross_site_request'>;
  readonly message: string;
}

export type RefusalAnswer = (req: Request, res: Response, refusal: AuthRefusal) => void;

export interface AdminAuth {
  /** Whether any admin token is configured; with none the admin API and the page are disabled. */
  readonly enabled: boolean;
  identify(req: Request): AdminIdentity | undefined;
  /** The identity and session cookie value for a token typed into the login form, if it is one. */
  logIn(token: string): (AdminIdentity & { readonly session: string }) | undefined;
  /** The form token the page puts in its forms for this identity ('' for bearer calls). */
  formToken(identity: AdminIdentity): string;
  /** Middleware: the request's token must have `role` or a higher one. */
  requireRole(role: AdminRole, answer?: RefusalAnswer): RequestHandler;
}

export const answerJson: RefusalAnswer = (_req, res, refusal) => {
  if (refusal.status === 401) res.set('www-authenticate', 'Bearer');
  const hint = refusal.code === 'cross_site_request' ? '; API clients send Authorization: Bearer <token>' : '';
  res.status(refusal.status).json({ error: { code: refusal.code, message: `${refusal.message}${hint}` } });
};

/** Who `requireRole` let through; only valid in a handler behind it. */
export function adminIdentity(res: Response): AdminIdentity {
  const identity = (res.locals as { admin?: AdminIdentity }).admin;
  if (!identity) throw new Error('adminIdentity() called on a route without requireRole()');
  return identity;
}

export function hasRole(identity: AdminIdentity, role: AdminRole): boolean {
  return ADMIN_ROLES.indexOf(identity.role) >= ADMIN_ROLES.indexOf(role);
}

export function createAdminAuth(tokens: readonly AdminTokenConfig[], options: { publicUrl?: string | undefined; logger: Logger }): AdminAuth {
  // The cookie is a MAC over the token's name under the token itself: it identifies its token
  // without holding it, and stops working when that token is changed or removed.
  const sessions = tokens.map((t) => ({ ...t, session: createHmac('sha256', t.token).update(`hooklaunch-ui-session\0${t.name}`).digest('hex') }));
  const csrf = createCsrfGuard(options.publicUrl);

  /** Compares against every entry without stopping at a match, so timing does not tell which one matched. */
  const find = (candidate: string, field: 'token' | 'session') => {
    let found: (typeof sessions)[number] | undefined;
    for (const entry of sessions) if (secretEqual(candidate, entry[field]) && !found) found = entry;
    return found;
  };

  const identify = (req: Request): AdminIdentity | undefined => {
    const header = req.get('authorization') ?? '';
    if (header.startsWith('Bearer ')) {
      const entry = find(header.slice('Bearer '.length), 'token');
      return entry && { name: entry.name, role: entry.role };
    }
    const cookie = SESSION_PATTERN.exec(req.get('cookie') ?? '')?.[1];
    const entry = cookie === undefined ? undefined : find(cookie, 'session');
    return entry && { name: entry.name, role: entry.role, session: entry.session };
  };

  const refusalOf = (req: Request, identity: AdminIdentity | undefined, role: AdminRole, route: string): AuthRefusal | undefined => {
    if (sessions.length === 0) return { status: REJECT_STATUS.unauthorized, code: 'unauthorized', message: 'the admin API is disabled: set server.admin_token or server.admin_tokens in the config' };
    if (!identity) return { status: REJECT_STATUS.unauthorized, code: 'unauthorized', message: 'send Authorization: Bearer <an admin token from server.admin_token or server.admin_tokens>' };
    if (identity.session !== undefined && !READS.has(req.method)) {
      // The browser sends the cookie whoever made the page; a write needs the form token and this origin too.
      const body = req.body as { csrf?: unknown } | undefined;
      const sent = req.get(CSRF_HEADER) ?? (typeof body?.csrf === 'string' ? body.csrf : undefined);
      const refusal = csrf.refusal(req, identity.session, sent);
      if (refusal !== undefined) return { status: 403, code: 'cross_site_request', message: refusal };
    }
    if (!hasRole(identity, role)) return { status: REJECT_STATUS.forbidden, code: 'forbidden', message: `${route} needs the ${role} role; token ${identity.name} is ${article(identity.role)} ${identity.role}` };
    return undefined;
  };

  return {
    enabled: sessions.length > 0,
    identify,
    logIn(token) {
      const entry = find(token, 'token');
      return entry && { name: entry.name, role: entry.role, session: entry.session };
    },
    formToken: (identity) => (identity.session === undefined ? '' : csrf.tokenFor(identity.session)),
    requireRole(role, answer = answerJson) {
      return (req: Request, res: Response, next: NextFunction): void => {
        const identity = identify(req);
        const route = routeOf(req);
        const refusal = refusalOf(req, identity, role, route);
        const audit = { route, target: targetOf(req) };
        if (refusal) {
          if (identity && !READS.has(req.method)) options.logger.warn({ token: identity.name, role: identity.role, ...audit, code: refusal.code }, 'admin action refused');
          return answer(req, res, refusal);
        }
        res.locals.admin = identity;
        if (!READS.has(req.method)) {
          // 'close' comes after 'finish', and also when the client went away first: every write is audited.
          res.once('close', () => options.logger.info({ token: identity!.name, role: identity!.role, ...audit, status: res.statusCode }, 'admin action'));
        }
        next();
      };
    },
  };
}

/** `POST /api/v0/requests/:id/replay/`: the route as declared, so refusals and audit lines read alike for every target. */
function routeOf(req: Request): string {
  const declared = (req.route as { path?: unknown } | undefined)?.path;
  const path = typeof declared === 'string' ? `${req.baseUrl}${declared.replace('{/}', '/')}` : req.baseUrl + req.path;
  return `${req.method} ${path}`;
}

/** What the request acts on: the route's `:id` (a trigger or a logged request). */
function targetOf(req: Request): string | null {
  const id = (req.params as Record<string, unknown>).id;
  return typeof id === 'string' ? id : null;
}

function article(role: AdminRole): string {
  return role === 'viewer' ? 'a' : 'an';
}
