export { notTriggeredAnswer as ignoredStandardWebhooks, runIdAnswer as acceptedStandardWebhooks } from '../../core/connector-kit.js';
