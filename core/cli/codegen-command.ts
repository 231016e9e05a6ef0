/**
 * `hooklaunch codegen`: typed payload parsers for a connector (from its payload schema) or for a
 * trigger (from its `payload_schema:`, from sample files, or inferred from the payloads it
 * accepted), and `--check`, which fails when committed parsers went stale against their schema
 * or recent payloads carry fields or types the schema does not know.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { decodeJsonOrForm } from '../codegen/payload-encoding.js';
import { acceptedPayloads as readAcceptedPayloads, RECENT_PAYLOADS } from '../codegen/recent-drift.js';
import { connectorRegenerate, generateParser, generatePythonPackage, generateTriggerParser, triggerBaseName, type GeneratedParser, type ParserLanguage } from '../codegen/generate-parser.js';
import { inferSchema } from '../codegen/infer-schema.js';
import { payloadDrift, type DriftSample } from '../codegen/payload-drift.js';
import type { JsonSchema } from '../codegen/schema-model.js';
import { loadConfig, type ConnectorRegistry, type LoadedConfig } from '../config/load-config.js';
import { openStore } from '../store/open-store.js';
import { createRedaction, redactBodyFields, REDACTED } from '../trigger-log/redaction.js';
import type { Store } from '../store/store.js';

interface CodegenOptions {
  readonly connector?: string;
  readonly trigger?: string;
  readonly lang: string;
  readonly out: string;
  readonly config: string;
  readonly name?: string;
  readonly sample?: string[];
  readonly fromLog?: number | true;
  readonly check?: boolean;
  readonly package?: boolean;
}

const DEFAULT_LOG_PAYLOADS = RECENT_PAYLOADS;

export function codegenCommand(connectors: ConnectorRegistry, defaultConfig: string): Command {
  return new Command('codegen')
    .description('generate typed payload parsers (Python, TypeScript) for a connector or a trigger, or check committed ones (--check)')
    .option('--connector <id>', `a connector's payload: ${[...connectors.keys()].join(', ')}`)
    .option('--trigger <id>', "a trigger's payload: its payload_schema, --sample files, or inferred from the payloads it accepted")
    .option('--lang <language>', 'python, typescript or both', 'python')
    .option('--out <dir>', 'folder to write the modules (and an inferred schema) into', '.')
    .option('-c, --config <file>', 'config file (for --trigger)', defaultConfig)
    .option('--name <name>', 'module base name for --trigger (default: from the trigger title, e.g. custom-app-payload)')
    .option('--sample <file...>', 'infer the schema from these payload files')
    .option('--from-log [n]', `infer the schema from the last n payloads the trigger accepted (default ${DEFAULT_LOG_PAYLOADS})`, positiveInt)
    .option('--package', 'with the Python parser, a pyproject.toml making --out an installable package (pip install -e DIR)')
    .option('--check', 'exit 1 when a parser in --out no longer matches its schema, or recent accepted payloads do not fit the schema')
    .action(async (options: CodegenOptions) => {
      if ((options.connector === undefined) === (options.trigger === undefined)) throw new InvalidArgumentError('give exactly one of --connector <id> or --trigger <id>');
      const languages = languagesOf(options.lang);
      const out = options.out;
      if (options.connector !== undefined) {
        const connector = connectors.get(options.connector);
        if (!connector) throw new InvalidArgumentError(`unknown connector "${options.connector}"; known: ${[...connectors.keys()].join(', ')}`);
        const generated = withPackage(languages.map((language) => generateParser(connector, language)), options.package === true, connectorRegenerate(connector));
        if (options.check) return void (process.exitCode = (await checkFiles(out, generated)) ? 0 : 1);
        return writeAll(out, generated);
      }
      await codegenTrigger(options.trigger!, languages, options, connectors);
    });
}

async function codegenTrigger(triggerId: string, languages: ParserLanguage[], options: CodegenOptions, connectors: ConnectorRegistry): Promise<void> {
  const loaded = loadConfig(options.config, process.env, connectors);
  const index = loaded.config.triggers.findIndex((t) => t.id === triggerId);
  const trigger = index >= 0 ? loaded.config.triggers[index] : undefined;
  let title = trigger?.title ?? '';
  let given: { schema: JsonSchema; source: string } | undefined;
  if (trigger?.payload_schema !== undefined) {
    const written = (loaded.fileTriggers[index]?.written as { payload_schema?: unknown } | undefined)?.payload_schema;
    const source = typeof written === 'string' ? relative(process.cwd(), resolve(dirname(loaded.file), written)) : `the payload_schema of trigger ${triggerId}`;
    given = { schema: trigger.payload_schema as JsonSchema, source };
  }
  const store = await openStoreIfAny(loaded);
  let conditions: unknown = trigger?.conditions;
  try {
    if (!trigger) {
      // An API-managed trigger: its config (an inline payload_schema, if any) is in the store.
      const def = (await store?.listTriggerDefs())?.find((d) => d.id === triggerId);
      if (!def) throw new InvalidArgumentError(`no trigger ${triggerId} in ${options.config}${store ? ' or the store' : ''}`);
      const config = def.config as { title?: string; payload_schema?: unknown; conditions?: unknown };
      conditions = config.conditions;
      title = config.title ?? '';
      if (config.payload_schema !== null && typeof config.payload_schema === 'object') given = { schema: config.payload_schema as JsonSchema, source: `the payload_schema of trigger ${triggerId}` };
    }
    const baseName = options.name ?? triggerBaseName(title);
    const schemaFile = join(options.out, `${baseName}.schema.json`);
    const regenerate = ['hooklaunch codegen --trigger', triggerId, '--out', options.out, ...(options.name ? ['--name', options.name] : []), ...(options.config !== 'hooklaunch.yaml' ? ['-c', options.config] : [])].join(' ');
    const spec = (schema: JsonSchema, schemaSource: string) => ({ baseName, triggerId, triggerTitle: title, schema, schemaSource, regenerate });

    if (options.check) {
      const source = given ?? (existsSync(schemaFile) ? { schema: JSON.parse(readFileSync(schemaFile, 'utf8')) as JsonSchema, source: schemaFile } : undefined);
      if (!source) throw new InvalidArgumentError(`trigger ${triggerId} has no payload_schema and ${schemaFile} does not exist: generate its parser first`);
      const fresh = await checkFiles(options.out, withPackage(languages.map((language) => generateTriggerParser(spec(source.schema, source.source), language)), options.package === true, regenerate));
      const samples = store ? await acceptedPayloads(store, triggerId, typeof options.fromLog === 'number' ? options.fromLog : DEFAULT_LOG_PAYLOADS) : [];
      const drift = payloadDrift(source.schema, samples);
      for (const d of drift) process.stdout.write(`drift: ${d.path}: ${d.problem} (not in ${source.source}); requests: ${d.requestIds.join(', ')}\n`);
      if (drift.length === 0) process.stdout.write(`${samples.length} recent accepted payload${samples.length === 1 ? '' : 's'} of trigger ${triggerId} fit ${source.source}\n`);
      if (!fresh || drift.length > 0) process.exitCode = 1;
      return;
    }

    let schema: JsonSchema;
    let schemaSource: string;
    if (options.sample?.length || options.fromLog !== undefined || (!given && !existsSync(schemaFile))) {
      const samples = options.sample?.length
        ? await Promise.all(options.sample.map(async (file) => ({ requestId: file, payload: decodeSample(await readFile(file), file) })))
        : store
          ? await acceptedPayloads(store, triggerId, typeof options.fromLog === 'number' ? options.fromLog : DEFAULT_LOG_PAYLOADS)
          : [];
      if (samples.length === 0) throw new InvalidArgumentError(`no payloads to infer a schema from: trigger ${triggerId} has no payload_schema, no accepted payloads in the store, and no --sample files were given`);
      // Redacted as the trigger log redacts them: a credential in the body is the same in every
      // payload and would otherwise become an enum written into files meant to be committed.
      const redaction = createRedaction([{ headers: new Set(), query: new Set(), fields: bodyCredentialFields(conditions) }]);
      schema = inferSchema(samples.map((s) => redactBodyFields(s.payload, redaction)), REDACTED);
      schemaSource = schemaFile;
      await mkdir(options.out, { recursive: true });
      await writeFile(schemaFile, `${JSON.stringify(schema, null, 2)}\n`);
      process.stdout.write(`${schemaFile} (inferred from ${samples.length} payload${samples.length === 1 ? '' : 's'}: review it)\n`);
    } else if (given) {
      ({ schema, source: schemaSource } = given);
    } else {
      // The reviewed (maybe edited) schema a previous run wrote next to the parser.
      schema = JSON.parse(await readFile(schemaFile, 'utf8')) as JsonSchema;
      schemaSource = schemaFile;
    }
    await writeAll(options.out, withPackage(languages.map((language) => generateTriggerParser(spec(schema, schemaSource), language)), options.package === true, regenerate));
  } finally {
    await store?.close();
  }
}

/** The body fields (JSON dot paths, form keys) the trigger's web-request-auth conditions read a credential from. */
function bodyCredentialFields(conditions: unknown): Set<string> {
  const fields = new Set<string>();
  for (const c of Array.isArray(conditions) ? (conditions as Array<{ type?: unknown; lookup?: unknown; key?: unknown }>) : []) {
    if (c.type === 'web-request-auth' && (c.lookup === 'json' || c.lookup === 'form') && typeof c.key === 'string') fields.add(c.key);
  }
  return fields;
}

