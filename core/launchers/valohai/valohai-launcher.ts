/**
 * The remote-engine launcher: each action becomes a Valohai REST API call. The payload reaches
 * the execution as a signed, expiring URL of this service. Every creation is tagged with the job
 * id; a retried launch first looks the tag up, so a response lost in transit never creates a
 * second execution or pipeline. The commit is resolved to Valohai's identifier first, and a
 * pipeline is built from that commit's valohai.yaml when the local repository has it.
 */
import type { Clock } from '../../clock.js';
import type { ValohaiLauncherConfig } from '../../config/schema.js';
import { launched, launchFailed, type Launcher, type LaunchOutcome } from '../../launch/launcher.js';
import type { PayloadUrlSigner } from '../../payloads/payload-url-signer.js';
import type { JobRecord, Store } from '../../store/store.js';
import type { ValohaiProject } from '../../valohai-yaml/load-valohai-yaml.js';
import type { ProjectVersions } from '../local/project-versions.js';
import type { ValohaiApi } from './valohai-api.js';
import { convertPipeline } from './convert-pipeline.js';
import { executionBody } from './execution-body.js';
import { resolveCommit } from './resolve-commit.js';
import { FIRST_CHECK_MS } from './status-follower.js';
import { BATCH_INDEX_FILE } from '../../store/batch-payload.js';

interface Created {
  readonly id: string;
  readonly counter?: number;
  readonly urls?: { readonly display?: string };
  readonly tags?: unknown;
}

interface Page<T> {
  readonly results?: readonly T[];
}

export interface ValohaiLauncherOptions {
  readonly config: ValohaiLauncherConfig;
  /** Where launched work is recorded and queued for the status follower. */
  readonly store: Store;
  readonly api: ValohaiApi;
  /** valohai.yaml of the working copy, and as it is at a commit of the local repository. */
  /** The working copy's valohai.yaml as last (re)loaded. */
  readonly project: () => ValohaiProject;
  readonly versions: ProjectVersions;
  readonly payloadUrls: PayloadUrlSigner;
  readonly clock: Clock;
}

export function jobTag(jobId: string): string {
  return `hooklaunch-${jobId}`;
}

/**
 * Whether a listed execution or pipeline carries `tag`. The list call filters by tag, but nothing
 * in valohai-cli relies on that filter, so a server that ignores it must not make a retry adopt
 * the project's newest unrelated work. Tags are matched as the strings they are sent as.
 */
function carriesTag(item: Created, tag: string): boolean {
  return Array.isArray(item.tags) && item.tags.includes(tag);
}

