import type { Clock } from '../../clock.js';
import type { ValohaiLauncherConfig } from '../../config/schema.js';
import type { LaunchBackend } from '../../launch/launch-backend.js';
import type { PayloadUrlSigner } from '../../payloads/payload-url-signer.js';
import type { ValohaiProject } from '../../valohai-yaml/load-valohai-yaml.js';
import { createValohaiApi } from './valohai-api.js';
import { createValohaiLauncher } from './valohai-launcher.js';

/** Launches on a Valohai installation; nothing runs in this process, so there is nothing to wait for. */
export function createValohaiBackend(config: ValohaiLauncherConfig, project: ValohaiProject, payloadUrls: PayloadUrlSigner, clock: Clock): LaunchBackend {
  const api = createValohaiApi({ host: config.host, token: config.token, timeoutMs: config.request_timeout * 1000 });
  return {
    launcher: createValohaiLauncher({ config, api, project, payloadUrls, clock }),
    start: async () => undefined,
    idle: async () => undefined,
    isIdle: () => true,
    stop: async () => undefined,
  };
}
