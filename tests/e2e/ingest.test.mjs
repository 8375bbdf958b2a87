// End-to-end tests of inbound webhooks (API.md "Auth and errors", "Sources and ingest") against
// the built binary, with signatures made by the providers' own libraries.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';

import { sign as githubSign } from '@octokit/webhooks-methods';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { Webhook as SvixWebhook } from 'svix';

import { startHookd } from './lib/hookd.mjs';
import { exchange } from './lib/raw.mjs';
import { assertError, listEvents as listSourceEvents, newWhsec, nowSec, postStream, rand, readResponse, sleep } from './lib/util.mjs';

const stripe = new Stripe('sk_test_e2e_unused'); // only stripe.webhooks is used: no network
const TIMEOUT = { timeout: 60_000 };

let h;

before(async () => {
  h = await startHookd();
});

after(async () => {
  if (!h) return;
  h.saveLog('ingest');
  await h.cleanup();
});

// ---------------------------------------------------------------- helpers


async function createSource(provider, extra = {}) {
  const name = `e2e-${provider}-${rand(4)}`;
  const r = await h.api('POST', '/api/v1/sources', { name, provider, ...extra });
  assert.equal(r.status, 201, `create ${provider} source: ${r.status} ${r.text}`);
  return r.json;
}

/** Every event of a source, following the cursor. */
const listEvents = (sourceId) => listSourceEvents(h, sourceId);

async function getEvent(id) {
  const r = await h.api('GET', `/api/v1/events/${encodeURIComponent(id)}`);
  assert.equal(r.status, 200, `get event ${id}: ${r.status} ${r.text}`);
  return r.json;
}

function assertAccepted(r) {
  assert.equal(r.status, 202, `expected 202, got ${r.status}: ${r.text}`);
  assert.match(r.json?.id ?? '', /^evt_/, `202 body id: ${r.text}`);
  assert.equal(r.json.duplicate, false, `202 body duplicate: ${r.text}`);
  return r.json.id;
}

/** Runs fn (which should be rejected) and asserts the source then has exactly as many events. */
async function expectNoNewEvent(sourceId, fn) {
  const before = (await listEvents(sourceId)).length;
  const res = await fn();
  const afterList = await listEvents(sourceId);
  assert.equal(afterList.length, before, `a rejected request stored an event: ${JSON.stringify(afterList.slice(-1))}`);
  return res;
}

/** Header lookup in whatever shape the event's headers come: object, [[k,v]], or [{name,value}]. */
function headerValue(headers, name) {
  const want = name.toLowerCase();
  if (Array.isArray(headers)) {
    for (const e of headers) {
      if (Array.isArray(e) && String(e[0]).toLowerCase() === want) return e[1];
      if (e && typeof e === 'object' && String(e.name ?? e.key ?? '').toLowerCase() === want) return e.value;
    }
    return undefined;
  }
  if (headers && typeof headers === 'object') {
    for (const [k, v] of Object.entries(headers)) {
      if (k.toLowerCase() === want) return Array.isArray(v) ? v.join(', ') : v;
    }
  }
  return undefined;
}

// Per-provider signers (the providers' own libraries; shopify via node:crypto).

function stripeEvent(type = 'invoice.paid') {
  const id = `evt_${rand(12)}`;
  // Deliberately odd spacing and non-ASCII: the stored body must be the raw bytes, not re-serialised.
  const body = `{"id": "${id}",  "object":"event", "type":"${type}", "created": ${nowSec()}, "data":{"object":{"note":"h\u00e9llo \u2713","amount":1999}}}`;
  return { id, body };
}
function stripeHeader(secret, body, timestamp) {
  return stripe.webhooks.generateTestHeaderString({ payload: body, secret, ...(timestamp !== undefined ? { timestamp } : {}) });
}

function githubEvent(action = 'opened') {
  const body = `{"action":"${action}", "issue": {"number": 7, "title": "t\u00eftle"}, "repository":{"full_name":"o/r"}}`;
  return { delivery: crypto.randomUUID(), body };
}
async function githubHeaders(secret, body, { event = 'issues', delivery = crypto.randomUUID() } = {}) {
  return {
    'x-github-event': event,
    'x-github-delivery': delivery,
    'x-hub-signature-256': await githubSign(secret, body),
  };
}

function standardEvent(type = 'invoice.paid') {
  const msgId = `msg_${rand(12)}`;
  const body = `{"type": "${type}", "timestamp":"${new Date().toISOString()}", "data": {"id":"${rand(6)}","note":"\u00fcml\u00e4ut"}}`;
  return { msgId, body };
}
function standardHeaders(secret, msgId, body, date = new Date()) {
  const wh = new Webhook(secret);
  return {
    'webhook-id': msgId,
    'webhook-timestamp': String(Math.floor(date.getTime() / 1000)),
    'webhook-signature': wh.sign(msgId, date, body),
  };
}

function shopifyHmac(secret, body) {
  return crypto.createHmac('sha256', secret).update(body).digest('base64');
}

// ---------------------------------------------------------------- sources

describe('sources', TIMEOUT, () => {
  for (const provider of ['stripe', 'github', 'standard', 'shopify']) {
    test(`create a ${provider} source with a generated secret`, async () => {
      const name = `gen-${provider}-${rand(3)}`;
      const r = await h.api('POST', '/api/v1/sources', { name, provider });
      assert.equal(r.status, 201, r.text);
      const s = r.json;
      assert.match(s.id, /^src_/);
      assert.equal(s.name, name);
      assert.equal(s.provider, provider);
      assert.equal(s.ingest_path, `/ingest/${s.id}`);
      assert.equal(typeof s.secret, 'string');
      assert.ok(s.secret.length > 0, 'secret not empty');
      assert.equal(typeof s.created_at, 'string');
      assert.ok(!Number.isNaN(Date.parse(s.created_at)), `created_at parses: ${s.created_at}`);
      assert.match(s.created_at, /(Z|\+00:00)$/, `created_at is UTC: ${s.created_at}`);
      if (provider === 'standard') {
        assert.match(s.secret, /^whsec_[A-Za-z0-9+/]+={0,2}$/, `standard secret format: ${s.secret}`);
        const key = Buffer.from(s.secret.slice('whsec_'.length), 'base64');
        assert.ok(key.length >= 16, `standard secret key has >= 16 bytes (${key.length})`);
      }
    });
  }

  test('create a source with a given secret echoes it', async () => {
    const secret = `whsec_${rand(16)}`;
    const s = await createSource('stripe', { secret });
    assert.equal(s.secret, secret);
  });

  test('two sources get different ids and secrets', async () => {
    const a = await createSource('github');
    const b = await createSource('github');
    assert.notEqual(a.id, b.id);
    assert.notEqual(a.secret, b.secret);
  });
});