export function createValohaiLauncher({ config, store, api, project, versions, payloadUrls, clock }: ValohaiLauncherOptions): Launcher {
  type Step<T> = { ok: true; value: T } | { ok: false; outcome: LaunchOutcome };

  const findExisting = async (collection: 'executions' | 'pipelines', job: JobRecord): Promise<Step<Created | undefined>> => {
    // Only a retry can find one: an earlier attempt may have been created with its answer lost.
    if (job.attempts <= 1) return { ok: true, value: undefined };
    const tag = jobTag(job.id);
    const found = await api.request<Page<Created>>('GET', `/api/v0/${collection}/`, { query: { project: config.project, tag } });
    if (!found.ok) return { ok: false, outcome: { ok: false, failure: found.failure } };
    const results = Array.isArray(found.body?.results) ? found.body.results : [];
    return { ok: true, value: results.find((item) => typeof item?.id === 'string' && carriesTag(item, tag)) };
  };

  const commitOf = async (reference: string): Promise<Step<string>> => {
    const resolved = await resolveCommit(api, config.project, reference);
    return resolved.ok ? { ok: true, value: resolved.identifier } : { ok: false, outcome: { ok: false, failure: resolved.failure } };
  };

  // `vh pipeline run --commit X` reads valohai.yaml at X from the local checkout
  // (valohai_cli/models/project.py get_config(commit_identifier)); so does this, falling back to
  // the working copy, and a pipeline's run says which one it used.
  const definitionAt = async (commit: string): Promise<{ project: ValohaiProject; said: string }> => {
    const atCommit = await versions.at(commit);
    return atCommit.ok ? { project: atCommit.value, said: `valohai.yaml at commit ${commit}` } : { project: project(), said: `valohai.yaml of the working copy: ${atCommit.message}` };
  };

  const create = async (collection: 'executions' | 'pipelines', body: Record<string, unknown>): Promise<Step<Created>> => {
    const created = await api.request<Created>('POST', `/api/v0/${collection}/`, { body });
    if (!created.ok) return { ok: false, outcome: { ok: false, failure: created.failure } };
    if (typeof created.body?.id !== 'string') {
      return { ok: false, outcome: launchFailed('valohai_bad_response', `Valohai API POST /api/v0/${collection}/ answered ${created.status} without an id`, true) };
    }
    return { ok: true, value: created.body };
  };

  // Recorded before the job completes, idempotent on the id: a retry that adopts the same work
  // records nothing twice, and the follower picks it up even after a restart.
  const followExecution = async (job: JobRecord, spec: Extract<JobRecord['spec'], { type: 'run-execution' }>, id: string): Promise<void> => {
    const { type: _type, ...fields } = spec;
    await store.createExecution({ id, jobId: job.id, runId: job.runId, spec: { ...fields, remote: 'valohai', commitRef: spec.commit }, createdAtMs: clock.now() });
    await store.followRemote({ remoteId: id, kind: 'execution', runId: job.runId, triggerId: job.triggerId, nextCheckAtMs: clock.now() + FIRST_CHECK_MS });
  };
  const followPipeline = async (job: JobRecord, spec: Extract<JobRecord['spec'], { type: 'run-pipeline' }>, id: string): Promise<void> => {
    const { type: _type, ...fields } = spec;
    await store.createPipeline({ id, jobId: job.id, runId: job.runId, spec: { ...fields, commitRef: spec.commit }, createdAtMs: clock.now() });
    await store.followRemote({ remoteId: id, kind: 'pipeline', runId: job.runId, triggerId: job.triggerId, nextCheckAtMs: clock.now() + FIRST_CHECK_MS });
  };

  const remote = (created: Created): { counter?: number; url?: string } => ({
    ...(typeof created.counter === 'number' && { counter: created.counter }),
    ...(typeof created.urls?.display === 'string' && { url: created.urls.display }),
  });

  /** Signed URLs of the payload input's files: the payload, and a batch's index.json (core/http/payload-route.ts serves both). */
  const payloadUrlsOf = (runId: string, spec: { payloadFilename: string; batched?: boolean | undefined }): string[] => [
    payloadUrls.sign(runId, spec.payloadFilename, clock.now()),
    ...(spec.batched ? [payloadUrls.sign(runId, BATCH_INDEX_FILE, clock.now())] : []),
  ];

  return {
    async launch(job) {
      const { spec } = job;
      const tags = [jobTag(job.id)];
      switch (spec.type) {
        case 'run-execution': {
          const existing = await findExisting('executions', job);
          if (!existing.ok) return existing.outcome;
          if (existing.value) {
            await followExecution(job, spec, existing.value.id);
            return launched({ kind: 'execution', executionId: existing.value.id, step: spec.step, ...remote(existing.value) });
          }
          const commit = await commitOf(spec.commit ?? config.commit);
          if (!commit.ok) return commit.outcome;
          const definition = await definitionAt(commit.value);
          const step = definition.project.steps.get(spec.step);
          if (!step) return launchFailed('step_not_found', `step "${spec.step}" is not in ${definition.said}`, false);
          const payload = spec.payloadInput === undefined ? undefined : { input: spec.payloadInput, urls: payloadUrlsOf(job.runId, spec) };
          const body = executionBody({ project: config.project, commit: commit.value, step, title: spec.title, parameters: spec.parameters, payload, environment: config.environment, tags });
          const result = await create('executions', body);
          if (!result.ok) return result.outcome;
          await followExecution(job, spec, result.value.id);
          return launched({ kind: 'execution', executionId: result.value.id, step: spec.step, ...remote(result.value) });
        }
        case 'run-pipeline': {
          const existing = await findExisting('pipelines', job);
          if (!existing.ok) return existing.outcome;
          if (existing.value) {
            await followPipeline(job, spec, existing.value.id);
            return launched({ kind: 'pipeline', pipelineId: existing.value.id, pipeline: spec.pipeline, ...remote(existing.value) });
          }
          const commit = await commitOf(spec.commit ?? config.commit);
          if (!commit.ok) return commit.outcome;
          const definition = await definitionAt(commit.value);
          const def = definition.project.pipelines.get(spec.pipeline);
          if (!def) return launchFailed('pipeline_not_found', `pipeline "${spec.pipeline}" is not in ${definition.said}`, false);
          const dot = spec.payloadInput?.indexOf('.') ?? -1;
          const payload =
            spec.payloadInput === undefined
              ? undefined
              : { node: spec.payloadInput.slice(0, dot), input: spec.payloadInput.slice(dot + 1), urls: payloadUrlsOf(job.runId, spec) };
          const body = {
            project: config.project,
            title: spec.title,
            tags,
            ...convertPipeline(def, definition.project.steps, { commit: commit.value, parameters: spec.parameters, payload, environment: config.environment }),
          };
          const result = await create('pipelines', body);
          if (!result.ok) return result.outcome;
          await followPipeline(job, spec, result.value.id);
          return launched({ kind: 'pipeline', pipelineId: result.value.id, pipeline: spec.pipeline, definition: definition.said, ...remote(result.value) });
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
