/**
 * Lays out an execution's folder the way Valohai does inside a job, so unchanged code finds its
 * files: `config/inputs.json`, `config/parameters.json`, `config/execution.json`, `inputs/<name>/`,
 * `outputs/`. valohai-utils reads these through VH_CONFIG_DIR / VH_INPUTS_DIR / VH_OUTPUTS_DIR.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ParameterValue } from '../../valohai-yaml/coerce-parameter.js';
import type { StepDef } from '../../valohai-yaml/schema.js';

export interface WorkdirLayout {
  readonly root: string;
  readonly configDir: string;
  readonly inputsDir: string;
  readonly outputsDir: string;
}

/** The payload input's files: the run's payload, and a batch's index.json beside it. */
export interface PayloadFile {
  readonly input: string;
  readonly files: ReadonlyArray<{ readonly filename: string; readonly body: Buffer; readonly uri: string }>;
}

export interface WorkdirContent {
  readonly executionId: string;
  readonly step: StepDef;
  readonly title: string;
  readonly parameters: Readonly<Record<string, ParameterValue>>;
  readonly payload?: PayloadFile | undefined;
  /** Files handed over by pipeline edges, by input name; they replace the input's defaults. */
  readonly inputFiles?: Readonly<Record<string, readonly string[]>>;
  readonly extra?: Readonly<Record<string, unknown>>;
}

export function workdirLayout(root: string): WorkdirLayout {
  return { root, configDir: join(root, 'config'), inputsDir: join(root, 'inputs'), outputsDir: join(root, 'outputs') };
}

export async function prepareWorkdir(layout: WorkdirLayout, content: WorkdirContent): Promise<void> {
  await mkdir(layout.configDir, { recursive: true });
  await mkdir(layout.outputsDir, { recursive: true });
  const inputs: Record<string, { files: unknown[] }> = {};
  for (const input of content.step.inputs) {
    const dir = join(layout.inputsDir, input.name);
    await mkdir(dir, { recursive: true });
    if (content.payload?.input === input.name) {
      const files = [];
      for (const { body, filename, uri } of content.payload.files) {
        const path = join(dir, filename);
        await writeFile(path, body);
        files.push({ name: filename, path, size: body.length, uri, checksums: checksums(body) });
      }
      inputs[input.name] = { files };
      continue;
    }
    const handed = content.inputFiles?.[input.name];
    if (handed && handed.length > 0) {
      const files = [];
      for (const source of handed) {
        const name = handed.length === 1 && input.filename ? input.filename : basename(source);
        const path = join(dir, name);
        await copyFile(source, path);
        const body = await readFile(path);
        files.push({ name, path, size: body.length, uri: pathToFileURL(source).href, checksums: checksums(body) });
      }
      inputs[input.name] = { files };
      continue;
    }
    // Other inputs keep their default URLs without a local path; valohai-utils downloads them on use.
    const urls = input.default === undefined ? [] : Array.isArray(input.default) ? input.default : [input.default];
    inputs[input.name] = { files: urls.map((url) => ({ name: input.filename ?? (basename(new URL(url, 'file:///').pathname) || 'input'), uri: url })) };
  }
  const execution = {
    'valohai.execution-id': content.executionId,
    'valohai.execution-step': content.step.name,
    'valohai.execution-title': content.title,
    'valohai.execution-image': content.step.image,
    'valohai.creator-name': 'hooklaunch',
    ...content.extra,
  };
  await Promise.all([
    writeFile(join(layout.configDir, 'inputs.json'), JSON.stringify(inputs, null, 2)),
    writeFile(join(layout.configDir, 'parameters.json'), JSON.stringify(content.parameters, null, 2)),
    writeFile(join(layout.configDir, 'execution.json'), JSON.stringify(execution, null, 2)),
  ]);
}

function checksums(body: Buffer): Record<string, string> {
  return Object.fromEntries(['md5', 'sha1', 'sha256'].map((algorithm) => [algorithm, createHash(algorithm).update(body).digest('hex')]));
}