// ---------------------------------------------------------------- stripe

describe('stripe ingest', TIMEOUT, () => {
  let src;
  before(async () => {
    src = await createSource('stripe');
  });

  test('valid signed event → 202, stored with provider, type, id, headers and raw body', async () => {
    const { id: stripeId, body } = stripeEvent('invoice.paid');
    const sig = stripeHeader(src.secret, body);
    const r = await h.ingest(src.id, body, { 'stripe-signature': sig });
    const evtId = assertAccepted(r);

    const ev = await getEvent(evtId);
    assert.equal(ev.id, evtId);
    assert.equal(ev.source_id, src.id);
    assert.equal(ev.provider, 'stripe');
    assert.equal(ev.type, 'invoice.paid');
    assert.equal(ev.provider_event_id, stripeId);
    assert.equal(ev.body, body, 'body is the raw string exactly as sent');
    assert.equal(headerValue(ev.headers, 'stripe-signature'), sig, `headers has stripe-signature: ${JSON.stringify(ev.headers)}`);
    assert.equal(typeof ev.received_at, 'string');
    assert.ok(!Number.isNaN(Date.parse(ev.received_at)), `received_at parses: ${ev.received_at}`);
    assert.match(ev.received_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)$/, `received_at is RFC 3339 UTC: ${ev.received_at}`);

    const list = await listEvents(src.id);
    assert.ok(list.some((e) => e.id === evtId), `listed under source_id: ${JSON.stringify(list)}`);
    const listed = list.find((e) => e.id === evtId);
    assert.equal(listed.type, 'invoice.paid');
  });

  test('the same event again → 200 duplicate with the first id, nothing new stored', async () => {
    const { body } = stripeEvent('customer.created');
    const first = assertAccepted(await h.ingest(src.id, body, { 'stripe-signature': stripeHeader(src.secret, body) }));
    const n = (await listEvents(src.id)).length;
    // A fresh signature (new timestamp) on the same body: still the same Stripe event id.
    const again = await h.ingest(src.id, body, { 'stripe-signature': stripeHeader(src.secret, body, nowSec() - 1) });
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(again.json, { id: first, duplicate: true });
    assert.equal((await listEvents(src.id)).length, n);
  });

  test('tampered body → 401 invalid_signature, nothing stored', async () => {
    const { body } = stripeEvent();
    const sig = stripeHeader(src.secret, body);
    const tampered = body.replace('1999', '2999');
    const r = await expectNoNewEvent(src.id, () => h.ingest(src.id, tampered, { 'stripe-signature': sig }));
    assertError(r, 401, 'invalid_signature');
  });

  test('stale timestamp (10 minutes old) → 401 timestamp_out_of_tolerance', async () => {
    const { body } = stripeEvent();
    const sig = stripeHeader(src.secret, body, nowSec() - 600);
    const r = await expectNoNewEvent(src.id, () => h.ingest(src.id, body, { 'stripe-signature': sig }));
    assertError(r, 401, 'timestamp_out_of_tolerance');
  });

  test('future timestamp (10 minutes ahead) → 401 timestamp_out_of_tolerance', async () => {
    const { body } = stripeEvent();
    const sig = stripeHeader(src.secret, body, nowSec() + 600);
    const r = await expectNoNewEvent(src.id, () => h.ingest(src.id, body, { 'stripe-signature': sig }));
    assertError(r, 401, 'timestamp_out_of_tolerance');
  });

  test('wrong secret → 401 invalid_signature', async () => {
    const { body } = stripeEvent();
    const sig = stripeHeader(`whsec_${rand(16)}`, body);
    const r = await expectNoNewEvent(src.id, () => h.ingest(src.id, body, { 'stripe-signature': sig }));
    assertError(r, 401, 'invalid_signature');
  });

  test('missing Stripe-Signature → 401 invalid_signature', async () => {
    const { body } = stripeEvent();
    const r = await expectNoNewEvent(src.id, () => h.ingest(src.id, body));
    assertError(r, 401, 'invalid_signature');
  });

  test('garbage Stripe-Signature → 401 invalid_signature', async () => {
    const { body } = stripeEvent();
    const r = await expectNoNewEvent(src.id, () => h.ingest(src.id, body, { 'stripe-signature': 'nonsense' }));
    assertError(r, 401, 'invalid_signature');
  });

  test('two v1 signatures, one valid → 202', async () => {
    const { body } = stripeEvent();
    const good = stripeHeader(src.secret, body); // "t=<t>,v1=<hex>"
    const t = /t=(\d+)/.exec(good)[1];
    const v1 = /v1=([0-9a-f]+)/.exec(good)[1];
    const bad = crypto.createHmac('sha256', 'not-the-secret').update(`${t}.${body}`).digest('hex');
    const r = await h.ingest(src.id, body, { 'stripe-signature': `t=${t},v1=${bad},v1=${v1}` });
    assertAccepted(r);
  });

  test('cross-check: test vector with a stale timestamp is refused for the timestamp', async () => {
    const vsrc = await createSource('stripe', { secret: 'whsec_test_secret' });
    const body = '{"id":"evt_test","object":"event"}';
    const header = 't=1614265330,v1=fbd6bf5496b9d6310e422a2c072578f95f5eb492111ab57a5510e9cd79c1b304';
    assert.equal(stripeHeader('whsec_test_secret', body, 1614265330), header, 'library agrees with the vector');
    const r = await expectNoNewEvent(vsrc.id, () => h.ingest(vsrc.id, body, { 'stripe-signature': header }));
    assertError(r, 401, 'timestamp_out_of_tolerance');
    // A fresh event signed by the stripe library with the vector's secret is accepted; tampered,
    // refused.
    const fresh = stripeEvent('invoice.created');
    const sig = stripeHeader('whsec_test_secret', fresh.body);
    stripe.webhooks.constructEvent(fresh.body, sig, 'whsec_test_secret'); // the library verifies it too
    assertAccepted(await h.ingest(vsrc.id, fresh.body, { 'stripe-signature': sig }));
    const tampered = await expectNoNewEvent(vsrc.id, () =>
      h.ingest(vsrc.id, fresh.body.replace('1999', '1998'), { 'stripe-signature': sig }),
    );
    assertError(tampered, 401, 'invalid_signature');
  });

  test('valid signature but no "id" in the body → 400 missing_event_id, nothing stored', async () => {
    const body = `{"object":"event","type":"invoice.paid","n":"${rand()}"}`;
    const r = await expectNoNewEvent(src.id, () => h.ingest(src.id, body, { 'stripe-signature': stripeHeader(src.secret, body) }));
    assertError(r, 400, 'missing_event_id');
  });

  test('invalid JSON with a valid signature → 400 invalid_json, nothing stored', async () => {
    const body = `{"id": "evt_${rand()}", "type": "invoice.paid",`;
    const r = await expectNoNewEvent(src.id, () => h.ingest(src.id, body, { 'stripe-signature': stripeHeader(src.secret, body) }));
    assertError(r, 400, 'invalid_json');
  });
});

