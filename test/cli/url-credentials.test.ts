/**
 * A URL hooklaunch calls with a user and password in it (`https://user:pw@valohai.internal`, for a
 * proxy asking for basic auth) can never be called: fetch refuses a URL with credentials, and its
 * error quotes the URL whole. With `launcher.host` every launch failed as `valohai_unreachable`,
 * retried for good, each attempt writing the password into the service log ("launch failed; will
 * retry") and the run's failure; with a `notify` URL every notification logged it ("notification
 * could not be sent; retrying"). Such a URL is refused when the config is read, without repeating it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { tempProject, type TempProject } from '../helpers/project.js';
import { hooklaunch } from './cli.js';

describe('a Valohai host with credentials in it', () => {
  let project: TempProject | undefined;
  afterEach(() => project?.remove());

  it('is refused by check (and serve) as a configuration mistake that does not show the password', async () => {
    project = tempProject('- step: {name: noop, image: x, command: "true"}\n');
    const config = project.write(
      'hooklaunch.yaml',
      `server: {public_url: "https://hooks.example.test"}
store: {url: sqlite:state.db}
launcher: {kind: valohai, host: "\${env:VALOHAI_HOST}", token: "\${env:VALOHAI_TOKEN}", project: p}
triggers:
  - {id: 0190fe82-0000-7000-8000-00000000a5c1, conditions: [{type: web-request-auth, auth_type: static_token, key: X-Token, secret: static-token-0123456789}], actions: [{type: run-execution, step: noop}]}
`,
    );
    const env = { VALOHAI_HOST: 'https://proxyuser:proxy-password-s3cret@valohai.example.test', VALOHAI_TOKEN: 'valohai-api-token-0123456789' };
    const result = await hooklaunch(['check', '-c', config], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('hooklaunch.yaml:3: launcher.host: ');
    expect(result.stdout + result.stderr).not.toContain('proxy-password-s3cret');
  }, 30_000);

  it('refuses a notify URL with credentials the same way', async () => {
    project = tempProject('- step: {name: noop, image: x, command: "true"}\n');
    const config = project.write(
      'hooklaunch.yaml',
      `store: {url: sqlite:state.db}
notify: [{url: "\${env:ALERT_URL}", kind: http}]
triggers:
  - {id: 0190fe82-0000-7000-8000-00000000a5c2, conditions: [{type: web-request-auth, auth_type: static_token, key: X-Token, secret: static-token-0123456789}], actions: [{type: run-execution, step: noop}]}
`,
    );
    const result = await hooklaunch(['check', '-c', config], { ALERT_URL: 'https://alerts:alert-password-s3cret@alerts.example.test/hook' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('hooklaunch.yaml:2: notify[0].url: ');
    expect(result.stdout + result.stderr).not.toContain('alert-password-s3cret');
  }, 30_000);
});
