/**
 * A connector's payload schema (zod → JSON Schema via z.toJSONSchema) reduced to the few shapes
 * the parser generators emit: scalars, literals, lists, records, unions and named objects.
 */
import { z } from 'zod';

export type TypeNode =
  | { readonly kind: 'string' | 'number' | 'integer' | 'boolean' | 'null' | 'any' }
  | { readonly kind: 'literal'; readonly values: readonly (string | number | boolean)[] }
  | { readonly kind: 'array'; readonly items: TypeNode }
  | { readonly kind: 'record'; readonly values: TypeNode }
  | { readonly kind: 'union'; readonly options: readonly TypeNode[] }
  | ObjectNode;

export interface ObjectNode {
  readonly kind: 'object';
  readonly name: string;
  readonly description?: string | undefined;
  readonly fields: readonly Field[];
}

export interface Field {
  readonly name: string;
  readonly type: TypeNode;
  readonly required: boolean;
  readonly description?: string | undefined;
}

interface JsonSchema {
  type?: string | string[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  const?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  title?: string;
  description?: string;
}

export interface PayloadModel {
  readonly root: TypeNode;
  /** Every named object, nested ones before the objects that use them. */
  readonly objects: readonly ObjectNode[];
}

export function payloadModel(schema: z.ZodType, rootName: string): PayloadModel {
  const json = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as JsonSchema;
  const objects: ObjectNode[] = [];
  const taken = new Set<string>();
  const uniqueName = (wanted: string): string => {
    let name = wanted;
    for (let i = 2; taken.has(name); i++) name = `${wanted}${i}`;
    taken.add(name);
    return name;
  };

  const convert = (node: JsonSchema, hint: string): TypeNode => {
    const options = node.anyOf ?? node.oneOf;
    if (options) {
      const named = options.filter((option) => !isNull(option)).length > 1;
      const converted = options.map((option, i) => convert(option, option.title ?? (named && !isNull(option) ? `${hint}${i + 1}` : hint)));
      return converted.length === 1 ? converted[0]! : { kind: 'union', options: converted };
    }
    if (node.const !== undefined) return { kind: 'literal', values: [node.const as string] };
    if (node.enum) return { kind: 'literal', values: node.enum as string[] };
    if (Array.isArray(node.type)) return { kind: 'union', options: node.type.map((type) => convert({ ...node, type }, hint)) };
    switch (node.type) {
      case 'string':
      case 'number':
      case 'integer':
      case 'boolean':
      case 'null':
        return { kind: node.type };
      case 'array':
        return { kind: 'array', items: node.items ? convert(node.items, singular(hint)) : { kind: 'any' } };
      case 'object': {
        if (!node.properties || Object.keys(node.properties).length === 0) {
          const values = typeof node.additionalProperties === 'object' ? node.additionalProperties : {};
          return { kind: 'record', values: Object.keys(values).length ? convert(values, `${hint}Value`) : { kind: 'any' } };
        }
        const name = uniqueName(pascal(node.title ?? hint));
        const required = new Set(node.required ?? []);
        const fields = Object.entries(node.properties).map(([key, value]) => ({
          name: key,
          type: convert(value, `${name}${pascal(key)}`),
          required: required.has(key),
          description: value.description,
        }));
        const object: ObjectNode = { kind: 'object', name, description: node.description, fields };
        objects.push(object);
        return object;
      }
      default:
        return { kind: 'any' };
    }
  };

  const root = convert(json, rootName);
  return { root, objects };
}

function isNull(node: JsonSchema): boolean {
  return node.type === 'null';
}

function pascal(text: string): string {
  return text
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}

function singular(hint: string): string {
  return hint.endsWith('ies') ? `${hint.slice(0, -3)}y` : hint.endsWith('s') ? hint.slice(0, -1) : `${hint}Item`;
}
