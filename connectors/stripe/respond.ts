export { notTriggeredAnswer as ignoredStripe, runIdAnswer as acceptedStripe } from '../../core/connector-kit.js';
