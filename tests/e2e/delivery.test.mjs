// End-to-end tests of outbound webhooks (API.md "Endpoints", "Messages and deliveries") against
// the built binary: receivers are node:http servers on 127.0.0.1, and every outbound signature is
// checked with the receivers' own libraries (`standardwebhooks` and `svix`).

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { Webhook as StandardWebhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { Webhook as SvixWebhook } from 'svix';

import { startHookd } from './lib/hookd.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { assertError, listAll, newWhsec, nowSec, poll, rand, sleep } from './lib/util.mjs';

const stripe = new Stripe('sk_test_e2e_unused'); // only stripe.webhooks is used: no network

// The settings of these tests (the kill -9 test starts its own hookd with a shorter timeout).
const DELIVERY_ENV = {
  HOOKD_ALLOW_PRIVATE_TARGETS: '1',
  HOOKD_RETRY_SCHEDULE: '1s,1s,1s',
  HOOKD_DELIVERY_TIMEOUT: '5s',
};

// The "private targets refused" hookd must not inherit an allow from the caller's environment.
delete process.env.HOOKD_ALLOW_PRIVATE_TARGETS;

const hookds = []; // every hookd started by this file, for logs and cleanup
let h; // the shared one (private targets allowed)

async function start(env, name) {
  const x = await startHookd({ env });
  x.name = name;
  hookds.push(x);
  return x;
}

before(async () => {
  h = await start(DELIVERY_ENV, 'main');
});

after(async () => {
  for (const x of hookds) {
    x.saveLog(`delivery-${x.name}`);
    await x.cleanup();
  }
});

// ---------------------------------------------------------------- helpers

async function createEndpoint(x, body) {
  const r = await x.api('POST', '/api/v1/endpoints', body);
  assert.equal(r.status, 201, `create endpoint: ${r.status} ${r.text}`);
  assert.match(r.json?.id ?? '', /^ep_/, `endpoint id: ${r.text}`);
  assert.match(r.json?.secret ?? '', /^whsec_/, `endpoint secret: ${r.text}`);
  return r.json;
}

async function publish(x, eventType, payload, headers = {}) {
  const r = await x.api('POST', '/api/v1/messages', { event_type: eventType, payload }, { headers });
  assert.equal(r.status, 202, `publish ${eventType}: ${r.status} ${r.text}`);
  assert.match(r.json?.id ?? '', /^msg_/, `message id: ${r.text}`);
  assert.equal(r.json.event_type, eventType, `message event_type: ${r.text}`);
  return r.json;
}

const listDeliveries = (x, query) => listAll(x, '/api/v1/deliveries', query);

/** The Standard Webhooks headers of a received request, by their webhook-* names. */
function whHeaders(rec) {
  return {
    'webhook-id': rec.headers['webhook-id'],
    'webhook-timestamp': rec.headers['webhook-timestamp'],
    'webhook-signature': rec.headers['webhook-signature'],
  };
}

/**
 * Verifies a received request with both libraries (and by hand) and the given secret; throws what
 * they throw.
 * standardwebhooks: verify(rawBody, headers) with the webhook-* headers.
 * svix (2.x): Webhook#verify reads svix-id/svix-timestamp/svix-signature and falls back to the
 * webhook-* names, so it is given the headers exactly as received (no renaming needed); it is
 * also checked once with the headers renamed to svix-*, as an older svix receiver would see them.
 */
function verifyBoth(secret, rec) {
  const body = rec.body.toString('utf8');
  // svix 2.x delegates its HMAC to the standardwebhooks package, so also recompute it here with
  // node:crypto straight from API.md: HMAC-SHA256(base64-decoded secret after whsec_,
  // "<id>.<timestamp>.<body bytes>"), one "v1,<base64>" among the space-separated signatures.
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = crypto
    .createHmac('sha256', key)
    .update(Buffer.concat([Buffer.from(`${rec.headers['webhook-id']}.${rec.headers['webhook-timestamp']}.`), rec.body]))
    .digest('base64');
  const sigs = (rec.headers['webhook-signature'] ?? '').split(' ');
  if (!sigs.includes(`v1,${expected}`)) throw new Error(`no signature matches v1,${expected}: ${rec.headers['webhook-signature']}`);
  new StandardWebhook(secret).verify(body, whHeaders(rec));
  new SvixWebhook(secret).verify(body, rec.headers);
  new SvixWebhook(secret).verify(body, {
    'svix-id': rec.headers['webhook-id'],
    'svix-timestamp': rec.headers['webhook-timestamp'],
    'svix-signature': rec.headers['webhook-signature'],
  });
}

/** A fresh random Standard Webhooks secret. */

/** Asserts the outbound request shape that does not depend on the secret. */
function assertOutboundShape(rec, msgId) {
  assert.equal(rec.method, 'POST', 'outbound method');
  assert.match(rec.headers['content-type'] ?? '', /^application\/json\b/, `content-type: ${rec.headers['content-type']}`);
  assert.match(rec.headers['user-agent'] ?? '', /^hookd\/\S+/, `user-agent: ${rec.headers['user-agent']}`);
  assert.equal(rec.headers['webhook-id'], msgId, 'webhook-id is the message id');
  const ts = Number(rec.headers['webhook-timestamp']);
  assert.ok(/^\d+$/.test(rec.headers['webhook-timestamp'] ?? ''), `webhook-timestamp: ${rec.headers['webhook-timestamp']}`);
  assert.ok(Math.abs(ts - nowSec()) <= 60, `webhook-timestamp ${ts} is near now (${nowSec()})`);
  assert.match(rec.headers['webhook-signature'] ?? '', /^v1,[A-Za-z0-9+/]+=*( v1,[A-Za-z0-9+/]+=*)*$/, `webhook-signature: ${rec.headers['webhook-signature']}`);
}

// ---------------------------------------------------------------- 1. signatures

describe('outbound signatures (standardwebhooks and svix)', () => {
  let recv;
  let ep;
  const eventType = `e2e.sig.${rand(4)}`;

  before(async () => {
    recv = await startReceiver();
    ep = await createEndpoint(h, { url: recv.url, event_types: [eventType], headers: { 'x-e2e-custom': 'custom-value' } });
  });
  after(() => recv?.close());

  test('a published message arrives signed; both libraries verify; custom headers sent', { timeout: 30_000 }, async () => {
    const payload = { id: rand(6), note: 'h\u00e9llo \u2713', nested: { n: 1, list: [1, 2, 3] } };
    const msg = await publish(h, eventType, payload);
    assert.equal(msg.deliveries, 1, `one endpoint matched: ${JSON.stringify(msg)}`);
    await recv.waitFor(() => recv.requests.some((r) => r.headers['webhook-id'] === msg.id), 15_000, `message ${msg.id}`);
    const rec = recv.requests.find((r) => r.headers['webhook-id'] === msg.id);
    assertOutboundShape(rec, msg.id);
    assert.equal(rec.headers['x-e2e-custom'], 'custom-value', 'endpoint custom header');
    assert.deepEqual(JSON.parse(rec.body.toString('utf8')), payload, 'body is the payload');
    assert.doesNotThrow(() => verifyBoth(ep.secret, rec), 'both libraries verify with the endpoint secret');
    // And the libraries do reject: another secret, a tampered body.
    assert.throws(() => new StandardWebhook(newWhsec()).verify(rec.body.toString(), whHeaders(rec)));
    assert.throws(() => new SvixWebhook(newWhsec()).verify(rec.body.toString(), rec.headers));
    assert.throws(() => new StandardWebhook(ep.secret).verify(rec.body.toString() + ' ', whHeaders(rec)));
    // The delivery is recorded as succeeded.
    await poll(async () => {
      const d = await listDeliveries(h, { message_id: msg.id });
      return d.length === 1 && d[0].status === 'succeeded';
    }, 10_000, `delivery of ${msg.id} succeeded`);
  });

  test('after rotate-secret: two signatures; new and old secret both verify during the grace', { timeout: 30_000 }, async () => {
    const oldSecret = ep.secret;
    const r = await h.api('POST', `/api/v1/endpoints/${ep.id}/rotate-secret`, {});
    assert.equal(r.status, 200, `rotate-secret: ${r.status} ${r.text}`);
    const newSec = r.json?.secret;
    assert.match(newSec ?? '', /^whsec_/, `rotated secret: ${r.text}`);
    assert.notEqual(newSec, oldSecret, 'the secret changed');

    const msg = await publish(h, eventType, { rotated: true, id: rand(6) });
    await recv.waitFor(() => recv.requests.some((x) => x.headers['webhook-id'] === msg.id), 15_000, `message ${msg.id}`);
    const rec = recv.requests.find((x) => x.headers['webhook-id'] === msg.id);
    assertOutboundShape(rec, msg.id);
    const sigs = rec.headers['webhook-signature'].split(' ');
    assert.equal(sigs.length, 2, `one signature per live secret: ${rec.headers['webhook-signature']}`);
    assert.doesNotThrow(() => verifyBoth(newSec, rec), 'both libraries verify with the new secret');
    assert.doesNotThrow(() => verifyBoth(oldSecret, rec), 'both libraries verify with the old secret (grace)');

    // Each signature alone matches exactly one of the secrets.
    const only = (sig) => ({ ...rec, headers: { ...rec.headers, 'webhook-signature': sig } });
    const matches = sigs.map((s) => [newSec, oldSecret].filter((sec) => {
      try {
        verifyBoth(sec, only(s));
        return true;
      } catch {
        return false;
      }
    }).length);
    assert.deepEqual(matches, [1, 1], `each signature matches one secret: ${rec.headers['webhook-signature']}`);

    // A second rotation with a given secret and no grace: only the new secret verifies.
    const given = newWhsec();
    const r2 = await h.api('POST', `/api/v1/endpoints/${ep.id}/rotate-secret`, { secret: given, grace_seconds: 0 });
    assert.equal(r2.status, 200, `rotate-secret with a given secret: ${r2.status} ${r2.text}`);
    assert.equal(r2.json?.secret, given, 'the given secret is used');
    const msg2 = await publish(h, eventType, { rotated: 2 });
    await recv.waitFor(() => recv.requests.some((x) => x.headers['webhook-id'] === msg2.id), 15_000, `message ${msg2.id}`);
    const rec2 = recv.requests.find((x) => x.headers['webhook-id'] === msg2.id);
    assert.doesNotThrow(() => verifyBoth(given, rec2), 'both libraries verify with the given secret');
    assert.throws(() => new StandardWebhook(newSec).verify(rec2.body.toString(), whHeaders(rec2)), 'the replaced secret (no grace) no longer verifies');
    assert.throws(() => new SvixWebhook(newSec).verify(rec2.body.toString(), rec2.headers), 'the replaced secret (no grace) no longer verifies (svix)');
  });

  test('two rotations within the grace: three signatures, every secret verifies', { timeout: 30_000 }, async () => {
    const rx = await startReceiver();
    try {
      const type = `e2e.rotate2.${rand(4)}`;
      const e = await createEndpoint(h, { url: rx.url, event_types: [type] });
      const secrets = [e.secret];
      for (let i = 0; i < 2; i++) {
        const r = await h.api('POST', `/api/v1/endpoints/${e.id}/rotate-secret`, { grace_seconds: 3600 });
        assert.equal(r.status, 200, `rotate-secret ${i + 1}: ${r.status} ${r.text}`);
        secrets.push(r.json.secret);
      }
      const msg = await publish(h, type, { twice: true });
      await rx.waitFor(() => rx.requests.some((x) => x.headers['webhook-id'] === msg.id), 15_000, `message ${msg.id}`);
      const rec = rx.requests.find((x) => x.headers['webhook-id'] === msg.id);
      const sigs = rec.headers['webhook-signature'].split(' ');
      assert.equal(sigs.length, 3, `one signature per live secret: ${rec.headers['webhook-signature']}`);
      for (const secret of secrets) assert.doesNotThrow(() => verifyBoth(secret, rec), `verifies with ${secret}`);
    } finally {
      await rx.close();
    }
  });
});

// ---------------------------------------------------------------- 2. ingest → delivery

describe('ingest fans out to endpoints subscribed by source', () => {
  test('a Stripe event reaches the endpoint of its source, byte for byte; the other source\'s endpoint gets nothing', { timeout: 30_000 }, async () => {
    const mkSource = async () => {
      const r = await h.api('POST', '/api/v1/sources', { name: `e2e-dlv-${rand(4)}`, provider: 'stripe' });
      assert.equal(r.status, 201, `create source: ${r.status} ${r.text}`);
      return r.json;
    };
    const srcA = await mkSource();
    const srcB = await mkSource();
    const recvA = await startReceiver();
    const recvB = await startReceiver();
    try {
      const epA = await createEndpoint(h, { url: recvA.url, source_ids: [srcA.id] });
      const epB = await createEndpoint(h, { url: recvB.url, source_ids: [srcB.id] });

      const type = `invoice.e2e_${rand(4)}`;
      const stripeId = `evt_${rand(12)}`;
      // Odd spacing, key order and non-ASCII: what is delivered must be these bytes, not a re-serialisation.
      const body = `{"id": "${stripeId}",  "object":"event", "type":"${type}", "created": ${nowSec()},\n "data":{"object":{"note":"h\u00e9llo \u2713","amount":1999, "z":1,"a":2}}}`;
      const sig = stripe.webhooks.generateTestHeaderString({ payload: body, secret: srcA.secret });
      const ing = await h.ingest(srcA.id, body, { 'stripe-signature': sig });
      assert.equal(ing.status, 202, `ingest: ${ing.status} ${ing.text}`);
      const evtId = ing.json.id;

      await recvA.waitFor(() => recvA.requests.length >= 1, 15_000, 'the delivery to the source A endpoint');
      const rec = recvA.requests[0];
      assert.ok(rec.body.equals(Buffer.from(body, 'utf8')), `delivered body is the ingested bytes exactly:\n sent: ${body}\n got:  ${rec.body.toString()}`);

      // webhook-id is the id of the message the event became.
      const msgs = (await listAll(h, '/api/v1/messages', { event_type: type })).filter((m) => m.event_id === evtId);
      assert.equal(msgs.length, 1, `one message for event ${evtId}: ${JSON.stringify(msgs)}`);
      const msg = msgs[0];
      assert.match(msg.id, /^msg_/);
      assert.equal(msg.source_id, srcA.id, 'message source_id');
      assertOutboundShape(rec, msg.id);
      assert.doesNotThrow(() => verifyBoth(epA.secret, rec), 'the delivery verifies with the endpoint secret');

      const dA = await poll(async () => {
        const d = await listDeliveries(h, { endpoint_id: epA.id });
        return d.length === 1 && d[0].status === 'succeeded' ? d : null;
      }, 10_000, 'source A delivery succeeded');
      assert.equal(dA[0].message_id, msg.id);

      // Give a stray delivery time to show up, then: nothing for the other source's endpoint.
      await sleep(1500);
      assert.equal(recvB.requests.length, 0, `the source B endpoint received: ${recvB.requests.map((r) => r.body.toString()).join('\n')}`);
      assert.deepEqual(await listDeliveries(h, { endpoint_id: epB.id }), [], 'no delivery row for the source B endpoint');
      assert.equal(recvA.requests.length, 1, 'exactly one request at the source A endpoint');
      const detail = await h.api('GET', `/api/v1/messages/${msg.id}`);
      assert.equal(detail.status, 200, `GET message: ${detail.text}`);
    } finally {
      await recvA.close();
      await recvB.close();
    }
  });
});

// ---------------------------------------------------------------- 3. kill -9 mid-delivery

describe('at-least-once across kill -9', () => {
  test('100 messages to a slow receiver, kill -9 after ~20 arrive, restart: all 100 arrive and succeed', { timeout: 180_000 }, async () => {
    const N = 100;
    const KILL_AFTER = 20;
    const DEADLINE_MS = 120_000;
    const x = await start({ ...DELIVERY_ENV, HOOKD_DELIVERY_TIMEOUT: '1s' }, 'kill9');
    let openGate;
    const gate = new Promise((r) => {
      openGate = r;
    });
    const distinct = () => new Set(recv.requests.map((r) => r.headers['webhook-id'])).size;
    let armed = false;
    let killing = null;
    const killAt = {};
    const maybeKill = () => {
      if (!armed || killing || distinct() < KILL_AFTER) return;
      killAt.arrived = distinct();
      killAt.requests = recv.requests.length;
      killAt.answered = new Set(recv.answered.map((r) => r.headers['webhook-id'])).size;
      killAt.t = Date.now();
      killing = x.kill9();
    };
    // Arrivals are recorded at once; answers are held until every message is published (so the
    // kill cannot come before all 100 are acknowledged), then each is held ~200 ms.
    const recv = await startReceiver({ delayMs: 200, gate, onRequest: maybeKill });
    try {
      const type = `e2e.kill9.${rand(4)}`;
      const ep = await createEndpoint(x, { url: recv.url, event_types: [type] });
      const ids = [];
      const t0 = Date.now();
      for (let i = 0; i < N; i += 10) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(10, N - i) }, (_, k) => publish(x, type, { n: i + k, pad: 'x'.repeat(64) })),
        );
        ids.push(...batch.map((m) => m.id));
      }
      assert.equal(new Set(ids).size, N, 'distinct message ids');
      const tPublished = Date.now();
      openGate();
      armed = true;
      maybeKill();
      await recv.waitFor(() => killing !== null, 30_000, `${KILL_AFTER} arrivals before the kill`);
      const killed = await killing;
      assert.equal(killed.signal, 'SIGKILL', `hookd was killed: ${JSON.stringify(killed)}`);
      const tKilled = Date.now();
      await x.restart();
      const tRestarted = Date.now();

      const want = new Set(ids);
      const received = () => new Set(recv.requests.map((r) => r.headers['webhook-id']).filter((id) => want.has(id)));
      let succeeded = [];
      const deadline = tRestarted + DEADLINE_MS;
      let tAllReceived = null;
      for (;;) {
        if (!tAllReceived && received().size === N) tAllReceived = Date.now();
        if (tAllReceived) {
          succeeded = await listDeliveries(x, { status: 'succeeded', endpoint_id: ep.id });
          if (succeeded.length >= N) break;
        }
        if (Date.now() > deadline) break;
        await sleep(250);
      }
      const tDone = Date.now();
      const perId = new Map();
      for (const r of recv.requests) perId.set(r.headers['webhook-id'], (perId.get(r.headers['webhook-id']) ?? 0) + 1);
      const dups = [...perId.values()].filter((c) => c > 1).length;
      const missing = ids.filter((id) => !perId.has(id));
      const unanswered = ids.filter((id) => !recv.answered.some((r) => r.headers['webhook-id'] === id));
      const diag = {
        publish_ms: tPublished - t0,
        at_kill: killAt,
        kill_after_publish_ms: killAt.t - tPublished,
        restart_ms: tRestarted - tKilled,
        all_received_after_restart_ms: tAllReceived ? tAllReceived - tRestarted : null,
        all_succeeded_after_restart_ms: succeeded.length >= N ? tDone - tRestarted : null,
        requests_total: recv.requests.length,
        ids_received_more_than_once: dups,
        missing: missing.length,
        never_answered_200: unanswered.length,
        succeeded_rows: succeeded.length,
      };
      console.log(`# kill -9 diagnostics: ${JSON.stringify(diag)}`);
      // The time from the restart to the last redelivery, to read against the lease length.
      if (recv.requests.length) {
        const late = recv.requests.filter((r) => r.at >= tRestarted).map((r) => r.at - tRestarted);
        console.log(`# kill -9: ${late.length} requests after the restart, first at +${Math.min(...late)} ms, last at +${Math.max(...late)} ms`);
      }
      assert.ok(killAt.answered < N, `the kill came mid-way (answered at kill: ${killAt.answered})`);
      assert.deepEqual(missing, [], `every message id arrived at least once (${missing.length} missing): ${JSON.stringify(diag)}`);
      assert.equal(succeeded.length, N, `GET /api/v1/deliveries?status=succeeded shows ${N}: ${JSON.stringify(diag)}`);
      assert.deepEqual(new Set(succeeded.map((d) => d.message_id)), want, 'the succeeded deliveries are the 100 messages');
      assert.deepEqual(unanswered, [], 'every message was answered 200 at least once');
    } finally {
      openGate();
      await recv.close();
    }
  });
});

