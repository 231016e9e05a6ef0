/**
 * The web page as a trigger console (issue #13 point 6), in Debian's chromium through
 * playwright-core: an admin creates a GitHub trigger on the page, sends a signed test push and
 * sees it accepted; edits its branch filter and sees the next push filtered; pauses it and sees
 * trigger_paused; rotates its secret (shown once); deletes it after a confirmation. A viewer is
 * offered none of the write forms. Screenshots at desktop and phone width, light and dark.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/service.js';

const CHROMIUM = '/usr/bin/chromium';
const missing = !existsSync(CHROMIUM) && !process.env.CI;
const OUTPUT = resolve(import.meta.dirname, '../../test-results');
const ADMIN = 'console-admin-token-0123';
const VIEWER = 'console-viewer-token-0123';
const FILE_ID = '0190fe82-0000-7000-8000-0000000000e1';
const CONFIG = `
server:
  admin_token: ${ADMIN}
  admin_tokens: [{name: ci, token: ${VIEWER}, role: viewer}]
triggers:
  - {id: ${FILE_ID}, title: From the file, actions: [{type: run-execution, step: deploy}]}
`;

const DESKTOP = { width: 1366, height: 900 };
const PHONE = { width: 390, height: 844 };

async function logIn(browser: Browser, url: string, token: string, options: { viewport?: typeof DESKTOP; colorScheme?: 'light' | 'dark' } = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: options.viewport ?? DESKTOP, colorScheme: options.colorScheme ?? 'light' });
  const page = await context.newPage();
  await page.goto(`${url}/ui/login`);
  await page.getByLabel('Admin token').fill(token);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect.poll(() => page.url()).toBe(`${url}/ui/`);
  return { context, page };
}

async function shoot(page: Page, name: string): Promise<void> {
  mkdirSync(OUTPUT, { recursive: true });
  await page.screenshot({ path: join(OUTPUT, `console-${name}.png`), fullPage: true });
  expect(existsSync(join(OUTPUT, `console-${name}.png`))).toBe(true);
}

describe.skipIf(missing)(`trigger console in chromium${missing ? ` (skipped: no ${CHROMIUM})` : ''}`, () => {
  let browser: Browser;
  let t: TestService;

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    t = await startTestService('- step: {name: deploy, image: x, command: "echo deployed"}\n- step: {name: report, image: x, command: "echo reported"}\n', CONFIG);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('creates a GitHub trigger, tests, edits, pauses, rotates and deletes it; a viewer only reads', async () => {
    const url = t.service.url;
    const { context, page } = await logIn(browser, url, ADMIN);
    await page.getByRole('link', { name: 'New trigger' }).click();
    await page.getByLabel('Connector').selectOption('github');
    await page.getByRole('button', { name: 'Use its template' }).click();
    const textarea = page.locator('textarea[name=config]');
    const template = await textarea.inputValue();
    // The template: the connector's params, a generated secret, the steps of valohai.yaml.
    expect(template).toContain('type: github');
    expect(template).toContain('# steps in valohai.yaml: deploy, report');
    const secret = /secret: ([0-9a-f]{64})/.exec(template)![1]!;
    const id = /^id: (\S+)$/m.exec(template)![1]!;

    // An invalid field is named next to the form, and nothing is created.
    await textarea.fill(template.replace('  type: github\n', '  type: github\n  branches: 5\n'));
    await page.getByRole('button', { name: 'Create trigger' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('connector.branches');
    expect(t.service.triggers.has(id)).toBe(false);

    await textarea.fill(template.replace(/^title: .*$/m, 'title: Deploys'));
    await page.getByRole('button', { name: 'Create trigger' }).click();
    await expect.poll(() => page.locator('#trigger-url').textContent()).toContain(`/api/v0/launch/${id}/`);
    expect(await page.locator('.new-secret').textContent()).toBe(secret);
    expect(await page.getByRole('alert').textContent()).toContain('not shown again');
    expect(await page.locator('#setup-steps').textContent()).toContain('Settings → Webhooks');
    await shoot(page, 'created');

    // The signed test push (the sample push to main) is accepted.
    await page.getByRole('button', { name: 'Send test request' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Test request answered 200');
    expect(await page.locator('h1 .badge').first().textContent()).toBe('accepted');

    // Replaying an accepted request asks first.
    await page.getByRole('button', { name: 'Replay against the current config' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Replay this accepted request?');
    await page.getByRole('button', { name: 'Replay it again' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Replayed: ');

    // Edit: only release branches launch now; the sample push to main is filtered.
    await page.goto(`${url}/ui/triggers/${id}`);
    await page.getByRole('link', { name: 'Edit' }).click();
    const yaml = await textarea.inputValue();
    expect(yaml).toContain('[sealed]');
    expect(yaml).not.toContain(secret);
    await textarea.fill(yaml.replace('  type: github\n', '  type: github\n  branches: ["release/*"]\n'));
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Saved');
    expect(await page.getByRole('table', { name: 'Revisions' }).textContent()).toContain('connector.branches');
    await page.getByRole('button', { name: 'Send test request' }).click();
    await expect.poll(() => page.locator('h1 .badge').first().textContent()).toBe('ignored');

    // Pause: the next request is trigger_paused.
    await page.goto(`${url}/ui/triggers/${id}`);
    await page.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Paused');
    await page.getByRole('button', { name: 'Send test request' }).click();
    await expect.poll(() => page.locator('main dl').first().textContent()).toContain('trigger_paused');
    await page.goto(`${url}/ui/triggers/${id}`);
    // The 24-hour chart: accepted, the replay (duplicate), filtered (ignored) and paused (rejected).
    expect(await page.getByRole('img', { name: /Requests per hour/ }).getAttribute('aria-label')).toContain(': 4 in all');
    for (const outcome of ['accepted', 'duplicate', 'ignored', 'rejected']) expect(await page.locator(`.chart rect[data-outcome=${outcome}]`).count()).toBe(1);
    await shoot(page, 'trigger');

    // A viewer sees the trigger and its history, and none of the write forms.
    const viewer = await logIn(browser, url, VIEWER, { viewport: PHONE, colorScheme: 'dark' });
    expect(await viewer.page.getByRole('link', { name: 'New trigger' }).count()).toBe(0);
    await viewer.page.getByRole('link', { name: 'Deploys' }).click();
    expect(await viewer.page.getByRole('table', { name: 'Revisions' }).count()).toBe(1);
    expect(await viewer.page.getByRole('heading', { name: 'Manage' }).count()).toBe(0);
    for (const name of ['Resume', 'Pause', 'Rotate secret', 'Send test request']) expect(await viewer.page.getByRole('button', { name }).count()).toBe(0);
    for (const name of ['Edit', 'Delete…']) expect(await viewer.page.getByRole('link', { name }).count()).toBe(0);
    expect((await viewer.page.goto(`${url}/ui/triggers/new`))!.status()).toBe(403);
    // Posting anyway, with its own valid form token and same origin: refused for the role.
    await viewer.page.goto(`${url}/ui/`);
    const csrf = (await viewer.page.locator('input[name=csrf]').first().getAttribute('value'))!;
    const posted = await viewer.page.request.post(`${url}/ui/triggers/${id}/resume`, { form: { csrf }, headers: { origin: url }, maxRedirects: 0 });
    expect(posted.status()).toBe(403);
    expect(await posted.text()).toContain('needs the operator role; token ci is a viewer');
    expect(t.service.triggers.get(id)!.paused).toBe(true);
    await viewer.page.goto(`${url}/ui/triggers/${id}`);
    await shoot(viewer.page, 'trigger-viewer-phone-dark');
    await viewer.context.close();

    // Rotate: the new secret is shown once, and never again on the page.
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    const rotated = (await page.locator('#new-secret').textContent())!;
    expect(rotated).toMatch(/^[0-9a-f]{64}$/);
    expect(await page.getByRole('alert').textContent()).toBe('Copy it now, it is not shown again.');
    await page.goto(`${url}/ui/triggers/${id}`);
    expect(await page.content()).not.toContain(rotated);

    // A file-managed trigger is read-only: no console, the file named.
    await page.goto(`${url}/ui/triggers/${FILE_ID}`);
    expect(await page.getByRole('link', { name: 'Edit' }).count()).toBe(0);
    expect(await page.locator('main dl').first().textContent()).toContain('hooklaunch.yaml:');

    // Delete asks first, then the trigger is gone.
    await page.goto(`${url}/ui/triggers/${id}`);
    await page.getByRole('link', { name: 'Delete…' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Delete Deploys?');
    expect(t.service.triggers.has(id)).toBe(true);
    await page.getByRole('button', { name: 'Delete this trigger' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe(`Deleted trigger ${id}`);
    expect(t.service.triggers.has(id)).toBe(false);
    expect(await page.getByRole('link', { name: 'Deploys' }).count()).toBe(0);
    await context.close();

    // The same pages at phone width and in the dark scheme, for the artifacts.
    for (const [name, options] of [['phone', { viewport: PHONE }], ['dark', { colorScheme: 'dark' as const }]] as const) {
      const other = await logIn(browser, url, ADMIN, options);
      await other.page.goto(`${url}/ui/triggers/new?connector=github`);
      await shoot(other.page, `new-${name}`);
      await other.context.close();
    }
  });
});
