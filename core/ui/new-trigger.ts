/**
 * The web page's "New trigger" form (admin): pick a connector or a generic trigger, fill the
 * trigger as YAML (prefilled with the connector's params and this project's steps and pipelines),
 * and create it through the admin API's own operation, so it is checked like any other trigger.
 * On success: the URL, the secret once, where to paste what on the provider, and a test request.
 */
import type { Response } from 'express';
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import type { ConnectorRegistry } from '../config/load-config.js';
import type { Connector } from '../connector.js';
import type { ValohaiProject } from '../valohai-yaml/load-valohai-yaml.js';
import { generateSecret } from '../secrets/generate-secret.js';
import { uuidv7 } from '../ids.js';
import { html, type Html } from './html.js';


const GENERIC_SETUP = 'Send a POST to {url} with what the conditions ask for (the header or token they check).';

/** Where to paste what on the provider (each connector says it: `Connector.setup`); `{url}` is the trigger's URL. */
export function setupSteps(connector: Connector | undefined, url: string): string {
  return (connector?.setup?.steps ?? GENERIC_SETUP).replaceAll('{url}', url);
}
export const PROVIDER_SECRET = '<the signing secret the provider shows>';

interface JsonSchema {
  readonly type?: string | string[];
  readonly properties?: Record<string, JsonSchema>;
  readonly required?: readonly string[];
  readonly default?: unknown;
  readonly enum?: readonly unknown[];
  readonly anyOf?: readonly JsonSchema[];
}

/**
 * The YAML a new trigger of `connectorId` starts from: its required params (a generated secret for
 * `secret` unless the provider issues it, a placeholder otherwise), its optional ones as comments, and the first step as the
 * action, with every step and pipeline of valohai.yaml listed to pick from.
 */
export function triggerTemplate(connectorId: string | undefined, registry: ConnectorRegistry, project: ValohaiProject): string {
  const steps = [...project.steps.keys()];
  const pipelines = [...project.pipelines.keys()];
  const lines = [`id: ${uuidv7()}`, `title: ${connectorId ? `${registry.get(connectorId)?.title ?? connectorId} trigger` : 'New trigger'}`];
  const connector = connectorId ? registry.get(connectorId) : undefined;
  if (connector) {
    lines.push('connector:', `  type: ${connector.id}`);
    const schema = paramsSchema(connector.params);
    for (const [name, field] of Object.entries(schema.properties ?? {})) {
      const required = schema.required?.includes(name) ?? false;
      const value = name !== 'secret' ? placeholder(field) : connector.setup?.providerIssuesSecret ? PROVIDER_SECRET : generateSecret('hex');
      lines.push(required ? `  ${name}: ${value}` : `  # ${name}: ${field.default !== undefined ? JSON.stringify(field.default) : placeholder(field)}`);
    }
  } else {
    lines.push('conditions:', `  - {type: web-request-auth, auth_type: static_token, key: Authorization, prefix: "Bearer ", secret: ${generateSecret('hex')}}`);
  }
  lines.push('actions:');
  lines.push(steps[0] ? `  - {type: run-execution, step: ${steps[0]}}` : pipelines[0] ? `  - {type: run-pipeline, pipeline: ${pipelines[0]}}` : '  - {type: run-execution, step: <a step of valohai.yaml>}');
  if (steps.length) lines.push(`# steps in valohai.yaml: ${steps.join(', ')}`);
  if (pipelines.length) lines.push(`# pipelines in valohai.yaml (type: run-pipeline): ${pipelines.join(', ')}`);
  return `${lines.join('\n')}\n`;
}

function paramsSchema(params: z.ZodType): JsonSchema {
  try {
    return z.toJSONSchema(params, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  } catch {
    return {};
  }
}

function placeholder(field: JsonSchema): string {
  if (field.enum?.length) return String(field.enum[0]);
  const type = Array.isArray(field.type) ? field.type[0] : (field.type ?? field.anyOf?.[0]?.type);
  if (type === 'array') return '[<value>]';
  if (type === 'boolean') return 'false';
  if (type === 'number' || type === 'integer') return '0';
  return '<value>';
}

/** The YAML (or JSON, which is YAML) of the form, or why it does not parse. */
export function parseTriggerText(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: parseYaml(text) };
  } catch (error) {
    return { ok: false, message: `not YAML or JSON: ${(error as Error).message}` };
  }
}

export function newTriggerForm(res: Response, csrfField: (res: Response) => Html, registry: ConnectorRegistry, chosen: string, text: string, problem?: Html): Html {
  return html`<h1>New trigger</h1>
    <form method="get" action="/ui/triggers/new" class="filters">
      <label>Connector <select name="connector">
        <option value="generic" ${chosen === 'generic' ? 'selected' : ''}>generic (conditions of your own)</option>
        ${[...registry.values()].map((c) => html`<option value="${c.id}" ${c.id === chosen ? 'selected' : ''}>${c.title}</option>`)}
      </select></label>
      <button type="submit">Use its template</button>
    </form>
    ${problem ?? ''}
    <form method="post" action="/ui/triggers/new" class="stack">${csrfField(res)}
      <input type="hidden" name="connector" value="${chosen}">
      <label>Trigger (YAML or JSON, as in hooklaunch.yaml; a secret written here is sealed in the store)
        <textarea name="config" rows="22" spellcheck="false">${text}</textarea></label>
      <p><button class="primary" type="submit">Create trigger</button></p>
    </form>`;
}
