/**
 * Emits a self-contained TypeScript module (node built-ins only) with the payload's types and a
 * parse function that decodes the stored body the way the provider encodes it and checks every
 * field, throwing an error that names the field at fault.
 */
import { objectForms, type ObjectNode, type PayloadModel, type TypeNode } from './schema-model.js';
import type { PayloadEncoding } from './payload-encoding.js';

export interface TypeScriptParserOptions {
  /** What the module reads, for its docstring: "a Slack webhook payload". */
  readonly subject: string;
  /** The command that writes this module, and what it is generated from, for its header. */
  readonly regenerate: string;
  readonly source: string;
  readonly encoding: PayloadEncoding;
  readonly model: PayloadModel;
}

function type(node: TypeNode): string {
  switch (node.kind) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'null':
      return node.kind;
    case 'integer':
      return 'number';
    case 'any':
      return 'unknown';
    case 'literal':
      return node.values.map((v) => JSON.stringify(v)).join(' | ');
    case 'array':
      return `Array<${type(node.items)}>`;
    case 'record':
      return `Record<string, ${type(node.values)}>`;
    case 'object':
      return node.name;
    case 'union':
      return node.options.map(type).join(' | ');
  }
}

function converter(node: TypeNode): string {
  switch (node.kind) {
    case 'string':
    case 'number':
    case 'integer':
    case 'boolean':
    case 'null':
    case 'any':
      return `is${node.kind[0]!.toUpperCase()}${node.kind.slice(1)}`;
    case 'literal':
      return `isLiteral([${node.values.map((v) => JSON.stringify(v)).join(', ')}])`;
    case 'array':
      return `isList(${converter(node.items)})`;
    case 'record':
      return `isRecord(${converter(node.values)})`;
    case 'object':
      return `to${node.name}`;
    case 'union':
      return `isUnion([${node.options.map(converter).join(', ')}])`;
  }
}

function emitObject(node: ObjectNode): string {
  const key = (name: string): string => (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : JSON.stringify(name));
  return [
    `/** ${node.description ?? `${node.name} part of the payload.`} Unknown keys are kept. */`,
    `export interface ${node.name} {`,
    ...node.fields.map((f) => `${f.description ? `  /** ${f.description} */\n` : ''}  ${key(f.name)}${f.required ? '' : '?'}: ${type(f.type)}${f.required ? '' : ' | undefined'};`),
    '  [key: string]: unknown;',
    '}',
    '',
    `function to${node.name}(value: unknown, path: string): ${node.name} {`,
    '  const data = isObject(value, path);',
    '  return {',
    '    ...data,',
    ...node.fields.map((f) =>
      f.required
        ? `    ${key(f.name)}: ${converter(f.type)}(required(data, ${JSON.stringify(f.name)}, path), \`\${path}.${f.name}\`),`
        : `    ${key(f.name)}: optional(data, ${JSON.stringify(f.name)}, path, ${converter(f.type)}),`,
    ),
    '  };',
    '}',
  ].join('\n');
}

