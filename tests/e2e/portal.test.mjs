// The portal (API.md, "Applications (tenants)": POST /api/v1/apps/{app}/portal, then
// <base>/portal/#<code>) in Debian's chromium, driven by playwright-core: the link opens a
// session of its application only (another application's ids and URLs never reach the page, in
// its DOM or in any answer it received), endpoints are created, edited, disabled and enabled, a
// test message arrives at the receiver and in the live feed, a delivery is retried; a read-only
// link shows no control that changes anything (and the server refuses the change); a link opens
// once, a reload keeps the session, an expired session says so; the page works inside an iframe
// of another origin, with no cookie.
//
// DASHBOARD_SCREENSHOTS=<dir> also saves the portal's endpoints, endpoint, message and live pages
// there, at 1366x768 and at 420x800.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';


import { launchChromium } from './lib/browser.mjs';
import { freePort, startHookd } from './lib/hookd.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { poll, rand } from './lib/util.mjs';

const TIMEOUT = { timeout: 90_000 };
const WAIT = 10_000;

let h;
let browser;
let frameServer; // another origin that puts the portal in an iframe
let frameOrigin;
let acme;
let globex;

async function makeApp(name, uid) {
  const rx = await startReceiver();
  const app = await h.api('PUT', `/api/v1/apps/${uid}`, { name });
  assert.equal(app.status, 201, app.text);
  const ep = await h.api('POST', `/api/v1/apps/${uid}/endpoints`, { url: `${rx.url}/${uid}`, description: `${name} orders`, event_types: ['order.*'] });
  assert.equal(ep.status, 201, ep.text);
  const msg = await h.api('POST', `/api/v1/apps/${uid}/messages`, { event_type: 'order.created', payload: { customer: uid } });
  assert.equal(msg.status, 202, msg.text);
  await rx.waitFor(() => rx.requests.length >= 1, WAIT, `${uid}'s first delivery`);
  return { rx, uid, app: app.json, endpoint: ep.json, message: msg.json };
}

/** Everything of `c` that must never reach another application's portal. */
function secretsOf(c) {
  return [c.app.id, c.uid, c.endpoint.id, c.endpoint.url, c.endpoint.secret, c.message.id, c.rx.url];
}

before(async () => {
  const port = await freePort();
  frameOrigin = `http://127.0.0.1:${port}`;
  h = await startHookd({ env: { HOOKD_ALLOW_PRIVATE_TARGETS: '1', HOOKD_RETRY_SCHEDULE: '300ms', HOOKD_PORTAL_FRAME_ANCESTORS: frameOrigin } });
  acme = await makeApp('Acme Corp', `acme-${rand(3)}`);
  globex = await makeApp('Globex', `globex-${rand(3)}`);
  frameServer = http.createServer((req, res) => {
    const src = new URL(req.url, frameOrigin).searchParams.get('src') || '';
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>A SaaS</title><h1>Your webhooks</h1><iframe id="portal" style="width:1100px;height:640px" src="${src.replace(/"/g, '&quot;')}"></iframe>`);
  });
  await new Promise((resolve) => frameServer.listen(port, '127.0.0.1', resolve));
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
  for (const c of [acme, globex]) if (c?.rx) await c.rx.close();
  if (frameServer) await new Promise((resolve) => frameServer.close(resolve));
  if (h) {
    h.saveLog('portal');
    await h.cleanup();
  }
});

