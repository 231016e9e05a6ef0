export { notTriggeredAnswer as ignoredGrafana, runIdAnswer as acceptedGrafana } from '../../core/connector-kit.js';
