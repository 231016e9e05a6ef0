/**
 * A payload schema reduced to the few shapes the parser generators emit: scalars, literals,
 * lists, records, unions and named objects. From a connector's zod schema (via z.toJSONSchema)
 * or straight from a JSON Schema (a trigger's `payload_schema:` or one inferred from payloads).
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

/** The part of JSON Schema (draft-07 / 2020-12) that payload schemas use here. */
export interface JsonSchema {
  $schema?: string;
  $comment?: string;
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  definitions?: Record<string, JsonSchema>;
  format?: string;
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
  return payloadModelOf(z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as JsonSchema, rootName);
}

/** Local `#/$defs/X` and `#/definitions/X` references are followed; others are read as "any". */
export function payloadModelOf(json: JsonSchema, rootName: string): PayloadModel {
  const objects: ObjectNode[] = [];
  const taken = new Set<string>();
  const uniqueName = (wanted: string): string => {
    let name = wanted;
    for (let i = 2; taken.has(name); i++) name = `${wanted}${i}`;
    taken.add(name);
    return name;
  };

  const convert = (given: JsonSchema, hint: string, seen: readonly string[] = []): TypeNode => {
    if (given.$ref !== undefined && seen.includes(given.$ref)) return { kind: 'any' }; // recursive: the parsers do not recurse
    if (given.$ref !== undefined) {
      const target = resolveRef(json, given.$ref);
      return target ? convert(target, pascal(given.$ref.split('/').pop() ?? hint), [...seen, given.$ref]) : { kind: 'any' };
    }
    const node = given;
    const options = node.anyOf ?? node.oneOf;
    if (options) {
      const named = options.filter((option) => !isNull(option)).length > 1;
      const converted = options.map((option, i) => convert(option, option.title ?? (named && !isNull(option) ? `${hint}${i + 1}` : hint), seen));
      return converted.length === 1 ? converted[0]! : { kind: 'union', options: converted };
    }
    if (node.const !== undefined) return { kind: 'literal', values: [node.const as string] };
    if (node.enum) return { kind: 'literal', values: node.enum as string[] };
    if (Array.isArray(node.type)) return { kind: 'union', options: node.type.map((type) => convert({ ...node, type }, hint, seen)) };
    // A schema with properties but no `type` (common in hand-written ones) describes an object.
    const kind = node.type ?? (node.properties ? 'object' : undefined);
    switch (kind) {
      case 'string':
      case 'number':
      case 'integer':
      case 'boolean':
      case 'null':
        return { kind };
      case 'array':
        return { kind: 'array', items: node.items ? convert(node.items, singular(hint), seen) : { kind: 'any' } };
      case 'object': {
        if (!node.properties || Object.keys(node.properties).length === 0) {
          const values = typeof node.additionalProperties === 'object' ? node.additionalProperties : {};
          return { kind: 'record', values: Object.keys(values).length ? convert(values, `${hint}Value`, seen) : { kind: 'any' } };
        }
        const name = uniqueName(pascal(node.title ?? hint));
        const required = new Set(node.required ?? []);
        const fields = Object.entries(node.properties).map(([key, value]) => ({
          name: key,
          type: convert(value, `${name}${pascal(key)}`, seen),
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

/** The object forms of a union payload (nested unions flattened), in the order the parser tries them. */
export function objectForms(root: TypeNode): ObjectNode[] {
  if (root.kind === 'object') return [root];
  if (root.kind === 'union') return root.options.flatMap(objectForms);
  return [];
}

export function resolveRef(root: JsonSchema, ref: string): JsonSchema | undefined {
  const match = /^#\/(\$defs|definitions)\/([^/]+)$/.exec(ref);
  return match ? (match[1] === '$defs' ? root.$defs : root.definitions)?.[match[2]!] : undefined;
}

function isNull(node: JsonSchema): boolean {
  return node.type === 'null';
}

/** `slash-command` → `SlashCommand`: the class names of the generated parsers. */
export function pascal(text: string): string {
  return text
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}

function singular(hint: string): string {
  return hint.endsWith('ies') ? `${hint.slice(0, -3)}y` : hint.endsWith('s') ? hint.slice(0, -1) : `${hint}Item`;
}
