// The client commands of the hookd binary against a running hookd: `trigger` sends every shipped
// sample, which hookd's own verifier accepts with the right event type, and whose stored headers
// and body verify with the providers' own libraries (@octokit/webhooks-methods, stripe,
// standardwebhooks; Shopify's HMAC by hand); `send` publishes a message delivered and verified by
// `standardwebhooks`; `retry` and `recover`; `login` keeps the URL and token (mode 0600); `tail`
// follows the stream across a restart of hookd with nothing missed or repeated, and an application
// token's tail shows its own application only; and the exit codes and one-line errors for a wrong
// token, an unreachable hookd and a bad flag.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { verify as githubVerify } from '@octokit/webhooks-methods';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';

import { HOOKD_BIN, freePort, startHookd } from './lib/hookd.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { poll, rand } from './lib/util.mjs';

const TIMEOUT = { timeout: 60_000 };
const stripe = new Stripe('sk_test_e2e_unused'); // only stripe.webhooks is used: no network

let h;
let home; // the CLI's HOME: its config file lives here, never in the runner's
const sources = {};

before(async () => {
  h = await startHookd({ env: { HOOKD_ALLOW_PRIVATE_TARGETS: '1' } });
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'hookd-cli-'));
  for (const provider of ['github', 'stripe', 'shopify', 'standard']) {
    const r = await h.api('POST', '/api/v1/sources', { name: `cli ${provider}`, provider });
    assert.equal(r.status, 201, r.text);
    sources[provider] = r.json;
  }
});

after(async () => {
  if (home) fs.rmSync(home, { recursive: true, force: true });
  if (!h) return;
  h.saveLog('cli');
  await h.cleanup();
});

/** Runs `hookd ...args` as a client: resolves {code, stdout, stderr}. */
function cliEnv({ env = {}, token = h.token, url = h.base } = {}) {
  const base = { ...process.env, HOME: home, XDG_CONFIG_HOME: '' };
  for (const k of Object.keys(base)) if (k.startsWith('HOOKD_')) delete base[k];
  if (url !== null) base.HOOKD_URL = url;
  if (token !== null) base.HOOKD_TOKEN = token;
  return { ...base, ...env };
}

