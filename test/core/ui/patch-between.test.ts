/** The edit form's merge patch: applied with RFC 7386 to the trigger as it was, it gives the form's trigger. */
import { describe, expect, it } from 'vitest';
import { mergePatch } from '../../../core/triggers/merge-patch.js';
import { patchBetween } from '../../../core/ui/trigger-console.js';

const before = { id: 'a', title: 'Deploys', connector: { type: 'github', secret: '[sealed]', branches: ['main'], tags: ['v*'] }, actions: [{ type: 'run-execution', step: 'deploy' }] };

describe('patchBetween', () => {
  it('removes a key the form left out (a plain merge of the form would keep it)', () => {
    const after = { id: 'a', connector: { type: 'github', secret: '[sealed]', branches: ['main'] }, actions: before.actions };
    const patch = patchBetween(before, after);
    expect(patch).toEqual({ title: null, connector: { tags: null } });
    expect(mergePatch(before, patch)).toEqual(after);
  });

  it('sends only what changed, and a changed list whole', () => {
    const after = { ...before, connector: { ...before.connector, branches: ['release/*', 'main'] } };
    expect(patchBetween(before, after)).toEqual({ connector: { branches: ['release/*', 'main'] } });
    expect(patchBetween(before, structuredClone(before))).toEqual({});
  });
});
