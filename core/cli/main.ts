#!/usr/bin/env node
/** The `hooklaunch` command: serve, check, new-id, logs, run. The composition root: it hands the connector registry to the core. */
import { existsSync, readdirSync } from 'node:fs';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { connectors } from '../../connectors/index.js';
import { generateParser } from '../codegen/generate-parser.js';
import { preflight } from '../config/preflight.js';
import { ConfigError } from '../config/config-error.js';
import { loadConfig, type LoadedConfig } from '../config/load-config.js';
import type { TriggerConfig } from '../config/schema.js';
import { uuidv7 } from '../ids.js';
import { summariseRun } from '../launch/run-status.js';
import { startService } from '../service.js';
import { openStore } from '../store/open-store.js';
import { formatTriggerLogLine, readTriggerLog } from '../trigger-log/read-trigger-log.js';

const DEFAULT_CONFIG = process.env.HOOKLAUNCH_CONFIG ?? 'hooklaunch.yaml';
const TEMPLATES = ['slack-predict', 'github-autofetch', 'v7-train'];

/** templates/ beside core/ (sources) or two levels above dist/core/ (built). */
function templatesRoot(): string {
  const candidates = ['../../templates', '../../../templates'].map((p) => fileURLToPath(new URL(p, import.meta.url)));
  const found = candidates.find((candidate) => existsSync(join(candidate, TEMPLATES[0]!)));
  if (!found) throw new Error(`templates not found (looked in ${candidates.join(', ')})`);
  return found;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

async function load(file: string): Promise<LoadedConfig> {
  const loaded = loadConfig(file, process.env, connectors);
  await preflight(loaded);
  return loaded;
}

export function describeTrigger(trigger: TriggerConfig, publicUrl: string): string {
  const conditions = trigger.conditions.map((c) => (c.type === 'web-request-auth' ? c.auth_type : c.type)).join(', ') || 'none (anyone with the URL)';
  const actions = trigger.actions
    .map((a) => (a.type === 'run-execution' ? `run-execution ${a.step}` : a.type === 'run-pipeline' ? `run-pipeline ${a.pipeline}` : a.type))
    .join(', ');
  return [`${publicUrl}/api/v0/launch/${trigger.id}/`, `  title:      ${trigger.title || '(untitled)'}`, `  conditions: ${conditions}`, `  actions:    ${actions}`].join('\n');
}

const program = new Command('hooklaunch').description('Self-hosted webhook triggers that launch Valohai-style work.').showHelpAfterError();

program
  .command('serve')
  .description('start the HTTP service, the launch worker and the local runner')
  .option('-c, --config <file>', 'config file', DEFAULT_CONFIG)
  .option('-p, --port <port>', 'override server.port', (v) => Number(v))
  .action(async (options: { config: string; port?: number }) => {
    const loaded = await load(options.config);
    const service = await startService(loaded, options.port === undefined ? {} : { port: options.port });
    for (const trigger of loaded.config.triggers) process.stderr.write(`${describeTrigger(trigger, loaded.publicUrl)}\n`);
    let closing = false;
    const shutdown = (signal: string): void => {
      if (closing) process.exit(1);
      closing = true;
      process.stderr.write(`${signal}: finishing accepted requests and stopping\n`);
      void service.close().then(() => process.exit(0));
    };
    process.on('SIGINT', () => shutdown('SIGINT'));
    process.on('SIGTERM', () => shutdown('SIGTERM'));
  });

program
  .command('check')
  .description('validate the config and valohai.yaml, and print each trigger with its URL')
  .option('-c, --config <file>', 'config file', DEFAULT_CONFIG)
  .action(async (options: { config: string }) => {
    const loaded = await load(options.config);
    process.stdout.write(`${loaded.file}: ok, ${loaded.config.triggers.length} trigger(s)\n`);
    for (const trigger of loaded.config.triggers) process.stdout.write(`\n${describeTrigger(trigger, loaded.publicUrl)}\n`);
  });

program
  .command('new-id')
  .description('mint an unguessable trigger id (a UUIDv7 with 74 random bits)')
  .action(() => {
    process.stdout.write(`${uuidv7()}\n`);
  });

program
  .command('logs')
  .description('show the trigger log, newest first: every request and why it was accepted or rejected')
  .option('-c, --config <file>', 'config file', DEFAULT_CONFIG)
  .option('-t, --trigger <id>', 'only this trigger')
  .option('-n, --limit <n>', 'how many entries', positiveInt, 50)
  .option('--json', 'one JSON object per line')
  .action(async (options: { config: string; trigger?: string; limit: number; json?: boolean }) => {
    const loaded = loadConfig(options.config, process.env, connectors);
    const store = await openStore(loaded.storeUrl);
    try {
      const lines = await readTriggerLog(store, { triggerId: options.trigger, limit: options.limit });
      for (const line of lines) process.stdout.write(`${options.json ? JSON.stringify(line) : formatTriggerLogLine(line)}\n`);
      if (lines.length === 0 && !options.json) process.stderr.write('no requests logged yet\n');
    } finally {
      await store.close();
    }
  });

program
  .command('run')
  .description("show one run: its status, each action's result and the output of its executions")
  .argument('<run-id>', 'the run_id a launch answered with')
  .option('-c, --config <file>', 'config file', DEFAULT_CONFIG)
  .action(async (runId: string, options: { config: string }) => {
    const loaded = loadConfig(options.config, process.env, connectors);
    const store = await openStore(loaded.storeUrl);
    try {
      const run = await store.getRun(runId);
      if (!run) {
        process.stderr.write(`no run ${runId} in ${loaded.storeUrl}\n`);
        process.exitCode = 1;
        return;
      }
      const summary = summariseRun(run);
      process.stdout.write(`run ${run.runId}  trigger ${run.triggerId}  accepted ${new Date(run.acceptedAtMs).toISOString()}  status ${summary.status}\n`);
      for (const item of summary.result) process.stdout.write(`  ${JSON.stringify(item)}\n`);
      for (const error of summary.errors) process.stdout.write(`  ! ${error}\n`);
      for (const execution of run.executions) {
        process.stdout.write(`\nexecution ${execution.id}  step ${execution.spec.step}  ${execution.status}${execution.error ? ` (${execution.error})` : ''}\n`);
        for (const chunk of await store.executionLog(execution.id)) {
          const prefix = chunk.stream === 'stdout' ? '  ' : chunk.stream === 'stderr' ? '  [stderr] ' : '  [hooklaunch] ';
          process.stdout.write(chunk.text.replace(/\n$/, '').split('\n').map((line) => `${prefix}${line}`).join('\n') + '\n');
        }
      }
    } finally {
      await store.close();
    }
  });

program
  .command('codegen')
  .description("generate a typed payload parser (Python or TypeScript) from a connector's payload schema")
  .requiredOption('--connector <id>', `one of: ${[...connectors.keys()].join(', ')}`)
  .option('--lang <language>', 'python or typescript', 'python')
  .option('--out <dir>', 'folder to write the module into', '.')
  .action(async (options: { connector: string; lang: string; out: string }) => {
    const connector = connectors.get(options.connector);
    if (!connector) throw new InvalidArgumentError(`unknown connector "${options.connector}"; known: ${[...connectors.keys()].join(', ')}`);
    if (options.lang !== 'python' && options.lang !== 'typescript') throw new InvalidArgumentError('--lang must be python or typescript');
    const generated = generateParser(connector, options.lang);
    await mkdir(options.out, { recursive: true });
    const path = join(options.out, generated.filename);
    await writeFile(path, generated.content);
    process.stdout.write(`${path}\n`);
  });

program
  .command('init')
  .description(`copy a ready-made setup into a folder: ${TEMPLATES.join(', ')}`)
  .argument('<template>', TEMPLATES.join(' | '))
  .argument('[dir]', 'where to put it (default: a new folder named after the template)')
  .action(async (template: string, dir: string | undefined) => {
    if (!TEMPLATES.includes(template)) throw new InvalidArgumentError(`unknown template "${template}"; known: ${TEMPLATES.join(', ')}`);
    const target = resolve(dir ?? template);
    if (existsSync(target) && readdirSync(target).length > 0) throw new InvalidArgumentError(`${target} exists and is not empty`);
    await cp(join(templatesRoot(), template), target, { recursive: true });
    process.stdout.write(`${template} copied to ${target}\nnext: read ${join(target, 'README.md')}, then: cd ${target} && hooklaunch check\n`);
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof InvalidArgumentError) {
    process.stderr.write(`hooklaunch: ${error.message}\n`);
    process.exit(2);
  }
  if (error instanceof ConfigError) {
    process.stderr.write(`invalid configuration:\n${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
