/**
 * The HTTP front: launch and run-info routes on node:http (the hot path pays for no framework),
 * everything else handed to the express admin app. With `server.tls` the same handler runs on
 * node:https: TLS is the socket's business, the routes do not change.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TlsCredentials } from './tls-files.js';
import { createAdminApp, type PagesRouter } from './admin-app.js';
import type { HttpContext } from './context.js';
import { PAYLOAD_PATH } from '../payloads/payload-url-signer.js';
import { handleLaunch } from './launch-route.js';
import { requestTarget } from './request-target.js';
import { handlePayload } from './payload-route.js';
import { answerFailure } from './answer-failure.js';
import { refuseOverloaded } from './refuse-overloaded.js';
import { handleRunInfo } from './run-info-route.js';

const LAUNCH = /^\/api\/v0\/launch\/([^/]+)\/?$/;
const RUN_INFO = /^\/api\/v0\/launch\/([^/]+)\/run\/?$/;

/** `tls` given: an https.Server (an http.Server too), whose credentials `setSecureContext` replaces. */
export function createHttpServer(ctx: HttpContext, tls?: TlsCredentials, pages?: PagesRouter): Server {
  const admin = createAdminApp(ctx, pages);
  let activeRequests = 0;
  // One listener for every response, not a closure and a once-wrapper per request: 'close' comes once.
  const finished = (): void => void activeRequests--;
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = requestTarget(req.url ?? '/');
    // `GET //` is no URL (new URL throws): thrown here, it took the whole process down.
    if (!url) {
      admin(req, res);
      return;
    }
    const launch = LAUNCH.exec(url.pathname);
    const runInfo = launch ? null : RUN_INFO.exec(url.pathname);
    const payload = launch || runInfo ? false : PAYLOAD_PATH.test(url.pathname);
    if (!launch && !runInfo && !payload) {
      admin(req, res);
      return;
    }
    const id = decodeURIComponentSafe((launch ?? runInfo)?.[1] ?? '');
    // Payload downloads are not shed: a remote execution fetching its input would fail for good.
    // Requests in progress are counted, not sockets: idle ones (which the timeouts below close)
    // must not shut out every sender.
    activeRequests++;
    res.on('close', finished);
    if (!payload && activeRequests > ctx.maxConnections) {
      refuseOverloaded(ctx, res, ctx.triggers.has(id) ? id : 'unknown', 'connections');
      return;
    }
    // A launch whose body is being read has no promise to watch: the route calls answerFailure itself.
    let handled: Promise<void> | undefined;
    try {
      handled = launch ? handleLaunch(ctx, id, req, res, url) : runInfo ? handleRunInfo(ctx, id, req, res, url) : handlePayload(ctx, req, res, url);
    } catch (error) {
      answerFailure(ctx, res, url.pathname, error);
      return;
    }
    handled?.catch((error: unknown) => answerFailure(ctx, res, url.pathname, error));
  };
  const options = { connectionsCheckingInterval: 1_000 };
  const server: Server = tls ? createHttpsServer({ ...options, cert: tls.cert, key: tls.key }, handler) : createServer(options, handler);
  // Memory grows with requests × body size (issue #11). Past max_connections requests in
  // progress, launch requests get 503 unread. Sockets themselves are cheap; past a generous cap
  // Node closes new ones unanswered, and idle ones are reaped by the timeouts below. No cap per
  // address: behind a proxy every sender shares one.
  server.maxConnections = Math.max(1024, ctx.maxConnections * 8);
  // Slow-loris protection: a sender has 10 s to deliver headers and 30 s for the whole request;
  // idle sockets are checked every second (Node's default is 30 s).
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  return server;
}

function decodeURIComponentSafe(text: string): string {
  // Trigger ids are URL-safe: nearly every request has nothing to decode (and no try to pay for).
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
