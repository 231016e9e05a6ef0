/**
 * The body `hooklaunch send` makes up passes the trigger's own filters: each operation is checked
 * by the filter code the server runs (compilePayloadFilter), not by a second reading of it.
 */
import { describe, expect, it } from 'vitest';
import { connectors } from '../../../connectors/index.js';
import { systemClock } from '../../../core/clock.js';
import { compilePayloadFilter } from '../../../core/conditions/payload-filter.js';
import { sampleBody } from '../../../core/triggers/sample-body.js';
import { tempProject } from '../../helpers/project.js';
import { rawRequest } from '../../helpers/raw-request.js';

const VALOHAI = '- step: {name: s, image: x, command: "true"}\n- step: {name: p, image: x, command: "true", parameters: [{name: n, type: integer}, {name: rate, type: float, default: 0.5}, {name: mode, choices: [fast, slow]}]}\n';
const ID = '0190fe82-0000-7000-8000-0000000050b1';

function triggerWith(conditions: string, actions = '[{type: run-execution, step: s}]') {
  const project = tempProject(VALOHAI);
  try {
    const loaded = project.load(`triggers:\n  - id: ${ID}\n    conditions: ${conditions}\n    actions: ${actions}\n`);
    return { loaded, trigger: loaded.config.triggers[0]! };
  } finally {
    project.remove();
  }
}

describe('sampleBody', () => {
  const filters: Array<[string, string]> = [
    ['equals', 'value: csv'],
    ['not-equals', 'value: tsv'],
    ['contains', 'value: nightly'],
    ['not-contains', 'value: draft'],
    ['starts-with', 'value: refs/heads/'],
    ['ends-with', 'value: .csv'],
    ['in', 'value: [opened, reopened]'],
    ['exists', ''],
    ['not-exists', ''],
    ['gt', 'value: 10'],
    ['gte', 'value: 10'],
    ['lt', 'value: 10'],
    ['lte', 'value: 10'],
  ];
  it.each(filters)('builds a body that passes "%s"', async (operation, value) => {
    const { loaded, trigger } = triggerWith(`[{type: payload-filter, lookup: data.deep\\.key, operation: ${operation}${value ? `, ${value}` : ''}}]`);
    const sample = sampleBody(trigger, undefined, loaded.project);
    const condition = trigger.conditions[0]!;
    if (condition.type !== 'payload-filter') throw new Error('not a filter');
    expect(await compilePayloadFilter(condition)(rawRequest({ headers: { 'content-type': sample.contentType }, body: sample.body }), systemClock)).toMatchObject({ ok: true });
  });

  it('says when it cannot make a value up (a regex), and fills the fields the actions take with the step parameter types', () => {
    const { loaded, trigger } = triggerWith(
      '[{type: payload-filter, lookup: name, operation: matches, value: "^[a-z]+$"}]',
      '[{type: run-execution, step: p, title: "run {payload.who}", parameters: {n: "{payload.count}", rate: "{payload.rate}", mode: "{payload.mode}"}}]',
    );
    const sample = sampleBody(trigger, undefined, loaded.project);
    expect(JSON.parse(sample.body)).toEqual({ count: 1, rate: 0.5, mode: 'fast', who: 'example' });
    expect(sample.describe).toBe('a body built with {payload.count}, {payload.rate}, {payload.mode}, {payload.who}; no value was made up for name matches "^[a-z]+$": pass --data');
  });

  it("a connector trigger gets the connector's sample", () => {
    const project = tempProject(VALOHAI);
    try {
      const loaded = project.load(`triggers:\n  - id: ${ID}\n    connector: {type: github, secret: sample-body-secret-0123}\n    actions: [{type: run-execution, step: s}]\n`);
      const sample = sampleBody(loaded.config.triggers[0]!, loaded.connectors.get(ID), loaded.project);
      expect(sample.describe).toBe("the GitHub connector's sample payload");
      // A push to a branch the connector takes, as its sample() makes it (a fresh commit id each time).
      expect(sample.contentType).toBe(connectors.get('github')!.sample!(loaded.connectors.get(ID)!.params).contentType);
      expect(JSON.parse(sample.body)).toMatchObject({ ref: 'refs/heads/main', head_commit: { message: 'hooklaunch test push' } });
    } finally {
      project.remove();
    }
  });
});
