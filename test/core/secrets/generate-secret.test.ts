/**
 * Generated secrets are accepted where they are used: a hex one keys GitHub's own signer
 * (@octokit/webhooks-methods) and the generic HMAC condition; a whsec one is the Standard Webhooks
 * serialisation ("base64 encoded, prefixed with whsec_", at least 24 bytes: spec/standard-webhooks.md)
 * that the standard-webhooks connector takes. Both clear the config's 16-byte HMAC key floor.
 */
import { sign, verify } from '@octokit/webhooks-methods';
import { describe, expect, it } from 'vitest';
import { connectors } from '../../../connectors/index.js';
import { secretKey, weakHmacKey } from '../../../core/config/hmac-key.js';
import { generateSecret } from '../../../core/secrets/generate-secret.js';

describe('generateSecret', () => {
  it('makes 32 random bytes as hex for HMAC and static tokens, a new one each time', async () => {
    const secret = generateSecret();
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(generateSecret('hex')).not.toBe(secret);
    expect(weakHmacKey(secret, 'utf8')).toBeUndefined();
    expect(await verify(secret, '{"zen":"Keep it logically awesome."}', await sign(secret, '{"zen":"Keep it logically awesome."}'))).toBe(true);
  });

  it('makes whsec_ + base64 of 32 bytes for Standard Webhooks senders', () => {
    const secret = generateSecret('whsec');
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(secretKey(secret, 'base64')).toHaveLength(32);
    expect(weakHmacKey(secret, 'base64')).toBeUndefined();
    const params = connectors.get('standard-webhooks')!.params;
    expect(params.safeParse({ secret }).success).toBe(true);
    expect(params.safeParse({ secret: 'whsec_c2hvcnQ=' }).success).toBe(false);
  });

  it('refuses fewer bytes than the format needs (16 for an HMAC key, 24 for Standard Webhooks) or more than 64', () => {
    expect(generateSecret('hex', 16)).toMatch(/^[0-9a-f]{32}$/);
    expect(() => generateSecret('hex', 15)).toThrow('a generated hex secret takes 16 to 64 random bytes, not 15');
    expect(generateSecret('whsec', 24)).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(() => generateSecret('whsec', 16)).toThrow('a generated whsec secret takes 24 to 64 random bytes, not 16');
    expect(() => generateSecret('hex', 65)).toThrow(RangeError);
  });
});