function withPackage(generated: GeneratedParser[], wanted: boolean, regenerate: string): GeneratedParser[] {
  if (!wanted) return generated;
  const python = generated.find((file) => file.filename.endsWith('.py'));
  if (!python) throw new InvalidArgumentError('--package makes a Python package: use it with --lang python or both');
  return [...generated, generatePythonPackage(python, regenerate)];
}

function decodeSample(body: Buffer, file: string): unknown {
  try {
    return decodeJsonOrForm(body);
  } catch (error) {
    throw new InvalidArgumentError(`${file}: not JSON or form fields (${(error as Error).message})`);
  }
}

/** The last `limit` accepted payloads; a body that is not JSON or form fields is noted and left out. */
async function acceptedPayloads(store: Store, triggerId: string, limit: number): Promise<DriftSample[]> {
  const recent = await readAcceptedPayloads(store, triggerId, limit);
  for (const requestId of recent.undecodable) process.stderr.write(`note: request ${requestId}: its body is not JSON or form fields; left out\n`);
  return [...recent.samples];
}

/** The store, unless it is a SQLite file not created yet (no `serve` ran): then nothing was accepted. */
async function openStoreIfAny(loaded: LoadedConfig): Promise<Store | undefined> {
  if (loaded.storeUrl.startsWith('sqlite:') && !existsSync(loaded.storeUrl.slice('sqlite:'.length))) return undefined;
  return openStore(loaded.storeUrl);
}

