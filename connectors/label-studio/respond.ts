export { notTriggeredAnswer as ignoredLabelStudio, runIdAnswer as acceptedLabelStudio } from '../../core/connector-kit.js';
