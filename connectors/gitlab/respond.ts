import type { ResponseSpec } from '../../core/connector-kit.js';

export { notTriggeredAnswer as ignoredGitlab, runIdAnswer as acceptedGitlab } from '../../core/connector-kit.js';

/**
 * Paused: 503, not 4xx. GitLab releases before gitlab-org/gitlab!166329 disable a webhook for good
 * after four 4xx answers in a row, but only for a while after 5xx ones (that change made both
 * temporary); the delivery stays in the webhook's "Recent events", to be resent once resumed.
 */
export function pausedGitlab(): ResponseSpec {
  return { status: 503, headers: { 'retry-after': '3600' }, json: { error: { code: 'trigger_paused', message: 'this trigger is paused; nothing was launched' } } };
}