// ---------------------------------------------------------------- github

describe('github ingest', TIMEOUT, () => {
  let src;
  before(async () => {
    src = await createSource('github');
  });

  test('valid signed event → 202; X-GitHub-Event issues + action opened → type "issues.opened"', async () => {
    const { delivery, body } = githubEvent('opened');
    const headers = await githubHeaders(src.secret, body, { event: 'issues', delivery });
    const evtId = assertAccepted(await h.ingest(src.id, body, headers));

    const ev = await getEvent(evtId);
    assert.equal(ev.provider, 'github');
    assert.equal(ev.type, 'issues.opened');
    assert.equal(ev.provider_event_id, delivery);
    assert.equal(ev.source_id, src.id);
    assert.equal(ev.body, body, 'body is the raw string exactly as sent');
    assert.equal(headerValue(ev.headers, 'x-github-event'), 'issues', `headers: ${JSON.stringify(ev.headers)}`);
    assert.equal(headerValue(ev.headers, 'x-github-delivery'), delivery);

    const list = await listEvents(src.id);
    assert.ok(list.some((e) => e.id === evtId), 'listed under source_id');
  });

  test('event without a string action → type is the X-GitHub-Event alone', async () => {
    const body = `{"zen":"Keep it logically awesome.","hook_id":${Date.now() % 100000}}`;
    const headers = await githubHeaders(src.secret, body, { event: 'ping' });
    const evtId = assertAccepted(await h.ingest(src.id, body, headers));
    assert.equal((await getEvent(evtId)).type, 'ping');
  });

  test('the same delivery again → 200 duplicate with the first id', async () => {
    const { delivery, body } = githubEvent('closed');
    const headers = await githubHeaders(src.secret, body, { delivery });
    const first = assertAccepted(await h.ingest(src.id, body, headers));
    const again = await h.ingest(src.id, body, headers);
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(again.json, { id: first, duplicate: true });
  });

  test('tampered body → 401 invalid_signature, nothing stored', async () => {
    const { body } = githubEvent();
    const headers = await githubHeaders(src.secret, body);
    const r = await expectNoNewEvent(src.id, () => h.ingest(src.id, body.replace('opened', 'closed'), headers));
    assertError(r, 401, 'invalid_signature');
  });

  test('wrong secret → 401 invalid_signature', async () => {
    const { body } = githubEvent();
    const headers = await githubHeaders(`wrong-${rand()}`, body);
    const r = await expectNoNewEvent(src.id, () => h.ingest(src.id, body, headers));
    assertError(r, 401, 'invalid_signature');
  });

  test('missing X-Hub-Signature-256 → 401 invalid_signature', async () => {
    const { body } = githubEvent();
    const headers = await githubHeaders(src.secret, body);
    delete headers['x-hub-signature-256'];
    const r = await expectNoNewEvent(src.id, () => h.ingest(src.id, body, headers));
    assertError(r, 401, 'invalid_signature');
  });

  test('missing X-GitHub-Delivery (no event id) → 400 missing_event_id, nothing stored', async () => {
    const { body } = githubEvent();
    const headers = await githubHeaders(src.secret, body);
    delete headers['x-github-delivery'];
    const r = await expectNoNewEvent(src.id, () => h.ingest(src.id, body, headers));
    assertError(r, 400, 'missing_event_id');
  });

  test('invalid JSON with a valid signature → 400 invalid_json, nothing stored', async () => {
    const body = '{"action": "opened", "issue": ';
    const headers = await githubHeaders(src.secret, body);
    const r = await expectNoNewEvent(src.id, () => h.ingest(src.id, body, headers));
    assertError(r, 400, 'invalid_json');
  });

  test('content-type text/plain → 415 unsupported_media_type, nothing stored', async () => {
    const { body } = githubEvent();
    const headers = await githubHeaders(src.secret, body);
    const r = await expectNoNewEvent(src.id, () => h.ingest(src.id, body, { ...headers, 'content-type': 'text/plain' }));
    assertError(r, 415, 'unsupported_media_type');
  });

  test('body larger than 1 MiB → 413 payload_too_large, nothing stored', async () => {
    const pad = 'x'.repeat(1024 * 1024 + 1024);
    const body = `{"action":"opened","pad":"${pad}"}`;
    const headers = await githubHeaders(src.secret, body);
    const r = await expectNoNewEvent(src.id, () =>
      h.rawPost(`/ingest/${src.id}`, body, { 'content-type': 'application/json', ...headers }),
    );
    assertError(r, 413, 'payload_too_large');
  });

  test('a body just under 1 MiB is accepted', async () => {
    const prefix = '{"action":"opened","pad":"';
    const suffix = '"}';
    const body = prefix + 'y'.repeat(1024 * 1024 - prefix.length - suffix.length - 16) + suffix;
    const headers = await githubHeaders(src.secret, body);
    const r = await h.rawPost(`/ingest/${src.id}`, body, { 'content-type': 'application/json', ...headers });
    const evtId = assertAccepted(r);
    assert.equal((await getEvent(evtId)).body.length, body.length);
  });

  test('cross-check: the GitHub docs vector; hookd accepts what the library signs and refuses it tampered', async () => {
    const secret = "It's a Secret to Everybody";
    const vector = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    assert.equal(await githubSign(secret, 'Hello, World!'), vector, 'library agrees with the vector');
    const vsrc = await createSource('github', { secret });
    // The vector itself: hookd checks the signature first, so a valid one over a body that is not
    // JSON is a 400 invalid_json, and the same with one hex digit changed is a 401.
    const base = { 'x-github-event': 'ping', 'x-github-delivery': crypto.randomUUID() };
    assertError(await h.ingest(vsrc.id, 'Hello, World!', { ...base, 'x-hub-signature-256': vector }), 400, 'invalid_json');
    const flipped = vector.slice(0, -1) + (vector.endsWith('7') ? '8' : '7');
    assertError(await h.ingest(vsrc.id, 'Hello, World!', { ...base, 'x-hub-signature-256': flipped }), 401, 'invalid_signature');
    // Events signed by @octokit/webhooks-methods with that secret.
    for (const action of ['opened', 'closed']) {
      const { delivery, body } = githubEvent(action);
      const evtId = assertAccepted(await h.ingest(vsrc.id, body, await githubHeaders(secret, body, { delivery })));
      assert.equal((await getEvent(evtId)).provider_event_id, delivery);
      const tampered = await expectNoNewEvent(vsrc.id, async () =>
        h.ingest(vsrc.id, body.replace('o/r', 'o/x'), await githubHeaders(secret, body)),
      );
      assertError(tampered, 401, 'invalid_signature');
    }
  });
});

