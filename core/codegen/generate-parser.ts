import type { Connector } from '../connector.js';
import { generatePythonParser } from './python-parser.js';
import { payloadModel } from './schema-model.js';
import { generateTypeScriptParser } from './typescript-parser.js';

export type ParserLanguage = 'python' | 'typescript';

export interface GeneratedParser {
  readonly filename: string;
  readonly content: string;
}

/** The payload parser module for a connector, in Python (`<id>_payload.py`) or TypeScript (`<id>-payload.ts`). */
export function generateParser(connector: Connector, language: ParserLanguage): GeneratedParser {
  const rootName = `${connector.title.replace(/[^A-Za-z0-9]/g, '')}Payload`;
  const options = { connectorId: connector.id, connectorTitle: connector.title, encoding: connector.encoding, model: payloadModel(connector.payload, rootName) };
  return language === 'python'
    ? { filename: `${connector.id.replaceAll('-', '_')}_payload.py`, content: generatePythonParser(options) }
    : { filename: `${connector.id}-payload.ts`, content: generateTypeScriptParser(options) };
}
