import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connectors } from '../../connectors/index.js';
import { loadConfig } from '../../core/config/load-config.js';
import { startService, type Service, type ServiceOptions } from '../../core/service.js';
import { settledLogReads, silentLogger } from './service.js';

export interface TemplateService {
  readonly dir: string;
  readonly service: Service;
  readonly url: (triggerId: string, suffix?: string) => string;
  close(): Promise<void>;
}

/** A copy of templates/<name> (as `hooklaunch init` makes it), served as written on a free port. */
export async function startTemplate(name: string, env: NodeJS.ProcessEnv, prepare?: (dir: string) => void, options: ServiceOptions = {}): Promise<TemplateService> {
  const dir = mkdtempSync(join(tmpdir(), `hooklaunch-${name}-`));
  cpSync(resolve(import.meta.dirname, '../../templates', name), dir, { recursive: true });
  prepare?.(dir);
  const loaded = loadConfig(join(dir, 'hooklaunch.yaml'), env, connectors);
  const service = settledLogReads(await startService(loaded, { port: 0, logger: silentLogger, backoff: () => 20, killGraceMs: 200, shutdownGraceMs: 100, ...options }));
  return {
    dir,
    service,
    url: (triggerId, suffix = '') => `${service.url}/api/v0/launch/${triggerId}/${suffix}`,
    async close() {
      await service.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A loopback HTTP server recording what is posted to it. */
export async function startSink(respond?: (path: string) => { status: number; type: string; body: Buffer } | undefined) {
  const { createServer } = await import('node:http');
  const received: Array<{ path: string; body: string }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = respond?.(req.url ?? '/');
      if (answer) {
        res.writeHead(answer.status, { 'content-type': answer.type });
        res.end(answer.body);
        return;
      }
      received.push({ path: req.url ?? '/', body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { received, host: `127.0.0.1:${port}`, url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}
