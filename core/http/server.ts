/**
 * The HTTP front: launch and run-info routes on node:http (the hot path pays for no framework),
 * everything else handed to the express admin app.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { reject } from '../reject.js';
import { createAdminApp } from './admin-app.js';
import type { HttpContext } from './context.js';
import { PAYLOAD_PATH } from '../payloads/payload-url-signer.js';
import { handleLaunch } from './launch-route.js';
import { handlePayload } from './payload-route.js';
import { sendRejection } from './respond.js';
import { handleRunInfo } from './run-info-route.js';

const LAUNCH = /^\/api\/v0\/launch\/([^/]+)\/?$/;
const RUN_INFO = /^\/api\/v0\/launch\/([^/]+)\/run\/?$/;

export function createHttpServer(ctx: HttpContext): Server {
  const admin = createAdminApp(ctx);
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
    const handled = launch ? handleLaunch(ctx, id, req, res, url) : runInfo ? handleRunInfo(ctx, id, req, res, url) : handlePayload(ctx, req, res, url);
    handled.catch((error: unknown) => {
      ctx.logger.error({ err: error, url: url.pathname }, 'request failed');
      if (!res.headersSent) {
        sendRejection(res, reject('internal_error', 'the request could not be recorded; nothing was launched, please retry'), { connection: 'close' });
      } else {
        res.destroy();
      }
    });
  });
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