// ---------------------------------------------------------------- standard webhooks

describe('standard webhooks ingest', TIMEOUT, () => {
  let src;
  before(async () => {
    src = await createSource('standard');
  });

  test('valid signed event (generated whsec_ secret) → 202 and stored', async () => {
    const { msgId, body } = standardEvent('invoice.paid');
    const headers = standardHeaders(src.secret, msgId, body);
    const evtId = assertAccepted(await h.ingest(src.id, body, headers));

    const ev = await getEvent(evtId);
    assert.equal(ev.provider, 'standard');
    assert.equal(ev.type, 'invoice.paid');
    assert.equal(ev.provider_event_id, msgId);
    assert.equal(ev.body, body, 'body is the raw string exactly as sent');
    assert.equal(headerValue(ev.headers, 'webhook-id'), msgId, `headers: ${JSON.stringify(ev.headers)}`);

    const list = await listEvents(src.id);
    assert.ok(list.some((e) => e.id === evtId), 'listed under source_id');
  });

  test('svix-* header names are accepted too', async () => {
    const { msgId, body } = standardEvent('user.created');
    const hs = standardHeaders(src.secret, msgId, body);
    const headers = { 'svix-id': hs['webhook-id'], 'svix-timestamp': hs['webhook-timestamp'], 'svix-signature': hs['webhook-signature'] };
    const evtId = assertAccepted(await h.ingest(src.id, body, headers));
    assert.equal((await getEvent(evtId)).provider_event_id, msgId);
  });

  test('a source with a given whsec_ secret verifies with it', async () => {
    const secret = newWhsec(24);
    const own = await createSource('standard', { secret });
    assert.equal(own.secret, secret);
    const { msgId, body } = standardEvent();
    assertAccepted(await h.ingest(own.id, body, standardHeaders(secret, msgId, body)));
  });

  test('tampered body → 401 invalid_signature, nothing stored', async () => {
    const { msgId, body } = standardEvent();
    const headers = standardHeaders(src.secret, msgId, body);
    const r = await expectNoNewEvent(src.id, () => h.ingest(src.id, body.replace('invoice', 'invoicX'), headers));
    assertError(r, 401, 'invalid_signature');
  });

  test('tampered webhook-id → 401 invalid_signature', async () => {
    const { msgId, body } = standardEvent();
    const headers = standardHeaders(src.secret, msgId, body);
    headers['webhook-id'] = `msg_${rand(12)}`;
    const r = await expectNoNewEvent(src.id, () => h.ingest(src.id, body, headers));
    assertError(r, 401, 'invalid_signature');
  });

  test('stale timestamp (10 minutes old) → 401 timestamp_out_of_tolerance', async () => {
    const { msgId, body } = standardEvent();
    const headers = standardHeaders(src.secret, msgId, body, new Date(Date.now() - 600_000));
    const r = await expectNoNewEvent(src.id, () => h.ingest(src.id, body, headers));
    assertError(r, 401, 'timestamp_out_of_tolerance');
  });

  test('future timestamp (10 minutes ahead) → 401 timestamp_out_of_tolerance', async () => {
    const { msgId, body } = standardEvent();
    const headers = standardHeaders(src.secret, msgId, body, new Date(Date.now() + 600_000));
    const r = await expectNoNewEvent(src.id, () => h.ingest(src.id, body, headers));
    assertError(r, 401, 'timestamp_out_of_tolerance');
  });

  test('tolerance_seconds on the source widens the window', async () => {
    const wide = await createSource('standard', { tolerance_seconds: 1200 });
    const { msgId, body } = standardEvent();
    const headers = standardHeaders(wide.secret, msgId, body, new Date(Date.now() - 600_000));
    assertAccepted(await h.ingest(wide.id, body, headers));
  });

  test('wrong secret → 401 invalid_signature', async () => {
    const { msgId, body } = standardEvent();
    const headers = standardHeaders(newWhsec(24), msgId, body);
    const r = await expectNoNewEvent(src.id, () => h.ingest(src.id, body, headers));
    assertError(r, 401, 'invalid_signature');
  });

  test('missing webhook-signature → 401 invalid_signature', async () => {
    const { msgId, body } = standardEvent();
    const headers = standardHeaders(src.secret, msgId, body);
    delete headers['webhook-signature'];
    const r = await expectNoNewEvent(src.id, () => h.ingest(src.id, body, headers));
    assertError(r, 401, 'invalid_signature');
  });

  test('two signatures "v1,<bad> v1,<good>" → 202', async () => {
    const { msgId, body } = standardEvent();
    const headers = standardHeaders(src.secret, msgId, body);
    const bad = `v1,${crypto.randomBytes(32).toString('base64')}`;
    headers['webhook-signature'] = `${bad} ${headers['webhook-signature']}`;
    assertAccepted(await h.ingest(src.id, body, headers));
  });

  test('the same webhook-id again → 200 duplicate with the first id', async () => {
    const { msgId, body } = standardEvent();
    const first = assertAccepted(await h.ingest(src.id, body, standardHeaders(src.secret, msgId, body)));
    const again = await h.ingest(src.id, body, standardHeaders(src.secret, msgId, body, new Date(Date.now() - 2000)));
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(again.json, { id: first, duplicate: true });
  });

  test('cross-check: the spec vector; hookd accepts what standardwebhooks and svix sign and refuses it tampered', async () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const vector = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';
    const vectorDate = new Date(1614265330 * 1000);
    assert.equal(new Webhook(secret).sign('msg_p5jXN8AQM9LWM0D4loKWxJek', vectorDate, '{"test": 2432232314}'), vector);
    assert.equal(new SvixWebhook(secret).sign('msg_p5jXN8AQM9LWM0D4loKWxJek', vectorDate, '{"test": 2432232314}'), vector);
    const vsrc = await createSource('standard', { secret });
    const signers = {
      standardwebhooks: (id, date, body) => new Webhook(secret).sign(id, date, body),
      svix: (id, date, body) => new SvixWebhook(secret).sign(id, date, body),
    };
    for (const [name, sign] of Object.entries(signers)) {
      for (const prefix of ['webhook', 'svix']) {
        const { msgId, body } = standardEvent(`${name}.${prefix}`);
        const now = new Date();
        const headers = {
          [`${prefix}-id`]: msgId,
          [`${prefix}-timestamp`]: String(Math.floor(now.getTime() / 1000)),
          [`${prefix}-signature`]: sign(msgId, now, body),
        };
        const evtId = assertAccepted(await h.ingest(vsrc.id, body, headers));
        const ev = await getEvent(evtId);
        assert.equal(ev.provider_event_id, msgId, `${name} with ${prefix}-* headers`);
        assert.equal(ev.body, body);
        const tampered = await expectNoNewEvent(vsrc.id, () =>
          h.ingest(vsrc.id, body.replace('"data"', '"dat\u0061"'), { ...headers, [`${prefix}-id`]: `msg_${rand(12)}` }),
        );
        assertError(tampered, 401, 'invalid_signature');
      }
    }
  });
});

