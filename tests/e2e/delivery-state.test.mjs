// The delivery state shown is the state, through the API and the status stream of a real hookd:
// an attempt in flight shows as in flight; a manual retry is one attempt (a failed delivery
// whose retry fails stays failed, with the attempt listed and nothing scheduled); a delivery held
// by an open circuit shows the circuit's retry time and says so, and a manual retry then is 409
// circuit_open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHookd } from './lib/hookd.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { poll, sleep } from './lib/util.mjs';

const baseEnv = { HOOKD_ALLOW_PRIVATE_TARGETS: 'true', HOOKD_DELIVERY_TIMEOUT: '10s' };

/** Every status-stream entry so far (long-poll, without waiting). */
async function streamEntries(h) {
  const out = [];
  let after = 0;
  for (;;) {
    const res = await fetch(`${h.streamBase}/api/v1/updates?after=${after}&timeout=0`, {
      headers: { authorization: `Bearer ${h.token}` },
    });
    assert.equal(res.status, 200);
    const body = await res.json();
    if (!body.events.length) return out;
    out.push(...body.events);
    after = body.next;
  }
}

const delivery = async (h, id) => (await h.api('GET', `/api/v1/deliveries/${id}`)).json;

async function publishOne(h) {
  const m = await h.api('POST', '/api/v1/messages', { event_type: 'order.created', payload: { n: 1 } });
  assert.equal(m.status, 202, JSON.stringify(m.json));
  const msg = (await h.api('GET', `/api/v1/messages/${m.json.id}`)).json;
  assert.equal(msg.deliveries.length, 1);
  return { msgId: m.json.id, id: msg.deliveries[0].id };
}

test('in flight, then a manual retry of a failed delivery is one attempt and it stays failed', { timeout: 60_000 }, async () => {
  let release;
  const gate = new Promise((r) => { release = r; });
  const rx = await startReceiver({ status: 503, gate });
  const h = await startHookd({ env: { ...baseEnv, HOOKD_RETRY_SCHEDULE: '200ms' } });
  try {
    assert.equal((await h.api('POST', '/api/v1/endpoints', { url: rx.url })).status, 201);
    const { msgId, id } = await publishOne(h);

    // The receiver holds the first answer: the delivery is in flight, with no next_attempt_at.
    await rx.waitFor(() => rx.inFlight() === 1, 10_000, 'the first attempt');
    let d = await delivery(h, id);
    assert.equal(d.in_flight, true, JSON.stringify(d));
    assert.equal(d.next_attempt_at, null, JSON.stringify(d));
    assert.equal(d.status, 'pending');
    const listed = (await h.api('GET', `/api/v1/messages/${msgId}`)).json.deliveries[0];
    assert.equal(listed.in_flight, true, JSON.stringify(listed));
    assert.equal(listed.next_attempt_at, null);
    release();

    await poll(async () => (await delivery(h, id)).status === 'failed', 10_000, 'the delivery to fail');
    d = await delivery(h, id);
    assert.equal(d.attempts.length, 2, JSON.stringify(d));
    assert.equal(d.in_flight, false);

    // One attempt by hand: it fails, the delivery stays failed with a third attempt listed.
    const r = await h.api('POST', `/api/v1/deliveries/${id}/retry`);
    assert.equal(r.status, 202, JSON.stringify(r.json));
    assert.equal(r.json.status, 'failed', JSON.stringify(r.json));
    await poll(async () => {
      const x = await delivery(h, id);
      return x.attempts.length === 3 && !x.manual_retry && !x.in_flight;
    }, 10_000, 'the manual attempt to be recorded');
    d = await delivery(h, id);
    assert.equal(d.status, 'failed', JSON.stringify(d));
    assert.equal(d.next_attempt_at, null, JSON.stringify(d));
    assert.equal(d.attempts[2].response_status, 503);
    await sleep(1000); // the schedule's 200 ms would have made more attempts
    assert.equal(rx.attemptsOf(msgId), 3);

    // The stream says the same: one attempt, then failed again.
    const mine = (await streamEntries(h)).filter((e) => e.data.delivery_id === id);
    const types = mine.map((e) => `${e.type}:${e.data.attempt}`);
    assert.deepEqual(types.slice(-2), ['delivery.attempted:3', 'delivery.failed:3'], types.join(' '));

    // A retry that succeeds makes it succeeded.
    rx.status = 200;
    assert.equal((await h.api('POST', `/api/v1/deliveries/${id}/retry`)).status, 202);
    await poll(async () => (await delivery(h, id)).status === 'succeeded', 10_000, 'the second retry');
    assert.equal((await delivery(h, id)).attempts.length, 4);
  } finally {
    release();
    rx.close();
    await h.cleanup();
  }
});

