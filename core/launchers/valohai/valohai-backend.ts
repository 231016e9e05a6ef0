import type { Clock } from '../../clock.js';
import type { LoadedConfig } from '../../config/load-config.js';
import type { ValohaiLauncherConfig } from '../../config/schema.js';
import type { LaunchBackend } from '../../launch/launch-backend.js';
import type { PayloadUrlSigner } from '../../payloads/payload-url-signer.js';
import { openGitRepository } from '../local/git-repository.js';
import { createProjectVersions } from '../local/project-versions.js';
import { createValohaiApi } from './valohai-api.js';
import { createValohaiLauncher } from './valohai-launcher.js';

/** Launches on a Valohai installation; nothing runs in this process, so there is nothing to wait for. */
export function createValohaiBackend(config: ValohaiLauncherConfig, loaded: LoadedConfig, payloadUrls: PayloadUrlSigner, clock: Clock): LaunchBackend {
  const api = createValohaiApi({ host: config.host, token: config.token, timeoutMs: config.request_timeout * 1000 });
  // The project folder's git repository, read-only here: a pipeline is built from valohai.yaml
  // at the commit it runs when that commit is in it (never fetched from here).
  const { project } = loaded.config;
  const versions = createProjectVersions(loaded.project, openGitRepository(loaded.projectPath, project.remote), project.valohai_yaml);
  return {
    launcher: createValohaiLauncher({ config, api, project: loaded.project, versions, payloadUrls, clock }),
    start: async () => undefined,
    idle: async () => undefined,
    isIdle: () => true,
    stop: async () => undefined,
  };
}
