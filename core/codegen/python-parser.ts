/**
 * Emits a self-contained Python module (stdlib only: dataclasses, json, urllib.parse) that
 * execution code uses to read a connector's payload input: it decodes the stored body the way
 * the provider encodes it, checks every field, and returns dataclasses.
 */
import { objectForms, type Field, type ObjectNode, type PayloadModel, type TypeNode } from './schema-model.js';
import type { PayloadEncoding } from './payload-encoding.js';

export interface PythonParserOptions {
  /** What the module reads, for its docstring: "a Slack webhook payload". */
  readonly subject: string;
  /** The module's import name (`slack_payload`). */
  readonly moduleName: string;
  /** The command that writes this module, and what it is generated from, for its header. */
  readonly regenerate: string;
  readonly source: string;
  readonly encoding: PayloadEncoding;
  readonly model: PayloadModel;
  /** The connector's next-step helpers (Connector.parserHelpers), appended after the parser. */
  readonly helpers?: string | undefined;
}

const KEYWORDS = new Set(['False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield', 'extra']);

export function pythonIdentifier(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(\d)/, '_$1');
  return KEYWORDS.has(cleaned) ? `${cleaned}_` : cleaned;
}

function literal(value: unknown): string {
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (value === null) return 'None';
  return JSON.stringify(value);
}

function hint(node: TypeNode): string {
  switch (node.kind) {
    case 'string':
      return 'str';
    case 'number':
      return 'float';
    case 'integer':
      return 'int';
    case 'boolean':
      return 'bool';
    case 'null':
      return 'None';
    case 'any':
      return 'Any';
    case 'literal':
      return `Literal[${node.values.map(literal).join(', ')}]`;
    case 'array':
      return `List[${hint(node.items)}]`;
    case 'record':
      return `Dict[str, ${hint(node.values)}]`;
    case 'object':
      return `"${node.name}"`;
    case 'union': {
      const options = node.options.filter((o) => o.kind !== 'null');
      const inner = options.length === 1 ? hint(options[0]!) : `Union[${options.map(hint).join(', ')}]`;
      return options.length < node.options.length ? `Optional[${inner}]` : inner;
    }
  }
}

/** A Python expression converting `value` found at `path`. */
function converter(node: TypeNode): string {
  switch (node.kind) {
    case 'string':
    case 'number':
    case 'integer':
    case 'boolean':
    case 'null':
      return `_${node.kind}`;
    case 'any':
      return '_any';
    case 'literal':
      return `_literal((${node.values.map(literal).join(', ')},))`;
    case 'array':
      return `_list(${converter(node.items)})`;
    case 'record':
      return `_record(${converter(node.values)})`;
    case 'object':
      return `${node.name}.from_dict`;
    case 'union':
      return `_union([${node.options.map(converter).join(', ')}], ${literal(node.options.map(describe).join(' or '))})`;
  }
}

function describe(node: TypeNode): string {
  switch (node.kind) {
    case 'object':
      return `a ${node.name} object`;
    case 'literal':
      return node.values.map((v) => JSON.stringify(v)).join('/');
    case 'array':
      return 'a list';
    case 'record':
      return 'an object';
    case 'union':
      return node.options.map(describe).join(' or ');
    default:
      return `a ${node.kind}`;
  }
}

function emitClass(node: ObjectNode): string {
  const required = node.fields.filter((f) => f.required);
  const optional = node.fields.filter((f) => !f.required);
  const fieldLine = (f: Field): string => {
    const comment = f.description ? `  # ${f.description}` : '';
    return f.required ? `    ${pythonIdentifier(f.name)}: ${hint(f.type)}${comment}` : `    ${pythonIdentifier(f.name)}: Optional[${stripOptional(hint(f.type))}] = None${comment}`;
  };
  const lines = [
    '@dataclass',
    `class ${node.name}:`,
    `    """${(node.description ?? `${node.name} part of the payload.`).replaceAll('"""', "'''")} Unknown keys are kept in \`extra\`."""`,
    '',
    ...required.map(fieldLine),
    ...optional.map(fieldLine),
    '    extra: Dict[str, Any] = field(default_factory=dict)',
    '',
    `    _KEYS = (${node.fields.map((f) => JSON.stringify(f.name)).join(', ')}${node.fields.length === 1 ? ',' : ''})`,
    '',
    '    @classmethod',
    `    def from_dict(cls, data: Any, path: str = "payload") -> "${node.name}":`,
    '        _object(data, path)',
    '        return cls(',
    ...node.fields.map((f) =>
      f.required
        ? `            ${pythonIdentifier(f.name)}=${converter(f.type)}(_required(data, ${JSON.stringify(f.name)}, path), f"{path}.${f.name}"),`
        : `            ${pythonIdentifier(f.name)}=_optional(data, ${JSON.stringify(f.name)}, path, ${converter(f.type)}),`,
    ),
    '            extra={k: v for k, v in data.items() if k not in cls._KEYS},',
    '        )',
  ];
  return lines.join('\n');
}