test('a delivery held by an open circuit shows its retry time and reason; a manual retry is 409 circuit_open', { timeout: 90_000 }, async () => {
  const rx = await startReceiver({ status: 500 });
  const h = await startHookd({ env: { ...baseEnv, HOOKD_RETRY_SCHEDULE: Array(12).fill('1s').join(',') } });
  try {
    const ep = (await h.api('POST', '/api/v1/endpoints', { url: rx.url })).json;
    const { id } = await publishOne(h);
    // 5 failures in a row over at least 5 s open the circuit.
    await poll(async () => (await h.api('GET', `/api/v1/endpoints/${ep.id}`)).json.circuit === 'open', 30_000, 'the circuit to open', 200);
    const e = (await h.api('GET', `/api/v1/endpoints/${ep.id}`)).json;
    const made = rx.requests.length;

    const d = await delivery(h, id);
    assert.equal(d.status, 'retrying', JSON.stringify(d));
    assert.equal(d.waiting, 'circuit_open', JSON.stringify(d));
    assert.equal(Date.parse(d.next_attempt_at), Date.parse(e.circuit_retry_at), JSON.stringify({ d, e }));
    assert.ok(Date.parse(d.next_attempt_at) > Date.now(), 'the time shown is to come');
    const listed = (await h.api('GET', `/api/v1/deliveries?endpoint_id=${ep.id}`)).json.data.find((x) => x.id === id);
    assert.equal(listed.waiting, 'circuit_open');
    assert.equal(listed.next_attempt_at, d.next_attempt_at);

    // The stream: the opening with its retry time, and the last entry of the delivery says the
    // circuit holds it until then.
    const entries = await streamEntries(h);
    const opened = entries.find((x) => x.type === 'endpoint.circuit_opened' && x.data.endpoint_id === ep.id);
    assert.ok(opened, 'endpoint.circuit_opened in the stream');
    assert.equal(Date.parse(opened.data.circuit_retry_at), Date.parse(e.circuit_retry_at));
    const last = entries.filter((x) => x.data.delivery_id === id).at(-1);
    assert.equal(last.type, 'delivery.retrying', JSON.stringify(last));
    assert.equal(last.data.waiting, 'circuit_open', JSON.stringify(last));
    assert.equal(Date.parse(last.data.next_attempt_at), Date.parse(e.circuit_retry_at));

    // "Retry now" cannot send now: 409 circuit_open naming the time, with Retry-After.
    const r = await h.api('POST', `/api/v1/deliveries/${id}/retry`);
    assert.equal(r.status, 409, JSON.stringify(r.json));
    assert.equal(r.json.error.code, 'circuit_open');
    assert.ok(r.json.error.message.includes(e.circuit_retry_at), r.json.error.message);
    const retryAfter = Number(r.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 30, `Retry-After ${retryAfter}`);
    await sleep(1500);
    assert.equal(rx.requests.length, made, 'nothing was sent while the circuit is open');
    const after = await delivery(h, id);
    assert.equal(after.manual_retry, false);
    assert.equal(after.next_attempt_at, d.next_attempt_at);
  } finally {
    rx.close();
    await h.cleanup();
  }
});