const HELPERS = `/** The payload is not what the schema says; the message names the field at fault. */
export class PayloadError extends Error {
  override readonly name = 'PayloadError';
}

type Convert<T> = (value: unknown, path: string) => T;

function kindOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'list' : typeof value;
}

function isObject(value: unknown, path: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new PayloadError(\`\${path}: expected an object, got \${kindOf(value)}\`);
  return value as Record<string, unknown>;
}

function required(data: Record<string, unknown>, key: string, path: string): unknown {
  if (!Object.hasOwn(data, key)) throw new PayloadError(\`\${path}.\${key}: required field is missing\`);
  return data[key];
}

function optional<T>(data: Record<string, unknown>, key: string, path: string, convert: Convert<T>): T | undefined {
  const value = data[key];
  return value === undefined || value === null ? undefined : convert(value, \`\${path}.\${key}\`);
}

function scalar<T>(check: (value: unknown) => boolean, expected: string): Convert<T> {
  return (value, path) => {
    if (!check(value)) throw new PayloadError(\`\${path}: expected \${expected}, got \${kindOf(value)}\`);
    return value as T;
  };
}

const isString = scalar<string>((v) => typeof v === 'string', 'a string');
const isNumber = scalar<number>((v) => typeof v === 'number', 'a number');
const isInteger = scalar<number>((v) => Number.isInteger(v), 'an integer');
const isBoolean = scalar<boolean>((v) => typeof v === 'boolean', 'true or false');
const isNull = scalar<null>((v) => v === null, 'null');
const isAny: Convert<unknown> = (value) => value;

function isLiteral<T extends string | number | boolean>(allowed: readonly T[]): Convert<T> {
  return (value, path) => {
    if (!allowed.includes(value as T)) throw new PayloadError(\`\${path}: expected one of \${allowed.map((a) => JSON.stringify(a)).join(', ')}, got \${JSON.stringify(value)}\`);
    return value as T;
  };
}

function isList<T>(item: Convert<T>): Convert<T[]> {
  return (value, path) => {
    if (!Array.isArray(value)) throw new PayloadError(\`\${path}: expected a list, got \${kindOf(value)}\`);
    return value.map((entry, index) => item(entry, \`\${path}[\${index}]\`));
  };
}

function isRecord<T>(item: Convert<T>): Convert<Record<string, T>> {
  return (value, path) => Object.fromEntries(Object.entries(isObject(value, path)).map(([k, v]) => [k, item(v, \`\${path}.\${k}\`)]));
}

function isUnion<T extends Array<Convert<unknown>>>(options: [...T]): Convert<ReturnType<T[number]>> {
  return (value, path) => {
    const problems: string[] = [];
    for (const option of options) {
      try {
        return option(value, path) as ReturnType<T[number]>;
      } catch (error) {
        if (!(error instanceof PayloadError)) throw error;
        problems.push(error.message);
      }
    }
    throw new PayloadError(\`\${path}: matches none of its forms; \${problems.join('; ')}\`);
  };
}`;

const DECODERS = {
  json: `/** The stored body as JSON. */
export function decode(raw: Uint8Array | string): unknown {
  const text = typeof raw === 'string' ? raw : new TextDecoder().decode(raw);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new PayloadError(\`payload: not valid JSON (\${(error as Error).message})\`);
  }
}`,
  'form-or-json': `/**
 * The stored body as the provider sent it: JSON, or form fields (one value each) whose \`payload\`
 * field, when present, holds the JSON (interactivity, form-encoded webhooks).
 */
export function decode(raw: Uint8Array | string): unknown {
  const text = typeof raw === 'string' ? raw : new TextDecoder().decode(raw);
  const json = (source: string, where: string): unknown => {
    try {
      return JSON.parse(source) as unknown;
    } catch (error) {
      throw new PayloadError(\`\${where}: not valid JSON (\${(error as Error).message})\`);
    }
  };
  const start = text.trimStart()[0];
  if (start === '{' || start === '[') return json(text, 'payload');
  const fields: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(text)) if (!Object.hasOwn(fields, key)) fields[key] = value;
  return typeof fields.payload === 'string' ? json(fields.payload, 'payload.payload') : fields;
}`,
  'json-or-form': `/** The stored body: JSON when it looks like JSON, else form fields (the first value of each). */
export function decode(raw: Uint8Array | string): unknown {
  const text = typeof raw === 'string' ? raw : new TextDecoder().decode(raw);
  const start = text.trimStart()[0];
  if (start === '{' || start === '[') {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new PayloadError(\`payload: not valid JSON (\${(error as Error).message})\`);
    }
  }
  const fields: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(text)) if (!Object.hasOwn(fields, key)) fields[key] = value;
  return fields;
}`,
};

// Exactly the named input, never a file of that name in the working directory (issue #16).
const LOADER = `/**
 * Reads and parses the execution's input \`inputName\`: exactly the file listed for it in
 * $VH_CONFIG_DIR/inputs.json (Valohai's layout), never a file of that name in the working directory.
 * Throws PayloadError when the input is missing, holds a batch (read it with loadBatch), or is
 * not a valid payload.
 */
export function loadPayload(inputName = 'payload'): Payload {
  let path: string;
  try {
    path = inputPath(inputName);
  } catch (error) {
    if (existsSync(join(batchDir(inputName), BATCH_LINES))) throw batchNotSingle(inputName);
    throw error;
  }
  if (basename(path) === BATCH_LINES || basename(path) === BATCH_INDEX) throw batchNotSingle(inputName);
  return parsePayload(readFileSync(path));
}

/** Reads and parses a payload file (a saved request body, a test fixture). */
export function loadPayloadFile(path: string): Payload {
  return parsePayload(readFileSync(path));
}

/** The path of the execution's input \`inputName\` (its first file). */
export function inputPath(inputName = 'payload'): string {
  const configDir = process.env.VH_CONFIG_DIR ?? '/valohai/config';
  let path: string;
  try {
    const inputs = JSON.parse(readFileSync(join(configDir, 'inputs.json'), 'utf8')) as Record<string, { files: Array<{ path: string }> }>;
    path = inputs[inputName]!.files[0]!.path;
  } catch {
    throw new PayloadError(\`input \${JSON.stringify(inputName)} is not in \${configDir}/inputs.json\`);
  }
  if (typeof path !== 'string' || !existsSync(path)) throw new PayloadError(\`input \${JSON.stringify(inputName)}: its file \${String(path)} does not exist\`);
  return path;
}`;