// ---------------------------------------------------------------- 4. Idempotency-Key

describe('Idempotency-Key', () => {
  test('the same key twice: the same message id, one delivery at the receiver', { timeout: 30_000 }, async () => {
    const recv = await startReceiver();
    try {
      const type = `e2e.idem.${rand(4)}`;
      await createEndpoint(h, { url: recv.url, event_types: [type] });
      const key = `idem-${rand(8)}`;
      const payload = { order: rand(4) };
      const r1 = await h.api('POST', '/api/v1/messages', { event_type: type, payload }, { headers: { 'idempotency-key': key } });
      const r2 = await h.api('POST', '/api/v1/messages', { event_type: type, payload }, { headers: { 'idempotency-key': key } });
      assert.equal(r1.status, 202, `first: ${r1.status} ${r1.text}`);
      assert.equal(r2.status, r1.status, `second returns the first response's status: ${r2.status} ${r2.text}`);
      assert.match(r1.json?.id ?? '', /^msg_/);
      assert.equal(r2.json?.id, r1.json.id, 'the same message id');
      assert.deepEqual(r2.json, r1.json, 'the second response is the first one');

      await recv.waitFor(() => recv.requests.length >= 1, 15_000, 'the delivery');
      await poll(async () => {
        const d = await listDeliveries(h, { message_id: r1.json.id });
        return d.length === 1 && d[0].status === 'succeeded';
      }, 10_000, 'the delivery succeeded');
      await sleep(1500); // a second delivery would show up by now
      assert.equal(recv.requests.length, 1, `one request at the receiver: ${recv.requests.map((r) => r.headers['webhook-id']).join(', ')}`);
      assert.equal(recv.requests[0].headers['webhook-id'], r1.json.id);
      const msgs = await listAll(h, '/api/v1/messages', { event_type: type });
      assert.equal(msgs.length, 1, `one message stored: ${JSON.stringify(msgs)}`);

      // A different key is a different message.
      const r3 = await h.api('POST', '/api/v1/messages', { event_type: type, payload }, { headers: { 'idempotency-key': `${key}-other` } });
      assert.equal(r3.status, 202, `other key: ${r3.status} ${r3.text}`);
      assert.notEqual(r3.json?.id, r1.json.id, 'another key, another message');
    } finally {
      await recv.close();
    }
  });

  test('the same key with another body: 422 idempotency_key_reused, nothing created', { timeout: 30_000 }, async () => {
    const type = `e2e.idem.${rand(4)}`;
    const key = `idem-${rand(8)}`;
    const headers = { 'idempotency-key': key };
    const r1 = await h.api('POST', '/api/v1/messages', { event_type: type, payload: { order: 1 } }, { headers });
    assert.equal(r1.status, 202, `first: ${r1.status} ${r1.text}`);
    for (const body of [
      { event_type: type, payload: { order: 2 } },
      { event_type: `${type}.other`, payload: { order: 1 } },
    ]) {
      const r = await h.api('POST', '/api/v1/messages', body, { headers });
      assertError(r, 422, 'idempotency_key_reused');
    }
    const msgs = await listAll(h, '/api/v1/messages', { event_type: type });
    assert.equal(msgs.length, 1, `one message stored: ${JSON.stringify(msgs)}`);
    assert.equal((await listAll(h, '/api/v1/messages', { event_type: `${type}.other` })).length, 0);
    // The first body again is still the first answer.
    const r2 = await h.api('POST', '/api/v1/messages', { event_type: type, payload: { order: 1 } }, { headers });
    assert.equal(r2.status, 202, `same body: ${r2.status} ${r2.text}`);
    assert.deepEqual(r2.json, r1.json);
  });
});

