/**
 * The part of hooklaunch.yaml that says where the service and its store are: `server.host`,
 * `server.port`, `server.public_url`, `store.url`, and each file trigger's id and title as written.
 * Commands that only read the store (`logs`, `runs`, `reload`) or only need to find the service
 * load this instead of the whole config, so they work without the triggers' `${env:…}` secrets.
 */
import { dirname, resolve } from 'node:path';
import { ConfigError, formatPath } from '../yaml/config-error.js';
import { absolutiseStoreUrl, parseConfigDocument, publicUrlOf, readConfigText, resolveEnvOrThrow } from './load-config.js';
import { parseWithEnvScalars } from './parse-with-env-scalars.js';
import { configSchema, type Config } from './schema.js';
import { lineOf } from '../yaml/yaml-lines.js';

export interface ServiceLocation {
  readonly file: string;
  /** Store URL with a relative sqlite path made absolute against the config file's folder. */
  readonly storeUrl: string;
  readonly host: string;
  readonly port: number;
  /** `server.public_url` when the file sets it. */
  readonly configuredPublicUrl?: string | undefined;
  /** `server.public_url`, or http://host:port. */
  readonly publicUrl: string;
  /** The file's triggers by id and title, as written (a title holding `${env:…}` stays unresolved). */
  readonly triggers: ReadonlyArray<{ readonly id: string; readonly title?: string | undefined }>;
}

const LOCATION_KEYS = ['host', 'port', 'public_url'];

export function loadServiceLocation(file: string, env: NodeJS.ProcessEnv = process.env): ServiceLocation {
  return load(file, env, false);
}

/** The location and the whole `server` section (admin tokens): what `replay` and `export` need, still no trigger secret. */
export function loadServerSection(file: string, env: NodeJS.ProcessEnv = process.env): ServiceLocation & { readonly server: Config['server'] } {
  return load(file, env, true);
}

function load(file: string, env: NodeJS.ProcessEnv, wholeServer: boolean): ServiceLocation & { readonly server: Config['server'] } {
  const absolute = resolve(file);
  const { doc, lines } = parseConfigDocument(file, readConfigText(file));
  const written = (doc.toJS() ?? {}) as { server?: unknown; store?: unknown; triggers?: unknown };
  const server = isObject(written.server) && !wholeServer ? Object.fromEntries(Object.entries(written.server).filter(([key]) => LOCATION_KEYS.includes(key))) : written.server;
  // Only these two sections are resolved and checked, by the full schema (the rest takes its defaults).
  const picked = { ...(server !== undefined && { server }), ...(written.store !== undefined && { store: written.store }) };
  const { resolved, wholeRefs } = resolveEnvOrThrow(file, doc, lines, picked, env);
  const parsed = parseWithEnvScalars(configSchema, resolved, wholeRefs);
  if (!parsed.success) {
    throw new ConfigError(file, parsed.error.issues.map((issue) => ({ path: formatPath(issue.path), line: lineOf(doc, lines, issue.path), message: issue.message })));
  }
  const { server: settings, store } = parsed.data;
  const triggers = Array.isArray(written.triggers)
    ? written.triggers.filter(isObject).flatMap((t) => (typeof t.id === 'string' ? [{ id: t.id, title: typeof t.title === 'string' ? t.title : undefined }] : []))
    : [];
  return {
    file: absolute,
    storeUrl: absolutiseStoreUrl(store.url, dirname(absolute)),
    host: settings.host,
    port: settings.port,
    configuredPublicUrl: settings.public_url,
    publicUrl: publicUrlOf(settings),
    triggers,
    server: settings,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The same facts from a fully loaded config (commands that needed the whole file anyway). */
export function locationOf(loaded: { readonly file: string; readonly storeUrl: string; readonly publicUrl: string; readonly config: { readonly server: { readonly host: string; readonly port: number; readonly public_url?: string | undefined }; readonly triggers: ReadonlyArray<{ readonly id: string; readonly title?: string | undefined }> } }): ServiceLocation {
  const { server } = loaded.config;
  return {
    file: loaded.file,
    storeUrl: loaded.storeUrl,
    host: server.host,
    port: server.port,
    configuredPublicUrl: server.public_url,
    publicUrl: loaded.publicUrl,
    triggers: loaded.config.triggers.map((t) => ({ id: t.id, title: t.title })),
  };
}
