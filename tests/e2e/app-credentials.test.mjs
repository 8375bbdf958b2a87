// Application credentials as an attacker would try them, against the built binary: an application
// token and a portal session on every stream transport (SSE, WebSocket, long-poll), without a
// filter, with another application's filter and with another application's endpoint id; a
// revoked token and an expired portal session closing their open streams within a second; a
// portal code traded twice (one after the other and at once); a read-only session; a deleted
// application's credentials; a test message to one endpoint, verified with `standardwebhooks`;
// and the portal link's bad inputs.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Webhook as StandardWebhook } from 'standardwebhooks';
import WebSocket from 'ws';

import { startHookd } from './lib/hookd.mjs';
import { checkResponse, checkSchema } from './lib/openapi.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { assertError, newWhsec, poll, rand, readResponse, sleep } from './lib/util.mjs';

const TIMEOUT = { timeout: 90_000 };
// The stream listener checks an open stream's credential every 750 ms.
const CLOSE_WITHIN_MS = 1000;

let h;
const apps = {}; // name -> {uid, app, rx, secret, endpoint}
const opened = new Set(); // closed in after(), also when a test fails

before(async () => {
  h = await startHookd({ env: { HOOKD_ALLOW_PRIVATE_TARGETS: '1' } });
  for (const name of ['acme', 'globex']) {
    const c = { uid: `${name}-${rand(3)}`, rx: await startReceiver({ status: 204 }), secret: newWhsec() };
    const app = await h.api('PUT', `/api/v1/apps/${c.uid}`, { name });
    assert.equal(app.status, 201, app.text);
    c.app = app.json;
    const ep = await h.api('POST', `/api/v1/apps/${c.uid}/endpoints`, { url: c.rx.url, secret: c.secret });
    assert.equal(ep.status, 201, ep.text);
    c.endpoint = ep.json;
    apps[name] = c;
  }
});

after(async () => {
  for (const close of opened) close();
  for (const c of Object.values(apps)) await c.rx?.close();
  if (!h) return;
  h.saveLog('app-credentials');
  await h.cleanup();
});

async function newToken(uid) {
  const r = await h.api('POST', `/api/v1/apps/${uid}/tokens`, { name: 'test' });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

async function portalLink(uid, body = {}) {
  const r = await h.api('POST', `/api/v1/apps/${uid}/portal`, body);
  assert.equal(r.status, 201, r.text);
  return r.json;
}

/** Trades a portal URL's code (no credential): the raw answer. */
function exchange(code) {
  return h.api('POST', '/api/v1/portal/session', { code }, { token: null });
}

async function portalSession(uid, body = {}) {
  const link = await portalLink(uid, body);
  const r = await exchange(new URL(link.url).hash.slice(1));
  assert.equal(r.status, 201, r.text);
  return r.json;
}

/**
 * An SSE stream read with fetch (the way the portal reads it, with a bearer header): records
 * every entry and the raw text, and when the server ended the response.
 */
async function openSse(token, query = '') {
  const ctl = new AbortController();
  const res = await fetch(`${h.streamBase}/api/v1/stream${query}`, {
    headers: { authorization: `Bearer ${token}` },
    signal: ctl.signal,
  });
  const client = { status: res.status, entries: [], raw: '', endedAt: null };
  opened.add(() => ctl.abort());
  if (res.status !== 200) {
    client.text = await res.text();
    return client;
  }
  client.done = (async () => {
    const reader = res.body.getReader();
    const dec = new TextDecoder();
    let buf = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const text = dec.decode(value, { stream: true });
        client.raw += text;
        buf += text;
        let end;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (data) client.entries.push(checkedEntry(data.slice(6)));
        }
      }
    } catch {
      // aborted by the test
    }
    client.endedAt = Date.now();
  })();
  return client;
}

/** A stream entry as received, checked against the document's StatusEntry. */
function checkedEntry(text) {
  const entry = JSON.parse(text);
  checkSchema('StatusEntry', entry);
  return entry;
}