// ---------------------------------------------------------------- 5. bad inputs

describe('bad inputs', () => {
  test('endpoint: non-http(s) url, credentials in the url, missing url → 422 JSON', async () => {
    for (const body of [{ url: 'ftp://x' }, { url: 'http://user:pw@example.com' }, {}]) {
      const r = await h.api('POST', '/api/v1/endpoints', body);
      assertError(r, 422);
    }
    // Control: credentials on a host that is otherwise accepted here (a loopback literal, the
    // same wherever the tests run).
    const ok = await h.api('POST', '/api/v1/endpoints', { url: 'http://127.0.0.1:9/' });
    assert.equal(ok.status, 201, `control endpoint: ${ok.status} ${ok.text}`);
    await h.api('DELETE', `/api/v1/endpoints/${ok.json.id}`);
    assertError(await h.api('POST', '/api/v1/endpoints', { url: 'http://user:pw@127.0.0.1:9/' }), 422);
  });

  test('private targets refused without HOOKD_ALLOW_PRIVATE_TARGETS → 422 forbidden_target', { timeout: 60_000 }, async () => {
    const env = { ...DELIVERY_ENV };
    delete env.HOOKD_ALLOW_PRIVATE_TARGETS;
    const x = await start(env, 'noprivate');
    for (const url of ['http://127.0.0.1:1/', 'http://169.254.169.254/']) {
      const r = await x.api('POST', '/api/v1/endpoints', { url });
      assertError(r, 422, 'forbidden_target');
      assert.match(r.json.error.message, /HOOKD_ALLOW_PRIVATE_TARGETS=1/, 'the message names the setting');
    }
    // More of the ranges and spellings API.md names: a name resolving to loopback, IPv6 loopback,
    // IPv4-mapped metadata, private, unique-local, unspecified, multicast, inet_aton spellings.
    for (const url of [
      'http://localhost:8080/', 'http://[::1]/', 'http://[::ffff:169.254.169.254]/', 'http://10.0.0.1/',
      'https://192.168.1.1/', 'http://[fd00::1]/', 'http://0.0.0.0/', 'http://224.0.0.1/', 'http://0x7f000001/', 'http://127.1/',
    ]) {
      const r = await x.api('POST', '/api/v1/endpoints', { url });
      assert.equal(r.json?.error?.code, 'forbidden_target', `${url}: ${r.status} ${r.text}`);
      assertError(r, 422, 'forbidden_target');
    }
    const list = await listAll(x, '/api/v1/endpoints');
    assert.equal(list.length, 0, `no endpoint was stored: ${JSON.stringify(list)}`);
    // Control: a public address literal is accepted (the guard does not refuse everything).
    const pub = await x.api('POST', '/api/v1/endpoints', { url: 'http://93.184.215.14/' });
    assert.equal(pub.status, 201, `public target: ${pub.status} ${pub.text}`);
    await x.stop();
  });

  test('message without event_type → 422; non-JSON body → 400', async () => {
    assertError(await h.api('POST', '/api/v1/messages', { payload: { a: 1 } }), 422);
    assertError(await h.api('POST', '/api/v1/messages', '{"event_type": "x", "payload": '), 400);
    assertError(await h.api('POST', '/api/v1/messages', 'not json at all'), 400);
  });

  test('GET /api/v1/deliveries/dlv_unknown → 404', async () => {
    assertError(await h.api('GET', '/api/v1/deliveries/dlv_unknown'), 404);
  });
});
