import { createSecretKey, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { datedSecretsOf, keepShownSecrets, maskSecrets, openSecrets, sealSecret, sealSecrets, secretFields } from '../../../core/triggers/sealed-secrets.js';

const key = createSecretKey(randomBytes(32));
const ID = 'trigger-id-0123456789';
const NOW = 1_800_000_000_000;
const config = (secret: unknown, connectorSecret: unknown = '${env:HOOK_SECRET}') => ({
  id: ID,
  connector: { type: 'github', secret: connectorSecret },
  conditions: [{ type: 'web-request-auth', auth_type: 'hmac', secret }],
});
type Shape = ReturnType<typeof config>;

describe('sealed secrets of a stored trigger', () => {
  it('seals secrets in clear, keeps references and values already sealed, and opens them again', () => {
    const sealed = sealSecrets(config('in-clear-0123456789'), key, ID) as Shape;
    expect(sealed.conditions[0]!.secret).toMatch(/^v1:/);
    expect(sealed.connector.secret).toBe('${env:HOOK_SECRET}');
    expect(sealSecrets(sealed, key, ID)).toEqual(sealed);
    expect(openSecrets(sealed, key, ID, NOW)).toEqual({ ok: true, config: config('in-clear-0123456789'), nextExpiryMs: undefined });
  });

  it('drops a previous secret when its overlap ends, and says when that is', () => {
    const field = 'conditions[0].secret';
    const list = [sealSecret({ value: 'new-secret' }, key, ID, field), sealSecret({ value: 'old-secret', expiresAtMs: NOW + 1000 }, key, ID, field)];
    expect(openSecrets(config(list), key, ID, NOW)).toMatchObject({ ok: true, config: config(['new-secret', 'old-secret']), nextExpiryMs: NOW + 1000 });
    expect(openSecrets(config(list), key, ID, NOW + 1000)).toMatchObject({ ok: true, config: config(['new-secret']), nextExpiryMs: undefined });
    expect(datedSecretsOf(config(list), key, ID, field)).toEqual([{ value: 'new-secret' }, { value: 'old-secret', expiresAtMs: NOW + 1000 }]);
  });

  it.each([
    ['another trigger', (s: string) => ({ sealed: sealSecrets(config(s), key, 'another-trigger-0123') as Shape, id: ID }), /another trigger or field/],
    ['another field', (s: string) => ({ sealed: config(sealSecret({ value: s }, key, ID, 'connector.secret')), id: ID }), /another trigger or field/],
    ['another key', (s: string) => ({ sealed: sealSecrets(config(s), createSecretKey(randomBytes(32)), ID) as Shape, id: ID }), /not the key it was sealed with/],
  ])('does not open a value sealed for %s, naming the path', (_what, make, message) => {
    const { sealed, id } = make('in-clear-0123456789');
    expect(openSecrets(sealed, key, id, NOW)).toEqual({ ok: false, path: 'conditions[0].secret', message: expect.stringMatching(message) });
  });

  it('shows every stored secret as [sealed], in a whole config and in a diff at a secret path', () => {
    const sealed = sealSecrets(config(['a-secret-0123456789', 'b-secret-0123456789']), key, ID);
    expect(maskSecrets(sealed)).toEqual(config(['[sealed]', '[sealed]']));
    expect(maskSecrets((sealed as Shape).conditions[0]!.secret, true)).toEqual(['[sealed]', '[sealed]']);
    expect(maskSecrets('${env:HOOK_SECRET}', true)).toBe('${env:HOOK_SECRET}');
    // A reference is not stored here: it rotates in the environment.
    expect(secretFields(sealed)).toEqual(['conditions[0].secret']);
  });

  it('takes [sealed] sent back as the stored value at that path, and refuses it where none is stored', () => {
    const stored = sealSecrets(config('in-clear-0123456789'), key, ID) as Shape;
    expect(keepShownSecrets({ ...config('[sealed]'), title: 'x' }, stored)).toEqual({ ok: true, config: { ...stored, title: 'x' } });
    expect(keepShownSecrets(config('in-clear-0123456789', '[sealed]'), stored)).toMatchObject({ ok: false, path: 'connector.secret' });
    expect(keepShownSecrets(config('[sealed]'), undefined)).toMatchObject({ ok: false, path: 'conditions[0].secret' });
  });
});
