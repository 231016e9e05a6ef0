import { join } from 'node:path';
import { pino } from 'pino';
import type { Clock } from '../../core/clock.js';
import { startService, type Service, type ServiceOptions } from '../../core/service.js';
import { tempProject, type TempProject } from './project.js';

export const silentLogger = pino({ level: 'silent' });

export interface TestService {
  readonly project: TempProject;
  readonly service: Service;
  readonly url: (triggerId: string, suffix?: string) => string;
  restart(options?: Partial<ServiceOptions>): Promise<void>;
  close(): Promise<void>;
}

/**
 * A real hooklaunch on 127.0.0.1:<free port> over a temp project with a SQLite file store.
 * `configYaml` needs no store/server sections; they are added here.
 */
export async function startTestService(
  valohaiYaml: string,
  configYaml: string,
  options: { files?: Record<string, string>; env?: NodeJS.ProcessEnv; clock?: Clock; service?: Partial<ServiceOptions> } = {},
): Promise<TestService> {
  const project = tempProject(valohaiYaml, options.files);
  const full = `store:\n  url: sqlite:${join(project.dir, 'state.db')}\n${configYaml}`;
  // On disk too, so CLI commands can read the same config.
  project.write('hooklaunch.yaml', full);
  const loaded = project.load(full, options.env ?? {});
  const serviceOptions = (extra: Partial<ServiceOptions> = {}): ServiceOptions => ({
    port: 0,
    logger: silentLogger,
    killGraceMs: 200,
    // Closing between tests need not wait `launcher.grace` for executions still running.
    shutdownGraceMs: 100,
    backoff: () => 20,
    // The same environment the config was read with, not the developer's: the secret key then
    // comes from secret.key in the temp project, unless a test sets HOOKLAUNCH_SECRET_KEY.
    env: options.env ?? {},
    ...(options.clock && { clock: options.clock }),
    ...options.service,
    ...extra,
  });
  let service = settledLogReads(await startService(loaded, serviceOptions()));
  const handle: TestService = {
    project,
    get service() {
      return service;
    },
    url: (triggerId, suffix = '') => `${service.url}/api/v0/launch/${triggerId}/${suffix}`,
    async restart(extra) {
      await service.close();
      service = settledLogReads(await startService(project.load(full, options.env ?? {}), serviceOptions(extra)));
    },
    async close() {
      await service.close();
      project.remove();
    },
  };
  return handle;
}

/**
 * A refusal is answered before its trigger-log line commits (issue #14), so readers in the process
 * flush the rejection log first, as the admin API and the page do (read-trigger-log.ts): a test
 * reading `service.store` right after an answer reads the same way.
 */
export function settledLogReads(service: Service): Service {
  const { store, rejections } = service;
  const settled =
    <A extends unknown[], R>(read: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      await rejections.flush();
      return read(...args);
    };
  // In place: tests replace store methods on this very object to make the service fail.
  Object.assign(store, { listLog: settled(store.listLog), getRequest: settled(store.getRequest), triggerStats: settled(store.triggerStats) });
  return service;
}
