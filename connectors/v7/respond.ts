import type { ResponseSpec } from '../../core/connector-kit.js';

/** Any 2xx moves the item on to the stage's success branch. */
export function acceptedV7(runId: string): ResponseSpec {
  return { status: 200, json: { run_id: runId } };
}

export function ignoredV7(reason: string): ResponseSpec {
  return { status: 200, json: { triggered: false, reason } };
}
