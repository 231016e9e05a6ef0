/**
 * One benchmark server per process, so the load generator never shares a core's event loop
 * with it: `tsx test/bench/peer-server.ts bare|hmac|floor|floor-slack|floor-pg|octokit|bolt|hooklaunch <config or PostgreSQL URL>`. Prints its
 * URL as the first stdout line. SIGTERM closes hooklaunch cleanly (its store flushed and closed),
 * so the bench can measure the database files it left.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { BENCH_SECRET } from './bench-secret.js';
import { floorServer } from './floor-servers.js';

const [kind, config] = process.argv.slice(2);

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let close: () => Promise<void> = async () => undefined;

async function main(): Promise<string> {
  switch (kind) {
    case 'bare':
      // The physical reference: read the body, answer 200.
      return listen(
        createServer((req, res) => {
          req.on('data', () => undefined);
          req.on('end', () => {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end('{"ok":true}');
          });
        }),
      );
    case 'hmac':
      // What any careful receiver does at least: HMAC-SHA256 over the whole body, timing-safe compare.
      return listen(
        createServer((req, res) => {
          const chunks: Buffer[] = [];
          req.on('data', (chunk: Buffer) => chunks.push(chunk));
          req.on('end', () => {
            const expected = Buffer.from(`sha256=${createHmac('sha256', BENCH_SECRET).update(Buffer.concat(chunks)).digest('hex')}`);
            const given = Buffer.from(String(req.headers['x-hub-signature-256'] ?? ''));
            const ok = given.length === expected.length && timingSafeEqual(given, expected);
            res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
            res.end(ok ? '{"ok":true}' : '{"ok":false}');
          });
        }),
      );
    case 'floor':
    case 'floor-slack':
    case 'floor-pg': {
      const floor = await floorServer(kind, config);
      close = floor.close;
      return listen(floor.server);
    }
    case 'octokit': {
      const { Webhooks, createNodeMiddleware } = await import('@octokit/webhooks');
      const webhooks = new Webhooks({ secret: BENCH_SECRET });
      webhooks.on('push', () => undefined);
      const middleware = createNodeMiddleware(webhooks, { path: '/github' });
      return listen(createServer((req, res) => void middleware(req, res)));
    }
    case 'bolt': {
      const { App, HTTPReceiver } = await import('@slack/bolt');
      const receiver = new HTTPReceiver({ signingSecret: BENCH_SECRET, endpoints: '/slack/events', logLevel: 'error' as never });
      // A fixed authorization: Bolt would otherwise call Slack's auth.test, and there is no network.
      const app = new App({ receiver, authorize: async () => ({ botToken: 'xoxb-bench', botId: 'B1', botUserId: 'U1' }), logLevel: 'error' as never });
      app.command('/predict', async ({ ack }) => {
        await ack('Working on it');
      });
      const server = (await app.start(0)) as Server;
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    }
    case 'hooklaunch': {
      const { connectors } = await import('../../connectors/index.js');
      const { loadConfig } = await import('../../core/config/load-config.js');
      const { startService } = await import('../../core/service.js');
      const service = await startService(loadConfig(config!, process.env, connectors), { port: 0, logger: pino({ level: 'silent' }) });
      close = () => service.close();
      return service.url;
    }
    default:
      throw new Error(`unknown server kind ${kind}`);
  }
}

process.on('SIGINT', () => process.exit(0));
process.on('SIGTERM', () => {
  close().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${(error as Error).stack}\n`);
      process.exit(1);
    },
  );
});

main().then(
  (url) => process.stdout.write(`${url}\n`),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack}\n`);
    process.exit(1);
  },
);
