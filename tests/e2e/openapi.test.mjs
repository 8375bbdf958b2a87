// The OpenAPI description (API.md, "Metrics and health"): GET /api/v1/openapi.json serves
// docs/openapi.yaml as JSON without a token; GET /docs renders it with the Redoc bundle hookd
// embeds, under a CSP that lets the browser fetch nothing from elsewhere; and the checker every
// suite's calls go through (lib/openapi.mjs) refuses what the document does not allow.
//
// The linter (`redocly lint`, tests/e2e/run.sh) and the route coverage (tests/integration/
// openapi_routes_test.cc) are the other halves.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { launchChromium } from './lib/browser.mjs';
import { startHookd } from './lib/hookd.mjs';
import WebSocket from 'ws';

import { checkResponse, checkSchema, openapiDocument } from './lib/openapi.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { poll, rand } from './lib/util.mjs';

const TIMEOUT = { timeout: 60_000 };

let h;
let receiver;

before(async () => {
  receiver = await startReceiver({ status: 500, body: 'nope' });
  h = await startHookd({ env: { HOOKD_ALLOW_PRIVATE_TARGETS: '1', HOOKD_RETRY_SCHEDULE: '100ms' } });
});

after(async () => {
  if (h) await h.cleanup();
  if (receiver) await receiver.close();
});

describe('the document', () => {
  test('GET /api/v1/openapi.json answers docs/openapi.yaml as JSON, without a token', TIMEOUT, async () => {
    const r = await h.request('GET', '/api/v1/openapi.json');
    assert.equal(r.status, 200, r.text.slice(0, 300));
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.deepEqual(r.json, openapiDocument(), 'the served JSON is docs/openapi.yaml as parsed here');
    assert.equal(r.json.openapi, '3.1.0');
  });

  test('the stream listener answers as the document says', TIMEOUT, async () => {
    // Without a credential, with a bad filter, and a long-poll that times out at once.
    for (const [url, token, status] of [
      ['/api/v1/updates?after=0&timeout=0', null, 401],
      ['/api/v1/updates?after=x', h.token, 422],
      ['/api/v1/updates?after=0&timeout=0', h.token, 200],
      ['/api/v1/stream', null, 401],
      ['/api/v1/ws', h.token, 400],
    ]) {
      const r = await h.streamRequest('GET', url, { token });
      assert.equal(r.status, status, `${url}: ${r.text}`);
    }
  });
});

// The routes the other suites reach only from a browser page (whose calls are not checked):
// through h.api(), so each answer is checked against the document.
test('the application-scoped routes answer as documented', TIMEOUT, async () => {
  const ok = (r, status) => assert.equal(r.status, status, r.text);
  const uid = `tour-${rand(4)}`;
  ok(await h.api('PUT', `/api/v1/apps/${uid}`, { name: 'Tour', metadata: { plan: 'pro' } }), 201);
  ok(await h.api('PATCH', `/api/v1/apps/${uid}`, { name: 'Tour 2' }), 200);
  const base = `/api/v1/apps/${uid}`;
  const ep = (await h.api('POST', `${base}/endpoints`, { url: receiver.url })).json;
  ok(await h.api('POST', `${base}/endpoints/${ep.id}/rotate-secret`, { grace_seconds: 60 }), 200);
  ok(await h.api('POST', `${base}/endpoints/${ep.id}/disable`), 200);
  ok(await h.api('POST', `${base}/endpoints/${ep.id}/test`), 409);
  ok(await h.api('POST', `${base}/endpoints/${ep.id}/enable`), 200);
  ok(await h.api('POST', `${base}/endpoints/${ep.id}/test`, { event_type: 'tour.test' }), 202);
  ok(await h.api('POST', `/api/v1/endpoints/${ep.id}/test`), 202);
  const msg = (await h.api('POST', `${base}/messages`, { event_type: 'tour.created', payload: { n: 1 } })).json;
  const deliveries = await poll(async () => {
    const r = await h.api('GET', `${base}/deliveries?message_id=${msg.id}&status=failed`);
    return r.json.data.length ? r.json.data : null;
  }, 20_000, 'the delivery to fail');
  ok(await h.api('GET', `${base}/deliveries/${deliveries[0].id}`), 200);
  receiver.status = 200;
  // 409 circuit_open when the failures opened the endpoint's circuit: documented too.
  const retry = await h.api('POST', `${base}/deliveries/${deliveries[0].id}/retry`);
  assert.ok([202, 409].includes(retry.status), retry.text);
  ok(await h.api('POST', `${base}/endpoints/${ep.id}/recover`, { since: '2020-01-01T00:00:00Z' }), 202);
  ok(await h.api('GET', `${base}/stats`), 200);
  ok(await h.api('GET', `${base}/event-types`), 200);
  ok(await h.api('GET', `${base}/messages/${msg.id}`), 200);
  ok(await h.api('GET', `${base}/messages/msg_nope`), 404);
  ok(await h.api('GET', `/api/v1/overview`), 200);
  ok(await h.api('DELETE', base), 204);
});

