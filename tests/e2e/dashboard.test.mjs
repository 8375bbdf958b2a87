// End-to-end tests of the dashboard (API.md, "Admin UI") in Debian's chromium, driven by
// playwright-core: sign-in, live updates over SSE, WebSocket and long-polling (each later one
// with the ones before blocked), retry of a failed delivery, provider text shown as text.
//
// The status streams are hookd's own (its stream listener, at the stream_base GET /api/v1/info
// names), under the page's own CSP: the suite fails before any test when they do not answer.
//
// DASHBOARD_SCREENSHOTS=<dir> also saves 1366x768 screenshots of the overview, the endpoints
// and a message page there.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { chromium } from 'playwright-core';
import { Webhook } from 'standardwebhooks';

import { startHookd } from './lib/hookd.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { rand, sleep } from './lib/util.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const TIMEOUT = { timeout: 60_000 };
const WAIT = 10_000; // for anything the page should show

let h;
let browser;
let streamBase; // hookd's stream listener, as GET /api/v1/info names it
let receiver;
let endpoint;
let source;


/** Fails unless hookd's stream listener answers a long-poll at the stream_base it advertises. */
async function assertStreamsServedByHookd() {
  const { json } = await h.api('GET', '/api/v1/info');
  assert.ok(json?.stream_base, `GET /api/v1/info names no stream_base: ${JSON.stringify(json)}`);
  streamBase = json.stream_base;
  const res = await fetch(`${streamBase}/api/v1/updates?after=0&timeout=0`, {
    headers: { authorization: `Bearer ${h.token}` },
    signal: AbortSignal.timeout(3000),
  });
  await res.arrayBuffer();
  assert.equal(res.status, 200, `hookd's ${streamBase}/api/v1/updates answered ${res.status}`);
}

before(async () => {
  h = await startHookd({ env: { HOOKD_ALLOW_PRIVATE_TARGETS: '1', HOOKD_RETRY_SCHEDULE: '300ms' } });
  await assertStreamsServedByHookd();
  receiver = await startReceiver();
  endpoint = (await h.api('POST', '/api/v1/endpoints', { url: receiver.url, description: 'e2e receiver' })).json;
  source = (await h.api('POST', '/api/v1/sources', { name: 'Billing (standard)', provider: 'standard' })).json;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
});

after(async () => {
  if (browser) await browser.close();
  if (receiver) await receiver.close();
  if (h) {
    h.saveLog('dashboard');
    await h.cleanup();
  }
});

/** A signed-in page. block: transports the page must not reach ('sse', 'websocket'). */
async function openDashboard({ block = [], viewport = { width: 1366, height: 768 } } = {}) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.errors = errors;
  if (block.includes('sse')) await page.route('**/api/v1/stream**', (route) => route.abort());
  if (block.includes('websocket')) await page.routeWebSocket(/\/api\/v1\/ws/, (ws) => ws.close({ code: 1011, reason: 'blocked' }));
  await page.goto(h.base + '/');
  await page.getByLabel('Admin token').fill(h.token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#nav').waitFor({ state: 'visible', timeout: WAIT });
  return page;
}

async function expectTransport(page, transport, label) {
  const indicator = page.locator(`#transport[data-transport="${transport}"][data-state="live"]`);
  try {
    await indicator.waitFor({ timeout: WAIT });
  } catch (e) {
    const now = await page.locator('#transport').evaluate((el) => `${el.dataset.transport} ${el.dataset.state}: ${el.textContent}`);
    throw new Error(`the indicator never showed ${transport} live; it shows ${now}`, { cause: e });
  }
  assert.match(await indicator.textContent(), new RegExp(`Live · ${label}`));
}

/** Sends a message and waits for the page's feed to show its delivery as succeeded. */
async function expectLiveDelivery(page) {
  const type = `order.${rand(4)}`;
  const { json } = await h.api('POST', '/api/v1/messages', { event_type: type, payload: { n: 1 } });
  assert.equal(json.deliveries, 1);
  const row = page.locator('#deliveries tbody tr', { hasText: type });
  await row.locator('.badge', { hasText: 'succeeded' }).waitFor({ timeout: WAIT });
  assert.match(await row.textContent(), /200/);
  return json.id;
}

