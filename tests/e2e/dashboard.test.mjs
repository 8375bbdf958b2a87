// End-to-end tests of the dashboard (API.md, "Admin UI") in Debian's chromium, driven by
// playwright-core: sign-in, live updates over SSE, WebSocket and long-polling (each later one
// with the ones before blocked), retry of a failed delivery, provider text shown as text; the
// message and delivery lists (search by event type, pasted id, status; paging), the failed view
// with retry of a selection, links between event, message, delivery and endpoint pages, "not
// found" and error pages, notices that end with their page, and the layout at 420 px wide.
//
// The status streams are hookd's own (its stream listener, at the stream_base GET /api/v1/info
// names), under the page's own CSP: the suite fails before any test when they do not answer.
//
// DASHBOARD_SCREENSHOTS=<dir> also saves screenshots of every view there, at 1366x768 and at
// 420x800.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Webhook } from 'standardwebhooks';

import { launchChromium } from './lib/browser.mjs';
import { startHookd } from './lib/hookd.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { poll, rand, sleep } from './lib/util.mjs';

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
  browser = await launchChromium();
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


/** Posts a message and waits until each of its deliveries has ended (succeeded or failed). */
async function publish(eventType) {
  const { status: code, json } = await h.api('POST', '/api/v1/messages', { event_type: eventType, payload: { type: eventType } });
  assert.equal(code, 202, JSON.stringify(json));
  const deliveries = await poll(async () => {
    const list = (await h.api('GET', `/api/v1/deliveries?message_id=${json.id}`)).json.data;
    return list.length === json.deliveries && list.every((d) => d.status === 'succeeded' || d.status === 'failed') ? list : null;
  }, WAIT, `the deliveries of ${json.id} to end`);
  return { id: json.id, deliveries };
}

/** Ingests a Standard Webhooks event of `type` through `source`; returns its evt_ id. */
async function ingestEvent(type) {
  const webhookId = `msg_${rand(8)}`;
  const body = JSON.stringify({ type, data: { n: 1 } });
  const now = new Date();
  const res = await h.ingest(source.id, body, {
    'webhook-id': webhookId,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': new Webhook(source.secret).sign(webhookId, now, body),
  });
  assert.equal(res.status, 202, res.text);
  return JSON.parse(res.text).id;
}

/** The ids of the rows a list shows, in order. */
async function rowIds(page, attr) {
  return page.locator(`.view:not([hidden]) tbody tr[data-${attr}]`).evaluateAll((rows, a) => rows.map((r) => r.dataset[a]), attr);
}

/**
 * Boxes of the chart's text that must not overlap: each axis's tick labels (measured with their
 * own font) and the legend's entries. Returns [{what, left, top, right, bottom}].
 */
function chartLabelBoxes() {
  const canvas = document.querySelector('#chart');
  const chart = window.Chart.getChart(canvas);
  const ctx = canvas.getContext('2d');
  const boxes = [];
  for (const [id, scale] of Object.entries(chart.scales)) {
    // Chart.js 3 (Debian's libjs-chart.js) keeps the label layout it drew in _labelItems.
    for (const item of scale._labelItems || scale._computeLabelItems(chart.chartArea)) {
      ctx.font = item.font.string;
      const w = ctx.measureText(String(item.label)).width;
      const lh = item.font.lineHeight;
      const [x, ty] = item.translation;
      const y = ty + (item.textOffset || 0);
      const left = item.textAlign === 'center' ? x - w / 2 : item.textAlign === 'right' || item.textAlign === 'end' ? x - w : x;
      const top = item.textBaseline === 'middle' ? y - lh / 2 : item.textBaseline === 'bottom' ? y - lh : y;
      boxes.push({ what: `${id} "${item.label}"`, left, top, right: left + w, bottom: top + lh });
    }
  }
  for (const [i, b] of (chart.legend.legendHitBoxes || []).entries()) {
    boxes.push({ what: `legend ${chart.legend.legendItems[i].text}`, left: b.left, top: b.top, right: b.left + b.width, bottom: b.top + b.height });
  }
  return { boxes, width: chart.width, height: chart.height };
}

function overlaps(a, b) {
  return a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
}

