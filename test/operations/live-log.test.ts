/**
 * The trigger page's request list in a real browser (playwright-core driving Debian's chromium):
 * new requests appear live through server-sent events, filters by code and text narrow the list,
 * the event stream refuses without a session and past its cap; and every page, at desktop and
 * phone width, light and dark, screenshotted into test-results/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_STREAMS } from '../../core/ui/live-log.js';
import { startTestService, type TestService } from '../helpers/service.js';

const CHROMIUM = '/usr/bin/chromium';
const missing = !existsSync(CHROMIUM) && !process.env.CI;
const OUTPUT = resolve(import.meta.dirname, '../../test-results');
const TRIGGER = '0190fe82-0000-7000-8000-0000000000e1';
const ADMIN = 'live-log-admin-token';
const CONFIG = `
server: {admin_token: ${ADMIN}}
triggers:
  - id: ${TRIGGER}
    title: Live drop
    conditions: [{type: web-request-auth, auth_type: static_token, key: Authorization, prefix: "Bearer ", secret: right-token}]
    actions: [{type: run-execution, step: ingest}]
`;

async function logIn(browser: Browser, url: string, options: { viewport?: { width: number; height: number }; colorScheme?: 'light' | 'dark' } = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 800 }, colorScheme: options.colorScheme ?? 'light' });
  const page = await context.newPage();
  await page.goto(`${url}/ui/login`);
  await page.getByLabel('Admin token').fill(ADMIN);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect.poll(() => page.url()).toBe(`${url}/ui/`);
  return { context, page };
}

describe.skipIf(missing)(`live request list in chromium${missing ? ` (skipped: no ${CHROMIUM})` : ''}`, () => {
  let browser: Browser;
  let t: TestService;
  const send = (token: string) => fetch(t.url(TRIGGER), { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    t = await startTestService('- step: {name: ingest, image: x, command: "echo ingested"}\n', CONFIG);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('shows a request sent while the page is open without a reload, respecting the active filter', async () => {
    expect((await send('right-token')).status).toBe(200);
    await t.service.settled();
    const { context, page } = await logIn(browser, t.service.url);
    try {
      await page.goto(`${t.service.url}/ui/triggers/${TRIGGER}`);
      const rows = page.locator('#request-rows tr');
      expect(await rows.count()).toBe(1);
      expect((await send('wrong-token')).status).toBe(400);
      await expect.poll(() => rows.count(), { timeout: 5000 }).toBe(2);
      expect(await rows.first().textContent()).toContain('token_mismatch');

      // Filtered to accepted: a rejected request does not join the list, the next accepted one does.
      await page.goto(`${t.service.url}/ui/triggers/${TRIGGER}?outcome=accepted`);
      expect(await rows.count()).toBe(1);
      expect((await send('wrong-token')).status).toBe(400);
      expect((await send('right-token')).status).toBe(200);
      await expect.poll(() => rows.count(), { timeout: 5000 }).toBe(2);
      expect(await page.locator('#request-rows', { hasText: 'token_mismatch' }).count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  it('narrows the list by reason code and by free text', async () => {
    const { context, page } = await logIn(browser, t.service.url);
    try {
      await page.goto(`${t.service.url}/ui/triggers/${TRIGGER}`);
      const rows = page.locator('#request-rows tr');
      const all = await rows.count();
      // Two accepted, and the rejected ones (repeats of one rejection may fold into one row).
      expect(all).toBeGreaterThanOrEqual(3);
      await page.getByLabel('Reason code').fill('token_mismatch');
      await page.getByRole('button', { name: 'Filter' }).click();
      await expect.poll(() => page.url()).toContain('code=token_mismatch');
      const matching = await rows.count();
      expect(matching).toBeGreaterThan(0);
      expect(matching).toBeLessThan(all);
      expect(await page.locator('#request-rows tr', { hasText: 'token_mismatch' }).count()).toBe(matching);

      // Text matches the request id too: one request's id leaves exactly that request.
      const requestId = (await page.locator('#request-rows a').first().getAttribute('href'))!.split('/').pop()!;
      await page.goto(`${t.service.url}/ui/triggers/${TRIGGER}`);
      await page.getByLabel('Text').fill(requestId.slice(-12));
      await page.getByRole('button', { name: 'Filter' }).click();
      await expect.poll(() => page.url()).toContain('q=');
      expect(await rows.count()).toBe(1);
      expect(await rows.first().locator('a').getAttribute('href')).toBe(`/ui/requests/${requestId}`);
      await page.getByLabel('Text').fill('no such text anywhere');
      await page.getByRole('button', { name: 'Filter' }).click();
      await expect.poll(() => page.getByText('No requests match these filters.').count()).toBe(1);
    } finally {
      await context.close();
    }
  });

  it('refuses the event stream without a session, and past its cap of open streams', async () => {
    const events = `${t.service.url}/ui/triggers/${TRIGGER}/events`;
    const anonymous = await fetch(events, { redirect: 'manual' });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toBe('/ui/login');

    const login = await fetch(`${t.service.url}/ui/login`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ token: ADMIN }) });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const streams = new AbortController();
    try {
      for (let i = 0; i < MAX_STREAMS; i += 1) {
        const open = await fetch(events, { headers: { cookie }, signal: streams.signal });
        expect(open.status).toBe(200);
        expect(open.headers.get('content-type')).toContain('text/event-stream');
      }
      const refused = await fetch(events, { headers: { cookie } });
      expect(refused.status).toBe(503);
    } finally {
      streams.abort();
    }
    // Closed streams free their places.
    await expect.poll(async () => {
      const again = await fetch(events, { headers: { cookie } });
      await again.body?.cancel();
      return again.status;
    }, { timeout: 5000 }).toBe(200);
  });

  it('ends its open streams when the service closes, so a graceful shutdown does not wait on an open tab', async () => {
    const other = await startTestService('- step: {name: ingest, image: x, command: "echo ingested"}\n', CONFIG);
    let closed = false;
    const client = new AbortController();
    try {
      const login = await fetch(`${other.service.url}/ui/login`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ token: ADMIN }) });
      const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
      const open = await fetch(`${other.service.url}/ui/triggers/${TRIGGER}/events`, { headers: { cookie }, signal: client.signal });
      expect(open.status).toBe(200);
      const ended = open.text().catch((e: Error) => e.name);
      await Promise.race([other.close(), new Promise((_, reject) => setTimeout(() => reject(new Error('close waited on the open stream')), 5000))]);
      closed = true;
      expect(await ended).toBe('');
    } finally {
      // After a failed race: end the stream from the client so the close can finish.
      if (!closed) {
        client.abort();
        await other.close();
      }
    }
  });

  it('renders every page at desktop and phone width, light and dark (screenshots in test-results/)', async () => {
    const requestId = (await t.service.store.listLog({ triggerId: TRIGGER, outcome: 'accepted', limit: 1 }))[0]!.requestId;
    const pages: { name: string; path: string; heading: RegExp }[] = [
      { name: 'login', path: '/ui/login', heading: /^Log in$/ },
      { name: 'overview', path: '/ui/', heading: /^Triggers$/ },
      { name: 'trigger', path: `/ui/triggers/${TRIGGER}`, heading: /^Live drop$/ },
      // The request page is also the run's page: an accepted request shows its run and executions.
      { name: 'request', path: `/ui/requests/${requestId}`, heading: /^Request accepted/ },
      { name: 'replay', path: `/ui/requests/${requestId}/replay`, heading: /^Replay this accepted request\?$/ },
      { name: 'new-trigger', path: '/ui/triggers/new', heading: /^New trigger$/ },
    ];
    mkdirSync(OUTPUT, { recursive: true });
    for (const viewport of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
      for (const colorScheme of ['light', 'dark'] as const) {
        const { context, page } = await logIn(browser, t.service.url, { viewport, colorScheme });
        try {
          for (const p of pages) {
            const answer = await page.goto(`${t.service.url}${p.path}`);
            expect(answer!.status(), p.name).toBe(200);
            expect((await page.locator('h1').first().textContent())!.trim(), p.name).toMatch(p.heading);
            const file = join(OUTPUT, `pages-${p.name}-${viewport.width}-${colorScheme}.png`);
            await page.screenshot({ path: file, fullPage: true });
            expect(existsSync(file)).toBe(true);
          }
          // The dark scheme really applies (html.ts's prefers-color-scheme block), not light on dark.
          const background = await page.evaluate(() => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string }; document: { body: unknown } }).getComputedStyle((globalThis as unknown as { document: { body: unknown } }).document.body).backgroundColor);
          expect(background).toBe(colorScheme === 'dark' ? 'rgb(22, 24, 28)' : 'rgb(255, 255, 255)');
        } finally {
          await context.close();
        }
      }
    }
  });
});
