import type { Connector } from '../connector.js';
import type { PayloadEncoding } from './payload-encoding.js';
import { generatePythonParser } from './python-parser.js';
import { payloadModel, payloadModelOf, type JsonSchema, type PayloadModel } from './schema-model.js';
import { generateTypeScriptParser } from './typescript-parser.js';

export type ParserLanguage = 'python' | 'typescript';

export interface GeneratedParser {
  readonly filename: string;
  readonly content: string;
}

interface ParserSpec {
  /** The module's base name, kebab-case (`slack-payload`): `slack_payload.py`, `slack-payload.ts`. */
  readonly baseName: string;
  readonly subject: string;
  readonly regenerate: string;
  readonly source: string;
  readonly encoding: PayloadEncoding;
  readonly model: PayloadModel;
}

function emit(spec: ParserSpec, language: ParserLanguage): GeneratedParser {
  const moduleName = spec.baseName.replaceAll('-', '_');
  const command = `${spec.regenerate} --lang ${language}`;
  return language === 'python'
    ? { filename: `${moduleName}.py`, content: generatePythonParser({ ...spec, moduleName, regenerate: command }) }
    : { filename: `${spec.baseName}.ts`, content: generateTypeScriptParser({ ...spec, regenerate: command }) };
}

/** The payload parser module for a connector, in Python (`<id>_payload.py`) or TypeScript (`<id>-payload.ts`). */
export function generateParser(connector: Connector, language: ParserLanguage): GeneratedParser {
  const rootName = `${connector.title.replace(/[^A-Za-z0-9]/g, '')}Payload`;
  return emit(
    {
      baseName: `${connector.id}-payload`,
      subject: `a ${connector.title} webhook payload`,
      regenerate: `hooklaunch codegen --connector ${connector.id}`,
      source: `the ${connector.title} connector's payload schema`,
      encoding: connector.encoding,
      model: payloadModel(connector.payload, rootName),
    },
    language,
  );
}

export interface TriggerParserSpec {
  /** Module base name, kebab-case (`custom-app-payload`). */
  readonly baseName: string;
  readonly triggerId: string;
  readonly triggerTitle: string;
  readonly schema: JsonSchema;
  /** Where the schema comes from, for the header: "payloads/custom-app.schema.json". */
  readonly schemaSource: string;
  /** The codegen options that write it again (`--trigger … --out …`), without `--lang`. */
  readonly regenerate: string;
}

/** The payload parser for a generic trigger, from its JSON Schema (given or inferred). */
export function generateTriggerParser(spec: TriggerParserSpec, language: ParserLanguage): GeneratedParser {
  const rootName = pascal(spec.baseName);
  return emit(
    {
      baseName: spec.baseName,
      subject: `the payload of trigger ${JSON.stringify(spec.triggerTitle || spec.triggerId)}`,
      regenerate: spec.regenerate,
      source: spec.schemaSource,
      encoding: 'json-or-form',
      model: payloadModelOf(spec.schema, rootName),
    },
    language,
  );
}

/** `custom-app-payload` from a trigger title ("Custom app"), or `trigger-payload` when it has none usable. */
export function triggerBaseName(title: string): string {
  const words = title
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean)
    .slice(0, 4);
  const base = words.length > 0 && /^[a-z]/.test(words[0]!) ? words.join('-') : 'trigger';
  return `${base}-payload`;
}

function pascal(text: string): string {
  return text
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}