test("hookd listen's WebSocket frames are the document's", TIMEOUT, async () => {
  const type = `frames.${rand(4)}`;
  const ws = new WebSocket(`ws://127.0.0.1:${h.streamPort}/api/v1/listen`, { headers: { authorization: `Bearer ${h.token}` } });
  const got = [];
  ws.on('message', (m) => got.push(JSON.parse(m.toString())));
  const closed = new Promise((r) => ws.on('close', r));
  await new Promise((r, j) => ws.on('open', r).on('error', j));
  const send = (schema, frame) => {
    checkSchema(schema, frame);
    checkSchema('ListenFrame', frame);
    ws.send(JSON.stringify(frame));
  };
  const next = async (t) => poll(() => got.find((f) => f.type === t), 10_000, `a ${t} frame`);
  send('ListenHello', { type: 'hello', forward_to: 'http://localhost:1/hook', events: [type], max_concurrency: 2 });
  checkSchema('ListenReady', await next('ready'));
  assert.equal((await h.api('GET', `/api/v1/endpoints/${got[0].endpoint_id}`)).json.kind, 'cli');
  assert.equal((await h.api('POST', '/api/v1/messages', { event_type: type, payload: { n: 1 } })).status, 202);
  const delivery = await next('delivery');
  checkSchema('ListenDelivery', delivery);
  send('ListenResult', { type: 'result', id: delivery.id, status: 200, duration_ms: 3, body: 'ok' });
  send('ListenClose', { type: 'close' });
  checkSchema('ListenClosed', await next('closed'));
  for (const f of got) checkSchema('ListenFrame', f);
  ws.close();
  await closed;
  // A frame hookd cannot use: an error frame.
  const bad = new WebSocket(`ws://127.0.0.1:${h.streamPort}/api/v1/listen`, { headers: { authorization: `Bearer ${h.token}` } });
  const badFrames = [];
  bad.on('message', (m) => badFrames.push(JSON.parse(m.toString())));
  const badClosed = new Promise((r) => bad.on('close', r));
  await new Promise((r) => bad.on('open', r));
  bad.send('not json');
  await badClosed;
  checkSchema('ListenError', badFrames.at(-1));
});

describe('the reference page', () => {
  let browser;
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    if (browser) await browser.close();
  });

  test('GET /docs renders the document from hookd alone', TIMEOUT, async () => {
    const page = await browser.newPage();
    const elsewhere = [];
    const errors = [];
    page.on('requestfinished', (req) => {
      const url = req.url();
      if (!url.startsWith(h.base) && !url.startsWith(`blob:${h.base}`)) elsewhere.push(url);
    });
    page.on('pageerror', (err) => errors.push(err.message));
    const res = await page.goto(`${h.base}/docs`);
    assert.equal(res.status(), 200);
    const csp = res.headers()['content-security-policy'] || '';
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(csp, /https?:|'unsafe-eval'/, `the CSP names no other origin: ${csp}`);
    const bundled = (await h.request('GET', '/redoc.standalone.js')).status === 200;
    if (bundled) {
      // Redoc's title, and the operations rendered from the document.
      await page.getByRole('heading', { name: /^hookd/ }).first().waitFor({ timeout: 15_000 });
      await page.locator('h2', { hasText: 'Create a source' }).first().waitFor({ state: 'attached', timeout: 15_000 });
    } else {
      // A build without the bundle: a page that links to the JSON.
      assert.equal(await page.locator('a[href="/api/v1/openapi.json"]').count(), 1);
    }
    assert.deepEqual(elsewhere, [], 'the page fetched nothing from another origin');
    assert.deepEqual(errors, [], 'no script error');
    await page.close();
  });
});

describe('the checker refuses what the document does not allow', () => {
  const json = (status, body) => ({
    status,
    headers: new Headers({ 'content-type': 'application/json' }),
    text: JSON.stringify(body),
  });

  test('an undocumented status', () => {
    assert.throws(() => checkResponse('GET', '/api/v1/sources', json(418, {})), /undocumented status/);
  });

  test('a body that does not match the schema names the route, status and field', () => {
    assert.throws(
      () => checkResponse('GET', '/api/v1/sources/src_1', json(200, { id: 'src_1', name: 7 })),
      (err) => /GET \/api\/v1\/sources\/src_1 \(\/api\/v1\/sources\/\{id\}\) → 200/.test(err.message) && /\/name must be string/.test(err.message),
    );
  });

  test('an error without the envelope', () => {
    assert.throws(() => checkResponse('GET', '/api/v1/sources/x', json(404, { message: 'no' })), /must have required property 'error'/);
  });

  test('an undocumented content type and a body where none is documented', () => {
    const text = { status: 200, headers: new Headers({ 'content-type': 'text/plain' }), text: 'ok' };
    assert.throws(() => checkResponse('GET', '/healthz', text), /content type "text\/plain" is not documented/);
    assert.throws(() => checkResponse('DELETE', '/api/v1/apps/a', { ...text, status: 204 }), /documents no body/);
  });

  test('a method the document does not have, unless hookd refused it', () => {
    assert.throws(() => checkResponse('PUT', '/api/v1/sources', json(200, {})), /no PUT operation/);
    checkResponse('PUT', '/api/v1/sources', json(405, { error: { code: 'method_not_allowed', message: 'x' } }));
  });

  test('what it accepts: a documented answer, and paths that are no route', () => {
    checkResponse('GET', '/healthz', json(200, { status: 'ok' }));
    checkResponse('GET', '/no/such/route', json(404, { error: { code: 'not_found', message: 'x' } }));
  });
});