/** Starts `hookd tail ...args`: {proc, out(), err(), stop()}. */
function startTail(args, opts) {
  const proc = spawn(HOOKD_BIN, ['tail', ...args], { env: cliEnv(opts), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (c) => (out += c));
  proc.stderr.on('data', (c) => (err += c));
  const exited = new Promise((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, out: () => out, err: () => err, exited, stop: () => { proc.kill('SIGTERM'); return exited; } };
}

function cli(args, { env = {}, token = h.token, url = h.base } = {}) {
  return new Promise((resolve) => {
    const p = spawn(HOOKD_BIN, args, { env: cliEnv({ env, token, url }), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c) => (stdout += c));
    p.stderr.on('data', (c) => (stderr += c));
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The event as hookd stored it (headers lower-cased, raw body). */
async function storedEvent(id) {
  const r = await h.api('GET', `/api/v1/events/${id}`);
  assert.equal(r.status, 200, r.text);
  return r.json;
}

describe('hookd trigger', TIMEOUT, () => {
  const cases = [
    ['github', 'push', 'push'],
    ['github', 'issues.opened', 'issues.opened'],
    ['github', 'pull_request.opened', 'pull_request.opened'],
    ['github', 'ping', 'ping'],
    ['stripe', 'payment_intent.succeeded', 'payment_intent.succeeded'],
    ['stripe', 'invoice.paid', 'invoice.paid'],
    ['stripe', 'customer.created', 'customer.created'],
    ['shopify', 'orders/create', 'orders/create'],
    ['standard', 'order.created', 'order.created'],
  ];
  for (const [provider, event, type] of cases) {
    test(`${provider} ${event}: accepted by hookd, and verified by the provider's own library`, async () => {
      const r = await cli(['trigger', provider, event, '--source', sources[provider].id, '--json']);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.equal(out.status, 202);
      assert.equal(out.duplicate, false);
      assert.equal(out.event_type, type);
      const e = await storedEvent(out.event_id);
      assert.equal(e.type, type);
      assert.equal(e.provider, provider);
      const secret = sources[provider].secret;
      if (provider === 'github') {
        assert.equal(await githubVerify(secret, e.body, e.headers['x-hub-signature-256']), true);
        assert.match(e.headers['x-github-delivery'], /^[0-9a-f-]{36}$/);
      } else if (provider === 'stripe') {
        const verified = stripe.webhooks.constructEvent(e.body, e.headers['stripe-signature'], secret);
        assert.equal(verified.type, type);
      } else if (provider === 'shopify') {
        const mac = crypto.createHmac('sha256', secret).update(e.body).digest('base64');
        assert.equal(e.headers['x-shopify-hmac-sha256'], mac);
      } else {
        const payload = new Webhook(secret).verify(e.body, {
          'webhook-id': e.headers['webhook-id'],
          'webhook-timestamp': e.headers['webhook-timestamp'],
          'webhook-signature': e.headers['webhook-signature'],
        });
        assert.equal(payload.type, type);
      }
    });
  }

  test('--override sets payload fields; --list names every sample; mistakes are refused', async () => {
    const r = await cli(['trigger', 'stripe', 'invoice.paid', '--source', sources.stripe.id, '--json',
      '--override', 'data.object.amount_paid=9900', '--override', 'data.object.note=hello world']);
    assert.equal(r.code, 0, r.stderr);
    const e = await storedEvent(JSON.parse(r.stdout).event_id);
    const body = JSON.parse(e.body);
    assert.equal(body.data.object.amount_paid, 9900);
    assert.equal(body.data.object.note, 'hello world');

    const list = await cli(['trigger', '--list']);
    assert.equal(list.code, 0);
    for (const [provider, event] of cases.filter(([p]) => p !== 'standard')) {
      assert.ok(list.stdout.includes(`${provider} ${event}\t`), `${provider} ${event} listed`);
    }
    // A sample another provider's source cannot verify, an unknown sample, a missing source.
    const wrong = await cli(['trigger', 'github', 'push', '--source', sources.stripe.id]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /^hookd: source src_\S+ verifies stripe, not github\n$/);
    const unknown = await cli(['trigger', 'github', 'release.published', '--source', sources.github.id]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no GitHub sample/);
    const missing = await cli(['trigger', 'github', 'push', '--source', 'src_nonexistent']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^hookd: not_found: /);
    const usage = await cli(['trigger', 'github', 'push']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /Usage:/);
  });
});

describe('hookd send, retry, recover, login', TIMEOUT, () => {
  test('send publishes a message that arrives signed; retry and recover queue attempts', async () => {
    const rx = await startReceiver();
    try {
      const ep = await h.api('POST', '/api/v1/endpoints', { url: rx.url, event_types: ['cli.*'] });
      assert.equal(ep.status, 201, ep.text);
      const sent = await cli(['send', 'cli.sent', '--data', '{"n": 1}', '--json']);
      assert.equal(sent.code, 0, sent.stderr);
      const msg = JSON.parse(sent.stdout);
      assert.match(msg.id, /^msg_/);
      assert.equal(msg.deliveries, 1);
      await rx.waitFor(() => rx.requests.length === 1, 10_000, 'the delivery');
      const rec = rx.requests[0];
      const payload = new Webhook(ep.json.secret).verify(rec.body.toString(), {
        'webhook-id': rec.headers['webhook-id'],
        'webhook-timestamp': rec.headers['webhook-timestamp'],
        'webhook-signature': rec.headers['webhook-signature'],
      });
      assert.deepEqual(payload, { n: 1 });
      // Plain output, and --data @file.
      const file = path.join(home, 'payload.json');
      fs.writeFileSync(file, '{"from": "file"}');
      const plain = await cli(['send', 'cli.file', '--data', `@${file}`]);
      assert.equal(plain.code, 0, plain.stderr);
      assert.match(plain.stdout, /^msg_\S+ cli\.file -> 1 endpoint\n$/);
      await rx.waitFor(() => rx.requests.length === 2, 10_000, 'the second delivery');
      assert.equal(rx.requests[1].body.toString(), '{"from":"file"}');

      const d = await h.api('GET', `/api/v1/deliveries?message_id=${msg.id}`);
      const dlv = d.json.data[0].id;
      const retried = await cli(['retry', dlv]);
      assert.equal(retried.code, 0, retried.stderr);
      await rx.waitFor(() => rx.requests.length === 3, 10_000, 'the retried attempt');
      const recovered = await cli(['recover', ep.json.id, '--since', new Date(Date.now() - 60_000).toISOString(), '--json']);
      assert.equal(recovered.code, 0, recovered.stderr);
      assert.equal(JSON.parse(recovered.stdout).requeued, 0); // nothing failed
      const bad = await cli(['send', 'cli.bad', '--data', '{not json']);
      assert.equal(bad.code, 1);
      assert.equal(bad.stderr, 'hookd: --data is not JSON\n');
    } finally {
      await rx.close();
    }
  });

  test('send --app with an application token reaches its application only', async () => {
    const uid = `cli-${rand(3)}`;
    assert.equal((await h.api('PUT', `/api/v1/apps/${uid}`, { name: uid })).status, 201);
    const tok = await h.api('POST', `/api/v1/apps/${uid}/tokens`, {});
    const own = await cli(['send', 'cli.app', '--app', uid, '--json'], { token: tok.json.token });
    assert.equal(own.code, 0, own.stderr);
    const m = await h.api('GET', `/api/v1/apps/${uid}/messages/${JSON.parse(own.stdout).id}`);
    assert.equal(m.status, 200);
    const unscoped = await cli(['send', 'cli.app'], { token: tok.json.token });
    assert.equal(unscoped.code, 1);
    assert.match(unscoped.stderr, /^hookd: forbidden: /);
  });

  test('login keeps the URL and token in a 0600 file the other commands read', async () => {
    const r = await cli(['login', '--url', h.base, '--token', h.token], { token: null, url: null });
    assert.equal(r.code, 0, r.stderr);
    const file = path.join(home, '.config', 'hookd', 'config');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.ok(fs.readFileSync(file, 'utf8').includes(`token=${h.token}`));
    const sent = await cli(['send', 'cli.login'], { token: null, url: null });
    assert.equal(sent.code, 0, sent.stderr);
    const wrong = await cli(['login', '--token', 'not-the-token'], { token: null });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /^hookd: unauthorized: /);
    assert.ok(fs.readFileSync(file, 'utf8').includes(`token=${h.token}`), 'a refused login changes nothing');
    fs.rmSync(file);
  });

  test('exit codes: 1 with one line for a wrong token or no hookd, 2 for a bad flag, 0 for --help', async () => {
    const wrong = await cli(['send', 'x.y'], { token: 'wrong-token' });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /^hookd: unauthorized: [^\n]*\n$/);
    const port = await freePort();
    const down = await cli(['send', 'x.y'], { url: `http://127.0.0.1:${port}` });
    assert.equal(down.code, 1);
    assert.match(down.stderr, /^hookd: cannot reach hookd at http:\/\/127\.0\.0\.1:\d+ [^\n]*\n$/);
    // Something else at --url answering 2xx with other JSON: one line, exit 1, no crash.
    const impostor = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"id": 5, "deliveries": "many", "event_type": ["x"]}');
    });
    await new Promise((r) => impostor.listen(0, '127.0.0.1', r));
    try {
      const odd = await cli(['send', 'x.y'], { url: `http://127.0.0.1:${impostor.address().port}` });
      assert.equal(odd.code, 1, odd.stderr);
      assert.match(odd.stderr, /^hookd: unexpected answer from http:\/\/127\.0\.0\.1:\d+ \(is it hookd\?\)\n$/);
    } finally {
      await new Promise((r) => impostor.close(r));
    }
    const flag = await cli(['send', 'x.y', '--bogus']);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /unknown option --bogus/);
    for (const cmd of ['send', 'trigger', 'retry', 'recover', 'login', 'tail']) {
      const help = await cli([cmd, '--help']);
      assert.equal(help.code, 0, cmd);
      assert.match(help.stdout, new RegExp(`Usage:\\n  hookd ${cmd}`));
    }
  });
});

