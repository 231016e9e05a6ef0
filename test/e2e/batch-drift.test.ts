/**
 * Payload drift sees batched deliveries (issue #17). The trigger page's "Payload drift" and
 * `hooklaunch codegen --from-log` read a trigger's recent accepted payloads from the trigger log;
 * a batched trigger's deliveries are logged `batched`, not `accepted`, so a batched trigger was
 * never checked ("None: 0 recent accepted payloads checked") however its payloads drifted. A
 * batched delivery's payload is its own batch item, whether its batch has launched or not.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/service.js';

const TRIGGER = '0190fe82-0000-7000-8000-0000000bd41f';
const ADMIN = 'admin-token-for-batch-drift';

describe('payload drift of a batched trigger', () => {
  let t: TestService | undefined;
  afterEach(async () => {
    await t?.close();
  });

  it('checks its batched deliveries, launched or still waiting, and names the one that drifted', async () => {
    t = await startTestService(
      '- step: {name: noop, image: x, command: "true", inputs: [{name: payload}]}\n',
      `server: {admin_token: ${ADMIN}}
triggers:
  - id: ${TRIGGER}
    payload_schema: {type: object, properties: {dataset: {type: string}}}
    batch: {key: "{payload.dataset}", window: 600, max_items: 2}
    actions: [{type: run-execution, step: noop, payload_input: payload}]
`,
    );
    const post = async (body: unknown) => {
      const res = await fetch(t!.url(TRIGGER), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status).toBe(200);
      return res.headers.get('x-request-id')!;
    };
    const page = async () => (await fetch(`${t!.service.url}/ui/triggers/${TRIGGER}`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();

    // Two fill (and launch) a batch; the third waits in the next one.
    await post({ dataset: 'cars' });
    await post({ dataset: 'cars' });
    expect(await page()).toContain("None: 2 recent accepted payloads checked against the trigger's payload_schema.");
    const drifted = await post({ dataset: 'cars', checksum: 'sha256:ab' });
    const html = await page();
    expect(html).toMatch(new RegExp(`<td><code>payload\\.checksum</code></td><td>new field</td><td><a href="/ui/requests/${drifted}">`));
  });
});
