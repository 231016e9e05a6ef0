import type { ValohaiProject } from '../../valohai-yaml/load-valohai-yaml.js';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { LoadedConfig } from '../../config/load-config.js';
import type { ValohaiLauncherConfig } from '../../config/schema.js';
import type { LaunchBackend } from '../../launch/launch-backend.js';
import type { OnExecutionEnded } from '../../launch/execution-ended.js';
import type { PayloadUrlSigner } from '../../payloads/payload-url-signer.js';
import type { Store } from '../../store/store.js';
import { openGitRepository } from '../local/git-repository.js';
import { createProjectVersions } from '../local/project-versions.js';
import { createStatusFollower, type StatusFollower } from './status-follower.js';
import { createValohaiApi } from './valohai-api.js';
import { createValohaiLauncher } from './valohai-launcher.js';

export interface ValohaiBackend extends LaunchBackend {
  readonly follower: StatusFollower;
}

export interface ValohaiBackendOptions {
  readonly config: ValohaiLauncherConfig;
  readonly loaded: LoadedConfig;
  readonly store: Store;
  readonly payloadUrls: PayloadUrlSigner;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly onExecutionEnded?: OnExecutionEnded;
  readonly onRunChanged?: (runId: string) => void;
  /** valohai.yaml as last reloaded (default: as loaded at start). */
  readonly currentProject?: (() => ValohaiProject) | undefined;
}

/**
 * Launches on a Valohai installation and follows what it launched until it ends. Nothing runs in
 * this process, so there is nothing to wait for at shutdown but the follower's current check.
 */
export function createValohaiBackend({ config, loaded, store, payloadUrls, clock, logger, onExecutionEnded, onRunChanged, currentProject = () => loaded.project }: ValohaiBackendOptions): ValohaiBackend {
  const api = createValohaiApi({ host: config.host, token: config.token, timeoutMs: config.request_timeout * 1000 });
  // The project folder's git repository, read-only here: a pipeline is built from valohai.yaml
  // at the commit it runs when that commit is in it (never fetched from here).
  const { project } = loaded.config;
  const versions = createProjectVersions(currentProject, openGitRepository(loaded.projectPath, project.remote), project.valohai_yaml);
  const follower = createStatusFollower({ store, api, clock, logger, ...(onExecutionEnded && { onEnded: onExecutionEnded }), ...(onRunChanged && { onRunChanged }) });
  return {
    launcher: createValohaiLauncher({ config, store, api, project: currentProject, versions, payloadUrls, clock }),
    follower,
    start: async () => follower.start(),
    idle: async () => undefined,
    isIdle: () => true,
    stop: () => follower.stop(),
    async stopExecution(execution) {
      // valohai-cli stops an execution by POSTing to its `urls.stop`, which is this path
      // (valohai_cli/utils/stop_command.py; tests/fixtures/data.py EXECUTION_DETAIL_DATA).
      const stopped = await api.request('POST', `/api/v0/executions/${encodeURIComponent(execution.id)}/stop/`);
      if (!stopped.ok) return { ok: false, message: stopped.failure.message };
      // Checked at once rather than at its spaced-out next check, so the stop shows soon.
      await store.rescheduleFollow(execution.id, clock.now());
      return { ok: true };
    },
  };
}
