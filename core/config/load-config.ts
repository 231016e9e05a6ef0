import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { Connector } from '../connector.js';
import { loadValohaiYaml, type ValohaiProject } from '../valohai-yaml/load-valohai-yaml.js';
import { ConfigError, formatPath, type ConfigIssue } from '../yaml/config-error.js';
import { resolveEnvRefs, unsetVariable, type MissingEnv } from './env-refs.js';
import { parseWithEnvScalars } from './parse-with-env-scalars.js';
import { configSchema, type Config } from './schema.js';
import { bindConnector } from './check-trigger.js';
import { compilePayloadSchema, readPayloadSchema } from './payload-schema.js';
import { crossCheckActions } from './cross-check-actions.js';
import { lineOf } from '../yaml/yaml-lines.js';
import { unknownKeysMessage } from './unknown-keys.js';

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
  /** The connectors a trigger may name (triggers created through the admin API are checked against them). */
  readonly registry: ConnectorRegistry;
  /** Where `${env:…}` references were resolved (and are, for triggers stored through the admin API). */
  readonly env: NodeJS.ProcessEnv;
  /** Each trigger as written (`${env:…}` references unresolved) and its line, for the admin API's read-only view. */
  readonly fileTriggers: readonly FileTrigger[];
  /** `server.tls`'s files, absolute, with their config lines (read at start-up and on SIGHUP, core/http/tls-files.ts). */
  readonly tls?: TlsFiles | undefined;
}

/** Where `server.tls` points, and where it says so, so a file that does not do is named by its line. */
export interface TlsFiles {
  readonly file: string;
  readonly cert: { readonly path: string; readonly line?: number | undefined };
  readonly key: { readonly path: string; readonly line?: number | undefined };
}

export interface FileTrigger {
  readonly id: string;
  readonly written: unknown;
  readonly line?: number | undefined;
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
  return parseConfig(file, readConfigText(file), env, registry);
}

/** The config file's text; an unreadable file is a ConfigError. */
export function readConfigText(file: string): string {
  try {
    return readFileSync(resolve(file), 'utf8');
  } catch (error) {
    throw new ConfigError(file, [{ path: '', message: `cannot read the config file: ${(error as Error).message}` }]);
  }
}

/** The YAML document with its line counter; a syntax error is a ConfigError naming its line. */
export function parseConfigDocument(file: string, text: string): { readonly doc: Document; readonly lines: LineCounter } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((error) => ({ path: '', line: lines.linePos(error.pos[0]).line, message: error.message.split('\n')[0]! })),
    );
  }
  return { doc, lines };
}

/** `${VAR}` references replaced; every unset one is a ConfigError issue naming its path and line. */
export function resolveEnvOrThrow(file: string, doc: Document, lines: LineCounter, value: unknown, env: NodeJS.ProcessEnv, envNames: Set<string> = new Set()): { readonly resolved: unknown; readonly wholeRefs: PropertyKey[][] } {
  const missing: MissingEnv[] = [];
  const wholeRefs: PropertyKey[][] = [];
  const resolved = resolveEnvRefs(value, env, missing, envNames, [], wholeRefs);
  if (missing.length > 0) {
    throw new ConfigError(file, missing.map(({ path, name }) => ({ path: formatPath(path), line: lineOf(doc, lines, path), message: unsetVariable(name) })));
  }
  return { resolved, wholeRefs };
}