// ---------------------------------------------------------------- shopify

describe('shopify ingest', TIMEOUT, () => {
  test('valid signed event (test-vector secret and body) → 202, type from X-Shopify-Topic', async () => {
    const src = await createSource('shopify', { secret: 'shpss_secret' });
    const body = '{"id":820982911946154508,"email":"jon@doe.ca"}';
    const hmac = shopifyHmac('shpss_secret', body);
    assert.equal(hmac, 'Py5rRrvmrqKGlfxC3SZLuEhx+L9Ad7OBHIVcWvJqO8A=', 'node:crypto agrees with the vector');
    const webhookId = crypto.randomUUID();
    const evtId = assertAccepted(
      await h.ingest(src.id, body, {
        'x-shopify-hmac-sha256': hmac,
        'x-shopify-webhook-id': webhookId,
        'x-shopify-topic': 'orders/create',
        'x-shopify-shop-domain': 'e2e.myshopify.com',
      }),
    );
    const ev = await getEvent(evtId);
    assert.equal(ev.provider, 'shopify');
    assert.equal(ev.type, 'orders/create');
    assert.equal(ev.provider_event_id, webhookId);
    assert.equal(ev.body, body);

    const r = await expectNoNewEvent(src.id, () =>
      h.ingest(src.id, body.replace('jon', 'bob'), {
        'x-shopify-hmac-sha256': hmac,
        'x-shopify-webhook-id': crypto.randomUUID(),
        'x-shopify-topic': 'orders/create',
      }),
    );
    assertError(r, 401, 'invalid_signature');
  });
});

// ---------------------------------------------------------------- general ingest errors

describe('ingest errors', TIMEOUT, () => {
  test('unknown source → 404 not_found', async () => {
    const body = '{"id":"evt_x","type":"invoice.paid"}';
    const r = await h.ingest(`src_doesnotexist${rand(4)}`, body, {
      'stripe-signature': stripeHeader('whsec_whatever', body),
    });
    assertError(r, 404, 'not_found');
  });
});

// ---------------------------------------------------------------- sources API beyond create

