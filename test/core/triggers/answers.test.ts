import { describe, expect, it } from 'vitest';
import { reject } from '../../../core/reject.js';
import { keptAnswerBody, rejectionAnswer } from '../../../core/triggers/answers.js';

describe('rejection answers', () => {
  // Issue #14: a flood refused with one rejection object gets one answer, serialized once.
  it('answers the same rejection with the same answer, and serializes it once', () => {
    const mismatch = reject('signature_mismatch', 'header X-Signature does not match the request body');
    const answer = rejectionAnswer(mismatch);
    expect(rejectionAnswer(mismatch)).toBe(answer);
    const body = keptAnswerBody(answer);
    expect(body).toEqual({ body: JSON.stringify(answer.json), bytes: Buffer.byteLength(JSON.stringify(answer.json)) });
    expect(keptAnswerBody(answer)).toBe(body);
  });

  it('never gives one rejection the answer kept for another, whatever the order', () => {
    const stale = reject('timestamp_too_old', 'header X-Timestamp is 3600 s old; at most 300 s is accepted');
    const rateLimited = reject('rate_limited', 'quota of 1 per 60 s used; wait', { 'retry-after': '60' });
    const sameWords = reject('timestamp_too_old', 'header X-Timestamp is 3600 s old; at most 300 s is accepted');
    for (const rejection of [stale, rateLimited, stale, sameWords, rateLimited, rateLimited]) {
      const answer = rejectionAnswer(rejection);
      expect(answer).toEqual({ status: rejection.status, json: { error: { code: rejection.code, message: rejection.message } }, ...(rejection.headers && { headers: rejection.headers }) });
      expect(keptAnswerBody(answer)?.body).toBe(JSON.stringify({ error: { code: rejection.code, message: rejection.message } }));
    }
    // An answer no longer the kept one (or never made here) is serialized by its sender.
    const first = rejectionAnswer(stale);
    rejectionAnswer(rateLimited);
    expect(keptAnswerBody(first)).toBeUndefined();
    expect(keptAnswerBody({ status: 200, json: { ok: true } })).toBeUndefined();
  });
});
