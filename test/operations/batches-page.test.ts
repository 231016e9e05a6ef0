/**
 * Issue #17 point 3 on the web page, in a real browser (playwright-core driving Debian's chromium):
 * the trigger page lists its batches not launched yet (key, items, age, closes by) with a Close-now
 * button for operators; closing launches the batch's run; a batched request's detail names its
 * batch and links the run it launched with. A viewer is offered no button, and a POST without the
 * page's form token is refused (the page's CSRF guard). The clock is injected: ages are exact.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../core/clock.js';
import { startTestService, type TestService } from '../helpers/service.js';

const CHROMIUM = '/usr/bin/chromium';
// .ci/run installs chromium; elsewhere the test says why it did not run.
const missing = !existsSync(CHROMIUM) && !process.env.CI;
const OUTPUT = resolve(import.meta.dirname, '../../test-results');
const TRIGGER = '0190fe82-0000-7000-8000-0000000ba0d1';
const OPERATOR = 'batches-page-operator-token';
const VIEWER = 'batches-page-viewer-token-01';
const T0 = Date.parse('2026-11-28T22:00:00.000Z');
const CONFIG = `
server:
  admin_tokens:
    - {name: ops, token: ${OPERATOR}, role: operator}
    - {name: look, token: ${VIEWER}, role: viewer}
triggers:
  - id: ${TRIGGER}
    title: Labelled items
    conditions: [{type: web-request-auth, auth_type: static_token, key: Authorization, prefix: "Bearer ", secret: labels-token}]
    batch: {key: "{payload.dataset}", window: 600, quiet: 120, max_items: 5}
    actions: [{type: run-execution, step: train}]
`;

async function logIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(`${url}/ui/login`);
  await page.getByLabel('Admin token').fill(token);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect.poll(() => page.url()).toBe(`${url}/ui/`);
}

describe.skipIf(missing)(`batches on the web page${missing ? ` (skipped: no ${CHROMIUM}; apt-get install -y chromium)` : ''}`, () => {
  let browser: Browser;
  let t: TestService;
  const clock = fixedClock(T0);

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    t = await startTestService('- step: {name: train, image: x, command: "echo trained", inputs: [{name: payload}]}\n', CONFIG, { clock });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('lists open batches, closes one now, and links a batched request to its batch run', async () => {
    const deliver = async (body: unknown): Promise<string> => {
      const response = await fetch(t.url(TRIGGER), { method: 'POST', headers: { authorization: 'Bearer labels-token', 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(response.status).toBe(200);
      return response.headers.get('x-hooklaunch-batch-id')!;
    };
    const cars = await deliver({ dataset: 'cars', n: 1 });
    clock.advance(5_000);
    expect(await deliver({ dataset: 'cars', n: 2 })).toBe(cars);
    const bikes = await deliver({ dataset: 'bikes', n: 1 });
    clock.advance(60_000);

    // A viewer sees the batches, and no button to close one.
    const viewer = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    await logIn(viewer, t.service.url, VIEWER);
    // The overview counts batched deliveries with the accepted ones: they passed, and wait in their batch.
    expect(await viewer.locator('tbody tr', { hasText: 'Labelled items' }).locator('span.ok').textContent()).toBe('3');
    await viewer.getByRole('link', { name: 'Labelled items' }).click();
    const viewerTable = viewer.getByRole('table', { name: 'Batches not launched yet' });
    expect(await viewerTable.locator('tbody tr').count()).toBe(2);
    expect(await viewer.getByRole('button', { name: /^Close batch/ }).count()).toBe(0);
    await viewer.close();

    const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    await logIn(page, t.service.url, OPERATOR);
    await page.getByRole('link', { name: 'Labelled items' }).click();
    expect(await page.locator('main dl').textContent()).toContain('one batch per {payload.dataset}; each launches once: 600 s after its first delivery, 120 s after its last delivery, at 5 deliveries or 16 MiB, whichever comes first');
    const carsRow = page.locator(`tr[data-batch="${cars}"]`);
    // Two items of five, opened 65 s ago, closing 120 s after its last item (at T0 + 5 s).
    expect((await carsRow.textContent())!.replace(/\s+/g, ' ')).toContain('2 / 5 1m05s');
    expect(await carsRow.locator('time').nth(1).getAttribute('datetime')).toBe(new Date(T0 + 125_000).toISOString());
    expect(await carsRow.locator('code').first().textContent()).toBe('cars');

    // A write without the page's form token is refused, and the batch stays open.
    const forged = await page.request.post(`${t.service.url}/ui/batches/${bikes}/close`, { form: { x: '1' } });
    expect(forged.status()).toBe(403);
    expect((await t.service.store.getBatch(bikes))!.state).toBe('open');

    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, 'batches-page.png'), fullPage: true });
    await carsRow.getByRole('button', { name: `Close batch ${cars} now` }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toMatch(/^Batch launched run \S+ with 2 deliveries$/);
    const runId = /launched run (\S+)/.exec((await page.getByRole('status').textContent())!)![1]!;
    expect(await page.locator(`tr[data-batch="${cars}"]`).count()).toBe(0);
    expect(await page.locator(`tr[data-batch="${bikes}"]`).count()).toBe(1);
    expect(await page.locator('#launched-batches').textContent()).toContain(runId);

    // The first cars item's detail: its batch, launched, with a link to the run.
    await page.locator('#request-rows tr', { hasText: `item 1 of batch ${cars}` }).getByRole('link').click();
    await expect.poll(() => page.url()).toContain('/ui/requests/');
    const batch = page.locator('#request-batch');
    expect((await batch.textContent())!.replace(/\s+/g, ' ')).toMatch(new RegExp(`^${cars}, key cars, item 1 of 2 — launched .* \\(manual\\) as run ${runId}$`));
    await batch.getByRole('link', { name: runId }).click();
    await expect.poll(() => page.url()).toBe(`${t.service.url}/ui/runs/${runId}`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(`Run ${runId}`);
    expect(await page.locator('#run-batch').textContent()).toContain(`${cars}, key cars, 2 deliveries, launched`);
    expect(await page.locator('#run-status').count()).toBe(1);
    await page.close();
  });
});