describe('sources API', TIMEOUT, () => {
  test('GET list and one; unknown id → 404 not_found', async () => {
    const s = await createSource('github');
    const list = await h.api('GET', '/api/v1/sources?limit=500');
    assert.equal(list.status, 200, list.text);
    assert.ok(Array.isArray(list.json?.data) && 'next' in list.json, `list shape: ${list.text.slice(0, 300)}`);
    // The list may be paged; follow the cursor until the new source shows up.
    let found = list.json.data.some((x) => x.id === s.id);
    let next = list.json.next;
    for (let i = 0; !found && next && i < 50; i++) {
      const p = await h.api('GET', `/api/v1/sources?limit=500&after=${encodeURIComponent(next)}`);
      assert.equal(p.status, 200, p.text);
      found = p.json.data.some((x) => x.id === s.id);
      next = p.json.next;
    }
    assert.ok(found, 'new source is listed');
    const one = await h.api('GET', `/api/v1/sources/${s.id}`);
    assert.equal(one.status, 200, one.text);
    assert.equal(one.json.id, s.id);
    assert.equal(one.json.name, s.name);
    assert.equal(one.json.provider, 'github');
    assert.equal(one.json.ingest_path, `/ingest/${s.id}`);
    assertError(await h.api('GET', `/api/v1/sources/src_nope${rand(4)}`), 404, 'not_found');
  });

  test('PATCH name; DELETE → then GET 404 and ingest 404', async () => {
    const s = await createSource('github');
    const p = await h.api('PATCH', `/api/v1/sources/${s.id}`, { name: 'renamed-e2e' });
    assert.equal(p.status, 200, p.text);
    assert.equal(p.json.name, 'renamed-e2e');
    assert.equal((await h.api('GET', `/api/v1/sources/${s.id}`)).json.name, 'renamed-e2e');

    const d = await h.api('DELETE', `/api/v1/sources/${s.id}`);
    assert.ok(d.status === 200 || d.status === 204, `DELETE → 200/204, got ${d.status}: ${d.text}`);
    assertError(await h.api('GET', `/api/v1/sources/${s.id}`), 404, 'not_found');
    const { body } = githubEvent();
    assertError(await h.ingest(s.id, body, await githubHeaders(s.secret, body)), 404, 'not_found');
  });

  test('invalid create requests: unknown provider → 422 invalid_field, missing name → 422 invalid_field, malformed JSON → 400 invalid_json', async () => {
    assertError(await h.api('POST', '/api/v1/sources', { name: 'x', provider: 'paypal-ish' }), 422, 'invalid_field');
    assertError(await h.api('POST', '/api/v1/sources', { provider: 'github' }), 422, 'invalid_field');
    assertError(await h.api('POST', '/api/v1/sources', '{"name": "x", "provider": '), 400, 'invalid_json');
    // The server is still fine.
    assert.equal((await h.request('GET', '/healthz')).status, 200);
  });

  test('rotate-secret: the new secret verifies, the old one keeps verifying during the grace', async () => {
    const s = await createSource('standard');
    const r = await h.api('POST', `/api/v1/sources/${s.id}/rotate-secret`, {});
    assert.ok(r.status === 200 || r.status === 201, `rotate → 200, got ${r.status}: ${r.text}`);
    const fresh = r.json.secret;
    assert.match(fresh ?? '', /^whsec_/, `rotate returns the new secret: ${r.text}`);
    assert.notEqual(fresh, s.secret);
    for (const secret of [fresh, s.secret]) {
      const { msgId, body } = standardEvent();
      assertAccepted(await h.ingest(s.id, body, standardHeaders(secret, msgId, body)));
    }
  });

  test('rotate-secret with a given secret and grace_seconds 0: the old secret stops verifying', async () => {
    const s = await createSource('github');
    const secret = `gh-${rand(12)}`;
    const r = await h.api('POST', `/api/v1/sources/${s.id}/rotate-secret`, { secret, grace_seconds: 0 });
    assert.ok(r.status === 200 || r.status === 201, `rotate → 200, got ${r.status}: ${r.text}`);
    assert.equal(r.json.secret, secret);
    const a = githubEvent();
    assertAccepted(await h.ingest(s.id, a.body, await githubHeaders(secret, a.body)));
    const b = githubEvent();
    const old = await expectNoNewEvent(s.id, async () => h.ingest(s.id, b.body, await githubHeaders(s.secret, b.body)));
    assertError(old, 401, 'invalid_signature');
  });
});

// ---------------------------------------------------------------- events API

describe('events API', TIMEOUT, () => {
  test('dedup is per source: the same provider event id on two sources is two events', async () => {
    const secret = `whsec_${rand(16)}`;
    const a = await createSource('stripe', { secret });
    const b = await createSource('stripe', { secret });
    const { body } = stripeEvent();
    const ea = assertAccepted(await h.ingest(a.id, body, { 'stripe-signature': stripeHeader(secret, body) }));
    const eb = assertAccepted(await h.ingest(b.id, body, { 'stripe-signature': stripeHeader(secret, body) }));
    assert.notEqual(ea, eb);
  });

  test('list: limit and the after cursor page through everything; type filters', async () => {
    const s = await createSource('github');
    const sent = [];
    for (const action of ['opened', 'closed', 'opened', 'closed', 'opened']) {
      const { body } = githubEvent(action);
      sent.push({ action, id: assertAccepted(await h.ingest(s.id, body, await githubHeaders(s.secret, body))) });
    }
    const seen = [];
    let after = null;
    for (let i = 0; i < 10; i++) {
      const q = new URLSearchParams({ source_id: s.id, limit: '2' });
      if (after) q.set('after', after);
      const r = await h.api('GET', `/api/v1/events?${q}`);
      assert.equal(r.status, 200, r.text);
      assert.ok(r.json.data.length <= 2, `limit=2 respected: ${r.json.data.length}`);
      seen.push(...r.json.data.map((e) => e.id));
      if (r.json.next === null) break;
      assert.equal(typeof r.json.next, 'string', `next is a string cursor or null: ${JSON.stringify(r.json.next)}`);
      after = r.json.next;
    }
    assert.equal(seen.length, 5, `5 events over the pages, no repeats: ${seen}`);
    assert.deepEqual(new Set(seen), new Set(sent.map((x) => x.id)));

    const closed = await h.api('GET', `/api/v1/events?${new URLSearchParams({ source_id: s.id, type: 'issues.closed' })}`);
    assert.equal(closed.status, 200, closed.text);
    assert.deepEqual(
      new Set(closed.json.data.map((e) => e.id)),
      new Set(sent.filter((x) => x.action === 'closed').map((x) => x.id)),
    );
    assert.ok(closed.json.data.every((e) => e.type === 'issues.closed'));
  });

  test('GET an unknown event id → 404 not_found', async () => {
    assertError(await h.api('GET', `/api/v1/events/evt_nope${rand(4)}`), 404, 'not_found');
  });

  test('50 concurrent distinct events → 50 × 202, 50 stored', async () => {
    const s = await createSource('github');
    const reqs = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const { body } = githubEvent();
        return { body, headers: await githubHeaders(s.secret, body) };
      }),
    );
    const res = await Promise.all(reqs.map(({ body, headers }) => h.ingest(s.id, body, headers)));
    const statuses = res.map((r) => r.status);
    assert.ok(statuses.every((x) => x === 202), `all 202: ${JSON.stringify(statuses)}`);
    assert.equal(new Set(res.map((r) => r.json.id)).size, 50, 'distinct event ids');
    assert.equal((await listEvents(s.id)).length, 50);
  });
});

// ---------------------------------------------------------------- robustness

/** Writes `data` to hookd on a new connection, ends it, and resolves with what came back ('' if nothing). */
const rawExchange = async (data, { waitMs = 2000 } = {}) =>
  (await exchange(() => net.connect(h.port, '127.0.0.1'), data, waitMs, { end: true })).text;

async function assertHealthy(what) {
  const r = await h.request('GET', '/healthz');
  assert.equal(r.status, 200, `healthy after ${what}`);
}

