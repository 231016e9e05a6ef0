/**
 * Sends `requests` copies of one request, `concurrency` at a time, each on a connection of its
 * own, and counts the answers by status. Not autocannon: a rejection answers `connection: close`
 * before the next request, and autocannon keeps writing into the closed socket (EPIPE), which
 * would count the server's early refusal as a client error.
 */
import { request as httpRequest } from 'node:http';

export interface FloodResult {
  readonly statuses: Record<string, number>;
  readonly errors: number;
  readonly seconds: number;
}

export async function sendFlood(url: string, path: string, body: Buffer, headers: Record<string, string>, options: { requests: number; concurrency: number }): Promise<FloodResult> {
  const statuses: Record<string, number> = {};
  let errors = 0;
  let next = 0;
  const started = performance.now();
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      let answered = false;
      const req = httpRequest(`${url}${path}`, { method: 'POST', agent: false, headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
        answered = true;
        statuses[String(res.statusCode)] = (statuses[String(res.statusCode)] ?? 0) + 1;
        res.resume();
        res.on('end', resolve);
        res.on('error', resolve);
      });
      // After an answer, a reset only means the server stopped reading the rest of a refused body.
      req.on('error', () => {
        if (!answered) errors++;
        resolve();
      });
      req.end(body);
    });
  const worker = async (): Promise<void> => {
    while (next < options.requests) {
      next++;
      await one();
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return { statuses, errors, seconds: (performance.now() - started) / 1000 };
}