// A batch run's payload input (issue #17): batch.jsonl, one delivery's body per line in arrival
// order, and index.json describing the batch and each line, both in $VH_INPUTS_DIR/<input>/.
const BATCH_LOADER = `const BATCH_LINES = 'batch.jsonl';
const BATCH_INDEX = 'index.json';

/** index.json of a batch run: the batch, and in \`items[i]\` line i+1 of batch.jsonl. */
export interface BatchIndex {
  batch_id: string;
  key?: string | undefined;
  run_id: string;
  opened_at: string;
  closed_at: string;
  /** max_items, window, quiet or manual. */
  close_reason: string;
  items: BatchIndexItem[];
  [key: string]: unknown;
}

/** One delivery of a batch, as received. */
export interface BatchIndexItem {
  position: number;
  request_id: string;
  received_at: string;
  content_type: string;
  /** Hex SHA-256 of the body as received. */
  sha256: string;
  size_bytes: number;
  [key: string]: unknown;
}

/** Every delivery of a batch run, in arrival order: \`items[i]\` is line i+1 of batch.jsonl, described by \`index.items[i]\`. */
export interface Batch {
  items: Payload[];
  index: BatchIndex;
  batchId: string;
  key: string | undefined;
}

function toBatchIndexItem(value: unknown, path: string): BatchIndexItem {
  const data = isObject(value, path);
  return {
    ...data,
    position: isInteger(required(data, 'position', path), \`\${path}.position\`),
    request_id: isString(required(data, 'request_id', path), \`\${path}.request_id\`),
    received_at: isString(required(data, 'received_at', path), \`\${path}.received_at\`),
    content_type: isString(required(data, 'content_type', path), \`\${path}.content_type\`),
    sha256: isString(required(data, 'sha256', path), \`\${path}.sha256\`),
    size_bytes: isInteger(required(data, 'size_bytes', path), \`\${path}.size_bytes\`),
  };
}

function toBatchIndex(value: unknown, path: string): BatchIndex {
  const data = isObject(value, path);
  const index: BatchIndex = {
    ...data,
    batch_id: isString(required(data, 'batch_id', path), \`\${path}.batch_id\`),
    key: optional(data, 'key', path, isString),
    run_id: isString(required(data, 'run_id', path), \`\${path}.run_id\`),
    opened_at: isString(required(data, 'opened_at', path), \`\${path}.opened_at\`),
    closed_at: isString(required(data, 'closed_at', path), \`\${path}.closed_at\`),
    close_reason: isString(required(data, 'close_reason', path), \`\${path}.close_reason\`),
    items: isList(toBatchIndexItem)(required(data, 'items', path), \`\${path}.items\`),
  };
  index.items.forEach((item, offset) => {
    if (item.position !== offset + 1) throw new PayloadError(\`\${path}.items[\${offset}].position: expected \${offset + 1}, got \${item.position}\`);
  });
  return index;
}

/**
 * Reads and parses the batch in the execution's input \`inputName\`: batch.jsonl and index.json in
 * $VH_INPUTS_DIR/<inputName>/ (VH_INPUTS_DIR defaults to /valohai/inputs). Throws PayloadError
 * naming the line at fault (\`batch.jsonl line 3: payload.x: ...\`).
 */
export function loadBatch(inputName = 'payload'): Batch {
  const dir = batchDir(inputName);
  if (!existsSync(join(dir, BATCH_LINES))) {
    throw new PayloadError(\`input \${JSON.stringify(inputName)} holds no batch: \${join(dir, BATCH_LINES)} does not exist (one delivery is read with loadPayload(\${JSON.stringify(inputName)}))\`);
  }
  return loadBatchDir(dir);
}

/** Reads and parses a folder holding batch.jsonl and index.json (a saved batch, a test fixture). */
export function loadBatchDir(dir: string): Batch {
  const read = (name: string): Uint8Array => {
    try {
      return readFileSync(join(dir, name));
    } catch (error) {
      throw new PayloadError(\`\${name}: cannot be read (\${(error as NodeJS.ErrnoException).code ?? (error as Error).message})\`);
    }
  };
  let indexValue: unknown;
  try {
    indexValue = JSON.parse(UTF8.decode(read(BATCH_INDEX))) as unknown;
  } catch (error) {
    if (error instanceof PayloadError) throw error;
    throw new PayloadError(\`\${BATCH_INDEX}: not valid JSON (\${(error as Error).message})\`);
  }
  const index = toBatchIndex(indexValue, BATCH_INDEX);
  const lines = splitLines(read(BATCH_LINES));
  if (lines.length !== index.items.length) throw new PayloadError(\`\${BATCH_LINES} has \${lines.length} lines, \${BATCH_INDEX} lists \${index.items.length} items\`);
  return { items: lines.map((line, offset) => batchItem(line, offset + 1)), index, batchId: index.batch_id, key: index.key };
}

/** The folder of the execution's input \`inputName\`, where a batch's two files are. */
export function batchDir(inputName = 'payload'): string {
  return join(process.env.VH_INPUTS_DIR ?? '/valohai/inputs', inputName);
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The lines of batch.jsonl: every one ends in "\\n", the last one too. */
function splitLines(bytes: Uint8Array): Uint8Array[] {
  const lines: Uint8Array[] = [];
  let start = 0;
  for (let end = bytes.indexOf(10); end !== -1; end = bytes.indexOf(10, start)) {
    lines.push(bytes.subarray(start, end));
    start = end + 1;
  }
  if (start < bytes.length) lines.push(bytes.subarray(start));
  return lines;
}

function batchItem(line: Uint8Array, number: number): Payload {
  const where = \`\${BATCH_LINES} line \${number}\`;
  let text: string;
  let value: unknown;
  try {
    text = UTF8.decode(line);
    value = JSON.parse(text) as unknown;
  } catch (error) {
    throw new PayloadError(\`\${where}: not valid JSON (\${(error as Error).message})\`);
  }
  try {
    // A body that was not JSON (form fields, text) is stored as a JSON string of its text: that
    // text is what a single delivery's parse reads.
    return parsePayload(typeof value === 'string' ? value : text);
  } catch (error) {
    if (error instanceof PayloadError) throw new PayloadError(\`\${where}: \${error.message}\`);
    throw error;
  }
}

function batchNotSingle(inputName: string): PayloadError {
  return new PayloadError(\`input \${JSON.stringify(inputName)} is a batch (\${BATCH_LINES} and \${BATCH_INDEX}), not one delivery: read it with loadBatch(\${JSON.stringify(inputName)})\`);
}`;