/** A new portal link of app `c`, on the test's hookd. */
async function portalLink(c, body = {}) {
  const r = await h.api('POST', `/api/v1/apps/${c.app.id}/portal`, body);
  assert.equal(r.status, 201, r.text);
  assert.match(r.json.url, /\/portal\/#./);
  assert.ok(r.json.expires_at);
  assert.equal(r.json.read_only, !!body.read_only);
  const u = new URL(r.json.url);
  return `${h.base}${u.pathname}${u.hash}`;
}

/**
 * Opens `url` in a new browser context and records every answer the page got (their text) and
 * every request's headers. Resolves when the page shows its sections (or, expect: 'expired', the
 * expired page).
 */
async function openPortal(url, { viewport = { width: 1366, height: 768 }, expect = 'session', context = null } = {}) {
  const ctx = context || (await browser.newContext({ viewport }));
  const page = await ctx.newPage();
  page.errors = [];
  page.answers = [];
  page.requests = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.on('request', (r) => page.requests.push(r));
  page.on('response', async (r) => {
    try {
      page.answers.push({ url: r.url(), text: await r.text() });
    } catch {
      // a stream still open, or a redirect
    }
  });
  await page.goto(url);
  await page.locator(expect === 'session' ? '#nav' : '#expired').waitFor({ state: 'visible', timeout: WAIT });
  return page;
}

/** Fails if anything of `other` is in the page's DOM or in any answer it received. */
async function assertNothingOf(page, other) {
  const html = await page.content();
  const text = await page.evaluate(() => document.body.innerText);
  for (const s of secretsOf(other)) {
    assert.ok(!html.includes(s) && !text.includes(s), `the page shows ${s}`);
    for (const a of page.answers) assert.ok(!a.text.includes(s), `${a.url} answered with ${s}`);
  }
}

const token = (page) => page.evaluate(() => JSON.parse(sessionStorage.getItem('hookd.portal')).token);

describe('portal', { timeout: 400_000 }, () => {
  test('the link opens its application only: endpoints, messages, deliveries; no code left, no cookie', TIMEOUT, async () => {
    const page = await openPortal(await portalLink(acme));
    // The code is out of the address at once (and so out of the history).
    assert.match(page.url(), /\/portal\/#\/endpoints$/);
    assert.equal(await page.locator('#app-label').textContent(), 'Acme Corp');
    await page.locator(`#endpoints tr[data-endpoint="${acme.endpoint.id}"]`).waitFor({ timeout: WAIT });
    assert.equal(await page.locator('#endpoints tbody tr').count(), 1);
    await page.locator('#transport[data-state="live"]').waitFor({ timeout: WAIT });

    await page.locator('#nav a[data-view="messages"]').click();
    await page.locator(`#view-messages tr[data-message="${acme.message.id}"]`).waitFor({ timeout: WAIT });
    await page.locator(`#view-messages tr[data-message="${acme.message.id}"] a`).first().click();
    await page.locator('#view-message .delivery[data-status="succeeded"]').waitFor({ timeout: WAIT });
    assert.match(await page.locator('#view-message').textContent(), /"customer": "acme-/);
    await page.locator('#view-message .delivery-links a.mono').first().click();
    await page.locator('#view-delivery .delivery table.attempts tbody tr').first().waitFor({ timeout: WAIT });
    await page.locator('#nav a[data-view="deliveries"]').click();
    await page.locator('#view-deliveries tbody tr').first().waitFor({ timeout: WAIT });
    assert.equal(await page.locator('#view-deliveries tbody tr').count(), 1);
    await page.goto(`${h.base}/portal/#/failed`);
    await page.locator('#view-failed .empty').waitFor({ timeout: WAIT });

    await page.locator('#nav a[data-view="live"]').click();
    await page.locator('#nav a[data-view="endpoints"]').click();
    await page.locator('#endpoints tbody tr').first().waitFor({ timeout: WAIT });
    await assertNothingOf(page, globex);
    // A bearer token on every API call, never a cookie.
    const api = page.requests.filter((r) => /\/api\/v1\//.test(r.url()) && r.method() !== 'OPTIONS');
    assert.ok(api.length > 5);
    for (const r of api) {
      const headers = await r.allHeaders();
      assert.ok(!('cookie' in headers), `${r.url()} sent a cookie`);
      if (!r.url().endsWith('/api/v1/portal/session')) assert.match(headers.authorization || '', /^Bearer hkd_app_/, `${r.url()} has no bearer token`);
      assert.ok(!/\/api\/v1\/(endpoints|messages|deliveries)/.test(new URL(r.url()).pathname), `${r.url()} is not under /api/v1/apps/`);
    }
    assert.deepEqual(await page.context().cookies(), []);

    // Another application's ids, asked for by address, are "not found" like unknown ones.
    await page.goto(`${h.base}/portal/#/messages/${globex.message.id}`);
    await page.locator('#view-message [data-state="not-found"]').waitFor({ timeout: WAIT });
    await page.goto(`${h.base}/portal/#/endpoints/${globex.endpoint.id}`);
    await page.locator('#view-endpoint [data-state="not-found"]').waitFor({ timeout: WAIT });
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test('endpoints are created, edited, disabled; a test message reaches the receiver and the live feed; a delivery is retried', TIMEOUT, async () => {
    const page = await openPortal(await portalLink(acme));
    await page.locator('#endpoint-new').click();
    await page.getByLabel('URL', { exact: true }).fill(`${acme.rx.url}/second`);
    await page.getByLabel('Description', { exact: true }).fill('Second <i>receiver</i>');
    await page.getByLabel('Event types', { exact: true }).fill('order.*, invoice.paid');
    await page.locator('#dialog-ok').click();
    await page.locator('#dialog-title', { hasText: 'Endpoint created' }).waitFor({ timeout: WAIT });
    const secret = await page.locator('#dialog-body input').inputValue();
    assert.match(secret, /^whsec_/);
    await page.locator('#dialog-cancel').click();
    const row = page.locator('#endpoints tbody tr', { hasText: '/second' });
    await row.waitFor({ timeout: WAIT });
    assert.equal(await row.locator('i').count(), 0, 'the description is text');
    const epId = await row.getAttribute('data-endpoint');
    let ep = (await h.api('GET', `/api/v1/apps/${acme.app.id}/endpoints/${epId}`)).json;
    assert.deepEqual(ep.event_types, ['order.*', 'invoice.paid']);
    assert.equal(ep.app_id, acme.app.id);

    await row.locator('[data-action="edit"]').click();
    await page.getByLabel('Description', { exact: true }).fill('Second receiver, renamed');
    await page.getByLabel('Rate limit (per second)').fill('5');
    await page.locator('#dialog-ok').click();
    await page.locator('#endpoints tbody tr', { hasText: 'renamed' }).waitFor({ timeout: WAIT });
    ep = (await h.api('GET', `/api/v1/apps/${acme.app.id}/endpoints/${epId}`)).json;
    assert.equal(ep.description, 'Second receiver, renamed');
    assert.equal(ep.rate_limit_per_second, 5);

    await page.locator(`#endpoints tr[data-endpoint="${epId}"] [data-action="disable"]`).click();
    await page.locator(`#endpoints tr[data-endpoint="${epId}"] [data-action="enable"]`).waitFor({ timeout: WAIT });
    assert.equal((await h.api('GET', `/api/v1/apps/${acme.app.id}/endpoints/${epId}`)).json.disabled, true);
    await page.locator(`#endpoints tr[data-endpoint="${epId}"] [data-action="enable"]`).click();
    await page.locator(`#endpoints tr[data-endpoint="${epId}"] [data-action="disable"]`).waitFor({ timeout: WAIT });
    assert.equal((await h.api('GET', `/api/v1/apps/${acme.app.id}/endpoints/${epId}`)).json.disabled, false);

    // A test message, from the endpoint's page: at the receiver, and in the live feed.
    await page.locator(`#endpoints tr[data-endpoint="${epId}"] a`).first().click();
    await page.locator('#view-endpoint [data-action="test"]').click();
    await page.getByLabel('Event type', { exact: true }).fill('invoice.paid');
    await page.locator('#dialog-ok').click();
    const sent = await poll(() => acme.rx.requests.find((r) => r.url === '/hook/second'), WAIT, 'the test message at the receiver');
    const msgId = sent.headers['webhook-id'];
    assert.match(msgId, /^msg_/);
    assert.equal(sent.headers['hookd-event-type'], 'invoice.paid');
    await page.locator('#nav a[data-view="live"]').click();
    await page.locator(`#live tr[data-entry="delivery.succeeded"][data-message="${msgId}"]`).waitFor({ timeout: WAIT });

    // Retry ("Send again") from the message's page: one more attempt at the receiver.
    await page.locator(`#live tr[data-message="${msgId}"] a`).first().click();
    await page.locator('#view-message [data-retry]').first().click();
    await acme.rx.waitFor(() => acme.rx.attemptsOf(msgId) === 2, WAIT, 'the retried attempt');
    await page.locator('#view-message table.attempts tbody tr:nth-child(2)').waitFor({ timeout: WAIT });

    // Rotate the secret: a new one is shown.
    await page.goto(`${h.base}/portal/#/endpoints/${epId}`);
    await page.locator('#view-endpoint [data-action="rotate"]').click();
    await page.locator('#dialog-ok').click();
    await page.locator('#dialog-title', { hasText: 'Secret rotated' }).waitFor({ timeout: WAIT });
    assert.notEqual(await page.locator('#dialog-body input').inputValue(), secret);
    await page.locator('#dialog-cancel').click();
    await assertNothingOf(page, globex);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test('with the SSE stream blocked the portal long-polls with its token, and the feed keeps up', TIMEOUT, async () => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    await context.route('**/api/v1/stream**', (route) => route.abort());
    const page = await openPortal(await portalLink(acme), { context });
    await page.locator('#transport[data-transport="longpoll"][data-state="live"]').waitFor({ timeout: WAIT });
    assert.match(await page.locator('#transport').textContent(), /Live · long-polling/);
    await page.locator('#nav a[data-view="live"]').click();
    const r = await h.api('POST', `/api/v1/apps/${acme.app.id}/endpoints/${acme.endpoint.id}/test`, { event_type: 'order.polled' });
    assert.equal(r.status, 202, r.text);
    await page.locator(`#live tr[data-entry="delivery.succeeded"][data-message="${r.json.id}"]`).waitFor({ timeout: WAIT });
    // Another application's entries never come.
    const other = await h.api('POST', `/api/v1/apps/${globex.app.id}/messages`, { event_type: 'order.elsewhere', payload: {} });
    await globex.rx.waitFor(() => globex.rx.attemptsOf(other.json.id) === 1, WAIT, 'globex\'s delivery');
    await page.waitForTimeout(500);
    assert.equal(await page.locator(`#live tr[data-message="${other.json.id}"]`).count(), 0);
    for (const a of page.answers) assert.ok(!a.text.includes(other.json.id), `${a.url} answered with ${other.json.id}`);
    await assertNothingOf(page, globex);
    const polls = page.requests.filter((q) => q.url().includes('/api/v1/updates'));
    assert.ok(polls.length >= 2);
    for (const q of polls) assert.match((await q.allHeaders()).authorization || '', /^Bearer hkd_app_/);
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('a read-only link shows no control that changes anything, and the server refuses changes', TIMEOUT, async () => {
    const page = await openPortal(await portalLink(acme, { read_only: true }));
    assert.match(await page.locator('#access').textContent(), /read-only/);
    await page.locator(`#endpoints tr[data-endpoint="${acme.endpoint.id}"]`).waitFor({ timeout: WAIT });
    const controls = '[data-action], [data-retry], #endpoint-new, #retry-selected:not([hidden])';
    assert.equal(await page.locator(controls).count(), 0);
    await page.goto(`${h.base}/portal/#/endpoints/${acme.endpoint.id}`);
    await page.locator('#view-endpoint tbody tr').first().waitFor({ timeout: WAIT });
    assert.equal(await page.locator(controls).count(), 0);
    await page.goto(`${h.base}/portal/#/messages/${acme.message.id}`);
    await page.locator('#view-message .delivery').first().waitFor({ timeout: WAIT });
    assert.equal(await page.locator(controls).count(), 0);
    await page.goto(`${h.base}/portal/#/failed`);
    await page.locator('#view-failed .results > *').first().waitFor({ timeout: WAIT });
    assert.equal(await page.locator(controls).count(), 0);
    assert.equal(await page.locator('#view-failed input[type="checkbox"]').count(), 0);

    const bearer = await token(page);
    const r = await h.api('POST', `/api/v1/apps/${acme.app.id}/endpoints`, { url: `${acme.rx.url}/ro` }, { token: bearer });
    assert.equal(r.status, 403, r.text);
    assert.equal(r.json.error.code, 'read_only');
    const retry = await h.api('POST', `/api/v1/apps/${acme.app.id}/endpoints/${acme.endpoint.id}/disable`, undefined, { token: bearer });
    assert.equal(retry.status, 403, retry.text);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test('a link opens once; a reload keeps the session; a used link shows the expired page', TIMEOUT, async () => {
    const url = await portalLink(acme);
    const page = await openPortal(url);
    await page.locator(`#endpoints tr[data-endpoint="${acme.endpoint.id}"]`).waitFor({ timeout: WAIT });
    await page.locator('#nav a[data-view="messages"]').click();
    await page.locator('#view-messages tbody tr').first().waitFor({ timeout: WAIT });
    await page.reload();
    await page.locator('#view-messages tbody tr').first().waitFor({ timeout: WAIT });
    assert.equal(await page.locator('#expired').isHidden(), true);
    assert.equal(await page.locator('#app-label').textContent(), 'Acme Corp');

    const again = await openPortal(url, { expect: 'expired' });
    assert.match(await again.locator('#expired').textContent(), /expired or was already used/);
    assert.equal(await again.locator('#nav').isHidden(), true);
    assert.equal(await again.evaluate(() => sessionStorage.getItem('hookd.portal')), null);
    assert.ok(!again.url().includes(new URL(url).hash.slice(1)), 'the used code is out of the address too');
    // An unknown code, and no code at all, say the same.
    const bogus = await openPortal(`${h.base}/portal/#not-a-code`, { expect: 'expired' });
    await bogus.context().close();
    const none = await openPortal(`${h.base}/portal/`, { expect: 'expired' });
    await none.context().close();
    assert.deepEqual(page.errors, []);
    await page.context().close();
    await again.context().close();
  });

  test('an expired session shows the expired page', TIMEOUT, async () => {
    const page = await openPortal(await portalLink(acme, { expires_in: 2 }));
    await page.locator('#expired').waitFor({ state: 'visible', timeout: WAIT });
    assert.equal(await page.locator('#nav').isHidden(), true);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('hookd.portal')), null);
    await page.reload();
    await page.locator('#expired').waitFor({ state: 'visible', timeout: WAIT });
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test('inside an iframe of another origin it works with no cookie', TIMEOUT, async () => {
    const url = await portalLink(globex);
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${frameOrigin}/?src=${encodeURIComponent(url)}`);
    const frame = page.frameLocator('#portal');
    await frame.locator(`#endpoints tr[data-endpoint="${globex.endpoint.id}"]`).waitFor({ timeout: WAIT });
    await frame.locator('#transport[data-state="live"]').waitFor({ timeout: WAIT });
    await frame.locator('#nav a[data-view="messages"]').click();
    await frame.locator(`#view-messages tr[data-message="${globex.message.id}"]`).waitFor({ timeout: WAIT });
    assert.deepEqual(await context.cookies(), []);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('screenshots (DASHBOARD_SCREENSHOTS)', { skip: !process.env.DASHBOARD_SCREENSHOTS }, async () => {
    const dir = process.env.DASHBOARD_SCREENSHOTS;
    fs.mkdirSync(dir, { recursive: true });
    await h.api('POST', `/api/v1/apps/${acme.app.id}/endpoints`, { url: 'http://127.0.0.1:9/unreachable', description: 'Warehouse sync (down)', event_types: ['order.*'] });
    const { json: m } = await h.api('POST', `/api/v1/apps/${acme.app.id}/messages`, { event_type: 'order.shipped', payload: { order: 1001, items: [{ sku: 'A-1', qty: 2 }] } });
    await poll(async () => (await h.api('GET', `/api/v1/apps/${acme.app.id}/deliveries?message_id=${m.id}&status=failed`)).json.data.length === 1, 20_000, 'the failed delivery');
    for (const [suffix, viewport] of [['', { width: 1366, height: 768 }], ['-420', { width: 420, height: 800 }]]) {
      const page = await openPortal(await portalLink(acme), { viewport });
      await page.locator('#endpoints tbody tr').first().waitFor({ timeout: WAIT });
      await page.locator('#transport[data-state="live"]').waitFor({ timeout: WAIT });
      await page.waitForTimeout(300);
      await page.screenshot({ path: path.join(dir, `portal-endpoints${suffix}.png`) });
      await page.goto(`${h.base}/portal/#/endpoints/${acme.endpoint.id}`);
      await page.locator('#view-endpoint tbody tr').first().waitFor({ timeout: WAIT });
      await page.waitForTimeout(300);
      await page.screenshot({ path: path.join(dir, `portal-endpoint${suffix}.png`), fullPage: true });
      await page.goto(`${h.base}/portal/#/messages/${m.id}`);
      await page.locator('#view-message .delivery').first().waitFor({ timeout: WAIT });
      await page.waitForTimeout(300);
      await page.screenshot({ path: path.join(dir, `portal-message${suffix}.png`), fullPage: true });
      await page.goto(`${h.base}/portal/#/endpoints/${acme.endpoint.id}`);
      await page.locator('#view-endpoint [data-action="test"]').click();
      await page.locator('#dialog-ok').click();
      await page.locator('#nav a[data-view="live"]').click();
      await page.locator('#live tbody tr').first().waitFor({ timeout: WAIT });
      await page.waitForTimeout(500);
      await page.screenshot({ path: path.join(dir, `portal-live${suffix}.png`) });
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= viewport.width, `the portal is ${width} px wide at ${viewport.width}`);
      await page.context().close();
    }
    const expired = await openPortal(`${h.base}/portal/#used-up`, { expect: 'expired' });
    await expired.screenshot({ path: path.join(dir, 'portal-expired.png') });
    await expired.context().close();
  });
});
