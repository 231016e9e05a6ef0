// Datadog retries only on 5xx: every answer here is final for it.
export { notTriggeredAnswer as ignoredDatadog, runIdAnswer as acceptedDatadog } from '../../core/connector-kit.js';
