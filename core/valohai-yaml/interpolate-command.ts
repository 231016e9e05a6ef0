/**
 * Command interpolation as valohai-yaml does it: `{parameters}`/`{params}`, `{parameter:x}` and
 * `{parameter-value:x}` become shell-quoted arguments; any other `{...}` is left for the shell.
 */
import type { ParameterValue } from './coerce-parameter.js';
import type { ParameterDef, StepDef } from './schema.js';
import { shellQuote } from './shell-quote.js';

/** Defaults from valohai.yaml overlaid with the values given; unset optional parameters are absent. */
export function effectiveParameters(step: StepDef, given: Readonly<Record<string, ParameterValue>>): Record<string, ParameterValue> {
  const values: Record<string, ParameterValue> = {};
  for (const def of step.parameters) {
    const value = Object.hasOwn(given, def.name) ? given[def.name] : (def.default as ParameterValue | undefined | null);
    if (value !== undefined && value !== null) values[def.name] = value;
    else if (def.type === 'flag') values[def.name] = false;
  }
  return values;
}

/** The argv pieces (unquoted) one parameter contributes, or none. Mirrors `Parameter.format_cli`. */
export function formatParameter(def: ParameterDef, value: ParameterValue | undefined): string[] {
  const template = passAsTemplate(def, value);
  if (!template || value === undefined) return [];
  const bits = template.split(/\s+/).filter(Boolean);
  const formatAtom = (atom: string | number | boolean): string[] =>
    bits.map((bit) => bit.replace(/\{(name|value|v)\}/g, (_m, key: string) => (key === 'name' ? def.name : String(atom))));
  if (Array.isArray(value)) {
    if (def.multiple === 'repeat') return value.flatMap((atom) => formatAtom(atom));
    if (value.length === 0) return [];
    return formatAtom(value.join(def['multiple-separator']));
  }
  return formatAtom(value as string | number | boolean);
}

function passAsTemplate(def: ParameterDef, value: ParameterValue | undefined): string | undefined {
  if (def.type === 'flag') {
    if (def['pass-true-as'] !== undefined || def['pass-false-as'] !== undefined) {
      return (value ? def['pass-true-as'] : def['pass-false-as']) || undefined;
    }
    if (!value) return undefined;
    return def['pass-as'] ?? '--{name}';
  }
  if (value === undefined) return undefined;
  return def['pass-as'] ?? '--{name}={value}';
}

export type Interpolated = { ok: true; commands: string[] } | { ok: false; message: string };

export function interpolateCommands(step: StepDef, values: Readonly<Record<string, ParameterValue>>): Interpolated {
  const defs = new Map(step.parameters.map((p) => [p.name, p]));
  const all = step.parameters.flatMap((def) => formatParameter(def, values[def.name])).map(shellQuote).join(' ');
  let unknown: string | undefined;
  const commands = step.command.map((line) =>
    line
      .replace(/\{(parameters|params|parameter:([^{}]+)|parameter-value:([^{}]+))\}/g, (match, _all, named?: string, bare?: string) => {
        if (named === undefined && bare === undefined) return all;
        const def = defs.get((named ?? bare)!);
        if (!def) {
          unknown ??= (named ?? bare)!;
          return match;
        }
        const value = values[def.name];
        if (bare !== undefined) {
          if (value === undefined) return '';
          return shellQuote(Array.isArray(value) ? value.join(def['multiple-separator']) : String(value));
        }
        return formatParameter(def, value).map(shellQuote).join(' ');
      })
      .trim(),
  );
  if (unknown !== undefined) return { ok: false, message: `command of step "${step.name}" names parameter "${unknown}", which the step does not define` };
  return { ok: true, commands };
}
