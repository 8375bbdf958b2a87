// End-to-end tests of the status streams (API.md "Status stream"): SSE with the `eventsource`
// client, WebSocket with `ws`, long-poll with fetch, all on the stream listener. Entries are made
// by publishing messages (POST /api/v1/messages) and by deliveries to a local receiver.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';

import EventSource from 'eventsource';
import WebSocket from 'ws';

import { startHookd } from './lib/hookd.mjs';
import { checkResponse, checkSchema } from './lib/openapi.mjs';
import { exchange } from './lib/raw.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { assertError, poll, readResponse, sleep } from './lib/util.mjs';

const TIMEOUT = { timeout: 60_000 };
const TYPES = ['event.received', 'message.created', 'delivery.attempted', 'delivery.succeeded',
  'delivery.retrying', 'delivery.failed', 'endpoint.disabled', 'endpoint.enabled'];
const openClients = new Set(); // closed by the suites' after(), also when a test fails
const openSseCount = () => [...openClients].filter((c) => c.kind === 'sse').length;

/**
 * Asserts that `entries` (message.created, as received) hold every id of `ids` exactly once,
 * in increasing seq order. Concurrent publishes commit in any order; the log's order is seq.
 */
function assertOnceEach(entries, ids, what) {
  const mine = entries.filter((e) => ids.includes(e.data.message_id));
  const got = mine.map((e) => e.data.message_id);
  assert.equal(new Set(got).size, got.length, `${what}: no repeat`);
  assert.deepEqual([...got].sort(), [...ids].sort(), `${what}: nothing missed`);
  const seqs = mine.map((e) => e.seq);
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), `${what}: in seq order`);
}

/** Resolves when pred() is true (polled every 20 ms), rejects after ms with `what`. */
const until = (pred, what, ms = 10_000) => poll(pred, ms, what, 20);

/** An EventSource on the stream listener that records every entry it receives. */
function openSse(h, { query = '', headers, lastEventId } = {}) {
  const hdrs = headers ?? { authorization: `Bearer ${h.token}` };
  if (lastEventId !== undefined) hdrs['Last-Event-ID'] = String(lastEventId);
  const es = new EventSource(`${h.streamBase}/api/v1/stream${query}`, { headers: hdrs });
  const client = { es, entries: [], errors: 0, kind: 'sse' };
  client.opened = new Promise((resolve, reject) => {
    es.onopen = () => resolve();
    es.onerror = (err) => {
      client.errors += 1;
      if (es.readyState !== EventSource.OPEN) reject(new Error(`SSE failed: ${err?.status ?? err?.message}`));
    };
  });
  for (const type of TYPES) {
    es.addEventListener(type, (e) => {
      const entry = JSON.parse(e.data);
      checkSchema('StatusEntry', entry);
      assert.equal(String(entry.seq), e.lastEventId, 'id: is the seq');
      assert.equal(entry.type, type, 'event: is the type');
      client.entries.push(entry);
    });
  }
  client.messageIds = () => client.entries.filter((e) => e.type === 'message.created').map((e) => e.data.message_id);
  client.close = () => {
    es.close();
    openClients.delete(client);
  };
  openClients.add(client);
  return client;
}

async function publish(h, eventType = 'order.created', extra = {}) {
  const r = await h.api('POST', '/api/v1/messages', { event_type: eventType, payload: { n: 1 }, ...extra });
  assert.equal(r.status, 202, r.text);
  return r.json.id;
}

async function publishMany(h, n, eventType = 'order.created', concurrency = 8) {
  const ids = new Array(n);
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) {
      const i = next++;
      ids[i] = await publish(h, eventType);
    }
  }));
  return ids;
}

async function metric(h, name) {
  const r = await h.request('GET', '/metrics');
  const m = r.text.split('\n').find((l) => l.startsWith(name));
  return m ? Number(m.split(' ').pop()) : 0;
}

/** GET on the stream listener with fetch; returns {status, json, text, headers, ms}. */
async function streamGet(h, path, { headers, token = h.token } = {}) {
  const hdrs = { ...headers };
  if (token) hdrs.authorization = `Bearer ${token}`;
  const t0 = Date.now();
  const res = await fetch(h.streamBase + path, { headers: hdrs, signal: AbortSignal.timeout(70_000) });
  const r = { ...(await readResponse(res)), ms: Date.now() - t0 };
  checkResponse('GET', path, r, { listener: 'stream' });
  return r;
}