describe('dashboard', { timeout: 300_000 }, () => {
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


  test('messages are searched by event type and by a pasted id, and paged with the cursor', async () => {
    const type = `search.${rand(4)}`;
    const a = await publish(type);
    const b = await publish(type);
    await publish(`other.${rand(4)}`);
    const page = await openDashboard();
    await page.getByRole('link', { name: 'Messages', exact: true }).click();
    await page.locator('#messages-q').fill(type);
    await page.locator('#messages-q').press('Enter');
    await page.waitForURL((u) => u.hash === `#/messages?event_type=${encodeURIComponent(type)}`);
    await page.locator('#view-messages tbody tr').first().waitFor({ timeout: WAIT });
    assert.deepEqual(await rowIds(page, 'message'), [b.id, a.id]);
    for (const text of await page.locator('#view-messages tbody tr').allTextContents()) assert.ok(text.includes(type), text);

    // One per page: the cursor leads to the older one, and back to the newest.
    await page.goto(`${h.base}/#/messages?event_type=${type}&limit=1`);
    await page.locator(`#view-messages tr[data-message="${b.id}"]`).waitFor({ timeout: WAIT });
    await page.locator('.pager a[data-page="next"]').click();
    await page.locator(`#view-messages tr[data-message="${a.id}"]`).waitFor({ timeout: WAIT });
    assert.deepEqual(await rowIds(page, 'message'), [a.id]);
    await page.locator('.pager a[data-page="first"]').click();
    await page.locator(`#view-messages tr[data-message="${b.id}"]`).waitFor({ timeout: WAIT });

    // A pasted id goes straight to its page, whatever its kind.
    await page.goto(`${h.base}/#/messages`);
    await page.locator('#messages-q').fill(` ${a.id} `);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL((u) => u.hash === `#/messages/${a.id}`);
    await page.locator('#view-message h1', { hasText: type }).waitFor({ timeout: WAIT });
    await page.goto(`${h.base}/#/messages`);
    await page.locator('#messages-q').fill(a.deliveries[0].id);
    await page.locator('#messages-q').press('Enter');
    await page.locator('#view-delivery h1', { hasText: type }).waitFor({ timeout: WAIT });
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test('deliveries are filtered by status and endpoint; a pasted id goes to its delivery', async (t) => {
    // A failing endpoint of its own: the suite's endpoint has failed in earlier tests, and more
    // failures in a row would open its circuit, holding the later tests' deliveries.
    const failing = await startReceiver({ status: 500 });
    t.after(() => failing.close());
    const { json: failingEp } = await h.api('POST', '/api/v1/endpoints', { url: failing.url, description: 'always 500', event_types: ['filter.*'] });
    t.after(() => h.api('DELETE', `/api/v1/endpoints/${failingEp.id}`));
    const published = await publish(`filter.${rand(4)}`);
    const failedOne = { deliveries: published.deliveries.filter((d) => d.endpoint_id === failingEp.id) };
    assert.equal(failedOne.deliveries.length, 1);
    assert.equal(failedOne.deliveries[0].status, 'failed');
    const page = await openDashboard();
    await page.getByRole('link', { name: 'Deliveries', exact: true }).click();
    await page.locator('#view-deliveries tbody tr').first().waitFor({ timeout: WAIT });
    await page.locator('#deliveries-status').selectOption('failed');
    await page.waitForURL((u) => u.hash === '#/deliveries?status=failed');
    await page.locator(`#view-deliveries tr[data-delivery="${failedOne.deliveries[0].id}"]`).waitFor({ timeout: WAIT });
    const { json: apiFailed } = await h.api('GET', '/api/v1/deliveries?status=failed&limit=50');
    assert.deepEqual(await rowIds(page, 'delivery'), apiFailed.data.map((d) => d.id));
    const statuses = await page.locator('#view-deliveries tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.status));
    assert.ok(statuses.length > 0 && statuses.every((s) => s === 'failed'), statuses.join());

    await page.locator('#deliveries-status').selectOption('succeeded');
    await page.waitForURL((u) => u.hash === '#/deliveries?status=succeeded');
    await page.locator('#deliveries-endpoint').selectOption(endpoint.id);
    await page.waitForURL((u) => u.hash === `#/deliveries?status=succeeded&endpoint_id=${endpoint.id}`);
    const { json: apiOk } = await h.api('GET', `/api/v1/deliveries?status=succeeded&endpoint_id=${endpoint.id}&limit=50`);
    await page.locator(`#view-deliveries tr[data-delivery="${apiOk.data[0].id}"]`).waitFor({ timeout: WAIT });
    assert.deepEqual(await rowIds(page, 'delivery'), apiOk.data.map((d) => d.id));

    // Pages of two follow the API's cursor.
    await page.goto(`${h.base}/#/deliveries?status=succeeded&limit=2`);
    const { json: p1 } = await h.api('GET', '/api/v1/deliveries?status=succeeded&limit=2');
    const { json: p2 } = await h.api('GET', `/api/v1/deliveries?status=succeeded&limit=2&after=${p1.next}`);
    await page.locator(`#view-deliveries tr[data-delivery="${p1.data[1].id}"]`).waitFor({ timeout: WAIT });
    await page.locator('.pager a[data-page="next"]').click();
    await page.locator(`#view-deliveries tr[data-delivery="${p2.data[1].id}"]`).waitFor({ timeout: WAIT });
    assert.deepEqual(await rowIds(page, 'delivery'), p2.data.map((d) => d.id));

    await page.locator('#deliveries-q').fill('not-an-id');
    await page.locator('#deliveries-q').press('Enter');
    await page.getByText('That is not a delivery, message, event or endpoint id.').waitFor({ timeout: WAIT });
    await page.locator('#deliveries-q').fill(failedOne.deliveries[0].id);
    await page.locator('#deliveries-q').press('Enter');
    await page.locator(`#view-delivery .delivery[data-delivery="${failedOne.deliveries[0].id}"][data-status="failed"]`).waitFor({ timeout: WAIT });
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test('the failed view retries a selection; a disabled endpoint\'s delivery is refused as such', async (t) => {
    // Two endpoints of their own (bulk.*): one that fails and then recovers, one that fails and
    // is disabled. The suite's endpoint (all types) gets these messages too, and succeeds.
    const flaky = await startReceiver({ status: 500 });
    const other = await startReceiver({ status: 500 });
    t.after(() => Promise.all([flaky.close(), other.close()]));
    const { json: back } = await h.api('POST', '/api/v1/endpoints', { url: flaky.url, description: 'comes back', event_types: ['bulk.*'] });
    const { json: doomed } = await h.api('POST', '/api/v1/endpoints', { url: other.url, description: 'to be disabled', event_types: ['bulk.*'] });
    const m1 = await publish(`bulk.${rand(4)}`);
    const m2 = await publish(`bulk.${rand(4)}`);
    flaky.status = 200;
    assert.equal((await h.api('POST', `/api/v1/endpoints/${doomed.id}/disable`)).status, 200);
    const mine = (m) => m.deliveries.find((d) => d.endpoint_id === back.id);
    const refused = m1.deliveries.find((d) => d.endpoint_id === doomed.id);
    for (const d of [mine(m1), mine(m2), refused]) assert.equal(d.status, 'failed', JSON.stringify(d));
    const chosen = [mine(m1), mine(m2), refused];

    const page = await openDashboard();
    await page.getByRole('link', { name: 'Failed', exact: true }).click();
    for (const d of chosen) await page.locator(`#view-failed tr[data-delivery="${d.id}"]`).waitFor({ timeout: WAIT });
    assert.ok(await page.locator('#retry-selected').isDisabled());
    for (const d of chosen) await page.getByLabel(`Select delivery ${d.id}`).check();
    assert.equal(await page.locator('#retry-selected').textContent(), 'Retry selected (3)');
    await page.locator('#retry-selected').click();
    const result = (d) => page.locator(`#view-failed tr[data-delivery="${d.id}"] td.result`);
    await result(refused).and(page.locator('[data-result]')).waitFor({ timeout: WAIT });
    await page.locator('#retry-summary', { hasText: 'queued' }).waitFor({ timeout: WAIT });
    assert.equal(await result(mine(m1)).getAttribute('data-result'), 'queued');
    assert.equal(await result(mine(m2)).getAttribute('data-result'), 'queued');
    assert.equal(await result(refused).getAttribute('data-result'), 'endpoint_disabled');
    assert.match(await result(refused).textContent(), /Endpoint disabled/);
    assert.match(await page.locator('#retry-summary').textContent(), /2 retries queued; not retried: 1 endpoint disabled/);

    // The API agrees: both were attempted again and succeeded; the refused one is unchanged.
    for (const d of [mine(m1), mine(m2)]) {
      const after = await poll(async () => {
        const { json } = await h.api('GET', `/api/v1/deliveries/${d.id}`);
        return json.status === 'succeeded' ? json : null;
      }, WAIT, `${d.id} to succeed after the retry`);
      assert.equal(after.attempts.length, d.attempts + 1);
      assert.equal(after.attempts.at(-1).response_status, 200);
    }
    const { json: still } = await h.api('GET', `/api/v1/deliveries/${refused.id}`);
    assert.equal(still.status, 'failed');
    assert.equal(still.attempts.length, refused.attempts);
    assert.equal(other.requests.length, 4); // two attempts each for m1 and m2, none since
    assert.deepEqual(page.errors, []);
    await page.context().close();
    await h.api('DELETE', `/api/v1/endpoints/${doomed.id}`);
    await h.api('DELETE', `/api/v1/endpoints/${back.id}`);
  });

  test('an event links to its message and deliveries, a message to its event and endpoint, a delivery to both', async () => {
    const type = `linked.${rand(4)}`;
    const eventId = await ingestEvent(type);
    const { json: msgs } = await poll(async () => {
      const r = await h.api('GET', `/api/v1/messages?event_id=${eventId}`);
      return r.json.data.length ? r : null;
    }, WAIT, 'the event\'s message');
    const msgId = msgs.data[0].id;
    const [delivery] = (await poll(async () => {
      const list = (await h.api('GET', `/api/v1/deliveries?message_id=${msgId}`)).json.data;
      return list.length && list[0].status === 'succeeded' ? list : null;
    }, WAIT, 'the delivery')).filter((d) => d.endpoint_id === endpoint.id);

    const page = await openDashboard();
    await page.goto(`${h.base}/#/events/${eventId}`);
    await page.locator(`#view-event [data-event-deliveries="${msgId}"] tr[data-delivery="${delivery.id}"]`).waitFor({ timeout: WAIT });
    await page.locator('#event-messages a', { hasText: msgId }).click();
    await page.waitForURL((u) => u.hash === `#/messages/${msgId}`);
    await page.locator('#message-event', { hasText: eventId }).waitFor({ timeout: WAIT });
    assert.equal(await page.locator('#view-message dd a[href^="#/endpoints/"]').first().getAttribute('href'), `#/endpoints/${endpoint.id}`);
    await page.locator(`#view-message .delivery-links a[href="#/deliveries/${delivery.id}"]`).click();
    await page.waitForURL((u) => u.hash === `#/deliveries/${delivery.id}`);
    await page.locator('#delivery-message', { hasText: msgId }).waitFor({ timeout: WAIT });
    await page.locator('#view-delivery a', { hasText: eventId }).waitFor();
    await page.locator('#delivery-endpoint a').click();
    await page.waitForURL((u) => u.hash === `#/endpoints/${endpoint.id}`);
    await page.locator('#view-endpoint code', { hasText: endpoint.url }).waitFor({ timeout: WAIT });
    await page.locator(`#view-endpoint tr[data-delivery="${delivery.id}"]`).waitFor({ timeout: WAIT });
    // Back from the endpoint page's delivery row to the message.
    await page.locator(`#view-endpoint tr[data-delivery="${delivery.id}"] a[href="#/messages/${msgId}"]`).click();
    await page.locator('#message-event').waitFor({ timeout: WAIT });
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test('a missing message, delivery, event or endpoint is "not found"; an API error is shown', async () => {
    const page = await openDashboard();
    for (const [route, view, title] of [
      ['messages/msg_0000000000000000000000BOGUS', 'message', 'Message not found'],
      ['deliveries/dlv_0000000000000000000000BOGUS', 'delivery', 'Delivery not found'],
      ['events/evt_0000000000000000000000BOGUS', 'event', 'Event not found'],
      ['endpoints/ep_0000000000000000000000BOGUS', 'endpoint', 'Endpoint not found'],
      ['messages/%E0%A4%A', 'message', 'Message not found'],
    ]) {
      await page.goto(`${h.base}/#/${route}`);
      const state = page.locator(`#view-${view} [data-state="not-found"]`);
      await state.waitFor({ timeout: WAIT });
      assert.equal(await state.locator('h1').textContent(), title);
      assert.equal(await page.locator(`#view-${view}`).getByText('Loading…').count(), 0);
    }
    // The search box says "not found" the same way for an id of the right shape.
    await page.goto(`${h.base}/#/messages`);
    await page.locator('#messages-q').fill('msg_0000000000000000000000BOGUS');
    await page.locator('#messages-q').press('Enter');
    await page.locator('#view-message [data-state="not-found"]').waitFor({ timeout: WAIT });

    // Any other failure shows the API's own error, and "Try again" asks again.
    let failures = 1;
    await page.route('**/api/v1/messages/msg_0000000000000000000000ERROR', (r) => {
      if (failures-- > 0) {
        return r.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: { code: 'unavailable', message: 'the database is busy' } }) });
      }
      return r.fulfill({ status: 404, contentType: 'application/json', body: JSON.stringify({ error: { code: 'not_found', message: 'no message' } }) });
    });
    await page.goto(`${h.base}/#/messages/msg_0000000000000000000000ERROR`);
    const error = page.locator('#view-message [data-state="error"]');
    await error.waitFor({ timeout: WAIT });
    assert.match(await error.textContent(), /Could not load the message.*the database is busy.*unavailable, HTTP 503/);
    await error.getByRole('button', { name: 'Try again' }).click();
    await page.locator('#view-message [data-state="not-found"]').waitFor({ timeout: WAIT });
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test('a notice ends with its page', async () => {
    const { id } = await publish(`notice.${rand(4)}`);
    const page = await openDashboard();
    await page.goto(`${h.base}/#/messages/${id}`);
    await page.locator('#view-message .delivery button[data-retry]').first().click();
    const notice = page.locator('#notice');
    await notice.waitFor({ state: 'visible', timeout: WAIT });
    const text = await notice.textContent();
    await page.getByRole('link', { name: 'Deliveries', exact: true }).click();
    await page.locator('#view-deliveries tbody tr').first().waitFor({ timeout: WAIT });
    assert.ok(await notice.isHidden(), `the notice "${text}" outlived its page`);
    // An error notice (which never times out) ends the same way.
    await page.goto(`${h.base}/#/endpoints`);
    await page.locator('#endpoints tbody tr').first().waitFor({ timeout: WAIT });
    await page.route('**/api/v1/endpoints/*/disable', (r) => r.fulfill({ status: 503, contentType: 'application/json', body: '{"error":{"code":"unavailable","message":"try later"}}' }));
    await page.locator('#endpoints tbody tr').first().getByRole('button', { name: 'Disable' }).click();
    await notice.locator('text=try later').waitFor({ timeout: WAIT });
    await page.goBack();
    await page.locator('#view-deliveries').waitFor({ timeout: WAIT });
    assert.ok(await notice.isHidden(), 'the error notice outlived its page');
    await page.context().close();
  });

  test('at 420x800 the header fits, tables scroll inside their panels and the chart\'s labels do not overlap', async () => {
    const { id } = await publish(`narrow.${rand(4)}`);
    const page = await openDashboard({ viewport: { width: 420, height: 800 } });
    await page.locator('#deliveries tbody tr').first().waitFor({ timeout: WAIT });
    for (const route of ['overview', 'messages', 'deliveries', 'failed', `messages/${id}`, 'sources', 'endpoints', `endpoints/${endpoint.id}`]) {
      await page.goto(`${h.base}/#/${route}`);
      await page.locator('.view:not([hidden])').waitFor({ timeout: WAIT });
      await page.waitForFunction(() => !document.querySelector('.view:not([hidden]) [data-state="loading"]') && !/Loading…/.test(document.querySelector('.view:not([hidden])').textContent), null, { timeout: WAIT });
      const layout = await page.evaluate(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        header: [...document.querySelectorAll('header.top > *, header.top nav a')]
          .filter((el) => el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden' && !el.classList.contains('skip'))
          .map((el) => {
            const r = el.getBoundingClientRect();
            return { what: el.id || el.className || el.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom };
          }),
      }));
      assert.ok(layout.scrollWidth <= 420, `#/${route}: the page is ${layout.scrollWidth} px wide`);
      assert.ok(layout.header.length >= 8, JSON.stringify(layout.header));
      for (const el of layout.header) {
        assert.ok(el.left >= 0 && el.right <= 420 && el.top >= 0, `#/${route}: ${el.what} sticks out of the viewport: ${JSON.stringify(el)}`);
      }
      const navLinks = layout.header.filter((el) => ['Overview', 'Messages', 'Deliveries', 'Failed', 'Sources', 'Endpoints'].includes(el.what));
      assert.equal(navLinks.length, 6, JSON.stringify(layout.header));
      for (let i = 0; i < navLinks.length; i += 1) {
        for (let j = i + 1; j < navLinks.length; j += 1) {
          assert.ok(!overlaps(navLinks[i], navLinks[j]), `${navLinks[i].what} overlaps ${navLinks[j].what}`);
        }
      }
    }
    await page.goto(`${h.base}/#/overview`);
    await page.waitForFunction(() => window.Chart && window.Chart.getChart(document.querySelector('#chart')));
    await page.waitForTimeout(300);
    const { boxes, width } = await page.evaluate(chartLabelBoxes);
    assert.ok(width <= 420 && width > 300, `chart width ${width}`);
    assert.ok(boxes.filter((b) => b.what.startsWith('x ')).length >= 3, JSON.stringify(boxes));
    for (let i = 0; i < boxes.length; i += 1) {
      assert.ok(boxes[i].left >= -1 && boxes[i].right <= width + 1, `${boxes[i].what} is cut off: ${JSON.stringify(boxes[i])}`);
      for (let j = i + 1; j < boxes.length; j += 1) {
        assert.ok(!overlaps(boxes[i], boxes[j]), `${boxes[i].what} overlaps ${boxes[j].what}: ${JSON.stringify([boxes[i], boxes[j]])}`);
      }
    }
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test('screenshots (DASHBOARD_SCREENSHOTS)', { skip: !process.env.DASHBOARD_SCREENSHOTS }, async () => {
    const dir = process.env.DASHBOARD_SCREENSHOTS;
    fs.mkdirSync(dir, { recursive: true });
    for (let i = 0; i < 6; i += 1) {
      await h.api('POST', '/api/v1/messages', { event_type: ['invoice.paid', 'customer.created', 'charge.refunded'][i % 3], payload: { i } });
    }
    await h.api('POST', '/api/v1/endpoints', { url: 'http://127.0.0.1:9/unreachable', description: 'Warehouse sync (down)', event_types: ['order.*'] });
    const eventId = await ingestEvent('invoice.finalized');
    const { json: ok } = await h.api('GET', '/api/v1/deliveries?status=succeeded&limit=1');
    const { json: failed } = await h.api('GET', '/api/v1/deliveries?status=failed&limit=1');
    const views = [
      ['overview', 'overview', '#deliveries tbody tr'],
      ['messages', 'messages', '#view-messages tbody tr'],
      ['messages-search', 'messages?event_type=invoice.paid', '#view-messages tbody tr'],
      ['deliveries', 'deliveries', '#view-deliveries tbody tr'],
      ['failed', 'failed', '#view-failed tbody tr'],
      ['message', `deliveries/${ok.data[0].id}`, '#view-delivery .delivery'],
      ['delivery-failed', `deliveries/${failed.data[0].id}`, '#view-delivery .delivery'],
      ['message-page', `messages/${ok.data[0].message_id}`, '#view-message .delivery'],
      ['event', `events/${eventId}`, '#view-event #event-body'],
      ['endpoint', `endpoints/${endpoint.id}`, '#view-endpoint tbody tr'],
      ['endpoints', 'endpoints', '#endpoints tbody tr'],
      ['sources', 'sources', '#sources tbody tr'],
      ['not-found', 'messages/msg_0000000000000000000000BOGUS', '[data-state="not-found"]'],
    ];
    for (const [suffix, viewport] of [['', { width: 1366, height: 768 }], ['-420', { width: 420, height: 800 }]]) {
      const page = await openDashboard({ viewport });
      await page.locator('#deliveries tbody tr').first().waitFor({ timeout: WAIT });
      for (const [name, route, ready] of views) {
        await page.goto(`${h.base}/#/${route}`);
        await page.locator(ready).first().waitFor({ timeout: WAIT });
        if (name === 'failed') {
          await page.locator('#view-failed tbody input[type="checkbox"]').first().check();
          await page.locator('#retry-selected').click();
          await page.locator('#retry-summary', { hasText: 'queued' }).waitFor({ timeout: WAIT });
        }
        await page.waitForTimeout(300);
        await page.screenshot({ path: path.join(dir, `${name}${suffix}.png`) });
      }
      await page.context().close();
    }
  });
});
