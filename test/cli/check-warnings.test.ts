/**
 * #15 point 5, through the real command: `check` warns about a trigger that checks no credential,
 * a secret shorter than 16 bytes, and an admin page no token opens; a config with none of these
 * gets no warning, and warnings never make `check` fail.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { tempProject, type TempProject } from '../helpers/project.js';
import { hooklaunch } from './cli.js';

const VALOHAI = '- step: {name: count, image: x, command: "true", inputs: [{name: payload}]}\n';
const OPEN = '0190fe82-0000-7000-8000-00000000aa01';
const SHORT = '0190fe82-0000-7000-8000-00000000aa02';
const GITHUB = '0190fe82-0000-7000-8000-00000000aa03';

describe('check warns about what works but should not go live as is', () => {
  let project: TempProject | undefined;
  afterEach(() => project?.remove());

  it('names the open trigger, the short secret with its path, and the disabled admin page', async () => {
    project = tempProject(VALOHAI);
    const config = project.write(
      'hooklaunch.yaml',
      `store: {url: sqlite:state.db}
triggers:
  - id: ${OPEN}
    title: Open door
    conditions: [{type: payload-filter, lookup: kind, operation: equals, value: csv}]
    actions: [{type: run-execution, step: count}]
  - id: ${SHORT}
    title: Short token
    conditions: [{type: web-request-auth, auth_type: static_token, key: X-Token, secret: ["\${env:NEW_TOKEN}", "0123456789abcdef"]}]
    actions: [{type: run-execution, step: count}]
  - id: ${GITHUB}
    title: Pushes
    connector: {type: github, secret: "\${env:GH_SECRET}"}
    batch: {window: 60}
    actions: [{type: run-execution, step: count}]
  - id: 0190fe82-0000-7000-8000-00000000aa04
    title: Slash
    connector: {type: slack, secret: "slack-signing-secret-0123456789"}
    batch: {window: 60}
    actions: [{type: run-execution, step: count, payload_input: payload}]
`,
    );
    const result = await hooklaunch(['check', '-c', config], { NEW_TOKEN: 'short', GH_SECRET: 'github-webhook-secret-0123' });
    expect(result.code).toBe(0);
    // The summary says how a batched trigger batches (one batch for all, by default).
    expect(result.stdout).toContain('  batch:      one batch for all deliveries; each launches once: 60 s after its first delivery, at 1000 deliveries or 16 MiB, whichever comes first');
    const warnings = result.stderr.split('\n').filter((line) => line.startsWith('warning: '));
    expect(warnings).toEqual([
      'warning: the admin page and API are disabled: no admin token is configured (set server.admin_token, or server.admin_tokens with roles)',
      'warning: triggers[0] (Open door) checks no credential: anyone who learns its URL can launch (add a web-request-auth condition or a connector)',
      // Only the short one of the two rotating secrets; the connector trigger is authenticated and its secret long enough.
      'warning: triggers[1] (Short token): the secret at triggers[1].conditions[0].secret[0] is 5 bytes; use at least 16 (`openssl rand -hex 32`) so it cannot be guessed',
      'warning: triggers[2] (Pushes) batches its deliveries but no action has payload_input: the launched code never sees them (fine if the batch only debounces a burst into one run)',
      "warning: triggers[3] (Slash) batches slack deliveries: each sender is acknowledged, but only the batch's first delivery hears how the run went",
    ]);
  });

  it('says nothing when every trigger checks a long enough credential and an admin token is set', async () => {
    project = tempProject(VALOHAI);
    const config = project.write(
      'hooklaunch.yaml',
      `server: {admin_token: check-warnings-admin-0123}
store: {url: sqlite:state.db}
triggers:
  - id: ${SHORT}
    conditions: [{type: web-request-auth, auth_type: static_token, key: X-Token, secret: "0123456789abcdef"}]
    actions: [{type: run-execution, step: count}]
  - id: ${OPEN}
    # secret_encoding says how the secret is written: it is no secret itself (a newcomer was told to lengthen "utf8").
    conditions: [{type: web-request-auth, auth_type: hmac, key: X-Signature, secret: "0123456789abcdef0123", secret_encoding: utf8, message: "{body}"}]
    actions: [{type: run-execution, step: count}]
`,
    );
    const result = await hooklaunch(['check', '-c', config]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
  });
});