function stripOptional(text: string): string {
  return text.startsWith('Optional[') ? text.slice('Optional['.length, -1) : text;
}

const DECODERS = {
  json: `def decode(raw: Union[bytes, str]) -> Any:
    """The stored body as JSON."""
    text = raw.decode("utf-8") if isinstance(raw, (bytes, bytearray)) else raw
    try:
        return json.loads(text)
    except ValueError as error:
        raise PayloadError(f"payload: not valid JSON ({error})") from None`,
  'form-or-json': `def decode(raw: Union[bytes, str]) -> Any:
    """The stored body as the provider sent it: JSON, or form fields (one value each) whose
    \`payload\` field, when present, holds the JSON (interactivity, form-encoded webhooks)."""
    text = raw.decode("utf-8") if isinstance(raw, (bytes, bytearray)) else raw
    if text.lstrip().startswith(("{", "[")):
        try:
            return json.loads(text)
        except ValueError as error:
            raise PayloadError(f"payload: not valid JSON ({error})") from None
    fields = {key: values[0] for key, values in urllib.parse.parse_qs(text, keep_blank_values=True).items()}
    if isinstance(fields.get("payload"), str):
        try:
            return json.loads(fields["payload"])
        except ValueError as error:
            raise PayloadError(f"payload.payload: not valid JSON ({error})") from None
    return fields`,
  'json-or-form': `def decode(raw: Union[bytes, str]) -> Any:
    """The stored body: JSON when it looks like JSON, else form fields (the first value of each)."""
    text = raw.decode("utf-8") if isinstance(raw, (bytes, bytearray)) else raw
    if text.lstrip().startswith(("{", "[")):
        try:
            return json.loads(text)
        except ValueError as error:
            raise PayloadError(f"payload: not valid JSON ({error})") from None
    return {key: values[0] for key, values in urllib.parse.parse_qs(text, keep_blank_values=True).items()}`,
};

const HELPERS = `class PayloadError(ValueError):
    """The payload is not what the schema says; the message names the field at fault."""


def _object(value: Any, path: str) -> None:
    if not isinstance(value, dict):
        raise PayloadError(f"{path}: expected an object, got {type(value).__name__}")


def _required(data: Dict[str, Any], key: str, path: str) -> Any:
    if key not in data:
        raise PayloadError(f"{path}.{key}: required field is missing")
    return data[key]


def _optional(data: Dict[str, Any], key: str, path: str, convert: Callable[[Any, str], Any]) -> Any:
    if key not in data or data[key] is None:
        return None
    return convert(data[key], f"{path}.{key}")


def _string(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise PayloadError(f"{path}: expected a string, got {type(value).__name__}")
    return value


def _number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PayloadError(f"{path}: expected a number, got {type(value).__name__}")
    return value


def _integer(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PayloadError(f"{path}: expected an integer, got {type(value).__name__}")
    return value


def _boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise PayloadError(f"{path}: expected true or false, got {type(value).__name__}")
    return value


def _null(value: Any, path: str) -> None:
    if value is not None:
        raise PayloadError(f"{path}: expected null")
    return None


def _any(value: Any, path: str) -> Any:
    return value


def _literal(allowed: tuple) -> Callable[[Any, str], Any]:
    def convert(value: Any, path: str) -> Any:
        if value not in allowed or isinstance(value, bool) != isinstance(allowed[0], bool):
            raise PayloadError(f"{path}: expected one of {', '.join(json.dumps(a) for a in allowed)}, got {json.dumps(value)}")
        return value
    return convert


def _list(item: Callable[[Any, str], Any]) -> Callable[[Any, str], list]:
    def convert(value: Any, path: str) -> list:
        if not isinstance(value, list):
            raise PayloadError(f"{path}: expected a list, got {type(value).__name__}")
        return [item(entry, f"{path}[{index}]") for index, entry in enumerate(value)]
    return convert


def _record(item: Callable[[Any, str], Any]) -> Callable[[Any, str], dict]:
    def convert(value: Any, path: str) -> dict:
        _object(value, path)
        return {key: item(entry, f"{path}.{key}") for key, entry in value.items()}
    return convert


def _union(options: List[Callable[[Any, str], Any]], expected: str) -> Callable[[Any, str], Any]:
    def convert(value: Any, path: str) -> Any:
        problems = []
        for option in options:
            try:
                return option(value, path)
            except PayloadError as problem:
                problems.append(str(problem))
        raise PayloadError(f"{path}: expected {expected}; " + "; ".join(problems))
    return convert`;

