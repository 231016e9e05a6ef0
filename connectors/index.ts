/** The connector registry: one line per provider. The id is the folder name and `connector.type`. */
import type { Connector } from '../core/connector-kit.js';
import { github } from './github/index.js';
import { slack } from './slack/index.js';
import { v7 } from './v7/index.js';

export const connectors: ReadonlyMap<string, Connector> = new Map([slack, github, v7].map((c) => [c.id, c]));