export function parseConfig(file: string, text: string, env: NodeJS.ProcessEnv = process.env, registry: ConnectorRegistry = new Map()): LoadedConfig {
  const absolute = resolve(file);
  const { doc, lines } = parseConfigDocument(file, text);
  const envNames = new Set<string>();
  const written = (doc.toJS() ?? {}) as { triggers?: unknown };
  const { resolved, wholeRefs } = resolveEnvOrThrow(file, doc, lines, written, env, envNames);
  const parsed = parseWithEnvScalars(configSchema, resolved, wholeRefs);
  if (!parsed.success) throw new ConfigError(file, parsed.error.issues.map((issue) => toIssue(doc, lines, issue, registry)));
  const config = parsed.data;
  const connectors = new Map<string, ConnectorBinding>();
  const connectorIssues: ConfigIssue[] = [];
  config.triggers.forEach((trigger, index) => {
    const bound = bindConnector(trigger, registry, config.server.limits.max_inflight_bytes_per_trigger, refsUnder(wholeRefs, ['triggers', index]));
    if (!bound.ok) {
      for (const issue of bound.issues) {
        const path = ['triggers', index, ...issue.path];
        connectorIssues.push({ path: formatPath(path), line: lineOf(doc, lines, path), message: issue.message });
      }
    } else if (bound.binding) connectors.set(trigger.id, bound.binding);
  });
  if (connectorIssues.length > 0) throw new ConfigError(file, connectorIssues);

  const baseDir = dirname(absolute);
  const schemaIssues: ConfigIssue[] = [];
  config.triggers.forEach((trigger, index) => {
    if (trigger.payload_schema === undefined) return;
    const path = ['triggers', index, 'payload_schema'];
    const read = typeof trigger.payload_schema === 'string' ? readPayloadSchema(trigger.payload_schema, baseDir) : compilePayloadSchema(trigger.payload_schema);
    if (!read.ok) schemaIssues.push({ path: formatPath(path), line: lineOf(doc, lines, path), message: read.message });
    else if ('schema' in read) trigger.payload_schema = read.schema;
  });
  if (schemaIssues.length > 0) throw new ConfigError(file, schemaIssues);

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

  const publicUrl = publicUrlOf(config.server);
  const fileTriggers = config.triggers.map((trigger, index) => ({
    id: trigger.id,
    written: (written.triggers as unknown[])[index],
    line: lineOf(doc, lines, ['triggers', index]),
  }));
  const tls = config.server.tls && {
    file,
    cert: { path: resolve(baseDir, config.server.tls.cert), line: lineOf(doc, lines, ['server', 'tls', 'cert']) },
    key: { path: resolve(baseDir, config.server.tls.key), line: lineOf(doc, lines, ['server', 'tls', 'key']) },
  };
  return {
    file: absolute,
    config,
    tls,
    project,
    projectPath,
    storeUrl: absolutiseStoreUrl(config.store.url, baseDir),
    publicUrl,
    envNames,
    connectors,
    sensitiveHeaders: new Set([...registry.values()].flatMap((c) => c.sensitiveHeaders)),
    registry,
    env,
    fileTriggers,
  };
}

function toIssue(doc: Document, lines: LineCounter, issue: { path: PropertyKey[]; message: string; code: string; keys?: string[] }, registry: ConnectorRegistry): ConfigIssue {
  if (issue.code === 'unrecognized_keys' && issue.keys?.length) {
    const path = [...issue.path, issue.keys[0]!];
    return { path: formatPath(path), line: lineOf(doc, lines, path), message: unknownKeysMessage(issue.keys, registry) };
  }
  return { path: formatPath(issue.path), line: lineOf(doc, lines, issue.path), message: issue.message };
}

/** `server.public_url`, or the http URL of the configured host and port. */
export function publicUrlOf(server: { readonly host: string; readonly port: number; readonly public_url?: string | undefined }): string {
  return (server.public_url ?? `http://${server.host}:${server.port}`).replace(/\/+$/, '');
}

export function absolutiseStoreUrl(url: string, baseDir: string): string {
  if (!url.startsWith('sqlite:')) return url;
  const path = url.slice('sqlite:'.length);
  if (path === ':memory:' || isAbsolute(path)) return url;
  return `sqlite:${resolve(baseDir, path)}`;
}

/** The whole-value `${env:…}` references under `at`, relative to it. */
function refsUnder(refs: readonly (readonly PropertyKey[])[], at: readonly PropertyKey[]): PropertyKey[][] {
  return refs.filter((path) => at.every((key, i) => path[i] === key)).map((path) => path.slice(at.length));
}
