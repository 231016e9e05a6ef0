/**
 * The "New trigger" page's templates: every connector's template (and the generic one), filled
 * only where the page leaves a placeholder, is a trigger the admin API accepts as it stands.
 */
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectors } from '../../connectors/index.js';
import { PROVIDER_SECRET, triggerTemplate } from '../../core/ui/new-trigger.js';
import { loadValohaiYaml } from '../../core/valohai-yaml/load-valohai-yaml.js';
import { startTestService, type TestService } from '../helpers/service.js';

const ADMIN = 'templates-admin-token-0123';

describe('new trigger templates', () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService('- step: {name: deploy, image: x, command: "true"}\n', `server: {admin_token: ${ADMIN}}\ntriggers: []\n`);
  });
  afterAll(() => t.close());

  it.each([...connectors.keys(), 'generic'])('%s: the template is accepted by the admin API', async (id) => {
    const project = loadValohaiYaml(join(t.project.dir, 'valohai.yaml'));
    let text = triggerTemplate(id === 'generic' ? undefined : id, connectors, project);
    expect(text).toContain('step: deploy');
    // Discord verifies with the application's Ed25519 public key, which only Discord can give.
    const publicKey = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
    text = text.replace('public_key: <value>', `public_key: ${publicKey}`);
    // Slack, Stripe and Standard Webhooks issue the secret: the template asks for it instead of inventing one.
    text = text.replace(PROVIDER_SECRET, id === 'slack' ? 'a-slack-signing-secret-0123' : 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    expect(text).not.toMatch(/^[^#]*<[a-z ]+>/m);
    const res = await fetch(`${t.service.url}/api/v0/triggers/`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(parseYaml(text)) });
    expect(res.status, await res.clone().text()).toBe(201);
  });
});
