/**
 * The README's Label Studio batching example (issue #17) holds for Label Studio's real bodies: its
 * connector block is one the connector takes, the bodies of test/fixtures/label-studio (shaped as
 * labelstud.io/guide/webhook_reference shows them) pass its filters, and its batch key finds each
 * one's project id where the payload really has it, with the template syntax of action parameters.
 * The whole trigger, `batch:` included, is one the config schema takes (batch-spec.md's block).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { filterLabelStudio } from '../../../connectors/label-studio/filters.js';
import { labelStudioParams } from '../../../connectors/label-studio/params.js';
import { parseLabelStudio } from '../../../connectors/label-studio/parse.js';
import { triggerSchema } from '../../../core/config/schema.js';
import { renderTemplate } from '../../../core/request/payload-template.js';
import { rawRequest } from '../../helpers/raw-request.js';

const readme = readFileSync(resolve(import.meta.dirname, '../../../README.md'), 'utf8');

/** The yaml block of the README paragraph on Label Studio batching, as a trigger. */
function documentedTrigger(): { id: string; connector: Record<string, unknown>; batch: { key: string; window: number; quiet: number; max_items: number } } {
  const paragraph = readme.slice(readme.indexOf('**Label Studio: one run per burst'));
  const block = /```yaml\n([\s\S]*?)```/.exec(paragraph)?.[1];
  if (!block) throw new Error('no yaml block after the Label Studio batching paragraph');
  return (parseYaml(block) as Array<ReturnType<typeof documentedTrigger>>)[0]!;
}

describe('README: Label Studio batching', () => {
  const trigger = documentedTrigger();
  const { type, ...documented } = trigger.connector;
  const params = labelStudioParams.parse({ ...documented, secret: 'ls-token-for-tests' });

  it.each([
    ['annotation-created.json', 12],
    ['annotations-created.json', 2],
  ])('%s: passes the documented filters (for its own project) and is keyed on its project id', (name, projectId) => {
    const body = readFileSync(join(import.meta.dirname, '../../fixtures/label-studio', name), 'utf8');
    const ownProject = { ...params, project_ids: [projectId] };
    const parsed = parseLabelStudio(rawRequest({ headers: { 'content-type': 'application/json', authorization: 'Token ls-token-for-tests' }, body }));
    if (!parsed.ok) throw new Error(parsed.rejection.message);
    expect(filterLabelStudio(parsed.value, ownProject)).toBeUndefined();
    // Templates see the delivery's view when the connector gives one, else its payload.
    const seen = parsed.value.view ?? parsed.value.payload;
    expect(renderTemplate(trigger.batch.key, { payload: () => ({ ok: true, value: seen }), runId: 'r' }, 'batch.key')).toEqual({ ok: true, value: projectId });
  });

  it('the documented project filter is the one the key batches on', () => {
    expect(type).toBe('label-studio');
    expect(params.project_ids).toEqual([12]);
    expect(params.actions).toEqual(['ANNOTATION_CREATED', 'ANNOTATIONS_CREATED']);
  });

  it('closes by quiet before window, both within what the spec allows', () => {
    expect(trigger.batch.quiet).toBeLessThan(trigger.batch.window);
    expect(trigger.batch.max_items).toBeLessThanOrEqual(10_000);
  });

  it('the whole trigger, batch block included, is one the config schema takes', () => {
    const parsed = triggerSchema.safeParse(trigger);
    expect(parsed.error?.issues ?? []).toEqual([]);
  });
});