describe('robustness', TIMEOUT, () => {
  test('content-type "application/json; charset=utf-8" (as Stripe sends it) is accepted', async () => {
    const src = await createSource('stripe');
    const { body } = stripeEvent();
    const r = await h.ingest(src.id, body, {
      'content-type': 'application/json; charset=utf-8',
      'stripe-signature': stripeHeader(src.secret, body),
    });
    assertAccepted(r);
  });

  test('empty body with a valid signature → 400 invalid_json, nothing stored', async () => {
    const src = await createSource('github');
    // @octokit/webhooks-methods refuses an empty payload, so sign it with node:crypto.
    const headers = {
      'x-github-event': 'issues',
      'x-github-delivery': crypto.randomUUID(),
      'x-hub-signature-256': `sha256=${crypto.createHmac('sha256', src.secret).update('').digest('hex')}`,
    };
    const r = await expectNoNewEvent(src.id, () => h.ingest(src.id, '', headers));
    assertError(r, 400, 'invalid_json');
  });

  test('a chunked body over 1 MiB (no Content-Length) is refused with a JSON 4xx and not stored', async () => {
    const src = await createSource('github');
    const pad = 'c'.repeat(1024 * 1024 + 4096);
    const body = `{"action":"opened","pad":"${pad}"}`;
    const headers = { 'content-type': 'application/json', ...(await githubHeaders(src.secret, body)) };
    // No content-length: node sends Transfer-Encoding: chunked.
    const r = await expectNoNewEvent(src.id, () => postStream(h.port, `/ingest/${src.id}`, body, headers));
    assert.ok([413, 411].includes(r.status), `413 (or 411 if chunked is refused), got ${r.status}: ${r.text}`);
    assert.equal(typeof r.json?.error?.code, 'string', `JSON error: ${r.text}`);
    await assertHealthy('an oversized chunked body');
  });

  test('garbage bytes, a truncated body and an oversized header do not crash or hang the server', async () => {
    const src = await createSource('github');
    await rawExchange(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x00, 0x00, 0x13, 0x37, 0x0d, 0x0a, 0x0d, 0x0a]));
    await rawExchange('NOT HTTP AT ALL\r\n\r\n');
    await assertHealthy('garbage bytes');
    await rawExchange(
      `POST /ingest/${src.id} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"action":`,
    );
    await assertHealthy('a truncated body');
    const big = await rawExchange(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(256 * 1024)}\r\n\r\n`, { waitMs: 3000 });
    if (big) assert.match(big, /^HTTP\/1\.[01] (4\d\d|200)/, `answer to an oversized header: ${big.slice(0, 200)}`);
    await assertHealthy('an oversized header');
    assert.equal((await listEvents(src.id)).length, 0);
  });

  test('slow clients holding half-sent requests do not block other requests', async () => {
    const socks = [];
    try {
      for (let i = 0; i < 16; i++) {
        const s = net.connect(h.port, '127.0.0.1');
        s.on('error', () => {});
        s.write('POST /ingest/src_slow HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{');
        socks.push(s);
      }
      await sleep(200);
      const t0 = Date.now();
      const r = await fetch(`${h.base}/healthz`, { signal: AbortSignal.timeout(5000) });
      assert.equal(r.status, 200);
      assert.ok(Date.now() - t0 < 2000, `healthz took ${Date.now() - t0} ms with 16 slow clients`);
    } finally {
      for (const s of socks) s.destroy();
    }
  });
});

// ---------------------------------------------------------------- admin auth, health, metrics

describe('admin auth, health and metrics', TIMEOUT, () => {
  test('admin API without a bearer token → 401 unauthorized', async () => {
    const r = await h.api('GET', '/api/v1/sources', undefined, { token: null });
    assertError(r, 401, 'unauthorized');
    const p = await h.api('POST', '/api/v1/sources', { name: 'x', provider: 'github' }, { token: null });
    assertError(p, 401, 'unauthorized');
  });

  test('admin API with a wrong bearer token → 401 unauthorized', async () => {
    const r = await h.api('GET', '/api/v1/events', undefined, { token: `${h.token}x` });
    assertError(r, 401, 'unauthorized');
  });

  test('POST /api/v1/session sets an HttpOnly SameSite=Strict cookie that authenticates the admin API', async () => {
    const bad = await h.api('POST', '/api/v1/session', { token: `${h.token}x` }, { token: null });
    assertError(bad, 401, 'unauthorized');

    const res = await fetch(`${h.base}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: h.token }),
      signal: AbortSignal.timeout(10_000),
    });
    await res.arrayBuffer();
    assert.ok(res.status >= 200 && res.status < 300, `session → 2xx, got ${res.status}`);
    const cookies = res.headers.getSetCookie();
    assert.equal(cookies.length >= 1, true, 'a Set-Cookie header');
    const c = cookies[0];
    assert.match(c, /;\s*HttpOnly/i, `HttpOnly: ${c}`);
    assert.match(c, /;\s*SameSite=Strict/i, `SameSite=Strict: ${c}`);
    const pair = c.split(';')[0];
    const r = await h.api('GET', '/api/v1/sources', undefined, { token: null, headers: { cookie: pair } });
    assert.equal(r.status, 200, `cookie authenticates: ${r.status} ${r.text}`);
  });

  test('/healthz and /readyz answer 200 without a token', async () => {
    assert.equal((await h.request('GET', '/healthz')).status, 200);
    assert.equal((await h.request('GET', '/readyz')).status, 200);
  });

  test('/metrics has hookd_ingest_requests_total with accepted and rejection results', async () => {
    // Runs after the ingest tests above (same process): they were accepted, duplicates and rejected.
    const r = await h.request('GET', '/metrics');
    assert.equal(r.status, 200);
    const lines = r.text.split('\n').filter((l) => l.startsWith('hookd_ingest_requests_total{'));
    assert.ok(lines.length > 0, `hookd_ingest_requests_total present:\n${r.text.slice(0, 2000)}`);
    for (const result of ['accepted', 'invalid_signature', 'duplicate', 'timestamp_out_of_tolerance']) {
      const total = lines
        .filter((l) => l.includes(`result="${result}"`))
        .reduce((n, l) => n + Number(l.trim().split(/\s+/).at(-1)), 0);
      assert.ok(total > 0, `a result="${result}" sample > 0:\n${lines.join('\n')}`);
    }
    for (const l of lines) {
      assert.match(l, /source="/, `has a source label: ${l}`);
      assert.match(l, /provider="/, `has a provider label: ${l}`);
    }
    assert.match(r.text, /hookd_ingest_duration_seconds/, 'hookd_ingest_duration_seconds present');
    assert.match(r.text, /^# TYPE hookd_ingest_requests_total counter$/m, 'TYPE line: counter');
  });

  test('each rejection is counted once under result="<its error code>"', async () => {
    const total = async (result) => {
      const text = (await h.request('GET', '/metrics')).text;
      return text
        .split('\n')
        .filter((l) => l.startsWith('hookd_ingest_requests_total{') && l.includes(`result="${result}"`))
        .reduce((n, l) => n + Number(l.trim().split(/\s+/).at(-1)), 0);
    };
    const src = await createSource('github');
    const cases = [
      ['415', async () => { const { body } = githubEvent(); return h.ingest(src.id, body, { ...(await githubHeaders(src.secret, body)), 'content-type': 'text/plain' }); }],
      ['400 no delivery', async () => { const { body } = githubEvent(); const hs = await githubHeaders(src.secret, body); delete hs['x-github-delivery']; return h.ingest(src.id, body, hs); }],
      ['401', async () => { const { body } = githubEvent(); return h.ingest(src.id, body, await githubHeaders('nope', body)); }],
      ['413', async () => { const body = `{"pad":"${'p'.repeat(1024 * 1024 + 10)}"}`; return h.rawPost(`/ingest/${src.id}`, body, { 'content-type': 'application/json', ...(await githubHeaders(src.secret, body)) }); }],
    ];
    for (const [name, send] of cases) {
      const r = await send();
      const code = assertError(r, r.status);
      assert.ok(r.status >= 400, name);
      const before = await total(code);
      const r2 = await send();
      assert.equal(r2.json?.error?.code, code, `${name}: same code twice`);
      assert.equal((await total(code)) - before, 1, `${name}: result="${code}" grows by one per request`);
    }
  });
});

// ---------------------------------------------------------------- concurrency

describe('concurrent duplicates', TIMEOUT, () => {
  test('50 concurrent identical requests → one 202, 49 × 200 duplicate, same id, one event', async () => {
    const src = await createSource('standard');
    const { msgId, body } = standardEvent('order.placed');
    const headers = { 'content-type': 'application/json', ...standardHeaders(src.secret, msgId, body) };
    const url = `${h.base}/ingest/${src.id}`;
    const results = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(30_000) });
        return readResponse(res);
      }),
    );
    const byStatus = {};
    for (const r of results) byStatus[r.status] = (byStatus[r.status] || 0) + 1;
    assert.equal(byStatus[202], 1, `exactly one 202: ${JSON.stringify(byStatus)} e.g. ${results.find((r) => r.status !== 202 && r.status !== 200)?.text}`);
    assert.equal(byStatus[200], 49, `49 × 200: ${JSON.stringify(byStatus)}`);
    const accepted = results.find((r) => r.status === 202);
    assert.equal(accepted.json.duplicate, false);
    for (const r of results.filter((x) => x.status === 200)) {
      assert.deepEqual(r.json, { id: accepted.json.id, duplicate: true });
    }
    const list = await listEvents(src.id);
    assert.equal(list.length, 1, `exactly one event stored: ${list.length}`);
    assert.equal(list[0].id, accepted.json.id);
  });
});

