/** The connector registry: one entry per provider. The id is the folder name and `connector.type`. */
import type { Connector } from '../core/connector-kit.js';
import { datadog } from './datadog/index.js';
import { discord } from './discord/index.js';
import { github } from './github/index.js';
import { gitlab } from './gitlab/index.js';
import { grafana } from './grafana/index.js';
import { labelStudio } from './label-studio/index.js';
import { slack } from './slack/index.js';
import { standardWebhooks } from './standard-webhooks/index.js';
import { stripe } from './stripe/index.js';
import { v7 } from './v7/index.js';

export const connectors: ReadonlyMap<string, Connector> = new Map(
  [slack, github, v7, gitlab, discord, labelStudio, datadog, grafana, stripe, standardWebhooks].map((c) => [c.id, c]),
);