/** The last seq the log has reached, from a long-poll that answers at once. */
async function lastSeq(h) {
  const r = await streamGet(h, '/api/v1/updates?after=0&timeout=0&types=none.none');
  assert.equal(r.status, 200, r.text);
  return r.json.next;
}

describe('status streams', TIMEOUT, () => {
  let h;
  let receiver;

  before(async () => {
    receiver = await startReceiver({ status: 204 });
    h = await startHookd({ env: { HOOKD_ALLOW_PRIVATE_TARGETS: '1', HOOKD_STREAM_QUEUE_LIMIT: '32KiB', HOOKD_SQLITE_SYNCHRONOUS: 'NORMAL' } });
  });
  after(async () => {
    for (const c of [...openClients]) c.close();
    await h?.cleanup();
    await receiver?.close();
  });

  test('GET /api/v1/info names the stream listener', async () => {
    const r = await h.api('GET', '/api/v1/info');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.stream_base, h.streamBase);
  });

  test('all three refuse a request without credentials (401 JSON) and accept the session cookie', async () => {
    assertError(await streamGet(h, '/api/v1/stream', { token: null }), 401, 'unauthorized');
    assertError(await streamGet(h, '/api/v1/updates?timeout=0', { token: null }), 401, 'unauthorized');
    assertError(await streamGet(h, '/api/v1/updates?timeout=0', { token: 'wrong' }), 401, 'unauthorized');
    const wsStatus = await new Promise((resolve) => {
      const ws = new WebSocket(`${h.streamBase.replace('http', 'ws')}/api/v1/ws`);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode));
      ws.on('open', () => resolve('open'));
      ws.on('error', () => {});
    });
    assert.equal(wsStatus, 401);

    const session = await fetch(`${h.base}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: h.token }),
    });
    assert.equal(session.status, 200);
    const cookie = session.headers.get('set-cookie').split(';')[0];
    const poll = await streamGet(h, '/api/v1/updates?timeout=0', { token: null, headers: { cookie } });
    assert.equal(poll.status, 200, poll.text);
    assert.ok(Array.isArray(poll.json.events));

    const sse = openSse(h, { headers: { cookie } });
    await sse.opened;
    const id = await publish(h);
    await until(() => sse.messageIds().includes(id), 'the cookie-authenticated SSE client to get the entry');
    sse.close();

    const ws = new WebSocket(`${h.streamBase.replace('http', 'ws')}/api/v1/ws`, {
      headers: { cookie },
      origin: h.base, // the dashboard's own origin
    });
    await new Promise((resolve, reject) => {
      ws.on('open', resolve);
      ws.on('unexpected-response', (_req, res) => reject(new Error(`ws ${res.statusCode}`)));
    });
    ws.close();
  });

  test('bad filters and resume points are JSON errors', async () => {
    assertError(await streamGet(h, '/api/v1/stream?types=,'), 422, 'invalid_field');
    assertError(await streamGet(h, '/api/v1/stream?after=-3'), 422, 'invalid_field');
    assertError(await streamGet(h, '/api/v1/updates?timeout=61'), 422, 'invalid_field');
    assertError(await streamGet(h, '/api/v1/updates?timeout=abc'), 422, 'invalid_field');
    assertError(await streamGet(h, '/api/v1/stream', { headers: { 'last-event-id': 'x' } }), 400);
    assertError(await streamGet(h, '/api/v1/nope'), 404);
  });

  test('the stream listener is strict HTTP with JSON errors', async () => {
    /** Sends raw bytes, returns {status, head, json} of the answer (the server closes after errors). */
    const raw = async (bytes) => {
      const r = await exchange(() => net.connect(h.streamPort, '127.0.0.1'), bytes, 5000, { end: true });
      return { status: r.statuses[0], head: r.text.slice(0, r.text.indexOf('\r\n\r\n')), json: r.json };
    };
    const auth = `Authorization: Bearer ${h.token}\r\n`;
    const big = await raw(`GET /api/v1/stream HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(10_000)}\r\n\r\n`);
    assert.equal(big.status, 431);
    assert.equal(big.json.error.code, 'headers_too_large');
    const body = await raw(`GET /api/v1/updates HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 5\r\n\r\nhello`);
    assert.equal(body.status, 413);
    const garbage = await raw('NOT HTTP AT ALL\r\n\r\n');
    assert.equal(garbage.status, 400);
    assert.equal(typeof garbage.json.error.code, 'string');
    const post = await raw(`POST /api/v1/stream HTTP/1.1\r\nHost: x\r\n${auth}Connection: close\r\n\r\n`);
    assert.equal(post.status, 405);
    assert.match(post.head, /\r\nAllow: GET, OPTIONS/);
    const ws = await raw(`GET /api/v1/ws HTTP/1.1\r\nHost: x\r\n${auth}Connection: close\r\n\r\n`);
    assert.equal(ws.status, 400, 'not an upgrade');
    // CORS preflight for the dashboard's origin, with credentials.
    const pre = await fetch(`${h.streamBase}/api/v1/stream`, {
      method: 'OPTIONS',
      headers: { origin: h.base, 'access-control-request-method': 'GET', 'access-control-request-headers': 'last-event-id' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), h.base);
    assert.equal(pre.headers.get('access-control-allow-credentials'), 'true');
    const poll = await streamGet(h, '/api/v1/updates?timeout=0', { headers: { origin: h.base } });
    assert.equal(poll.headers.get('access-control-allow-origin'), h.base);
    assertError(await streamGet(h, '/api/v1/updates?timeout=0', { headers: { origin: 'https://evil.example' } }), 403, 'forbidden_origin');
  });

  test('SSE resumes after a disconnect with Last-Event-ID: nothing missed, nothing repeated', async () => {
    const first = openSse(h);
    await first.opened;
    const early = await publishMany(h, 5, 'resume.test');
    await until(() => early.every((id) => first.messageIds().includes(id)), 'the first 5 entries');
    first.close();
    const lastId = first.entries.at(-1).seq;

    const during = await publishMany(h, 5, 'resume.test'); // while disconnected
    const second = openSse(h, { lastEventId: lastId });
    await second.opened;
    const afterwards = await publishMany(h, 3, 'resume.test');
    await until(() => afterwards.every((id) => second.messageIds().includes(id)), 'the later entries');
    second.close();

    const seqs = [...first.entries, ...second.entries].map((e) => e.seq);
    assert.deepEqual(seqs, [...new Set(seqs)].sort((a, b) => a - b), 'increasing, no repeat');
    assertOnceEach([...first.entries, ...second.entries], [...early, ...during, ...afterwards], 'across the reconnect');
    assert.ok(second.entries.every((e) => e.seq > lastId));
    // ?after= works the same way.
    const third = openSse(h, { query: `?after=${lastId}&types=message.created` });
    await third.opened;
    await until(() => during.every((id) => third.messageIds().includes(id)), '?after= replay');
    assert.equal(third.entries[0].seq > lastId, true);
    third.close();
  });

  test('filters: endpoint_id, source_id and types', async () => {
    const src = await h.api('POST', '/api/v1/sources', { name: 'filters', provider: 'github', secret: 's3cret' });
    assert.equal(src.status, 201, src.text);
    const ep = await h.api('POST', '/api/v1/endpoints', {
      url: receiver.url,
      event_types: ['filter.delivered'],
    });
    assert.equal(ep.status, 201, ep.text);

    const byEndpoint = openSse(h, { query: `?endpoint_id=${ep.json.id}` });
    const bySource = openSse(h, { query: `?source_id=${src.json.id}&types=message.created` });
    const byTypes = openSse(h, { query: '?types=delivery.*' });
    await Promise.all([byEndpoint.opened, bySource.opened, byTypes.opened]);

    const delivered = await publish(h, 'filter.delivered');
    const fromSource = await publish(h, 'filter.other', { source_id: src.json.id });
    const unrelated = await publish(h, 'filter.other');
    await until(() => byEndpoint.entries.some((e) => e.type === 'delivery.succeeded' && e.data.message_id === delivered),
      'the endpoint\'s delivery.succeeded');
    await until(() => bySource.messageIds().includes(fromSource),
      () => `the source's message ${fromSource}; got ${JSON.stringify(bySource.entries)}, errors ${bySource.errors}`);
    await until(() => byTypes.entries.some((e) => e.type === 'delivery.succeeded'), 'a delivery.* entry');
    await sleep(200); // time for anything wrongly matching to arrive

    assert.ok(byEndpoint.entries.length >= 2, 'attempted and succeeded');
    assert.ok(byEndpoint.entries.every((e) => e.data.endpoint_id === ep.json.id), JSON.stringify(byEndpoint.entries));
    assert.deepEqual(bySource.messageIds(), [fromSource]);
    assert.ok(bySource.entries.every((e) => e.type === 'message.created' && e.data.source_id === src.json.id));
    assert.ok(byTypes.entries.every((e) => e.type.startsWith('delivery.')));
    assert.ok(!byTypes.messageIds().includes(unrelated));
    for (const c of [byEndpoint, bySource, byTypes]) c.close();
  });

  test('200 concurrent SSE clients all receive the same entry', async () => {
    // The gauge counts this file's open SSE clients (earlier ones may still be closing).
    const gauge = () => metric(h, 'hookd_stream_clients{transport="sse"}');
    await until(async () => (await gauge()) === openSseCount(), 'earlier SSE clients to be gone');
    const clients = Array.from({ length: 200 }, () => openSse(h, { query: '?types=message.created' }));
    await Promise.all(clients.map((c) => c.opened));
    await until(async () => (await gauge()) === openSseCount(), '200 SSE clients counted');
    const id = await publish(h, 'fanout.test');
    await until(() => clients.every((c) => c.messageIds().includes(id)), 'every client to get the entry');
    const seqs = new Set(clients.map((c) => c.entries.find((e) => e.data.message_id === id).seq));
    assert.equal(seqs.size, 1, 'the same entry');
    for (const c of clients) c.close();
    await until(async () => (await gauge()) === openSseCount(), 'the gauge back down');
  });

  test('a client that stops reading is dropped while others keep up, and resumes by seq', async () => {
    const dropsBefore = await metric(h, 'hookd_stream_clients_dropped_total{reason="slow_consumer"}');
    const good = openSse(h, { query: '?types=message.created' });
    await good.opened;
    // The slow client: a raw socket that sends its request and then stops reading.
    const slow = net.connect(h.streamPort, '127.0.0.1');
    const slowClient = { close: () => slow.destroy() };
    openClients.add(slowClient);
    let slowText = '';
    let slowClosed = false;
    slow.on('data', (d) => {
      slowText += d.toString();
    });
    slow.on('close', () => {
      slowClosed = true;
    });
    slow.on('error', () => {});
    await new Promise((r) => slow.on('connect', r));
    slow.write(`GET /api/v1/stream?types=message.created HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${h.token}\r\n\r\n`);
    await until(() => slowText.includes('retry: 2000'), 'the slow client\'s stream to start');
    slow.pause();

    const longType = `slow.${'x'.repeat(190)}`;
    const published = [];
    let dropped = false;
    for (let round = 0; round < 40 && !dropped; round += 1) {
      published.push(...(await publishMany(h, 100, longType, 16)));
      dropped = (await metric(h, 'hookd_stream_clients_dropped_total{reason="slow_consumer"}')) > dropsBefore;
    }
    assert.ok(dropped, `dropped after ${published.length} entries`);
    await until(() => published.every((id) => good.messageIds().includes(id)), 'the reading client to get everything', 20_000);
    assert.equal(good.errors, 0, 'the reading client was never cut off');
    good.close();

    openClients.delete(slowClient);
    slow.resume(); // drain what the kernel held: the stream ends (with the reason when it was written)
    await until(() => slowClosed, 'the server to close the slow client');
    if (slowText.includes(': dropped')) assert.match(slowText, /: dropped slow_consumer\n\n$/);
    // Complete blocks only: the connection may have been cut inside one.
    const blocks = slowText.split('\n\n').slice(0, -1).filter((b) => b.includes('\ndata: '));
    const seenEntries = blocks.map((b) => JSON.parse(b.split('\ndata: ')[1]));
    for (const e of seenEntries) checkSchema('StatusEntry', e);
    const seen = seenEntries.map((e) => e.data.message_id);
    const lastSeen = seenEntries.at(-1).seq;
    assert.ok(seen.length < published.length, 'the slow client did miss entries');

    // It resumes from the last complete entry it got and misses nothing.
    const resumed = openSse(h, { query: '?types=message.created', lastEventId: lastSeen });
    await resumed.opened;
    await until(() => published.every((id) => seen.includes(id) || resumed.messageIds().includes(id)),
      'the resumed client to catch up', 20_000);
    assertOnceEach([...seenEntries, ...resumed.entries], published, 'the slow client and its resume');
    assertOnceEach(good.entries, published, 'the reading client');
    resumed.close();
  });

  test('long-poll is held and released by a new matching entry', async () => {
    const from = await lastSeq(h);
    const pending = streamGet(h, `/api/v1/updates?after=${from}&timeout=20&types=message.created`);
    await sleep(400);
    const id = await publish(h, 'longpoll.test');
    const r = await pending;
    assert.equal(r.status, 200, r.text);
    assert.ok(r.ms >= 350, `held (${r.ms} ms)`);
    assert.ok(r.ms < 5000, `released at once (${r.ms} ms)`);
    assert.deepEqual(r.json.events.map((e) => e.data.message_id), [id]);
    assert.equal(r.json.next, r.json.events[0].seq);
    // An entry that already exists is answered at once.
    const again = await streamGet(h, `/api/v1/updates?after=${from}&timeout=20&types=message.created`);
    assert.ok(again.ms < 2000);
    assert.deepEqual(again.json.events.map((e) => e.data.message_id), [id]);
  });

  test('long-poll timeout returns an empty list', async () => {
    const from = await lastSeq(h);
    const r = await streamGet(h, `/api/v1/updates?after=${from}&timeout=1&types=endpoint.disabled`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.events, []);
    assert.ok(r.json.next >= from);
    assert.ok(r.ms >= 900 && r.ms < 4000, `${r.ms} ms`);
  });

  test('WebSocket: a foreign Origin is refused with 403; {"after"} resumes', async () => {
    const url = `${h.streamBase.replace('http', 'ws')}/api/v1/ws`;
    const status = await new Promise((resolve) => {
      const ws = new WebSocket(url, { headers: { authorization: `Bearer ${h.token}` }, origin: 'https://evil.example' });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode));
      ws.on('open', () => resolve('open'));
      ws.on('error', () => {});
    });
    assert.equal(status, 403);

    const from = await lastSeq(h);
    const missed = await publishMany(h, 3, 'ws.test');
    const ws = new WebSocket(`${url}?types=message.created`, { headers: { authorization: `Bearer ${h.token}` }, origin: h.base });
    const wsClient = { close: () => ws.terminate() };
    openClients.add(wsClient);
    const frames = [];
    ws.on('message', (data, isBinary) => {
      assert.equal(isBinary, false);
      frames.push(JSON.parse(data.toString()));
      checkSchema('StatusEntry', frames.at(-1));
    });
    await new Promise((resolve, reject) => {
      ws.on('open', resolve);
      ws.on('unexpected-response', (_req, res) => reject(new Error(`ws ${res.statusCode}`)));
    });
    ws.send(JSON.stringify({ after: from }));
    await until(() => missed.every((id) => frames.some((f) => f.data.message_id === id)), 'the missed entries');
    const live = await publish(h, 'ws.test');
    await until(() => frames.some((f) => f.data.message_id === live), 'the live entry');
    assertOnceEach(frames, [...missed, live], 'the WebSocket');
    assert.equal(frames.at(-1).data.message_id, live);
    assert.ok(frames.every((f) => f.seq > from && f.type === 'message.created'));
    ws.close();
    openClients.delete(wsClient);
  });
});

describe('SSE pings', TIMEOUT, () => {
  let h;
  before(async () => {
    h = await startHookd({ env: { HOOKD_STREAM_PING_INTERVAL: '200ms' } });
  });
  after(async () => h?.cleanup());

  test('an idle stream gets `: ping` comments', async () => {
    const res = await fetch(`${h.streamBase}/api/v1/stream`, { headers: { authorization: `Bearer ${h.token}` } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/event-stream/);
    const reader = res.body.getReader();
    let text = '';
    const deadline = Date.now() + 5000;
    while (!text.includes(': ping\n\n') && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
    }
    assert.ok(text.startsWith('retry: 2000\n\n'), text);
    assert.ok(text.includes(': ping\n\n'), text);
    await reader.cancel();
  });
});
