export { notTriggeredAnswer as ignoredGitlab, runIdAnswer as acceptedGitlab } from '../../core/connector-kit.js';
