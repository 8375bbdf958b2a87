// The dashboard's applications pages (API.md, "Applications (tenants)") in Debian's chromium,
// driven by playwright-core like dashboard.test.mjs: the list with search and paging, "New
// application", an application's page (stats, endpoints, messages, tokens; edit, delete), a token
// created (shown once, working) and revoked (refused), the portal link dialog, the endpoint and
// message pages of an application other than the default one, and the overview's live feeds
// following one application.
//
// DASHBOARD_SCREENSHOTS=<dir> also saves the applications list, an application's page and the
// portal link dialog there, at 1366x768 and at 420x800.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';


import { launchChromium } from './lib/browser.mjs';
import { startHookd } from './lib/hookd.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { poll, rand } from './lib/util.mjs';

const TIMEOUT = { timeout: 60_000 };
const WAIT = 10_000;

let h;
let browser;
let receiver;
let acme; // {app, endpoint, message}
let globex;

async function makeApp(name, uid, metadata) {
  const app = await h.api('POST', '/api/v1/apps', { name, uid, metadata });
  assert.equal(app.status, 201, app.text);
  const ep = await h.api('POST', `/api/v1/apps/${app.json.id}/endpoints`, { url: `${receiver.url}/${uid}`, description: `${name} receiver` });
  assert.equal(ep.status, 201, ep.text);
  const msg = await h.api('POST', `/api/v1/apps/${app.json.id}/messages`, { event_type: `${uid}.created`, payload: { uid } });
  assert.equal(msg.status, 202, msg.text);
  return { app: app.json, endpoint: ep.json, message: msg.json };
}

before(async () => {
  h = await startHookd({ env: { HOOKD_ALLOW_PRIVATE_TARGETS: '1', HOOKD_RETRY_SCHEDULE: '300ms' } });
  receiver = await startReceiver();
  acme = await makeApp('Acme Corp', `acme-${rand(3)}`, { plan: 'pro', region: 'eu' });
  globex = await makeApp('Globex', `globex-${rand(3)}`, {});
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
  if (receiver) await receiver.close();
  if (h) {
    h.saveLog('applications-dashboard');
    await h.cleanup();
  }
});

async function openDashboard({ viewport = { width: 1366, height: 768 } } = {}) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.errors = errors;
  await page.goto(h.base + '/');
  await page.getByLabel('Admin token').fill(h.token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#nav').waitFor({ state: 'visible', timeout: WAIT });
  return page;
}

