import type { ResponseSpec } from '../../core/connector-kit.js';

const RUN_ID = 'x-hooklaunch-run-id';

// V7 wants an empty 2xx: team webhooks call "any other return code ... an error" and retry it,
// and the stage only needs a 2xx to move the item to its success branch. So no body, ever; the
// run id rides in a header so an operator (or `curl -i`) still sees it, and the log has the rest.
// A repeat gets the same answer with the original run id (core sets its status to 200).

export function acceptedV7(runId: string): ResponseSpec {
  return { status: 200, headers: { [RUN_ID]: runId } };
}

/** Filtered out: still a 2xx so V7 neither retries nor routes the item to the failure branch; the reason is in the trigger log. */
export function ignoredV7(): ResponseSpec {
  return { status: 200 };
}