// Exactly the named input, never a file of that name in the working directory: a stray
// "payload" file must not win over the execution's input. valohai-utils' Input.path() unpacks
// archives unless told not to (process_archives=True by default, valohai/inputs.py), and falls
// back to `default` when the input is missing; its config lives at $VH_CONFIG_DIR/inputs.json
// (valohai/paths.py get_inputs_config_path), which is what is read without it.
const LOADER = `def load(input_name: str = "payload") -> Payload:
    """Reads and parses the execution's input \`input_name\`: exactly the file Valohai lists for it
    (through valohai-utils when installed, the stored body as is, never unpacked; else through
    $VH_CONFIG_DIR/inputs.json), never a file of that name in the working directory. Raises
    PayloadError when the input is missing, holds a batch (read it with load_batch), or its
    content is not a valid payload."""
    try:
        path = input_path(input_name)
    except PayloadError:
        if os.path.isfile(os.path.join(batch_dir(input_name), BATCH_LINES)):
            raise _batch_not_single(input_name) from None
        raise
    if os.path.basename(path) in (BATCH_LINES, BATCH_INDEX):
        raise _batch_not_single(input_name)
    with open(path, "rb") as f:
        return parse(f.read())


def load_file(path: str) -> Payload:
    """Reads and parses a payload file (a saved request body, a test fixture)."""
    with open(path, "rb") as f:
        return parse(f.read())


def input_path(input_name: str = "payload") -> str:
    """The path of the execution's input \`input_name\` (its first file)."""
    path = None
    try:
        import valohai  # type: ignore[import-not-found]
    except ImportError:
        valohai = None
    if valohai is not None:
        path = valohai.inputs(input_name).path(process_archives=False)
    if not path:
        config_dir = os.environ.get("VH_CONFIG_DIR", "/valohai/config")
        try:
            with open(os.path.join(config_dir, "inputs.json"), encoding="utf-8") as f:
                path = json.load(f)[input_name]["files"][0]["path"]
        except (OSError, ValueError, KeyError, IndexError, TypeError):
            raise PayloadError(f"input {input_name!r} is not in {config_dir}/inputs.json") from None
    if not os.path.isfile(path):
        raise PayloadError(f"input {input_name!r}: its file {path} does not exist")
    return path`;

