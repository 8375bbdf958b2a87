// End-to-end tests of who may act (API.md, "Auth and errors"), as an attacker would try them:
// an open status stream ends when the session that opened it is revoked; a request made with the
// session cookie from another site's page changes nothing; the admin token cannot be guessed at
// full speed.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';

import WebSocket from 'ws';

import { startHookd } from './lib/hookd.mjs';
import { assertError, sleep } from './lib/util.mjs';

const TIMEOUT = { timeout: 60_000 };

async function signIn(h, headers = {}) {
  const r = await h.request('POST', '/api/v1/session', {
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ token: h.token }),
  });
  assert.equal(r.status, 200, r.text);
  return r.headers.getSetCookie().find((c) => c.startsWith('hookd_session=')).split(';')[0];
}

async function signOut(h, pair) {
  const r = await h.request('DELETE', '/api/v1/session', { headers: { cookie: pair } });
  assert.equal(r.status, 200, r.text);
}

async function publish(h) {
  const r = await h.api('POST', '/api/v1/messages', { event_type: 'order.created', payload: { n: 1 } });
  assert.equal(r.status, 202, r.text);
  return r.json.id;
}

/** A raw SSE response: everything it sent so far (text), and a promise of its end. */
function openSseRaw(h, headers) {
  return new Promise((resolve, reject) => {
    const req = http.get(`${h.streamBase}/api/v1/stream`, { headers }, (res) => {
      const s = { status: res.status, text: '', res };
      s.ended = new Promise((done) => {
        res.on('end', done);
        res.on('close', done);
        res.on('error', done);
      });
      res.setEncoding('utf8');
      res.on('data', (d) => {
        s.text += d;
      });
      resolve(s);
    });
    req.on('error', reject);
  });
}

/** Resolves with the value of `p`, or rejects after `ms` with `what`. */
function within(p, ms, what) {
  return Promise.race([p, sleep(ms).then(() => { throw new Error(`${what}: not within ${ms} ms`); })]);
}

describe('an open stream ends with its session', TIMEOUT, () => {
  let h;
  before(async () => {
    h = await startHookd();
  });
  after(async () => {
    if (h) await h.cleanup();
  });

  test('SSE: signed out, the stream ends with ": dropped unauthorized" and no later entry', async () => {
    const pair = await signIn(h);
    const sse = await openSseRaw(h, { cookie: pair });
    const before = await publish(h);
    await within((async () => { while (!sse.text.includes(before)) await sleep(20); })(), 5000, 'the first entry');
    await signOut(h, pair);
    const t0 = Date.now();
    await within(sse.ended, 3000, 'the stream closing after sign-out');
    const closedIn = Date.now() - t0;
    const afterId = await publish(h);
    await sleep(200);
    console.log(`# stream closed ${closedIn} ms after sign-out`);
    assert.match(sse.text, /: dropped unauthorized\n\n$/, sse.text.slice(-200));
    assert.ok(!sse.text.includes(afterId), 'no entry after the session ended');
    // And the same cookie cannot open a new one.
    const again = await openSseRaw(h, { cookie: pair });
    assert.equal(again.res.statusCode, 401);
    again.res.destroy();
  });

  test('WebSocket: signed out, the socket closes with 1008 "unauthorized"', async () => {
    const pair = await signIn(h);
    const ws = new WebSocket(`${h.streamBase.replace('http', 'ws')}/api/v1/ws`, { headers: { cookie: pair } });
    const got = [];
    ws.on('message', (m) => got.push(JSON.parse(m.toString())));
    await within(new Promise((r, j) => { ws.once('open', r); ws.once('error', j); }), 5000, 'the WebSocket opening');
    const closed = new Promise((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() })));
    await signOut(h, pair);
    const { code, reason } = await within(closed, 3000, 'the WebSocket closing after sign-out');
    assert.equal(code, 1008);
    assert.equal(reason, 'unauthorized');
  });

  test('long-poll: a poll waiting when the session ends is answered 401, not with entries', async () => {
    const pair = await signIn(h);
    const poll = fetch(`${h.streamBase}/api/v1/updates?timeout=5`, { headers: { cookie: pair } });
    await sleep(300);
    await signOut(h, pair);
    await publish(h);
    const r = await poll;
    const text = await r.text();
    assert.equal(r.status, 401, text);
    assert.ok(!text.includes('message.created'), text);
  });

  test('a bearer-token stream stays open through sign-outs of browser sessions', async () => {
    const sse = await openSseRaw(h, { authorization: `Bearer ${h.token}` });
    const pair = await signIn(h);
    await signOut(h, pair);
    await sleep(2500);
    const id = await publish(h);
    await within((async () => { while (!sse.text.includes(id)) await sleep(20); })(), 5000, 'an entry after 2.5 s');
    sse.res.destroy();
  });
});