describe('hookd tail', TIMEOUT, () => {
  test('follows the stream across a restart of hookd, nothing missed or repeated', async () => {
    const tail = startTail(['--json', '--types', 'message.created']);
    try {
      await new Promise((r) => setTimeout(r, 500)); // connected
      const ids = [];
      const publish = async (type) => {
        const r = await h.api('POST', '/api/v1/messages', { event_type: type, payload: {} });
        assert.equal(r.status, 202, r.text);
        ids.push(r.json.id);
      };
      await publish('tail.one');
      await publish('tail.two');
      await poll(() => ids.every((id) => tail.out().includes(id)), 10_000, 'the first two entries');
      await h.restart();
      await publish('tail.three');
      await publish('tail.four');
      await poll(() => ids.every((id) => tail.out().includes(id)), 15_000, 'every entry after the restart');
      const entries = tail.out().trim().split('\n').map((l) => JSON.parse(l)).filter((e) => ids.includes(e.data.message_id));
      assert.deepEqual(entries.map((e) => e.data.message_id), ids, 'each once, in order');
      const seqs = entries.map((e) => e.seq);
      assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
      assert.match(tail.err(), /the stream dropped; resuming after #\d+/);
    } finally {
      await tail.stop();
    }
  });

  test('an application token tails its own application; a wrong token ends at once', async () => {
    const uid = `tail-${rand(3)}`;
    assert.equal((await h.api('PUT', `/api/v1/apps/${uid}`, { name: uid })).status, 201);
    const tok = await h.api('POST', `/api/v1/apps/${uid}/tokens`, {});
    const tail = startTail([], { token: tok.json.token });
    try {
      await new Promise((r) => setTimeout(r, 500));
      const other = await h.api('POST', '/api/v1/messages', { event_type: 'tail.other', payload: {} });
      const own = await h.api('POST', `/api/v1/apps/${uid}/messages`, { event_type: 'tail.own', payload: {} });
      await poll(() => tail.out().includes(own.json.id), 10_000, 'its own entry');
      await new Promise((r) => setTimeout(r, 300));
      assert.ok(!tail.out().includes(other.json.id), 'another application\'s entry');
      assert.match(tail.out(), /^\d\d:\d\d:\d\d #\d+ message\.created tail\.own msg_\S+ app_\S+$/m);
    } finally {
      await tail.stop();
    }
    const wrong = await cli(['tail'], { token: 'wrong-token' });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /^hookd: unauthorized: [^\n]*\n$/);
    const badFilter = await cli(['tail', '--types', 'not a type']);
    assert.equal(badFilter.code, 1);
    assert.match(badFilter.stderr, /^hookd: invalid_field: types/);
  });
});