// A batch run's payload input (issue #17): batch.jsonl, one delivery's body per line in arrival
// order, and index.json describing the batch and each line, both in $VH_INPUTS_DIR/<input>/.
// Lines are split on "\n" only: str.splitlines() would also split inside a JSON string holding
// U+2028 or U+0085, which JSON.stringify writes as they are.
const BATCH_LOADER = `BATCH_LINES = "batch.jsonl"
BATCH_INDEX = "index.json"
_INDEX_TEXT = ("batch_id", "run_id", "opened_at", "closed_at", "close_reason")
_ITEM_TEXT = ("request_id", "received_at", "content_type", "sha256")


@dataclass
class Batch:
    """Every delivery of a batch run, in arrival order: items[i] is line i+1 of batch.jsonl, parsed
    like a single delivery, and index["items"][i] describes it (position, request_id, received_at,
    content_type, sha256, size_bytes). index is index.json (batch_id, key, run_id,
    opened_at, closed_at, close_reason, items)."""

    items: List[Payload]
    index: Dict[str, Any]
    batch_id: str
    key: Optional[str]


def load_batch(input_name: str = "payload") -> Batch:
    """Reads and parses the batch in the execution's input \`input_name\`: batch.jsonl and index.json
    in $VH_INPUTS_DIR/<input_name>/ (VH_INPUTS_DIR defaults to /valohai/inputs). Raises PayloadError
    naming the line at fault (\`batch.jsonl line 3: payload.x: ...\`)."""
    directory = batch_dir(input_name)
    if not os.path.isfile(os.path.join(directory, BATCH_LINES)):
        raise PayloadError(f"input {input_name!r} holds no batch: {os.path.join(directory, BATCH_LINES)} does not exist (one delivery is read with load({input_name!r}))")
    return load_batch_dir(directory)


def load_batch_dir(path: str) -> Batch:
    """Reads and parses a folder holding batch.jsonl and index.json (a saved batch, a test fixture)."""
    try:
        with open(os.path.join(path, BATCH_INDEX), "rb") as f:
            index = json.loads(f.read().decode("utf-8"))
    except OSError as error:
        raise PayloadError(f"{BATCH_INDEX}: cannot be read ({error.strerror})") from None
    except ValueError as error:
        raise PayloadError(f"{BATCH_INDEX}: not valid JSON ({error})") from None
    _batch_index(index)
    try:
        with open(os.path.join(path, BATCH_LINES), "rb") as f:
            lines = f.read().split(b"\\n")
    except OSError as error:
        raise PayloadError(f"{BATCH_LINES}: cannot be read ({error.strerror})") from None
    if lines[-1] == b"":
        lines.pop()  # every line ends in "\\n", the last one too
    if len(lines) != len(index["items"]):
        raise PayloadError(f"{BATCH_LINES} has {len(lines)} lines, {BATCH_INDEX} lists {len(index['items'])} items")
    items = [_batch_item(line, number) for number, line in enumerate(lines, 1)]
    return Batch(items=items, index=index, batch_id=index["batch_id"], key=index.get("key"))


def batch_dir(input_name: str = "payload") -> str:
    """The folder of the execution's input \`input_name\`, where a batch's two files are."""
    return os.path.join(os.environ.get("VH_INPUTS_DIR", "/valohai/inputs"), input_name)


def _batch_item(line: bytes, number: int) -> Payload:
    where = f"{BATCH_LINES} line {number}"
    try:
        value = json.loads(line.decode("utf-8"))
    except ValueError as error:
        raise PayloadError(f"{where}: not valid JSON ({error})") from None
    try:
        # A body that was not JSON (form fields, text) is stored as a JSON string of its text:
        # that text is what a single delivery's parse reads.
        return parse(value if isinstance(value, str) else line)
    except PayloadError as error:
        raise PayloadError(f"{where}: {error}") from None


def _batch_index(index: Any) -> None:
    _object(index, BATCH_INDEX)
    for name in _INDEX_TEXT:
        _string(_required(index, name, BATCH_INDEX), f"{BATCH_INDEX}.{name}")
    _optional(index, "key", BATCH_INDEX, _string)
    entries = _list(_any)(_required(index, "items", BATCH_INDEX), f"{BATCH_INDEX}.items")
    for offset, entry in enumerate(entries):
        path = f"{BATCH_INDEX}.items[{offset}]"
        _object(entry, path)
        if _integer(_required(entry, "position", path), f"{path}.position") != offset + 1:
            raise PayloadError(f"{path}.position: expected {offset + 1}, got {entry['position']}")
        for name in _ITEM_TEXT:
            _string(_required(entry, name, path), f"{path}.{name}")
        _integer(_required(entry, "size_bytes", path), f"{path}.size_bytes")


def _batch_not_single(input_name: str) -> PayloadError:
    return PayloadError(f"input {input_name!r} is a batch ({BATCH_LINES} and {BATCH_INDEX}), not one delivery: read it with load_batch({input_name!r})")`;

/** `expect_slash_command(payload)` for each object form of a union payload: the narrowed value, or a PayloadError saying what arrived. */
function expectHelpers(root: TypeNode): string[] {
  const forms = objectForms(root);
  if (forms.length < 2) return [];
  return forms.flatMap((form) => [
    '',
    '',
    `def expect_${snake(form.name)}(payload: Payload) -> ${form.name}:`,
    `    """The payload narrowed to ${form.name}; raises PayloadError naming the form that arrived instead."""`,
    `    if not isinstance(payload, ${form.name}):`,
    `        raise PayloadError(f"payload: expected ${form.name}, got {type(payload).__name__}")`,
    '    return payload',
  ]);
}

function snake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

export function generatePythonParser({ subject, moduleName, regenerate, source, encoding, model, helpers }: PythonParserOptions): string {
  const rootType = hint(model.root).replace(/^"(.*)"$/, '$1');
  return [
    `# Generated by \`${regenerate}\``,
    `# from ${source}. Do not edit: change the schema and generate again.`,
    `"""Typed access to ${subject} stored as an execution input.`,
    '',
    `    import ${moduleName}`,
    `    payload = ${moduleName}.load("payload")   # the execution's input of that name`,
    `    batch = ${moduleName}.load_batch("payload")   # a batch run's input: batch.items, in arrival order`,
    '"""',
    'from __future__ import annotations',
    '',
    'import json',
    'import os',
    'import urllib.parse',
    'from dataclasses import dataclass, field',
    'from typing import Any, Callable, Dict, List, Literal, Optional, Union',
    '',
    '',
    HELPERS,
    '',
    '',
    ...model.objects.flatMap((object) => [emitClass(object), '', '']),
    `Payload = ${rootType}`,
    '',
    '',
    DECODERS[encoding],
    '',
    '',
    `def parse(raw: Union[bytes, str]) -> Payload:`,
    `    """Decodes and checks ${subject}; raises PayloadError naming the field at fault."""`,
    `    return ${converter(model.root)}(decode(raw), "payload")`,
    '',
    '',
    LOADER,
    '',
    '',
    BATCH_LOADER,
    ...expectHelpers(model.root),
    ...(helpers ? ['', '', helpers] : []),
    '',
  ].join('\n');
}
