/**
 * A batched trigger's sender problem clears once a good delivery arrives (issue #17). A connector
 * that sees its sender set up so nothing can launch (Datadog's default payload) flags the trigger
 * in the admin API, on the page and in `hooklaunch check` until a delivery passes; "passes" was
 * read as a later `accepted`, `duplicate` or `ignored` line, and a batched trigger's deliveries are
 * logged `batched`: the flag stayed however many alerts came through after the fix. Through the
 * real server, with the default payload from Datadog's documentation (docs.datadoghq.com/integrations/webhooks).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/service.js';

const DATADOG = '0190fe82-0000-7000-8000-0000000bdd0c';
const ADMIN = 'admin-token-for-batched-datadog';

describe('sender problem of a batched trigger', () => {
  let t: TestService | undefined;
  afterEach(async () => {
    await t?.close();
  });

  it('is flagged after the default payload and cleared by the next delivery that joins a batch', async () => {
    t = await startTestService(
      '- step: {name: noop, image: x, command: "true", inputs: [{name: payload}]}\n',
      `server: {admin_token: ${ADMIN}}
triggers:
  - id: ${DATADOG}
    connector: {type: datadog, secret: dd-token}
    batch: {window: 300}
    actions: [{type: run-execution, step: noop, payload_input: payload}]
`,
    );
    const send = async (payload: unknown) =>
      (await fetch(t!.url(DATADOG), { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer dd-token' }, body: JSON.stringify(payload) })).status;
    const problem = async () =>
      ((await (await fetch(`${t!.service.url}/api/v0/triggers/`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { triggers: Array<{ id: string; sender_problem: unknown }> }).triggers.find((x) => x.id === DATADOG)!.sender_problem;

    const defaultPayload = { body: '%%%\nModel drift above threshold\n%%%', last_updated: '1795000000000', event_type: 'query_alert_monitor', title: '[Triggered] Model drift', date: '1795000000000', org: { id: '123', name: 'Acme' }, id: '7571536720113209999' };
    expect(await send(defaultPayload)).toBe(422);
    expect(await problem()).toEqual({ message: expect.stringContaining("receives Datadog's default payload"), last_at: expect.any(Number) });
    expect(await send({ id: '7571536720113210000', transition: 'Triggered', title: '[Triggered] Model drift', priority: 'P2', tags: 'env:prod' })).toBe(200);
    expect((await t.service.store.listLog({ triggerId: DATADOG, limit: 1 }))[0]).toMatchObject({ outcome: 'batched' });
    expect(await problem()).toBeNull();
  });
});