describe('cross-site requests with the session cookie', TIMEOUT, () => {
  let h;
  let pair;
  let ep;
  before(async () => {
    h = await startHookd({ env: { HOOKD_ALLOW_PRIVATE_TARGETS: '1' } });
    pair = await signIn(h);
    const r = await h.api('POST', '/api/v1/endpoints', { url: 'http://127.0.0.1:9/hook' });
    assert.equal(r.status, 201, r.text);
    ep = r.json;
  });
  after(async () => {
    if (h) await h.cleanup();
  });

  const change = (path, headers) => h.request('POST', path, { headers: { cookie: pair, ...headers } });

  test('another site\'s Origin, a form content type, or no Origin: refused, nothing changed', async () => {
    const cases = [
      [{ origin: 'http://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, 403, 'forbidden_origin'],
      [{ origin: 'http://evil.example', 'content-type': 'application/json' }, 403, 'forbidden_origin'],
      [{ origin: `http://127.0.0.1:${h.port + 1}`, 'content-type': 'application/json' }, 403, 'forbidden_origin'],
      [{ 'content-type': 'application/json' }, 403, 'forbidden_origin'],
      [{ origin: h.base, 'content-type': 'text/plain' }, 415, 'unsupported_media_type'],
      [{ origin: h.base }, 415, 'unsupported_media_type'],
    ];
    const secret = (await h.api('GET', `/api/v1/endpoints/${ep.id}`)).json.secret;
    for (const [headers, status, code] of cases) {
      for (const action of ['disable', 'rotate-secret']) {
        const r = await change(`/api/v1/endpoints/${ep.id}/${action}`, headers);
        assertError(r, status, code);
      }
    }
    const now = (await h.api('GET', `/api/v1/endpoints/${ep.id}`)).json;
    assert.equal(now.disabled, false, 'still enabled');
    assert.equal(now.secret, secret, 'secret unchanged');
  });

  test('the dashboard\'s own requests (same Origin, or same Referer, JSON) go through', async () => {
    let r = await change(`/api/v1/endpoints/${ep.id}/disable`, { origin: h.base, 'content-type': 'application/json' });
    assert.equal(r.status, 200, r.text);
    r = await change(`/api/v1/endpoints/${ep.id}/enable`, { referer: `${h.base}/#/endpoints`, 'content-type': 'application/json' });
    assert.equal(r.status, 200, r.text);
    // The bearer token is not a browser's: no Origin needed.
    r = await h.api('POST', `/api/v1/endpoints/${ep.id}/disable`, undefined, { headers: { origin: 'http://evil.example' } });
    assert.equal(r.status, 200, r.text);
  });
});

describe('guessing the admin token', TIMEOUT, () => {
  let h;
  before(async () => {
    h = await startHookd();
  });
  after(async () => {
    if (h) await h.cleanup();
  });

  test('wrong sign-ins and bearer tokens from one address get 429 with Retry-After', async () => {
    const t0 = Date.now();
    const statuses = [];
    let retryAfter = null;
    for (let i = 0; i < 200; i++) {
      const r = await h.request('POST', '/api/v1/session', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: `guess-${i}-${'x'.repeat(30)}` }),
      });
      statuses.push(r.status);
      if (r.status === 429) {
        retryAfter = r.headers.get('retry-after');
        assertError(r, 429, 'too_many_attempts');
      }
    }
    const ms = Date.now() - t0;
    const wrong = statuses.filter((s) => s === 401).length;
    console.log(`# 200 guesses in ${ms} ms: ${wrong} checked (401), ${statuses.length - wrong} refused (429)`);
    assert.ok(wrong <= 11, `${wrong} guesses were checked`);
    assert.ok(Number(retryAfter) >= 1, `Retry-After: ${retryAfter}`);
    // The same address's bearer tokens, on both listeners, are refused too.
    assertError(await h.api('GET', '/api/v1/endpoints', undefined, { token: 'wrong' }), 429, 'too_many_attempts');
    assertError(await h.api('GET', '/api/v1/endpoints'), 429, 'too_many_attempts');
    const s = await fetch(`${h.streamBase}/api/v1/updates?timeout=0`, { headers: { authorization: 'Bearer wrong' } });
    assert.equal(s.status, 429, await s.text());
  });
});
