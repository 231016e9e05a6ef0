/**
 * The parts of valohai.yaml hooklaunch reads (steps and pipelines). Other keys valohai-yaml
 * knows (`environment`, `resources`, ...) are accepted and left alone.
 */
import { z } from 'zod';

const name = z.string().min(1);

const parameterSchema = z.looseObject({
  name,
  type: z.enum(['string', 'integer', 'float', 'flag']).default('string'),
  default: z.unknown().optional(),
  optional: z.boolean().default(false),
  'pass-as': z.string().optional(),
  'pass-true-as': z.string().optional(),
  'pass-false-as': z.string().optional(),
  multiple: z.enum(['none', 'repeat', 'separate']).optional(),
  'multiple-separator': z.string().default(','),
  choices: z.array(z.unknown()).optional(),
  min: z.number().optional(),
  max: z.number().optional(),
});

/** Input and output names become folder names in the execution's work directory. */
const fileSafeName = name.max(64).regex(/^(?!\.{1,2}$)[A-Za-z0-9_.-]+$/, 'use letters, digits, ".", "_" and "-" (it names a folder)');

const inputSchema = z.looseObject({
  name: fileSafeName,
  default: z.union([z.string(), z.array(z.string())]).optional(),
  optional: z.boolean().default(false),
  filename: z.string().optional(),
});

const durationSchema = z.union([z.number().int().nonnegative(), z.string()]).transform((value, ctx) => {
  const seconds = parseDurationSeconds(value);
  if (seconds === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a duration (seconds, or like "1h 30m")` });
    return z.NEVER;
  }
  return seconds;
});

const commandSchema = z.union([z.string(), z.array(z.string())]);

/**
 * `command` becomes a list for the local runner; `commandAsWritten` keeps it as the file has it,
 * because valohai-yaml's Step.serialize() (what `vh pipeline run` sends in node templates) does.
 */
const stepSchema = z.preprocess(
  (raw) => (raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? { ...raw, commandAsWritten: (raw as { command?: unknown }).command } : raw),
  z.looseObject({
    name,
    image: z.string().min(1),
    command: commandSchema.transform((c) => (Array.isArray(c) ? c : [c])),
    // Optional so a step without `command` gets one error, about `command`.
    commandAsWritten: commandSchema.optional(),
    parameters: z.array(parameterSchema).default([]),
    inputs: z.array(inputSchema).default([]),
    outputs: z.array(z.looseObject({ name: fileSafeName })).default([]),
    'environment-variables': z.array(z.looseObject({ name, default: z.unknown().optional() })).default([]),
    'time-limit': durationSchema.optional(),
  }),
);

const nodeSchema = z.looseObject({
  name,
  type: z.enum(['execution', 'task', 'deployment']).default('execution'),
  step: z.string().optional(),
  commit: z.string().optional(),
  'on-error': z.enum(['stop-all', 'stop-next', 'continue', 'retry']).default('stop-all'),
  override: z
    .looseObject({
      command: z.union([z.string(), z.array(z.string())]).optional(),
      image: z.string().optional(),
      parameters: z.array(parameterSchema).optional(),
      inputs: z.array(inputSchema).optional(),
    })
    .optional(),
});

const edgeSchema = z.union([
  z.tuple([z.string(), z.string()]),
  z.looseObject({ source: z.string(), target: z.string(), configuration: z.looseObject({}).optional() }),
]);

const pipelineParameterSchema = z.looseObject({
  name,
  target: z.string().optional(),
  targets: z.union([z.string(), z.array(z.string())]).optional(),
  default: z.unknown().optional(),
});

const pipelineSchema = z.looseObject({
  name,
  nodes: z.array(nodeSchema).min(1),
  edges: z.array(edgeSchema).default([]),
  parameters: z.array(pipelineParameterSchema).default([]),
});

/** Top-level items by their single key; `endpoint` and `task` are accepted and not used here. */
export const ITEM_SCHEMAS = {
  step: stepSchema,
  pipeline: pipelineSchema,
  endpoint: z.unknown(),
  task: z.unknown(),
} as const;

export type StepDef = z.output<typeof stepSchema>;
export type ParameterDef = z.output<typeof parameterSchema>;
export type InputDef = z.output<typeof inputSchema>;
export type PipelineDef = z.output<typeof pipelineSchema>;
export type PipelineNodeDef = z.output<typeof nodeSchema>;
export type PipelineParameterDef = z.output<typeof pipelineParameterSchema>;

/** `300`, `"90"`, `"1h 30m"`, `"2d"` → seconds. */
export function parseDurationSeconds(value: number | string): number | undefined {
  if (typeof value === 'number') return value;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const unit: Record<string, number> = { d: 86_400, h: 3600, m: 60, s: 1 };
  let total = 0;
  let rest = trimmed;
  const part = /^(\d+(?:\.\d+)?)\s*(d|h|m|s)[a-z]*\s*/i;
  while (rest) {
    const match = part.exec(rest);
    if (!match) return undefined;
    total += Number(match[1]) * unit[match[2]!.toLowerCase()]!;
    rest = rest.slice(match[0].length);
  }
  return Math.round(total);
}
