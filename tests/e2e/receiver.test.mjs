// What a receiver gets, end to end against the built binary: a GitHub event (signed with
// @octokit/webhooks-methods) reaches an endpoint with hookd-event-type, hookd-source-id and the
// headers it forwards from GitHub's request (forward_headers: ["x-github-*"]), signed so that the
// `standardwebhooks` package verifies it; a published message carries its type. Then the README's
// one-machine path: examples/receiver.py (Python's standard library only) run as a separate
// process verifies a real delivery and refuses a tampered or mis-signed one. And registration of
// a host that does not resolve now: accepted with a warning.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { sign as githubSign } from '@octokit/webhooks-methods';
import { Webhook as StandardWebhook } from 'standardwebhooks';

import { E2E_DIR, startHookd } from './lib/hookd.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { assertError, newWhsec, poll, rand } from './lib/util.mjs';

const RECEIVER_PY = path.resolve(E2E_DIR, '../../examples/receiver.py');
const TIMEOUT = { timeout: 60_000 };

// This file's own hookds must not inherit an allow from the caller's environment.
delete process.env.HOOKD_ALLOW_PRIVATE_TARGETS;

let h; // private targets allowed: the receivers are on loopback
const cleanups = [];

before(async () => {
  h = await startHookd({ env: { HOOKD_ALLOW_PRIVATE_TARGETS: '1', HOOKD_RETRY_SCHEDULE: '1s,1s' } });
});

after(async () => {
  for (const c of cleanups.reverse()) await c();
  if (!h) return;
  h.saveLog('receiver');
  await h.cleanup();
});

async function create(x, urlPath, body) {
  const r = await x.api('POST', urlPath, body);
  assert.equal(r.status, 201, `POST ${urlPath}: ${r.status} ${r.text}`);
  return r.json;
}

/** Ingests `body` as a GitHub `issues` event; returns the X-GitHub-Delivery it was sent with. */
async function ingestGithub(src, body) {
  const delivery = crypto.randomUUID();
  const r = await h.ingest(src.id, body, {
    'x-github-event': 'issues',
    'x-github-delivery': delivery,
    'x-github-hook-id': '4242',
    'x-hub-signature-256': await githubSign(src.secret, body),
    'x-request-id': 'not-forwarded',
  });
  assert.equal(r.status, 202, `ingest: ${r.status} ${r.text}`);
  return delivery;
}

async function receiver() {
  const rx = await startReceiver({ status: 204 });
  cleanups.push(() => rx.close());
  return rx;
}

/** Standard Webhooks verification of a received request with the `standardwebhooks` package. */
function verifyStandard(secret, rec) {
  return new StandardWebhook(secret).verify(rec.body.toString('utf8'), {
    'webhook-id': rec.headers['webhook-id'],
    'webhook-timestamp': rec.headers['webhook-timestamp'],
    'webhook-signature': rec.headers['webhook-signature'],
  });
}