describe('dashboard', TIMEOUT, () => {
  test('a wrong token is refused; the admin token signs in (session cookie, no token kept)', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(h.base + '/');
    assert.ok((await page.request.get(h.base + '/')).headers()['content-security-policy']);
    await page.getByLabel('Admin token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That is not the admin token.').waitFor({ timeout: WAIT });
    await page.getByLabel('Admin token').fill(h.token);
    await page.keyboard.press('Enter');
    await page.locator('#nav').waitFor({ state: 'visible', timeout: WAIT });
    const cookies = await context.cookies();
    assert.ok(cookies.some((c) => c.httpOnly && c.name === 'hookd_session'));
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    assert.ok(!stored.includes(h.token));
    await context.close();
  });

  test('over SSE a new delivery appears without a reload; the indicator names SSE', async () => {
    const page = await openDashboard();
    await expectTransport(page, 'sse', 'SSE');
    await expectLiveDelivery(page);
    await page.locator('#count-delivered', { hasNotText: /^0$/ }).waitFor({ timeout: WAIT });
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test('with /api/v1/stream blocked the page switches to WebSocket and keeps updating', async () => {
    const page = await openDashboard({ block: ['sse'] });
    await expectTransport(page, 'websocket', 'WebSocket');
    await expectLiveDelivery(page);
    await expectLiveDelivery(page);
    await page.context().close();
  });

  test('with SSE and WebSocket blocked the page long-polls', async () => {
    const page = await openDashboard({ block: ['sse', 'websocket'] });
    const polls = [];
    page.on('response', (r) => {
      if (r.url().startsWith(`${streamBase}/api/v1/updates`)) polls.push(r.status());
    });
    await expectTransport(page, 'longpoll', 'long-polling');
    await expectLiveDelivery(page);
    assert.ok(polls.includes(200), `no long-poll of hookd's ${streamBase} answered 200: ${polls}`);
    await page.context().close();
  });

  test('a failed delivery retried from its message page stays failed when the attempt fails, and succeeds', async () => {
    receiver.status = 500;
    receiver.body = '<b>receiver says no</b>'; // shown by the dashboard, never as markup
    const { json: msg } = await h.api('POST', '/api/v1/messages', { event_type: `invoice.${rand(4)}`, payload: { amount: 5 } });
    let delivery;
    for (let i = 0; i < 100; i += 1) {
      const { json } = await h.api('GET', `/api/v1/deliveries?message_id=${msg.id}`);
      delivery = json.data[0];
      if (delivery && delivery.status === 'failed') break;
      await sleep(100);
    }
    assert.equal(delivery.status, 'failed');
    const page = await openDashboard();
    await page.goto(`${h.base}/#/messages/${msg.id}`);
    const panel = page.locator(`.delivery[data-delivery="${delivery.id}"]`);
    await panel.waitFor({ timeout: WAIT });
    assert.equal(await panel.getAttribute('data-status'), 'failed');
    assert.equal(await panel.locator('tbody tr').count(), 2);
    await panel.getByText('<b>receiver says no</b>').first().waitFor({ state: 'attached' });
    // A retry is one attempt: failing, the delivery stays failed with the attempt listed, and
    // the notice says how it ended.
    await panel.getByRole('button', { name: 'Retry now' }).click();
    await page.locator('#notice', { hasText: 'Retry failed (500): the delivery stays failed.' }).waitFor({ timeout: WAIT });
    const again = page.locator(`.delivery[data-delivery="${delivery.id}"]`);
    assert.equal(await again.getAttribute('data-status'), 'failed');
    await page.waitForFunction((id) => document.querySelectorAll(`.delivery[data-delivery="${id}"] tbody tr`).length === 3, delivery.id, { timeout: WAIT });
    receiver.status = 200;
    receiver.body = 'ok';
    await page.locator(`.delivery[data-delivery="${delivery.id}"]`).getByRole('button', { name: 'Retry now' }).click();
    await page.locator(`.delivery[data-delivery="${delivery.id}"][data-status="succeeded"]`).waitFor({ timeout: WAIT });
    assert.equal(await page.locator(`.delivery[data-delivery="${delivery.id}"] tbody tr`).count(), 4);
    await page.locator('#notice', { hasText: 'Retry succeeded (200).' }).waitFor({ timeout: WAIT });
    await page.context().close();
  });

  test('an event whose body holds HTML is shown as text, never as markup', async () => {
    const evil = '<img src=x onerror=window.__xss=1>';
    const page = await openDashboard();
    const msgId = `msg_${rand(8)}`;
    const body = JSON.stringify({ type: `note.${evil}`, data: { note: evil } });
    const wh = new Webhook(source.secret);
    const now = new Date();
    const res = await h.ingest(source.id, body, {
      'webhook-id': msgId,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': wh.sign(msgId, now, body),
    });
    assert.equal(res.status, 202, res.text);
    const link = page.locator('#events tbody a', { hasText: evil });
    await link.waitFor({ timeout: WAIT });
    await link.click();
    await page.locator('#event-body', { hasText: evil }).waitFor({ timeout: WAIT });
    assert.equal(await page.locator('img').count(), 0);
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    await page.context().close();
  });

  test('screenshots (DASHBOARD_SCREENSHOTS)', { skip: !process.env.DASHBOARD_SCREENSHOTS }, async () => {
    const dir = process.env.DASHBOARD_SCREENSHOTS;
    fs.mkdirSync(dir, { recursive: true });
    for (let i = 0; i < 6; i += 1) {
      await h.api('POST', '/api/v1/messages', { event_type: ['invoice.paid', 'customer.created', 'charge.refunded'][i % 3], payload: { i } });
    }
    await h.api('POST', '/api/v1/endpoints', { url: 'http://127.0.0.1:9/unreachable', description: 'Warehouse sync (down)', event_types: ['order.*'] });
    const page = await openDashboard();
    await page.locator('#deliveries tbody tr').first().waitFor({ timeout: WAIT });
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(dir, 'overview.png') });
    await page.goto(`${h.base}/#/endpoints`);
    await page.locator('#endpoints tbody tr').first().waitFor({ timeout: WAIT });
    await page.screenshot({ path: path.join(dir, 'endpoints.png') });
    const { json } = await h.api('GET', '/api/v1/deliveries?status=succeeded&limit=1');
    await page.goto(`${h.base}/#/deliveries/${json.data[0].id}`);
    await page.locator('.delivery').first().waitFor({ timeout: WAIT });
    await page.screenshot({ path: path.join(dir, 'message.png') });
    await page.goto(`${h.base}/#/sources`);
    await page.locator('#sources tbody tr').first().waitFor({ timeout: WAIT });
    await page.screenshot({ path: path.join(dir, 'sources.png') });
    await page.context().close();
  });
});
