import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { requestTarget } from '../../../core/http/request-target.js';

const BASE = 'http://hooklaunch.invalid';

/** The short way must say exactly what `new URL` says, whatever a sender puts in the request-target. */
function expectSameAsUrl(target: string): void {
  let url: URL | undefined;
  try {
    url = new URL(target, BASE);
  } catch {
    url = undefined;
  }
  const split = requestTarget(target);
  if (!url) {
    expect(split).toBeUndefined();
    return;
  }
  expect(split?.pathname).toBe(url.pathname);
  expect([...split!.searchParams]).toEqual([...url.searchParams]);
}

describe('requestTarget', () => {
  it.each([
    '/api/v0/launch/0190fe82-c984-7f66-8302-69874914e1c9/',
    '/api/v0/launch/abc/run?run_id=01a2&token=x',
    '/',
    '/a/../api/v0/launch/x/',
    '/api/v0/launch/%2e%2e/x/',
    '/api/v0/launch/x/./',
    '//evil.example/api/v0/launch/x/',
    'http://evil.example/api/v0/launch/x/?a=1',
    '/api/v0/launch/x/?q=a b',
    "/api/v0/launch/x/?q='<>\"",
    '/api/v0/launch/x/?q=1#frag',
    '/api/v0/launch/é/',
    '/api/v0/launch/x/?q=é&r=%C3%A9',
    '/api/v0/launch/x\\y/',
    '*',
    '/api/v0/launch/x//',
    '/a.b/c..d/...e',
    '//',
  ])('%s', (target) => expectSameAsUrl(target));

  it('agrees with new URL on random targets', () => {
    const char = fc.constantFrom(...'/?.%#&=;+ \'"<>\\aZ09-_~é2eE!$()*,:@[]^`{|}'.split(''));
    fc.assert(fc.property(fc.array(char, { maxLength: 30 }).map((chars) => `/${chars.join('')}`), (target) => {
      expectSameAsUrl(target);
    }), { numRuns: 5000 });
  });
});