// ---------------------------------------------------------------- durability

describe('crash durability', TIMEOUT, () => {
  test('kill -9 right after a 202, restart: the event is kept and a resend is a duplicate', async () => {
    const src = await createSource('stripe');
    const { body } = stripeEvent('charge.succeeded');
    const sig = stripeHeader(src.secret, body);
    const evtId = assertAccepted(await h.ingest(src.id, body, { 'stripe-signature': sig }));

    const { signal } = await h.kill9();
    assert.equal(signal, 'SIGKILL');
    await h.restart();

    const list = await listEvents(src.id);
    assert.ok(list.some((e) => e.id === evtId), `event survives kill -9: ${JSON.stringify(list)}`);
    const again = await h.ingest(src.id, body, { 'stripe-signature': sig });
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(again.json, { id: evtId, duplicate: true });
    assert.equal((await listEvents(src.id)).length, 1);
  });
});

// ---------------------------------------------------------------- shutdown (last)

describe('shutdown', TIMEOUT, () => {
  test('SIGTERM during in-flight ingest: exit 0, and every acknowledged event is there after restart', async (t) => {
    const src = await createSource('stripe');
    const reqs = Array.from({ length: 200 }, () => {
      const { id, body } = stripeEvent();
      return { id, body, sig: stripeHeader(src.secret, body) };
    });
    let firstDone;
    const first = new Promise((r) => (firstDone = r));
    const inflight = reqs.map(async ({ body, sig }) => {
      try {
        const res = await fetch(`${h.base}/ingest/${src.id}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'stripe-signature': sig },
          body,
          signal: AbortSignal.timeout(20_000),
        });
        return await readResponse(res);
      } catch (err) {
        return { error: err.cause?.code || err.cause?.message || err.message };
      } finally {
        firstDone();
      }
    });
    await first;
    const exit = await h.stop('SIGTERM');
    const results = await Promise.all(inflight);
    assert.equal(exit.signal, null, `exited by itself, not killed by ${exit.signal}`);
    assert.equal(exit.code, 0, 'exit code 0');

    const answered = results.filter((r) => r.status !== undefined);
    for (const r of answered) assert.ok([202, 503].includes(r.status), `in-flight answer ${r.status}: ${r.text}`);
    const acked = answered.filter((r) => r.status === 202).map((r) => r.json.id);
    assert.ok(acked.length >= 1, 'at least the first request was acknowledged');
    const errors = {};
    for (const r of results) if (r.error) errors[r.error] = (errors[r.error] || 0) + 1;
    t.diagnostic(`${acked.length} × 202, ${answered.length - acked.length} × 503, errors: ${JSON.stringify(errors)}`);

    await h.restart();
    const stored = new Set((await listEvents(src.id)).map((e) => e.id));
    const lost = acked.filter((id) => !stored.has(id));
    assert.deepEqual(lost, [], `acknowledged events lost over a SIGTERM (${acked.length} acked, ${stored.size} stored)`);
  });

  test('SIGTERM → process exits with code 0', async () => {
    const { code, signal } = await h.stop('SIGTERM');
    assert.equal(signal, null, `exited by itself, not killed by ${signal}`);
    assert.equal(code, 0);
  });
});