function openWs(token, query = '') {
  const ws = new WebSocket(`${h.streamBase.replace('http', 'ws')}/api/v1/ws${query}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const client = { ws, entries: [], raw: '', closedAt: null, closeCode: null };
  opened.add(() => ws.terminate());
  ws.on('message', (m) => {
    client.raw += m.toString();
    client.entries.push(checkedEntry(m.toString()));
  });
  client.opened = new Promise((resolve, reject) => {
    ws.on('open', resolve);
    ws.on('unexpected-response', (_req, res) => reject(new Error(`ws refused: ${res.statusCode}`)));
    ws.on('error', reject);
  });
  client.closed = new Promise((resolve) => {
    ws.on('close', (code) => {
      client.closedAt = Date.now();
      client.closeCode = code;
      resolve();
    });
  });
  return client;
}

/** One long-poll with `token`: {status, json, text, ms}. */
async function longPoll(token, query) {
  const t0 = Date.now();
  const res = await fetch(`${h.streamBase}/api/v1/updates?${query}`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(70_000),
  });
  const r = { ...(await readResponse(res)), ms: Date.now() - t0 };
  checkResponse('GET', '/api/v1/updates', r, { listener: 'stream' });
  return r;
}

async function lastSeq() {
  const res = await fetch(`${h.streamBase}/api/v1/updates?after=0&timeout=0&types=none.none`, {
    headers: { authorization: `Bearer ${h.token}` },
  });
  return (await readResponse(res)).json.next;
}

async function publish(uid, n = 1) {
  const ids = [];
  for (let i = 0; i < n; i++) {
    const r = await h.api('POST', `/api/v1/apps/${uid}/messages`, { event_type: 'order.created', payload: { i } });
    assert.equal(r.status, 202, r.text);
    ids.push(r.json.id);
  }
  return ids;
}

describe('application credentials on the status streams', TIMEOUT, () => {
  test('every entry names its application; the admin filters by it', async () => {
    const from = await lastSeq();
    const [a] = await publish(apps.acme.uid);
    const [g] = await publish(apps.globex.uid);
    const r = await longPoll(h.token, `after=${from}&timeout=5&app_id=${apps.acme.app.id}`);
    assert.equal(r.status, 200, r.text);
    assert.ok(r.json.events.some((e) => e.data.message_id === a), r.text);
    assert.ok(r.json.events.every((e) => e.data.app_id === apps.acme.app.id), r.text);
    assert.ok(!r.text.includes(g));
    // Unfiltered, the admin sees both, each entry with its app_id.
    await poll(async () => (await h.api('GET', `/api/v1/apps/${apps.globex.uid}/deliveries?status=succeeded`)).json.data.length > 0, 10_000, 'globex delivered');
    // The stream reads the log a moment after the commits: wait until it has read them all.
    let all;
    let mine = [];
    await poll(async () => {
      all = await longPoll(h.token, `after=${from}&timeout=0`);
      mine = all.json.events.filter((e) => [a, g].includes(e.data.message_id));
      return mine.length >= 4; // message.created and delivery entries of each
    }, 10_000, 'every entry of both messages on the unfiltered stream');
    for (const e of mine) assert.equal(e.data.app_id, e.data.message_id === a ? apps.acme.app.id : apps.globex.app.id);
  });

  test('an application token sees only its own entries on SSE, WebSocket and long-poll, whatever it asks', async () => {
    const { token } = await newToken(apps.acme.uid);
    const from = await lastSeq();
    const sse = await openSse(token);
    assert.equal(sse.status, 200);
    // Another application's endpoint as the filter: allowed, and it matches nothing of theirs.
    const sseForeignEndpoint = await openSse(token, `?endpoint_id=${apps.globex.endpoint.id}`);
    assert.equal(sseForeignEndpoint.status, 200);
    const ws = openWs(token);
    await ws.opened;
    const wsTypes = openWs(token, '?types=delivery.*');
    await wsTypes.opened;
    const poller = longPoll(token, `after=${from}&timeout=3`);

    // Another application's id as the filter is refused on every transport.
    const foreign = `?app_id=${apps.globex.app.id}`;
    const refused = await openSse(token, foreign);
    assert.equal(refused.status, 403, refused.text);
    await assert.rejects(openWs(token, foreign).opened, /403/);
    assertError(await longPoll(token, `after=${from}&timeout=0&app_id=${apps.globex.app.id}`), 403, 'forbidden');
    // Its own id is fine.
    assert.equal((await longPoll(token, `after=${from}&timeout=0&app_id=${apps.acme.app.id}`)).status, 200);

    const acmeIds = await publish(apps.acme.uid, 2);
    const globexIds = await publish(apps.globex.uid, 2);
    await apps.acme.rx.waitFor(() => acmeIds.every((id) => apps.acme.rx.requests.some((q) => q.headers['webhook-id'] === id)), 10_000, 'acme deliveries');
    await apps.globex.rx.waitFor(() => globexIds.every((id) => apps.globex.rx.requests.some((q) => q.headers['webhook-id'] === id)), 10_000, 'globex deliveries');
    const succeeded = (c) => acmeIds.every((id) => c.entries.some((e) => e.type === 'delivery.succeeded' && e.data.message_id === id));
    await poll(() => succeeded(sse) && succeeded(ws) && succeeded(wsTypes), 10_000, 'acme\'s entries on every stream');
    await sleep(300); // globex's entries, were they leaking, would be here by now
    const polled = await poller;
    assert.equal(polled.status, 200, polled.text);
    assert.ok(polled.json.events.length > 0);

    const leaks = [apps.globex.app.id, apps.globex.endpoint.id, ...globexIds];
    for (const [what, raw, entries] of [['sse', sse.raw, sse.entries], ['ws', ws.raw, ws.entries],
      ['ws types', wsTypes.raw, wsTypes.entries], ['long-poll', polled.text, polled.json.events],
      ['sse foreign endpoint', sseForeignEndpoint.raw, sseForeignEndpoint.entries]]) {
      for (const id of leaks) assert.ok(!raw.includes(id), `${what} leaked ${id}`);
      for (const e of entries) assert.equal(e.data.app_id, apps.acme.app.id, `${what}: ${JSON.stringify(e)}`);
    }
    assert.equal(sseForeignEndpoint.entries.length, 0);
    assert.ok(wsTypes.entries.every((e) => e.type.startsWith('delivery.')));
  });

  test('a revoked token is refused at once and its open streams close within a second', async () => {
    const made = await newToken(apps.acme.uid);
    const sse = await openSse(made.token);
    const ws = openWs(made.token);
    await ws.opened;
    const from = await lastSeq();
    const poller = longPoll(made.token, `after=${from}&timeout=30&types=none.none`);
    await sleep(300);
    const revokedAt = Date.now();
    const del = await h.api('DELETE', `/api/v1/apps/${apps.acme.uid}/tokens/${made.id}`);
    assert.equal(del.status, 204, del.text);
    assertError(await h.api('GET', `/api/v1/apps/${apps.acme.uid}/endpoints`, undefined, { token: made.token }), 401, 'unauthorized');
    assert.equal((await openSse(made.token)).status, 401);
    await Promise.race([Promise.all([sse.done, ws.closed]), sleep(5000)]);
    const polled = await poller;
    assert.equal(polled.status, 401, polled.text);
    const sseMs = sse.endedAt - revokedAt;
    const wsMs = ws.closedAt - revokedAt;
    const pollMs = revokedAt - Date.now() + polled.ms; // negative offset: the poll started earlier
    assert.ok(sse.endedAt && sseMs <= CLOSE_WITHIN_MS, `SSE closed after ${sseMs} ms`);
    assert.ok(ws.closedAt && wsMs <= CLOSE_WITHIN_MS, `WebSocket closed after ${wsMs} ms`);
    assert.equal(ws.closeCode, 1008);
    assert.ok(polled.ms < 5000, `the long-poll answered after ${polled.ms} ms (${pollMs})`);
  });
});

describe('the portal', TIMEOUT, () => {
  test('a link\'s code is traded once, also when two tabs race', async () => {
    const link = await portalLink(apps.acme.uid);
    assert.match(link.url, /\/portal\/#[0-9a-f]{64}$/);
    assert.ok(link.url.startsWith(h.base), link.url);
    const code = new URL(link.url).hash.slice(1);
    const first = await exchange(code);
    assert.equal(first.status, 201, first.text);
    assert.match(first.json.token, /^hkd_app_[0-9a-f]{64}$/);
    assert.deepEqual(first.json.app, { id: apps.acme.app.id, uid: apps.acme.uid, name: 'acme' });
    assert.equal(first.json.read_only, false);
    assert.equal(first.json.expires_at, link.expires_at);
    assertError(await exchange(code), 401, 'invalid_code');

    const raced = await portalLink(apps.acme.uid);
    const racedCode = new URL(raced.url).hash.slice(1);
    const answers = await Promise.all(Array.from({ length: 8 }, () => exchange(racedCode)));
    assert.equal(answers.filter((a) => a.status === 201).length, 1, answers.map((a) => a.status).join());
    for (const a of answers.filter((x) => x.status !== 201)) assertError(a, 401, 'invalid_code');

    assertError(await exchange('0'.repeat(64)), 401, 'invalid_code');
    assertError(await exchange(''), 422, 'invalid_field');
    assertError(await h.api('POST', '/api/v1/portal/session', {}, { token: null }), 422, 'invalid_field');
    assertError(await h.api('POST', '/api/v1/portal/session', { code, extra: 1 }, { token: null }), 422, 'invalid_field');
    assertError(await h.api('POST', '/api/v1/portal/session', '{"code":', { token: null }), 400, 'invalid_json');
    assertError(await h.api('POST', '/api/v1/portal/session', { code: 'x'.repeat(300) }, { token: null }), 422, 'invalid_field');
  });

  test('a portal session reaches its application only, and is listed (and revocable) among its tokens', async () => {
    const s = await portalSession(apps.acme.uid);
    const as = (method, path, body) => h.api(method, path, body, { token: s.token });
    assert.equal((await as('GET', `/api/v1/apps/${apps.acme.app.id}/endpoints`)).status, 200);
    assert.equal((await as('GET', '/api/v1/info')).status, 200);
    for (const path of [`/api/v1/apps/${apps.globex.uid}/endpoints`, `/api/v1/apps/${apps.globex.app.id}/messages`,
      '/api/v1/endpoints', '/api/v1/messages', '/api/v1/apps', `/api/v1/apps/${apps.acme.uid}/tokens`,
      '/api/v1/sources', '/api/v1/overview', '/api/v1/event-types']) {
      assertError(await as('GET', path), 403, 'forbidden');
    }
    // Another application's endpoint through its own scope is unknown.
    assertError(await as('GET', `/api/v1/apps/${apps.acme.uid}/endpoints/${apps.globex.endpoint.id}`), 404, 'not_found');
    assertError(await as('POST', `/api/v1/apps/${apps.acme.uid}/portal`, {}), 403, 'forbidden');

    const list = await h.api('GET', `/api/v1/apps/${apps.acme.uid}/tokens`);
    const row = list.json.data.find((t) => t.kind === 'portal' && t.revoked_at === null && t.expires_at === s.expires_at);
    assert.ok(row, list.text);
    assert.ok(list.json.data.every((t) => !JSON.stringify(t).includes(s.token)));
    const del = await h.api('DELETE', `/api/v1/apps/${apps.acme.uid}/tokens/${row.id}`);
    assert.equal(del.status, 204);
    assertError(await as('GET', `/api/v1/apps/${apps.acme.uid}/endpoints`), 401, 'unauthorized');
  });

  test('a read-only session reads and changes nothing', async () => {
    const s = await portalSession(apps.acme.uid, { read_only: true });
    assert.equal(s.read_only, true);
    const as = (method, path, body) => h.api(method, path, body, { token: s.token });
    const base = `/api/v1/apps/${apps.acme.uid}`;
    const before = await h.api('GET', `${base}/endpoints`);
    assert.equal((await as('GET', `${base}/endpoints`)).status, 200);
    assert.equal((await as('GET', `${base}/messages`)).status, 200);
    assertError(await as('POST', `${base}/endpoints`, { url: 'https://example.com/hook' }), 403, 'read_only');
    assertError(await as('PATCH', `${base}/endpoints/${apps.acme.endpoint.id}`, { description: 'x' }), 403, 'read_only');
    assertError(await as('POST', `${base}/endpoints/${apps.acme.endpoint.id}/disable`), 403, 'read_only');
    assertError(await as('POST', `${base}/endpoints/${apps.acme.endpoint.id}/test`), 403, 'read_only');
    assertError(await as('POST', `${base}/messages`, { event_type: 'x.y', payload: {} }), 403, 'read_only');
    assertError(await as('DELETE', `${base}/endpoints/${apps.acme.endpoint.id}`), 403, 'read_only');
    const afterList = await h.api('GET', `${base}/endpoints`);
    assert.deepEqual(afterList.json, before.json);
    // Its stream works.
    const sse = await openSse(s.token);
    assert.equal(sse.status, 200);
  });

  test('an expired session is refused and its open streams close within a second', async () => {
    const s = await portalSession(apps.acme.uid, { expires_in: 2 });
    const expiresAt = Date.parse(s.expires_at);
    const sse = await openSse(s.token);
    assert.equal(sse.status, 200);
    const ws = openWs(s.token);
    await ws.opened;
    assert.equal((await h.api('GET', `/api/v1/apps/${apps.acme.uid}/endpoints`, undefined, { token: s.token })).status, 200);
    await Promise.race([Promise.all([sse.done, ws.closed]), sleep(expiresAt - Date.now() + 5000)]);
    assert.ok(sse.endedAt && sse.endedAt - expiresAt <= CLOSE_WITHIN_MS, `SSE ended ${sse.endedAt - expiresAt} ms after the expiry`);
    assert.ok(ws.closedAt && ws.closedAt - expiresAt <= CLOSE_WITHIN_MS, `WebSocket closed ${ws.closedAt - expiresAt} ms after the expiry`);
    assertError(await h.api('GET', `/api/v1/apps/${apps.acme.uid}/endpoints`, undefined, { token: s.token }), 401, 'unauthorized');
    // An expired link's code is refused too.
    const link = await portalLink(apps.acme.uid, { expires_in: 1 });
    await sleep(1100);
    assertError(await exchange(new URL(link.url).hash.slice(1)), 401, 'invalid_code');
  });

  test('a deleted application\'s links, sessions and tokens stop working', async () => {
    const uid = `doomed-${rand(3)}`;
    assert.equal((await h.api('PUT', `/api/v1/apps/${uid}`, { name: 'doomed' })).status, 201);
    const s = await portalSession(uid);
    const { token } = await newToken(uid);
    const link = await portalLink(uid);
    const sse = await openSse(s.token);
    assert.equal(sse.status, 200);
    assert.equal((await h.api('DELETE', `/api/v1/apps/${uid}`)).status, 204);
    for (const t of [s.token, token]) {
      assertError(await h.api('GET', `/api/v1/apps/${uid}/endpoints`, undefined, { token: t }), 401, 'unauthorized');
    }
    assertError(await exchange(new URL(link.url).hash.slice(1)), 401, 'invalid_code');
    await Promise.race([sse.done, sleep(3000)]);
    assert.ok(sse.endedAt, 'the deleted application\'s stream was closed');
    assertError(await h.api('POST', `/api/v1/apps/${uid}/portal`, {}), 404, 'not_found');
  });

  test('bad portal links are refused with a clear error and make nothing', async () => {
    const base = `/api/v1/apps/${apps.acme.uid}/portal`;
    for (const body of [{ expires_in: 0 }, { expires_in: 604801 }, { expires_in: 'soon' }, { read_only: 'yes' }, { other: 1 }]) {
      assertError(await h.api('POST', base, body), 422, 'invalid_field');
    }
    assertError(await h.api('POST', base, '{"expires_in": '), 400, 'invalid_json');
    assertError(await h.api('POST', base, []), 400, 'invalid_json');
    assertError(await h.api('POST', '/api/v1/apps/app_nonexistent/portal', {}), 404, 'not_found');
    assertError(await h.api('POST', base, {}, { token: null }), 401, 'unauthorized');
    const week = await portalLink(apps.acme.uid, { expires_in: 604800 });
    assert.ok(Math.abs(Date.parse(week.expires_at) - Date.now() - 604800_000) < 60_000);
  });

  test('the portal page may be framed only by the listed origins', async () => {
    const r = await h.request('GET', '/portal/');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-security-policy'), /frame-ancestors 'none'/);
    const framed = await startHookd({ env: { HOOKD_PORTAL_FRAME_ANCESTORS: 'https://saas.example,https://app.example:8443' } });
    try {
      const p = await framed.request('GET', '/portal/');
      assert.match(p.headers.get('content-security-policy'), /frame-ancestors https:\/\/saas\.example https:\/\/app\.example:8443(;|$)/);
      // The dashboard stays unframeable.
      const d = await framed.request('GET', '/');
      assert.match(d.headers.get('content-security-policy'), /frame-ancestors 'none'/);
    } finally {
      await framed.cleanup();
    }
    const bad = await startHookd({ env: { HOOKD_PORTAL_FRAME_ANCESTORS: 'javascript:alert(1)' } }).catch((e) => e);
    assert.ok(bad instanceof Error, 'a bad origin list refuses to start');
  });
});

describe('a test message to one endpoint', TIMEOUT, () => {
  test('reaches that endpoint alone, signed, whatever it subscribes to', async () => {
    const other = await startReceiver({ status: 204 });
    try {
      const base = `/api/v1/apps/${apps.acme.uid}`;
      const sub = await h.api('POST', `${base}/endpoints`, { url: other.url, event_types: ['invoice.paid'] });
      assert.equal(sub.status, 201, sub.text);
      const narrow = await h.api('PATCH', `${base}/endpoints/${sub.json.id}`, { event_types: ['invoice.paid'] });
      assert.equal(narrow.status, 200, narrow.text);
      const r = await h.api('POST', `${base}/endpoints/${sub.json.id}/test`, {});
      assert.equal(r.status, 202, r.text);
      assert.equal(r.json.deliveries, 1);
      assert.equal(r.json.event_type, 'hookd.test');
      await other.waitFor(() => other.requests.length === 1, 10_000, 'the test delivery');
      const rec = other.requests[0];
      const payload = new StandardWebhook(sub.json.secret).verify(rec.body.toString(), {
        'webhook-id': rec.headers['webhook-id'],
        'webhook-timestamp': rec.headers['webhook-timestamp'],
        'webhook-signature': rec.headers['webhook-signature'],
      });
      assert.equal(payload.data.endpoint_id, sub.json.id);
      assert.equal(rec.headers['hookd-event-type'], 'hookd.test');
      // The application's other endpoint got nothing of it.
      await sleep(300);
      assert.ok(!apps.acme.rx.requests.some((q) => q.headers['webhook-id'] === r.json.id));

      const typed = await h.api('POST', `${base}/endpoints/${sub.json.id}/test`, { event_type: 'invoice.paid', payload: { amount: 5 } });
      assert.equal(typed.status, 202, typed.text);
      await other.waitFor(() => other.requests.length === 2, 10_000, 'the typed test delivery');
      assert.equal(other.requests[1].body.toString(), '{"amount":5}');

      // Another application's endpoint through this scope is unknown; a disabled one is a conflict.
      assertError(await h.api('POST', `${base}/endpoints/${apps.globex.endpoint.id}/test`, {}), 404, 'not_found');
      assertError(await h.api('POST', `${base}/endpoints/ep_nonexistent/test`, {}), 404, 'not_found');
      assertError(await h.api('POST', `${base}/endpoints/${sub.json.id}/test`, { event_type: 'bad type!' }), 422, 'invalid_field');
      assertError(await h.api('POST', `${base}/endpoints/${sub.json.id}/test`, { what: 1 }), 422, 'invalid_field');
      assert.equal((await h.api('POST', `${base}/endpoints/${sub.json.id}/disable`)).status, 200);
      assertError(await h.api('POST', `${base}/endpoints/${sub.json.id}/test`, {}), 409, 'endpoint_disabled');
      assert.equal((await h.api('DELETE', `${base}/endpoints/${sub.json.id}`)).status, 200);
    } finally {
      await other.close();
    }
  });
});
