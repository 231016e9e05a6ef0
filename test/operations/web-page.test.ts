/**
 * The web page in a real browser (playwright-core driving Debian's chromium): log in, find a
 * rejected request and its reason, fix the config, replay it, watch its run complete; then a page
 * on another port of the same host forges a replay through the admin API and is refused. A run
 * whose step fails is shown red, its reason and last output at the top.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectors } from '../../connectors/index.js';
import { loadConfig } from '../../core/config/load-config.js';
import { startService, type Service } from '../../core/service.js';
import { settledLogReads, silentLogger, startTestService, type TestService } from '../helpers/service.js';

const CHROMIUM = '/usr/bin/chromium';
// .ci/run installs chromium; elsewhere the test says why it did not run.
const missing = !existsSync(CHROMIUM) && !process.env.CI;
const OUTPUT = resolve(import.meta.dirname, '../../test-results');
const TRIGGER = '0190fe82-0000-7000-8000-0000000000d1';
const ADMIN = 'web-page-admin-token';
const config = (secret: string) => `
server: {admin_token: ${ADMIN}}
triggers:
  - id: ${TRIGGER}
    title: Nightly data drop
    conditions: [{type: web-request-auth, auth_type: static_token, key: Authorization, prefix: "Bearer ", secret: ${secret}}]
    actions: [{type: run-execution, step: ingest}]
`;

const FAILING = '0190fe82-0000-7000-8000-0000000000d2';
// The failing step of issue #12: a message on stderr, then a non-zero exit.
const FAILING_VALOHAI = `- step:
    name: import
    image: python:3.12
    command: python3 -c "import sys; print('x', file=sys.stderr); sys.exit(3)"
`;

async function logIn(page: Page, url: string, token = ADMIN): Promise<void> {
  await page.goto(`${url}/ui/login`);
  await page.getByLabel('Admin token').fill(token);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect.poll(() => page.url()).toBe(`${url}/ui/`);
}

describe.skipIf(missing)(`web page in chromium${missing ? ` (skipped: no ${CHROMIUM}; apt-get install -y chromium)` : ''}`, () => {
  let browser: Browser;
  let t: TestService;
  let fixed: Service | undefined;

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    t = await startTestService('- step: {name: ingest, image: x, command: "echo ingested the nightly drop"}\n', config('old-token'));
  });
  afterAll(async () => {
    await browser?.close();
    await fixed?.close();
    await t?.close();
  });

  it('shows a rejected request with its reason, replays it after the fix, and shows the run complete', async () => {
    const rejected = await fetch(t.url(TRIGGER), { method: 'POST', headers: { authorization: 'Bearer new-token', 'content-type': 'application/json' }, body: '{"rows": 3}' });
    expect(rejected.status).toBe(400);

    // The operator fixes the secret and restarts; the browser talks to the fixed service.
    await t.service.close();
    const file = join(t.project.dir, 'hooklaunch.yaml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, readFileSync(file, 'utf8').replace('secret: old-token', 'secret: new-token'));
    fixed = settledLogReads(await startService(loadConfig(file, {}, connectors), { port: 0, logger: silentLogger }));

    const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    await page.goto(`${fixed.url}/ui/`);
    await expect.poll(() => page.url()).toContain('/ui/login');
    await page.getByLabel('Admin token').fill('not-it');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not the admin token');
    await page.getByLabel('Admin token').fill(ADMIN);
    await page.getByRole('button', { name: 'Log in' }).click();

    await page.getByRole('link', { name: 'Nightly data drop' }).click();
    const row = page.locator('tbody tr', { hasText: 'token_mismatch' });
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.textContent()).toContain('header Authorization does not carry a valid token');
    await page.getByLabel('Outcome').selectOption('accepted');
    await page.getByRole('button', { name: 'Filter' }).click();
    expect(await page.getByText('No requests match these filters.').count()).toBe(1);
    await page.goBack();

    await row.getByRole('link').click();
    expect(await page.locator('pre').first().textContent()).toContain('authorization: [redacted]');
    await page.getByRole('button', { name: 'Replay against the current config' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Replayed: accepted');
    await fixed.settled();
    await page.reload();
    expect(await page.locator('#run-status').textContent()).toBe('completed');
    expect(await page.locator('main').textContent()).toContain('ingested');

    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, 'web-page-replay.png'), fullPage: true });
    expect(existsSync(join(OUTPUT, 'web-page-replay.png'))).toBe(true);

    // A page on another port of the same host (the same site: chromium sends the SameSite=Strict
    // cookie) auto-submits a form to the admin API. It is refused as cross-site, and nothing runs.
    const requestId = /\/ui\/requests\/([^/?]+)/.exec(page.url())![1]!;
    const target = `${fixed.url}/api/v0/requests/${requestId}/replay/`;
    const evil = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(`<form method="post" action="${target}"><input name="x" value="1"></form><script>document.forms[0].submit()</script>`);
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    try {
      const before = (await fixed.store.listLog({ triggerId: TRIGGER, limit: 100 })).length;
      const answered = page.waitForResponse((r) => r.url() === target);
      await page.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`);
      const response = await answered;
      expect(response.status()).toBe(403);
      // cross_site_request (not unauthorized): the browser did send the session cookie.
      expect(await response.json()).toMatchObject({ error: { code: 'cross_site_request' } });
      await fixed.settled();
      expect((await fixed.store.listLog({ triggerId: TRIGGER, limit: 100 })).length).toBe(before);
    } finally {
      await new Promise((resolve) => evil.close(resolve));
    }
  });

  it("logs a viewer token in and offers it no replay or test request (issue #13 point 5)", async () => {
    const viewerToken = 'web-page-viewer-token-0123';
    const roles = await startTestService(
      '- step: {name: ingest, image: x, command: "echo ok"}\n',
      `server:\n  admin_token: ${ADMIN}\n  admin_tokens: [{name: ci, token: ${viewerToken}, role: viewer}]\ntriggers:\n  - {id: ${TRIGGER}, title: Nightly data drop, actions: [{type: run-execution, step: ingest}]}\n`,
    );
    try {
      expect((await fetch(roles.url(TRIGGER), { method: 'POST', body: '{}' })).status).toBe(200);
      await roles.service.settled();
      const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
      await logIn(page, roles.service.url, viewerToken);
      expect(await page.locator('#signed-in').textContent()).toBe('Logged in as ci (viewer)');
      await page.getByRole('link', { name: 'Nightly data drop' }).click();
      expect(await page.getByRole('button', { name: 'Send test request' }).count()).toBe(0);
      await page.locator('tbody tr', { hasText: 'accepted' }).getByRole('link').click();
      await expect.poll(() => page.url()).toContain('/ui/requests/');
      expect(await page.getByRole('heading', { name: 'Headers' }).count()).toBe(1);
      expect(await page.getByRole('button', { name: 'Replay against the current config' }).count()).toBe(0);
      await page.close();
    } finally {
      await roles.close();
    }
  });

  it('shows a run whose step failed in red, with its reason and output at the top', async () => {
    const failing = await startTestService(FAILING_VALOHAI, `server: {admin_token: ${ADMIN}}\ntriggers:\n  - {id: ${FAILING}, title: Import, actions: [{type: run-execution, step: import}]}\n`);
    try {
      expect((await fetch(failing.url(FAILING), { method: 'POST', body: '{}' })).status).toBe(200);
      await failing.service.settled();
      const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
      await logIn(page, failing.service.url);
      await page.getByRole('link', { name: 'Import' }).click();
      const run = page.locator('tbody tr', { hasText: 'accepted' }).locator('.badge', { hasText: 'error' });
      expect(await run.count()).toBe(1);
      // Runs in the browser; typed by hand because this project's TypeScript has no DOM types.
      const colourOf = (el: unknown): string => (globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }).getComputedStyle(el).color;
      const red = await run.evaluate(colourOf);
      await page.locator('tbody tr', { hasText: 'accepted' }).getByRole('link').click();

      // Red, like every failure on the page (the --bad colour), not the muted grey of before.
      const status = page.locator('#run-status');
      expect(await status.textContent()).toBe('error');
      expect(await status.evaluate(colourOf)).toBe(red);
      // --bad of the light scheme (#b42318), which headless chromium uses.
      expect(red).toBe('rgb(180, 35, 24)');
      expect(red).not.toBe(await page.locator('.badge.ok').first().evaluate(colourOf));
      const failure = page.getByRole('alert');
      expect(await failure.textContent()).toContain('command exited with code 3');
      expect(await failure.locator('pre').textContent()).toBe('x');
      // At the top: above the request's headers and payload, not at the bottom with the run.
      const [alertBox, headersBox] = await Promise.all([failure.boundingBox(), page.getByRole('heading', { name: 'Headers' }).boundingBox()]);
      expect(alertBox!.y).toBeLessThan(headersBox!.y);

      mkdirSync(OUTPUT, { recursive: true });
      await page.screenshot({ path: join(OUTPUT, 'web-page-failed-run.png'), fullPage: true });
      expect(existsSync(join(OUTPUT, 'web-page-failed-run.png'))).toBe(true);
      await page.close();
    } finally {
      await failing.close();
    }
  });
});
