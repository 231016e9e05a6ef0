import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Store } from './store.js';

const HOUR_MS = 3_600_000;

/** Purges what is older than `days` once an hour (first a minute after start), with the finished runs' work folders. */
export function startRetention(store: Store, days: number, clock: Clock, logger: Logger, workRoot: string, onPurged?: () => Promise<void>): { stop(): void; runOnce(): Promise<void> } {
  const runOnce = async (): Promise<void> => {
    try {
      const purged = await store.purge(clock.now() - days * 86_400_000);
      await Promise.all(purged.executionIds.map((id) => rm(join(workRoot, id), { recursive: true, force: true })));
      if (purged.requests || purged.runs) logger.info({ requests: purged.requests, runs: purged.runs, olderThanDays: days }, 'retention purge');
      await onPurged?.();
    } catch (error) {
      logger.error({ err: error }, 'retention purge failed; trying again in an hour');
    }
  };
  const first = setTimeout(() => void runOnce(), 60_000);
  const every = setInterval(() => void runOnce(), HOUR_MS);
  first.unref();
  every.unref();
  return {
    stop() {
      clearTimeout(first);
      clearInterval(every);
    },
    runOnce,
  };
}