async function appRows(page) {
  return page.locator('#apps tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.app));
}

describe('applications in the dashboard', { timeout: 300_000 }, () => {
  test('the list shows every application and searches by name, uid and id', TIMEOUT, async () => {
    const page = await openDashboard();
    await page.getByRole('link', { name: 'Applications' }).click();
    await page.locator(`#apps tbody tr[data-app="${globex.app.id}"]`).waitFor({ timeout: WAIT });
    const all = await appRows(page);
    for (const id of [acme.app.id, globex.app.id, 'app_default']) assert.ok(all.includes(id), `${id} listed: ${all}`);
    // Newest first.
    assert.ok(all.indexOf(globex.app.id) < all.indexOf(acme.app.id));

    for (const q of ['Acme', acme.app.uid, acme.app.id]) {
      await page.locator('#apps-q').fill(q);
      await page.locator('#apps-q').press('Enter');
      await page.waitForFunction((id) => {
        const rows = [...document.querySelectorAll('#apps tbody tr')];
        return rows.length === 1 && rows[0].dataset.app === id;
      }, acme.app.id, { timeout: WAIT });
      assert.match(page.url(), /#\/apps\?search=/);
    }
    await page.locator('#apps-q').fill('no-such-app');
    await page.locator('#apps-q').press('Enter');
    await page.getByText('No application matches “no-such-app”.').waitFor({ timeout: WAIT });

    // Paging follows the API's cursor.
    await page.goto(`${h.base}/#/apps`);
    await page.locator('#apps tbody tr').first().waitFor({ timeout: WAIT });
    for (let i = 0; i < 55; i += 1) await h.api('POST', '/api/v1/apps', { name: `Filler ${i}` });
    await page.goto(`${h.base}/#/apps?search=Filler`);
    await page.waitForFunction(() => document.querySelectorAll('#apps tbody tr').length === 50, null, { timeout: WAIT });
    const first = await appRows(page);
    await page.locator('[data-page="next"]').click();
    await page.waitForFunction(() => document.querySelectorAll('#apps tbody tr').length === 5, null, { timeout: WAIT });
    const second = await appRows(page);
    assert.ok(second.every((id) => !first.includes(id)), 'the second page repeats nothing');
    assert.equal(await page.locator('[data-page="next"]').count(), 0);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test('"New application" creates one with a uid and metadata and opens its page', TIMEOUT, async () => {
    const page = await openDashboard();
    await page.goto(`${h.base}/#/apps`);
    await page.locator('#app-new').click();
    const uid = `initech-${rand(3)}`;
    await page.getByLabel('Name').fill('Initech <b>TPS</b>');
    await page.getByLabel('UID').fill(uid);
    await page.getByLabel('Metadata').fill('plan=basic\nowner=bill');
    await page.locator('#dialog-ok').click();
    await page.locator('#app-uid', { hasText: uid }).waitFor({ timeout: WAIT });
    // Text, never markup.
    assert.equal(await page.locator('#app-name').textContent(), 'Initech <b>TPS</b>');
    assert.equal(await page.locator('#app-name b').count(), 0);
    const id = await page.locator('#app-id').textContent();
    assert.match(id, /^app_/);
    assert.match(page.url(), new RegExp(`#/apps/${id}$`));
    const { json } = await h.api('GET', `/api/v1/apps/${uid}`);
    assert.equal(json.id, id);
    assert.deepEqual(json.metadata, { plan: 'basic', owner: 'bill' });

    // A refused uid keeps the dialog open with the API's message.
    await page.goto(`${h.base}/#/apps`);
    await page.locator('#app-new').click();
    await page.getByLabel('Name').fill('Dup');
    await page.getByLabel('UID').fill(uid);
    await page.locator('#dialog-ok').click();
    await page.locator('#dialog-error', { hasText: /./ }).waitFor({ timeout: WAIT });
    assert.ok(await page.locator('#dialog').evaluate((d) => d.open));
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test('an application\'s page shows its stats, endpoints and messages, linked to their pages', TIMEOUT, async () => {
    await poll(async () => (await h.api('GET', `/api/v1/apps/${acme.app.id}/deliveries?status=succeeded`)).json.data.length > 0, WAIT, 'acme\'s delivery');
    const page = await openDashboard();
    await page.goto(`${h.base}/#/apps/${acme.app.uid}`);
    await page.locator('#app-id', { hasText: acme.app.id }).waitFor({ timeout: WAIT });
    assert.equal(await page.locator('#app-uid').textContent(), acme.app.uid);
    const info = await page.locator('#app-info').textContent();
    assert.match(info, /plan/);
    assert.match(info, /region/);
    assert.equal(await page.locator('[data-stat="messages"] .value').textContent(), '1');
    assert.equal(await page.locator('[data-stat="succeeded"] .value').textContent(), '1');
    // Its endpoints and messages, and no other application's.
    const eps = await page.locator('#app-endpoints tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.endpoint));
    assert.deepEqual(eps, [acme.endpoint.id]);
    const msgs = await page.locator('#app-messages tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.message));
    assert.deepEqual(msgs, [acme.message.id]);
    assert.ok(!(await page.locator('#view-app').textContent()).includes(globex.endpoint.id));

    // The endpoint's page (an application other than the default one) names its application.
    await page.locator(`#app-endpoints tr[data-endpoint="${acme.endpoint.id}"] a`).first().click();
    await page.locator('#endpoint-app', { hasText: acme.app.id }).waitFor({ timeout: WAIT });
    await page.locator('#view-endpoint tbody tr').first().waitFor({ timeout: WAIT });
    // Disable and enable it from there (the unscoped admin routes serve every application).
    await page.locator('#view-endpoint [data-action="disable"]').click();
    await page.locator('#view-endpoint [data-action="enable"]').waitFor({ timeout: WAIT });
    assert.equal((await h.api('GET', `/api/v1/apps/${acme.app.id}/endpoints/${acme.endpoint.id}`)).json.disabled, true);
    await page.locator('#view-endpoint [data-action="enable"]').click();
    await page.locator('#view-endpoint [data-action="disable"]').waitFor({ timeout: WAIT });
    // "Send test": one message to this endpoint, in its application.
    const before = receiver.requests.length;
    await page.locator('#view-endpoint [data-action="test"]').click();
    await page.getByLabel('Event type', { exact: true }).fill('ping.test');
    await page.locator('#dialog-ok').click();
    const sent = await poll(() => receiver.requests.slice(before).find((r) => r.headers['hookd-event-type'] === 'ping.test'), WAIT, 'the test message');
    assert.equal(sent.url, `/hook/${acme.app.uid}`);
    const { json: testMsg } = await h.api('GET', `/api/v1/apps/${acme.app.id}/messages/${sent.headers['webhook-id']}`);
    assert.equal(testMsg.app_id, acme.app.id);
    await page.locator('#endpoint-app').click();
    await page.locator('#app-messages tbody tr a').first().click();
    await page.locator('#view-message .delivery[data-status="succeeded"]').waitFor({ timeout: WAIT });
    assert.match(await page.locator('#view-message').textContent(), new RegExp(acme.app.id));
    // "All its messages" lists the application's messages only.
    await page.goto(`${h.base}/#/messages?app_id=${acme.app.id}`);
    await page.locator(`#view-messages tbody tr[data-message="${testMsg.id}"]`).waitFor({ timeout: WAIT });
    assert.deepEqual(await page.locator('#view-messages tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.message)), [testMsg.id, acme.message.id]);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test('a token is shown once, works on its application, and is refused once revoked', TIMEOUT, async () => {
    const page = await openDashboard();
    await page.goto(`${h.base}/#/apps/${acme.app.id}`);
    await page.locator('#token-new').click();
    await page.getByLabel('Name').fill('ci deploy');
    await page.getByLabel('Expires after (hours)').fill('2');
    await page.locator('#dialog-ok').click();
    await page.locator('#dialog-title', { hasText: 'Token created' }).waitFor({ timeout: WAIT });
    const token = await page.locator('#dialog-body input').inputValue();
    assert.match(token, /^hkd_app_/);
    await page.locator('#dialog-body button', { hasText: 'Copy' }).click();
    await page.locator('#dialog-cancel').click();
    const row = page.locator('#app-tokens tbody tr', { hasText: 'ci deploy' });
    await row.waitFor({ timeout: WAIT });
    assert.match(await row.locator('.kind').textContent(), /API token/);
    assert.match(await row.textContent(), /active/);
    assert.ok(!(await page.locator('#view-app').textContent()).includes(token), 'the token is not shown again');
    const ok = await h.api('GET', `/api/v1/apps/${acme.app.id}/endpoints`, undefined, { token });
    assert.equal(ok.status, 200, ok.text);

    await row.locator('[data-revoke]').click();
    await page.locator('#dialog-ok', { hasText: 'Revoke' }).click();
    await page.locator('#app-tokens tbody tr', { hasText: 'ci deploy' }).filter({ hasText: 'revoked' }).waitFor({ timeout: WAIT });
    const refused = await h.api('GET', `/api/v1/apps/${acme.app.id}/endpoints`, undefined, { token });
    assert.equal(refused.status, 401, refused.text);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test('"Portal link" makes a one-time portal URL with its expiry', TIMEOUT, async () => {
    const page = await openDashboard();
    await page.goto(`${h.base}/#/apps/${acme.app.id}`);
    await page.locator('#app-portal').click();
    await page.locator('#portal-hours').fill('2');
    await page.locator('#portal-read-only').check();
    await page.locator('#dialog-ok').click();
    await page.locator('#dialog-title', { hasText: /^Portal link$/ }).waitFor({ timeout: WAIT });
    const url = await page.locator('#dialog-body input').inputValue();
    assert.match(url, /\/portal\/#.+/);
    assert.match(await page.locator('#portal-link-info').textContent(), /Read-only/);
    const [time] = await page.locator('#portal-link-info time').evaluateAll((els) => els.map((e) => e.dateTime));
    const hours = (Date.parse(time) - Date.now()) / 3600_000;
    assert.ok(hours > 1.9 && hours <= 2.01, `expires in ${hours} h`);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test('an application is renamed, and deleted after a confirmation', TIMEOUT, async () => {
    const { json: app } = await h.api('POST', '/api/v1/apps', { name: 'Short-lived', uid: `short-${rand(3)}` });
    const page = await openDashboard();
    await page.goto(`${h.base}/#/apps/${app.id}`);
    await page.locator('#app-edit').click();
    await page.getByLabel('Name').fill('Renamed Ltd');
    await page.locator('#dialog-ok').click();
    await page.locator('#app-name', { hasText: 'Renamed Ltd' }).waitFor({ timeout: WAIT });
    assert.equal((await h.api('GET', `/api/v1/apps/${app.id}`)).json.name, 'Renamed Ltd');
    await page.locator('#app-delete').click();
    await page.locator('#dialog-cancel').click();
    assert.equal((await h.api('GET', `/api/v1/apps/${app.id}`)).status, 200, 'cancel deletes nothing');
    await page.locator('#app-delete').click();
    await page.locator('#dialog-ok', { hasText: 'Delete' }).click();
    await page.waitForURL(/#\/apps$/, { timeout: WAIT });
    await page.locator('#apps tbody tr').first().waitFor({ timeout: WAIT });
    assert.ok(!(await appRows(page)).includes(app.id));
    assert.equal((await h.api('GET', `/api/v1/apps/${app.id}`)).status, 404);
    // The default application cannot be deleted, so its page offers no Delete.
    await page.goto(`${h.base}/#/apps/app_default`);
    await page.locator('#app-id', { hasText: 'app_default' }).waitFor({ timeout: WAIT });
    assert.equal(await page.locator('#app-delete').count(), 0);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test('the overview\'s live feeds follow one application, and all of them again', TIMEOUT, async () => {
    const page = await openDashboard();
    const streams = [];
    page.on('request', (r) => { if (/\/api\/v1\/(stream|ws|updates)/.test(r.url())) streams.push(r.url()); });
    await page.locator('#transport[data-state="live"]').waitFor({ timeout: WAIT });
    await page.locator('#feed-app').fill(acme.app.uid);
    await page.locator('#feed-filter button[type="submit"]').click();
    await page.waitForURL(new RegExp(`#/overview\\?app_id=${acme.app.id}$`), { timeout: WAIT });
    await page.locator('#feed-app-name', { hasText: 'Acme Corp' }).waitFor({ timeout: WAIT });
    // The badge may still say live for the unfiltered stream being replaced: wait for the request.
    await poll(() => streams.some((u) => u.includes(`app_id=${acme.app.id}`)), WAIT, `the stream asks for the application: ${streams}`);
    await page.locator('#transport[data-state="live"]').waitFor({ timeout: WAIT });

    const a = (await h.api('POST', `/api/v1/apps/${acme.app.id}/messages`, { event_type: 'acme.live', payload: {} })).json;
    const g = (await h.api('POST', `/api/v1/apps/${globex.app.id}/messages`, { event_type: 'globex.live', payload: {} })).json;
    await page.locator('#deliveries tbody tr', { hasText: 'acme.live' }).locator('.badge', { hasText: 'succeeded' }).waitFor({ timeout: WAIT });
    await poll(async () => (await h.api('GET', `/api/v1/deliveries?message_id=${g.id}&status=succeeded`)).json.data.length === 1, WAIT, 'globex\'s delivery');
    await page.waitForTimeout(500);
    const feed = await page.locator('#deliveries tbody').textContent();
    assert.ok(!feed.includes('globex.live'), 'another application\'s delivery is not in the feed');
    // Each delivery once.
    assert.equal(await page.locator('#deliveries tbody tr', { hasText: 'acme.live' }).count(), 1);
    assert.ok(a.id);

    await page.locator('#feed-all').click();
    await page.waitForURL(/#\/overview$/, { timeout: WAIT });
    await page.locator('#deliveries tbody tr', { hasText: 'globex.live' }).first().waitFor({ timeout: WAIT });
    const g2 = (await h.api('POST', `/api/v1/apps/${globex.app.id}/messages`, { event_type: 'globex.again', payload: {} })).json;
    await page.locator('#deliveries tbody tr', { hasText: 'globex.again' }).locator('.badge', { hasText: 'succeeded' }).waitFor({ timeout: WAIT });
    assert.equal(await page.locator('#deliveries tbody tr', { hasText: 'acme.live' }).count(), 1);
    assert.ok(g2.id);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test('at 420 px the applications pages fit the width', TIMEOUT, async () => {
    const page = await openDashboard({ viewport: { width: 420, height: 800 } });
    for (const route of ['apps', `apps/${acme.app.id}`]) {
      await page.goto(`${h.base}/#/${route}`);
      await page.locator('.view:not([hidden]) table').first().waitFor({ timeout: WAIT });
      await page.waitForTimeout(200);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 420, `#/${route}: the page is ${width} px wide`);
    }
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  test('screenshots (DASHBOARD_SCREENSHOTS)', { skip: !process.env.DASHBOARD_SCREENSHOTS }, async () => {
    const dir = process.env.DASHBOARD_SCREENSHOTS;
    fs.mkdirSync(dir, { recursive: true });
    await h.api('POST', `/api/v1/apps/${acme.app.id}/tokens`, { name: 'CI deploy' });
    await h.api('POST', `/api/v1/apps/${acme.app.id}/tokens`, { name: 'Staging', expires_in: 86400 });
    for (const [suffix, viewport] of [['', { width: 1366, height: 768 }], ['-420', { width: 420, height: 800 }]]) {
      const page = await openDashboard({ viewport });
      await page.goto(`${h.base}/#/apps`);
      await page.locator('#apps tbody tr').first().waitFor({ timeout: WAIT });
      await page.waitForTimeout(300);
      await page.screenshot({ path: path.join(dir, `apps${suffix}.png`) });
      await page.goto(`${h.base}/#/apps/${acme.app.id}`);
      await page.locator('#app-tokens tbody tr').first().waitFor({ timeout: WAIT });
      await page.waitForTimeout(300);
      await page.screenshot({ path: path.join(dir, `app${suffix}.png`), fullPage: true });
      await page.locator('#app-portal').click();
      await page.waitForTimeout(200);
      await page.screenshot({ path: path.join(dir, `portal-link-dialog${suffix}.png`) });
      await page.locator('#dialog-ok').click();
      await page.locator('#dialog-title', { hasText: /^Portal link$/ }).waitFor({ timeout: WAIT });
      await page.waitForTimeout(200);
      await page.screenshot({ path: path.join(dir, `portal-link${suffix}.png`) });
      await page.context().close();
    }
  });
});
