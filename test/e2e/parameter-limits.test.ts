/**
 * Values no command line can carry are refused when the request arrives (400 payload_invalid,
 * naming the parameter), so a run never waits on a spawn that cannot start. Through the server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/service.js';

const TRIGGER = '0190fe82-0000-7000-8000-0000000000e9';
const PIPELINE_TRIGGER = '0190fe82-0000-7000-8000-0000000000ea';
const VALOHAI = `
- step:
    name: echo
    image: x
    command: echo {parameters}
    parameters:
      - {name: text, type: string}
- pipeline:
    name: flow
    nodes:
      - {name: first, type: execution, step: echo}
    edges: []
`;
const CONFIG = `
triggers:
  - id: ${TRIGGER}
    actions: [{type: run-execution, step: echo, parameters: {text: "{payload.text}"}}]
  - id: ${PIPELINE_TRIGGER}
    actions: [{type: run-pipeline, pipeline: flow, parameters: {first.text: "{payload.text}"}}]
`;

describe('parameter values a command line cannot carry', () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService(VALOHAI, CONFIG);
  });
  afterAll(async () => {
    await t?.close();
  });

  const post = async (trigger: string, text: string) => {
    const res = await fetch(t.url(trigger), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
    return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string }; run_id?: string } };
  };

  it.each([
    ['a NUL byte', 'before\u0000after', 'actions[0].parameters.text: parameter text contains a NUL byte (\\0), which no command-line argument can carry'],
    ['200 KiB', 'x'.repeat(200 * 1024), `actions[0].parameters.text: parameter text is ${200 * 1024} bytes; a command-line argument holds at most 131072 bytes (128 KiB, Linux's MAX_ARG_STRLEN)`],
    ['128 KiB and one multi-byte character', `${'x'.repeat(131_071)}é`, 'actions[0].parameters.text: parameter text is 131073 bytes; a command-line argument holds at most 131072 bytes'],
  ])('refuses %s with 400 payload_invalid naming the parameter, and launches nothing', async (_name, text, message) => {
    const answer = await post(TRIGGER, text);
    expect(answer.status).toBe(400);
    expect(answer.body.error!.code).toBe('payload_invalid');
    expect(answer.body.error!.message).toContain(message);
    const [entry] = await t.service.store.listLog({ triggerId: TRIGGER, limit: 1 });
    expect(entry).toMatchObject({ outcome: 'rejected', code: 'payload_invalid' });
    expect(entry!.runId).toBeUndefined();
  });

  it('refuses them for pipeline node parameters too', async () => {
    const answer = await post(PIPELINE_TRIGGER, 'a\u0000b');
    expect(answer.status).toBe(400);
    expect(answer.body.error!.message).toContain('actions[0].parameters.first.text: parameter first.text contains a NUL byte (\\0)');
  });

  it('launches values up to the limit; one that fits alone but not with the rest of the command ends as an error, never left started', async () => {
    const fits = await post(TRIGGER, 'y'.repeat(100_000));
    expect(fits.status).toBe(200);
    // Exactly 128 KiB passes the door, but "echo --text=..." around it is longer than one argument may be.
    const atLimit = await post(TRIGGER, 'z'.repeat(131_072));
    expect(atLimit.status).toBe(200);
    await t.service.settled();
    expect((await t.service.store.getRun(fits.body.run_id!))!.executions[0]).toMatchObject({ status: 'complete' });
    expect((await t.service.store.getRun(atLimit.body.run_id!))!.executions[0]).toMatchObject({ status: 'error', error: 'could not start the command: spawn E2BIG' });
  });
});