async function writeAll(out: string, generated: readonly GeneratedParser[]): Promise<void> {
  await mkdir(out, { recursive: true });
  for (const file of generated) {
    const path = join(out, file.filename);
    await writeFile(path, file.content);
    process.stdout.write(`${path}\n`);
  }
}

/** True when every generated module that is in `out` is what the schema generates now (and at least one is). */
async function checkFiles(out: string, generated: readonly GeneratedParser[]): Promise<boolean> {
  let fresh = true;
  let present = 0;
  for (const file of generated) {
    const path = join(out, file.filename);
    if (!existsSync(path)) continue;
    present++;
    if ((await readFile(path, 'utf8')) !== file.content) {
      fresh = false;
      const command = /^(?:#|\/\/) Generated by `([^`]+)`/.exec(file.content)?.[1];
      process.stdout.write(`stale: ${path} no longer matches its schema; regenerate with: ${command}\n`);
    }
  }
  if (present === 0) {
    process.stdout.write(`stale: none of ${generated.map((f) => f.filename).join(', ')} is in ${out}\n`);
    return false;
  }
  return fresh;
}

function languagesOf(lang: string): ParserLanguage[] {
  if (lang === 'both') return ['python', 'typescript'];
  if (lang === 'python' || lang === 'typescript') return [lang];
  throw new InvalidArgumentError('--lang must be python, typescript or both');
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}