/** `expectSlashCommand(payload)` for each object form of a union payload: the value checked as that form, or a PayloadError saying why not. */
function expectHelpers(root: TypeNode): string[] {
  const forms = objectForms(root);
  if (forms.length < 2) return [];
  return forms.flatMap((form) => [
    '',
    `/** The payload as ${form.name}; throws PayloadError naming the field that makes it another form. */`,
    `export function expect${form.name}(payload: Payload): ${form.name} {`,
    `  return to${form.name}(payload, 'payload');`,
    '}',
  ]);
}

export function generateTypeScriptParser({ subject, regenerate, source, encoding, model }: TypeScriptParserOptions): string {
  return [
    `// Generated by \`${regenerate}\``,
    `// from ${source}. Do not edit: change the schema and generate again.`,
    `/** Typed access to ${subject} stored as an execution input. */`,
    "import { existsSync, readFileSync } from 'node:fs';",
    "import { basename, join } from 'node:path';",
    '',
    HELPERS,
    '',
    ...model.objects.flatMap((object) => [emitObject(object), '']),
    `export type Payload = ${type(model.root)};`,
    '',
    DECODERS[encoding],
    '',
    `/** Decodes and checks ${subject}; throws PayloadError naming the field at fault. */`,
    'export function parsePayload(raw: Uint8Array | string): Payload {',
    `  return ${converter(model.root)}(decode(raw), 'payload');`,
    '}',
    '',
    LOADER,
    '',
    BATCH_LOADER,
    ...expectHelpers(model.root),
    '',
  ].join('\n');
}
