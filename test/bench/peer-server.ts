/**
 * One benchmark server per process, so the load generator never shares a core's event loop
 * with it: `tsx test/bench/peer-server.ts bare|octokit|bolt|hooklaunch <config>`. Prints its
 * URL as the first stdout line.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';

const [kind, config] = process.argv.slice(2);
export const BENCH_SECRET = 'bench-secret-0123456789';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

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
      return service.url;
    }
    default:
      throw new Error(`unknown server kind ${kind}`);
  }
}

process.on('SIGINT', () => process.exit(0));

main().then(
  (url) => process.stdout.write(`${url}\n`),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack}\n`);
    process.exit(1);
  },
);
