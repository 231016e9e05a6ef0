/**
 * The remote-engine launcher: each action becomes a Valohai REST API call. The payload reaches
 * the execution as a signed, expiring URL of this service. Every creation is tagged with the job
 * id; a retried launch first looks the tag up, so a response lost in transit never creates a
 * second execution or pipeline.
 */
import type { Clock } from '../../clock.js';
import type { ValohaiLauncherConfig } from '../../config/schema.js';
import { launched, launchFailed, type Launcher, type LaunchOutcome } from '../../launch/launcher.js';
import type { PayloadUrlSigner } from '../../payloads/payload-url-signer.js';
import type { JobRecord } from '../../store/store.js';
import type { ValohaiProject } from '../../valohai-yaml/load-valohai-yaml.js';
import type { ValohaiApi } from './valohai-api.js';
import { convertPipeline } from './convert-pipeline.js';

interface Created {
  readonly id: string;
  readonly counter?: number;
  readonly urls?: { readonly display?: string };
}

interface Page<T> {
  readonly results?: readonly T[];
}

export interface ValohaiLauncherOptions {
  readonly config: ValohaiLauncherConfig;
  readonly api: ValohaiApi;
  readonly project: ValohaiProject;
  readonly payloadUrls: PayloadUrlSigner;
  readonly clock: Clock;
}

export function jobTag(jobId: string): string {
  return `hooklaunch-${jobId}`;
}

export function createValohaiLauncher({ config, api, project, payloadUrls, clock }: ValohaiLauncherOptions): Launcher {
  const createOnce = async (collection: 'executions' | 'pipelines', job: JobRecord, body: Record<string, unknown>): Promise<{ ok: true; created: Created } | { ok: false; outcome: LaunchOutcome }> => {
    const tag = jobTag(job.id);
    if (job.attempts > 1) {
      // An earlier attempt may have been created with its answer lost: find it before creating again.
      const found = await api.request<Page<Created>>('GET', `/api/v0/${collection}/`, { query: { project: config.project, tag } });
      if (!found.ok) return { ok: false, outcome: { ok: false, failure: found.failure } };
      const existing = found.body?.results?.[0];
      if (existing) return { ok: true, created: existing };
    }
    const created = await api.request<Created>('POST', `/api/v0/${collection}/`, { body });
    if (!created.ok) return { ok: false, outcome: { ok: false, failure: created.failure } };
    if (typeof created.body?.id !== 'string') {
      return { ok: false, outcome: launchFailed('valohai_bad_response', `Valohai API POST /api/v0/${collection}/ answered ${created.status} without an id`, true) };
    }
    return { ok: true, created: created.body };
  };

  const remote = (created: Created): { counter?: number; url?: string } => ({
    ...(typeof created.counter === 'number' && { counter: created.counter }),
    ...(typeof created.urls?.display === 'string' && { url: created.urls.display }),
  });

  return {
    async launch(job) {
      const { spec } = job;
      const tags = [jobTag(job.id)];
      switch (spec.type) {
        case 'run-execution': {
          const inputs = spec.payloadInput === undefined ? {} : { [spec.payloadInput]: [payloadUrls.sign(job.runId, spec.payloadFilename, clock.now())] };
          const body = {
            project: config.project,
            commit: spec.commit ?? config.commit,
            step: spec.step,
            title: spec.title,
            parameters: spec.parameters,
            inputs,
            tags,
            ...(config.environment !== undefined && { environment: config.environment }),
          };
          const result = await createOnce('executions', job, body);
          if (!result.ok) return result.outcome;
          return launched({ kind: 'execution', executionId: result.created.id, step: spec.step, ...remote(result.created) });
        }
        case 'run-pipeline': {
          const def = project.pipelines.get(spec.pipeline);
          if (!def) return launchFailed('pipeline_not_found', `pipeline "${spec.pipeline}" is not in valohai.yaml`, false);
          const dot = spec.payloadInput?.indexOf('.') ?? -1;
          const payload =
            spec.payloadInput === undefined
              ? undefined
              : { node: spec.payloadInput.slice(0, dot), input: spec.payloadInput.slice(dot + 1), url: payloadUrls.sign(job.runId, spec.payloadFilename, clock.now()) };
          const body = {
            project: config.project,
            title: spec.title,
            tags,
            ...convertPipeline(def, project.steps, { commit: spec.commit ?? config.commit, parameters: spec.parameters, payload, environment: config.environment }),
          };
          const result = await createOnce('pipelines', job, body);
          if (!result.ok) return result.outcome;
          return launched({ kind: 'pipeline', pipelineId: result.created.id, pipeline: spec.pipeline, ...remote(result.created) });
        }
        case 'fetch-repository': {
          const fetched = await api.request<{ commits?: Array<{ ref?: string; identifier?: string }>; errors?: unknown[] }>('POST', `/api/v0/projects/${config.project}/fetch/`);
          if (!fetched.ok) return { ok: false, failure: fetched.failure };
          const commits = (fetched.body?.commits ?? []).map((c) => ({ ref: String(c.ref ?? ''), identifier: String(c.identifier ?? '') }));
          return launched({ kind: 'fetch', commits, errors: (fetched.body?.errors ?? []).map(String) });
        }
      }
    },
  };
}
