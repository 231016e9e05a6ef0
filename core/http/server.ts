/**
 * The HTTP front: launch and run-info routes on node:http (the hot path pays for no framework),
 * everything else handed to the express admin app.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { uuidv7 } from '../ids.js';
import { reject } from '../reject.js';
import { createAdminApp } from './admin-app.js';
import type { HttpContext } from './context.js';
import { PAYLOAD_PATH } from '../payloads/payload-url-signer.js';
import { handleLaunch } from './launch-route.js';
import { handlePayload } from './payload-route.js';
import { sendRejection } from './respond.js';
import { refuseOverloaded } from './refuse-overloaded.js';
import { handleRunInfo } from './run-info-route.js';

const LAUNCH = /^\/api\/v0\/launch\/([^/]+)\/?$/;
const RUN_INFO = /^\/api\/v0\/launch\/([^/]+)\/run\/?$/;

export function createHttpServer(ctx: HttpContext): Server {
  const admin = createAdminApp(ctx);
  let openConnections = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://hooklaunch.invalid');
    const launch = LAUNCH.exec(url.pathname);
    const runInfo = launch ? null : RUN_INFO.exec(url.pathname);
    const payload = launch || runInfo ? false : PAYLOAD_PATH.test(url.pathname);
    if (!launch && !runInfo && !payload) {
      admin(req, res);
      return;
    }
    const id = decodeURIComponentSafe((launch ?? runInfo)?.[1] ?? '');
    // Payload downloads are not shed: a remote execution fetching its input would fail for good.
    if (!payload && openConnections > ctx.maxConnections) {
      refuseOverloaded(ctx, res, ctx.triggers.has(id) ? id : 'unknown', 'connections');
      return;
    }
    const handled = launch ? handleLaunch(ctx, id, req, res, url) : runInfo ? handleRunInfo(ctx, id, req, res, url) : handlePayload(ctx, req, res, url);
    handled.catch((error: unknown) => {
      // Routes answer their own failures once a request id exists; this is the last resort, and
      // it too names a request id the sender can quote and the operator can find in the log.
      const requestId = uuidv7(ctx.clock.now());
      ctx.logger.error({ err: error, url: url.pathname, requestId }, 'request failed');
      if (!res.headersSent) {
        sendRejection(res, reject('internal_error', 'the request could not be recorded; nothing was launched, please retry'), { connection: 'close', 'x-request-id': requestId });
      } else {
        res.destroy();
      }
    });
  });
  // Memory grows with connections × body size (issue #11). Past max_connections, launch requests
  // get 503 unread; past twice that, Node closes new sockets unanswered — a flood is not worth a parser.
  server.on('connection', (socket) => {
    openConnections++;
    socket.once('close', () => openConnections--);
  });
  server.maxConnections = ctx.maxConnections * 2;
  // Slow-loris protection: a sender has 30 s to deliver headers and body.
  server.requestTimeout = 30_000;
  server.headersTimeout = 20_000;
  server.keepAliveTimeout = 5_000;
  return server;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
