/** What `codegen --check` reports of recent payloads against a trigger's schema (issue #16 point 3). */
import { describe, expect, it } from 'vitest';
import { payloadDrift } from '../../../core/codegen/payload-drift.js';
import type { JsonSchema } from '../../../core/codegen/schema-model.js';

const schema: JsonSchema = {
  type: 'object',
  required: ['kind', 'files'],
  properties: {
    kind: { type: 'string', enum: ['upload', 'delete'] },
    files: { type: 'array', items: { $ref: '#/$defs/File' } },
    owner: { anyOf: [{ type: 'object', properties: { id: { type: 'integer' } } }, { type: 'null' }] },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
  },
  $defs: { File: { type: 'object', required: ['url'], properties: { url: { type: 'string' }, size: { type: 'number' } } } },
};

describe('payloadDrift', () => {
  it('finds nothing in payloads the schema describes', () => {
    expect(payloadDrift(schema, [{ requestId: 'r1', payload: { kind: 'upload', files: [{ url: 'u', size: 1 }], owner: null, labels: { a: 'b' } } }])).toEqual([]);
  });

  it.each([
    ['a new top-level field', { kind: 'upload', files: [], sha: 'x' }, { path: 'payload.sha', problem: 'new field' }],
    ['a new field in list items, through a $ref', { kind: 'upload', files: [{ url: 'u', mime: 'text/csv' }] }, { path: 'payload.files[].mime', problem: 'new field' }],
    ['a changed type', { kind: 'upload', files: [{ url: 'u', size: '12' }] }, { path: 'payload.files[].size', problem: 'string where the schema says number' }],
    ['a new enum member', { kind: 'rename', files: [] }, { path: 'payload.kind', problem: 'value "rename" is not in the schema\'s enum' }],
    ['a required field gone', { kind: 'upload' }, { path: 'payload.files', problem: 'required field is missing' }],
    ['a new field inside a union option', { kind: 'upload', files: [], owner: { id: 1, team: 't' } }, { path: 'payload.owner.team', problem: 'new field' }],
    ['a value of a type no union option takes', { kind: 'upload', files: [], owner: 'ada' }, { path: 'payload.owner', problem: 'string where the schema says object or null' }],
    ['a map value of another type', { kind: 'upload', files: [], labels: { a: 1 } }, { path: 'payload.labels.a', problem: 'integer where the schema says string' }],
  ])('reports %s', (_name, payload, drift) => {
    expect(payloadDrift(schema, [{ requestId: 'r1', payload }])).toEqual([{ ...drift, requestIds: ['r1'] }]);
  });

  it('lists every request that carried the same drift once', () => {
    const payload = { kind: 'upload', files: [], sha: 'x' };
    expect(payloadDrift(schema, [{ requestId: 'a', payload }, { requestId: 'b', payload: { kind: 'upload', files: [] } }, { requestId: 'c', payload }])).toEqual([{ path: 'payload.sha', problem: 'new field', requestIds: ['a', 'c'] }]);
  });
});
