import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { Connector } from '../connector.js';
import { loadValohaiYaml, type ValohaiProject } from '../valohai-yaml/load-valohai-yaml.js';
import { ConfigError, formatPath, type ConfigIssue } from './config-error.js';
import { resolveEnvRefs, type MissingEnv } from './env-refs.js';
import { parseWithEnvScalars } from './parse-with-env-scalars.js';
import { configSchema, type Config } from './schema.js';
import { crossCheckActions } from './cross-check-actions.js';
import { lineOf } from './yaml-lines.js';

export interface LoadedConfig {
  readonly file: string;
  readonly config: Config;
  readonly project: ValohaiProject;
  /** Absolute folder holding valohai.yaml (and the git repository). */
  readonly projectPath: string;
  /** Store URL with a relative sqlite path made absolute against the config file's folder. */
  readonly storeUrl: string;
  /** Where the service is reached from outside; `server.public_url` or http://host:port. */
  readonly publicUrl: string;
  /** Environment variables the config reads; they hold secrets, so executions do not inherit them. */
  readonly envNames: ReadonlySet<string>;
  /** Each connector trigger's connector with its validated params, by trigger id. */
  readonly connectors: ReadonlyMap<string, ConnectorBinding>;
  /** Credential headers of every registered connector (redacted on every trigger). */
  readonly sensitiveHeaders: ReadonlySet<string>;
}

export interface ConnectorBinding {
  readonly connector: Connector;
  readonly params: unknown;
}

/** The connectors a config may name, by `connector.type`; the composition root passes the registry. */
export type ConnectorRegistry = ReadonlyMap<string, Connector>;

/**
 * Reads hooklaunch.yaml once at start-up: YAML syntax, `${env:NAME}` references, the schema, and
 * the actions against valohai.yaml. Any problem throws one ConfigError listing every issue with
 * its config path and line.
 */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env, registry: ConnectorRegistry = new Map()): LoadedConfig {
  const absolute = resolve(file);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [{ path: '', message: `cannot read the config file: ${(error as Error).message}` }]);
  }
  return parseConfig(file, text, env, registry);
}

export function parseConfig(file: string, text: string, env: NodeJS.ProcessEnv = process.env, registry: ConnectorRegistry = new Map()): LoadedConfig {
  const absolute = resolve(file);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((error) => ({ path: '', line: lines.linePos(error.pos[0]).line, message: error.message.split('\n')[0]! })),
    );
  }
  const missing: MissingEnv[] = [];
  const envNames = new Set<string>();
  const wholeRefs: PropertyKey[][] = [];
  const resolved = resolveEnvRefs(doc.toJS() ?? {}, env, missing, envNames, [], wholeRefs);
  if (missing.length > 0) {
    throw new ConfigError(
      file,
      missing.map(({ path, name }) => ({
        path: formatPath(path),
        line: lineOf(doc, lines, path),
        message: `environment variable ${name} is not set`,
      })),
    );
  }
  const parsed = parseWithEnvScalars(configSchema, resolved, wholeRefs);
  if (!parsed.success) throw new ConfigError(file, parsed.error.issues.map((issue) => toIssue(doc, lines, issue)));
  const config = parsed.data;
  const connectors = new Map<string, ConnectorBinding>();
  const connectorIssues: ConfigIssue[] = [];
  config.triggers.forEach((trigger, index) => {
    if (!trigger.connector) return;
    const { type, ...rest } = trigger.connector;
    const at = ['triggers', index, 'connector'];
    const connector = registry.get(type);
    if (!connector) {
      connectorIssues.push({ path: formatPath([...at, 'type']), line: lineOf(doc, lines, [...at, 'type']), message: `unknown connector "${type}"; known: ${[...registry.keys()].join(', ') || '(none)'}` });
      return;
    }
    const inBlock = wholeRefs.filter((path) => at.every((key, i) => path[i] === key)).map((path) => path.slice(at.length));
    const params = parseWithEnvScalars(connector.params, rest, inBlock);
    if (!params.success) {
      for (const issue of params.error.issues) connectorIssues.push(toIssue(doc, lines, { ...issue, path: [...at, ...issue.path] }));
      return;
    }
    const perTrigger = config.server.limits.max_inflight_bytes_per_trigger;
    if (trigger.max_body_bytes === undefined && connector.maxBodyBytes !== undefined && connector.maxBodyBytes > perTrigger) {
      connectorIssues.push({
        path: formatPath([...at, 'type']),
        line: lineOf(doc, lines, [...at, 'type']),
        message: `${type} deliveries may be up to ${connector.maxBodyBytes} bytes, more than server.limits.max_inflight_bytes_per_trigger (${perTrigger}); raise that limit, or set this trigger's max_body_bytes`,
      });
      return;
    }
    connectors.set(trigger.id, { connector, params: params.data });
  });
  if (connectorIssues.length > 0) throw new ConfigError(file, connectorIssues);

  const baseDir = dirname(absolute);
  const projectPath = resolve(baseDir, config.project.path);
  const valohaiFile = resolve(projectPath, config.project.valohai_yaml);
  let project: ValohaiProject;
  try {
    project = loadValohaiYaml(valohaiFile);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(file, [
      { path: 'project.path', line: lineOf(doc, lines, ['project', 'path']), message: `cannot read ${valohaiFile}: ${(error as Error).message}` },
    ]);
  }
  const actionIssues = crossCheckActions(config, project).map(({ path, message }) => ({
    path: formatPath(path),
    line: lineOf(doc, lines, path),
    message,
  }));
  if (actionIssues.length > 0) throw new ConfigError(file, actionIssues);

  const publicUrl = (config.server.public_url ?? `http://${config.server.host}:${config.server.port}`).replace(/\/+$/, '');
  return { file: absolute, config, project, projectPath, storeUrl: absolutiseStoreUrl(config.store.url, baseDir), publicUrl, envNames, connectors, sensitiveHeaders: new Set([...registry.values()].flatMap((c) => c.sensitiveHeaders)) };
}

function toIssue(doc: Document, lines: LineCounter, issue: { path: PropertyKey[]; message: string; code: string; keys?: string[] }): ConfigIssue {
  if (issue.code === 'unrecognized_keys' && issue.keys?.length) {
    const path = [...issue.path, issue.keys[0]!];
    return { path: formatPath(path), line: lineOf(doc, lines, path), message: `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}` };
  }
  return { path: formatPath(issue.path), line: lineOf(doc, lines, issue.path), message: issue.message };
}

function absolutiseStoreUrl(url: string, baseDir: string): string {
  if (!url.startsWith('sqlite:')) return url;
  const path = url.slice('sqlite:'.length);
  if (path === ':memory:' || isAbsolute(path)) return url;
  return `sqlite:${resolve(baseDir, path)}`;
}
