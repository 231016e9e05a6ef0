import type { Clock } from '../../clock.js';
import { uuidFromName } from '../../ids.js';
import { launched, launchFailed, type Launcher } from '../../launch/launcher.js';
import type { Store } from '../../store/store.js';
import type { LocalRunner } from './local-runner.js';

/**
 * The embedded default launcher: a run-execution job becomes a queued local execution whose id
 * is derived from the job id, so launching the same job twice finds the existing execution.
 */
export function createLocalLauncher(store: Store, runner: LocalRunner, clock: Clock): Launcher {
  return {
    async launch(job) {
      const { spec } = job;
      switch (spec.type) {
        case 'run-execution': {
          const execution = await store.createExecution({
            id: uuidFromName(`execution:${job.id}`),
            jobId: job.id,
            runId: job.runId,
            createdAtMs: clock.now(),
            spec: {
              step: spec.step,
              title: spec.title,
              parameters: spec.parameters,
              payloadInput: spec.payloadInput,
              payloadFilename: spec.payloadFilename,
              commit: spec.commit,
            },
          });
          if (execution.status === 'queued') runner.enqueue(execution.id);
          return launched({ kind: 'execution', executionId: execution.id, step: spec.step });
        }
        case 'run-pipeline':
        case 'fetch-repository':
          return launchFailed('not_supported', `${spec.type} is not supported by the local launcher in this version`, false);
      }
    },
  };
}