describe('hookd-* and forwarded headers', TIMEOUT, () => {
  test('a GitHub issues event arrives with its type, its source and the x-github-* headers', async () => {
    const src = await create(h, '/api/v1/sources', { name: `gh-${rand(4)}`, provider: 'github', secret: `s-${rand()}` });
    const rxFwd = await receiver();
    const rxPlain = await receiver();
    const fwd = await create(h, '/api/v1/endpoints', { url: rxFwd.url, source_ids: [src.id], forward_headers: ['X-GitHub-*'] });
    assert.deepEqual(fwd.forward_headers, ['x-github-*']);
    assert.deepEqual(fwd.warnings, []);
    assert.deepEqual((await h.api('GET', `/api/v1/endpoints/${fwd.id}`)).json.forward_headers, ['x-github-*']);
    const plain = await create(h, '/api/v1/endpoints', { url: rxPlain.url, source_ids: [src.id] });
    assert.deepEqual(plain.forward_headers, []);

    const body = `{"action":"opened","issue":{"number":${Math.floor(Math.random() * 1000)}}}`;
    const delivery = await ingestGithub(src, body);
    await rxFwd.waitFor(() => rxFwd.requests.length >= 1, 15_000, 'the forwarding endpoint');
    await rxPlain.waitFor(() => rxPlain.requests.length >= 1, 15_000, 'the plain endpoint');

    const rec = rxFwd.requests[0];
    assert.equal(rec.body.toString(), body);
    assert.equal(rec.headers['hookd-event-type'], 'issues.opened');
    assert.equal(rec.headers['hookd-source-id'], src.id);
    assert.equal(rec.headers['x-github-event'], 'issues');
    assert.equal(rec.headers['x-github-delivery'], delivery);
    assert.equal(rec.headers['x-github-hook-id'], '4242');
    assert.equal(rec.headers['x-hub-signature-256'], undefined, "GitHub's signature is not forwarded");
    assert.equal(rec.headers['x-request-id'], undefined, 'a header not listed is not forwarded');
    assert.equal(rec.headers['content-type'], 'application/json');
    assert.match(rec.headers['user-agent'], /^hookd\//);
    verifyStandard(fwd.secret, rec); // throws unless it verifies
    assert.throws(() => verifyStandard(fwd.secret, { ...rec, body: Buffer.from(body + ' ') }));

    const other = rxPlain.requests[0];
    assert.equal(other.headers['hookd-event-type'], 'issues.opened');
    assert.equal(other.headers['hookd-source-id'], src.id);
    assert.equal(other.headers['x-github-event'], undefined);
    assert.equal(other.headers['x-github-delivery'], undefined);
    assert.equal(other.headers['webhook-id'], rec.headers['webhook-id']);
    verifyStandard(plain.secret, other);
  });

  test('a published message carries hookd-event-type and no hookd-source-id', async () => {
    const rx = await receiver();
    const type = `order.${rand(4)}`;
    const ep = await create(h, '/api/v1/endpoints', { url: rx.url, event_types: [type], forward_headers: ['x-github-*'] });
    const r = await h.api('POST', '/api/v1/messages', { event_type: type, payload: { n: 1 } });
    assert.equal(r.status, 202, r.text);
    await rx.waitFor(() => rx.requests.length >= 1, 15_000, 'the delivery');
    const rec = rx.requests[0];
    assert.equal(rec.headers['webhook-id'], r.json.id);
    assert.equal(rec.headers['hookd-event-type'], type);
    assert.equal(rec.headers['hookd-source-id'], undefined);
    verifyStandard(ep.secret, rec);
  });

  test('forward_headers that are never forwarded are refused with 422', async () => {
    for (const bad of [['authorization'], ['Cookie'], ['host'], ['content-length'], ['transfer-encoding'], ['connection'], ['webhook-*'], ['hookd-event-type'], ['*'], ['x y'], 'x-github-*']) {
      const r = await h.api('POST', '/api/v1/endpoints', { url: 'http://127.0.0.1:9/h', forward_headers: bad });
      assertError(r, 422, 'invalid_field');
      assert.match(r.json.error.message, /forward_headers/);
    }
    const many = Array.from({ length: 33 }, (_, i) => `x-h${i}`);
    assertError(await h.api('POST', '/api/v1/endpoints', { url: 'http://127.0.0.1:9/h', forward_headers: many }), 422, 'invalid_field');
  });
});

describe('registration on a machine without DNS for the host', TIMEOUT, () => {
  let strict; // private targets refused, as in production
  before(async () => {
    strict = await startHookd();
  });
  after(async () => {
    if (!strict) return;
    strict.saveLog('receiver-strict');
    await strict.cleanup();
  });

  test('a host that does not resolve is accepted with an unresolvable_host warning', async () => {
    // .invalid never resolves (RFC 6761).
    const ep = await create(strict, '/api/v1/endpoints', { url: 'https://hookd-e2e.invalid/webhooks' });
    assert.equal(ep.warnings.length, 1, JSON.stringify(ep));
    assert.equal(ep.warnings[0].code, 'unresolvable_host');
    assert.match(ep.warnings[0].message, /hookd-e2e\.invalid/);
    assert.equal((await strict.api('GET', `/api/v1/endpoints/${ep.id}`)).json.url, 'https://hookd-e2e.invalid/webhooks');
  });

  test('a loopback receiver is refused naming HOOKD_ALLOW_PRIVATE_TARGETS', async () => {
    const r = await strict.api('POST', '/api/v1/endpoints', { url: 'http://127.0.0.1:9000/webhooks' });
    assertError(r, 422, 'forbidden_target');
    assert.match(r.json.error.message, /HOOKD_ALLOW_PRIVATE_TARGETS/);
  });
});

/** Runs examples/receiver.py; resolves once it prints its address. */
async function startPythonReceiver(secret) {
  const proc = spawn('python3', [RECEIVER_PY, '--port', '0', '--tolerance', '300'], {
    env: { ...process.env, WEBHOOK_SECRET: secret, PYTHONUNBUFFERED: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const py = { proc, out: '' };
  proc.stdout.on('data', (c) => (py.out += c.toString()));
  proc.stderr.on('data', (c) => (py.out += c.toString()));
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  cleanups.push(async () => {
    proc.kill('SIGTERM');
    await exited;
  });
  await poll(() => /listening on (http:\/\/\S+)/.test(py.out), 10_000, `examples/receiver.py to listen; output: ${py.out}`);
  py.base = py.out.match(/listening on (http:\/\/\S+)/)[1];
  return py;
}

describe('examples/receiver.py', TIMEOUT, () => {
  test('verifies a real delivery and refuses tampered and mis-signed ones', async () => {
    const secret = newWhsec(24);
    const py = await startPythonReceiver(secret);
    const url = `${py.base}webhooks`;

    // A GitHub event through hookd to the script, as the README's one-machine path does it.
    const src = await create(h, '/api/v1/sources', { name: `py-${rand(4)}`, provider: 'github', secret: `s-${rand()}` });
    const ep = await create(h, '/api/v1/endpoints', { url, secret, source_ids: [src.id] });
    const body = `{"action":"opened","issue":{"number":7},"n":"${rand(4)}"}`;
    await ingestGithub(src, body);
    const line = (id) => `verified webhook-id=${id} event-type=issues.opened source-id=${src.id}\n${body}\n`;
    let dlv;
    await poll(async () => {
      const list = (await h.api('GET', `/api/v1/deliveries?endpoint_id=${ep.id}`)).json?.data ?? [];
      dlv = list[0];
      return dlv?.status === 'succeeded';
    }, 15_000, 'the delivery to examples/receiver.py to succeed');
    const full = (await h.api('GET', `/api/v1/deliveries/${dlv.id}`)).json;
    assert.equal(full.attempts.at(-1).response_status, 204);
    await poll(() => py.out.includes(line(dlv.message_id)), 5_000, `receiver output:\n${py.out}`);

    // An endpoint with another secret: hookd's delivery is refused (401) and retried.
    const wrong = await create(h, '/api/v1/endpoints', { url, secret: newWhsec(24), source_ids: [src.id] });
    await ingestGithub(src, `{"action":"opened","n":"${rand(4)}"}`);
    await poll(async () => {
      const list = (await h.api('GET', `/api/v1/deliveries?endpoint_id=${wrong.id}`)).json?.data ?? [];
      if (!list[0]) return false;
      const d = (await h.api('GET', `/api/v1/deliveries/${list[0].id}`)).json;
      return d.attempts.length >= 1 && d.attempts[0].response_status === 401;
    }, 15_000, 'the mis-signed delivery to be refused with 401');
    await poll(() => /refused webhook-id=msg_\S+: no signature matches/.test(py.out), 5_000, `receiver output:\n${py.out}`);

    // Requests signed by the standardwebhooks package: accepted as made, refused when tampered
    // with or stale.
    const wh = new StandardWebhook(secret);
    const post = (id, ts, sig, payload) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': sig, 'hookd-event-type': 'manual.check' },
        body: payload,
      });
    const payload = '{"hello":"world"}';
    const now = new Date();
    const ts = Math.floor(now.getTime() / 1000);
    const good = wh.sign('msg_manual_ok', now, payload);
    assert.equal((await post('msg_manual_ok', ts, good, payload)).status, 204);
    // The receiver prints after it answers: its line may come a moment after the 204.
    await poll(() => py.out.includes('verified webhook-id=msg_manual_ok event-type=manual.check source-id=-\n{"hello":"world"}\n'), 5_000, `receiver output:\n${py.out}`);
    // A signature among others (as during a rotation) is found.
    assert.equal((await post('msg_manual_two', ts, `v1,${Buffer.alloc(32).toString('base64')} ${wh.sign('msg_manual_two', now, payload)}`, payload)).status, 204);

    const tampered = await post('msg_manual_tampered', ts, wh.sign('msg_manual_tampered', now, payload), '{"hello":"w0rld"}');
    assert.equal(tampered.status, 401);
    await poll(() => /refused webhook-id=msg_manual_tampered: no signature matches/.test(py.out), 5_000, `receiver output:\n${py.out}`);
    const otherId = await post('msg_manual_other', ts, good, payload); // msg_manual_ok's signature
    assert.equal(otherId.status, 401);
    const old = new Date(now.getTime() - 600_000);
    const stale = await post('msg_manual_stale', Math.floor(old.getTime() / 1000), wh.sign('msg_manual_stale', old, payload), payload);
    assert.equal(stale.status, 401);
    await poll(() => /refused webhook-id=msg_manual_stale: webhook-timestamp \d+ is more than 300 s from now/.test(py.out), 5_000, `receiver output:\n${py.out}`);
    const missing = await fetch(url, { method: 'POST', body: payload });
    assert.equal(missing.status, 401);
    await poll(() => /refused webhook-id=-: missing webhook-id/.test(py.out), 5_000, `receiver output:\n${py.out}`);
  });
});
