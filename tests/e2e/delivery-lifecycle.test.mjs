// Delivery behaviours that had no test: a manual retry during an attempt, deliveries queued for
// an endpoint that is then disabled, retry and recover refused on a disabled endpoint, and
// SIGTERM with attempts in flight.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHookd } from './lib/hookd.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { poll } from './lib/util.mjs';

/** A receiver that answers 204 after `holdMs`. */
const slowReceiver = (holdMs) => startReceiver({ status: 204, delayMs: holdMs });

const env = { HOOKD_ALLOW_PRIVATE_TARGETS: 'true', HOOKD_DELIVERY_TIMEOUT: '10s' };

async function publish(h, n, type = 'e') {
  const ids = [];
  for (let i = 0; i < n; i++) {
    const m = await h.api('POST', '/api/v1/messages', { event_type: type, payload: { i } });
    assert.equal(m.status, 202);
    ids.push(m.json.id);
  }
  return ids;
}

const deliveryOf = async (h, msg) => (await h.api('GET', `/api/v1/messages/${msg}`)).json.deliveries[0];

test('a manual retry while an attempt is in progress is 409 attempt_in_progress', async () => {
  const h = await startHookd({ env });
  const rx = await slowReceiver(2000);
  try {
    assert.equal((await h.api('POST', '/api/v1/endpoints', { url: rx.url })).status, 201);
    const [msg] = await publish(h, 1);
    await poll(() => rx.inFlight() === 1, 5000, 'the attempt to start');
    const d = await deliveryOf(h, msg);
    const r = await h.api('POST', `/api/v1/deliveries/${d.id}/retry`);
    assert.equal(r.status, 409, JSON.stringify(r.json));
    assert.equal(r.json.error.code, 'attempt_in_progress');
    await poll(async () => (await deliveryOf(h, msg)).status === 'succeeded', 5000, 'the attempt to finish');
    assert.equal(rx.attemptsOf(msg), 1);
  } finally {
    rx.close();
    await h.cleanup();
  }
});

test('deliveries queued for an endpoint that is then disabled end without an attempt', async () => {
  const h = await startHookd({ env });
  const rx = await slowReceiver(1500);
  try {
    const ep = (await h.api('POST', '/api/v1/endpoints', { url: rx.url })).json;
    const msgs = await publish(h, 20);
    await poll(() => rx.inFlight() >= 1, 5000, 'attempts to start');
    assert.equal((await h.api('POST', `/api/v1/endpoints/${ep.id}/disable`)).status, 200);
    await poll(async () => {
      const ds = await Promise.all(msgs.map((m) => deliveryOf(h, m)));
      return ds.every((d) => d.status === 'succeeded' || d.status === 'failed');
    }, 10000, 'every delivery to end');
    const ds = await Promise.all(msgs.map((m) => deliveryOf(h, m)));
    const unattempted = ds.filter((d) => d.attempts === 0);
    assert.ok(unattempted.length > 0, 'nothing was still queued when the endpoint was disabled');
    for (const d of unattempted) assert.equal(d.status, 'failed', JSON.stringify(d));
    // The receiver saw only the attempts that had started before the disable.
    assert.equal(new Set(rx.requests.map((r) => r.headers['webhook-id'])).size, ds.filter((d) => d.attempts > 0).length);
  } finally {
    rx.close();
    await h.cleanup();
  }
});

test('retry and recover on a disabled endpoint are 409 endpoint_disabled and change nothing', async () => {
  const h = await startHookd({ env });
  const rx = await startReceiver({ status: 204 });
  try {
    const since = new Date(Date.now() - 60_000).toISOString();
    const ep = (await h.api('POST', '/api/v1/endpoints', { url: rx.url })).json;
    const [msg] = await publish(h, 1);
    await poll(async () => (await deliveryOf(h, msg)).status === 'succeeded', 5000, 'the delivery');
    assert.equal((await h.api('POST', `/api/v1/endpoints/${ep.id}/disable`)).status, 200);
    const before = await deliveryOf(h, msg);
    for (const [path, body] of [[`/api/v1/deliveries/${before.id}/retry`], [`/api/v1/endpoints/${ep.id}/recover`, { since }]]) {
      const r = await h.api('POST', path, body);
      assert.equal(r.status, 409, `${path}: ${JSON.stringify(r.json)}`);
      assert.equal(r.json.error.code, 'endpoint_disabled');
    }
    await new Promise((resolve) => setTimeout(resolve, 500)); // an attempt would have been made by now
    assert.deepEqual(await deliveryOf(h, msg), before);
    assert.equal(rx.attemptsOf(msg), 1);
    // Enabled again, a retry is queued and made.
    assert.equal((await h.api('POST', `/api/v1/endpoints/${ep.id}/enable`)).status, 200);
    assert.equal((await h.api('POST', `/api/v1/deliveries/${before.id}/retry`)).status, 202);
    await poll(() => rx.attemptsOf(msg) === 2, 5000, 'the retry');
  } finally {
    rx.close();
    await h.cleanup();
  }
});

test('SIGTERM with attempts in flight: they finish and are recorded, the rest is handed back and delivered after restart', async () => {
  const h = await startHookd({ env });
  const rx = await slowReceiver(1000);
  try {
    assert.equal((await h.api('POST', '/api/v1/endpoints', { url: rx.url })).status, 201);
    const msgs = await publish(h, 20);
    await poll(() => rx.inFlight() >= 1, 5000, 'attempts to start');
    const inFlightAtStop = rx.inFlight();
    const { code } = await h.stop('SIGTERM');
    assert.equal(code, 0);
    assert.equal(rx.inFlight(), 0, 'hookd exited with attempts still open');
    await h.restart();
    const before = await Promise.all(msgs.map((m) => deliveryOf(h, m)));
    const recorded = before.filter((d) => d.attempts > 0).length;
    assert.ok(recorded >= inFlightAtStop, `${inFlightAtStop} attempts were in flight, ${recorded} recorded`);
    await poll(async () => (await Promise.all(msgs.map((m) => deliveryOf(h, m)))).every((d) => d.status === 'succeeded'), 20000, 'every delivery after restart');
    for (const m of msgs) assert.ok(rx.attemptsOf(m) >= 1, `${m} never arrived`);
  } finally {
    rx.close();
    await h.cleanup();
  }
});
