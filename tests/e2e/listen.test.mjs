// `hookd listen --forward-to <url>`: the command opens a WebSocket to hookd, which makes a
// temporary endpoint of kind cli and hands its deliveries down the socket; the command POSTs each to
// a local receiver and the answer becomes the attempt. Checked here with the real binary as the
// command and a Node receiver on 127.0.0.1 (hookd runs without HOOKD_ALLOW_PRIVATE_TARGETS: it
// never dials the local URL itself):
// - signatures verify with `standardwebhooks`; the attempt is recorded with the receiver's status
//   and answer; a 500 is retried; the endpoint shows kind cli;
// - Ctrl-C removes the endpoint, and what still waited for it ends failed, visibly;
// - kill -9 of the command mid-stream loses nothing: every message ends delivered or failed
//   once the grace has passed and the endpoint is reaped;
// - a dropped socket reconnects and resumes the same endpoint;
// - an application token listens to its own application only; a read-only portal session may not;
// - exit codes and one-line errors for a wrong token, an unreachable hookd, bad flags;
// - the raw protocol abused (no hello, garbage, a second hello, an unanswered delivery);
// - the dashboard marks the endpoint as hookd listen's while it lives (chromium; with
//   DASHBOARD_SCREENSHOTS=<dir> also saved at 1366x768 and 420 px).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';

import { Webhook } from 'standardwebhooks';
import WebSocket from 'ws';

import fs from 'node:fs';
import path from 'node:path';

import { launchChromium } from './lib/browser.mjs';
import { HOOKD_BIN, freePort, startHookd } from './lib/hookd.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { poll, rand, sleep } from './lib/util.mjs';

const TIMEOUT = { timeout: 90_000 };
const GRACE_MS = 2000;

let h;

before(async () => {
  h = await startHookd({
    env: { HOOKD_LISTEN_GRACE: '2s', HOOKD_RETRY_SCHEDULE: '500ms,500ms,500ms', HOOKD_DELIVERY_TIMEOUT: '3s' },
  });
});

after(async () => {
  if (!h) return;
  h.saveLog('listen');
  await h.cleanup();
});

function cliEnv(token, url) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('HOOKD_')) delete env[k];
  env.HOME = '/nonexistent';
  if (url) env.HOOKD_URL = url;
  if (token) env.HOOKD_TOKEN = token;
  return env;
}

/** Starts `hookd listen ...args`; resolves once it printed its secret. */
async function startListen(args, { token = h.token, url = h.base, hookd = h } = {}) {
  const proc = spawn(HOOKD_BIN, ['listen', ...args], { env: cliEnv(token, url), stdio: ['ignore', 'pipe', 'pipe'] });
  const l = { proc, out: '', err: '', code: undefined };
  proc.stdout.on('data', (c) => (l.out += c));
  proc.stderr.on('data', (c) => (l.err += c));
  l.exited = new Promise((resolve) => proc.on('exit', (code) => resolve((l.code = code))));
  const ready = args.includes('--json') ? /"type":"ready"[^\n]*\n/ : /Webhook signing secret: whsec_/;
  await poll(() => ready.test(l.out) || l.code !== undefined, 10_000, 'listen ready');
  assert.equal(l.code, undefined, `listen exited: ${l.err}`);
  if (args.includes('--json')) {
    const first = JSON.parse(l.out.split('\n')[0]); // {"type":"ready","endpoint_id","secret",...}
    assert.equal(first.type, 'ready');
    l.endpointId = first.endpoint_id;
    l.secret = first.secret;
  } else {
    l.endpointId = l.out.match(/Ready: endpoint (ep_\S+)/)[1];
    l.secret = l.out.match(/Webhook signing secret: (whsec_\S+)/)[1];
  }
  l.hookd = hookd;
  return l;
}

function runCli(args, { token = h.token, url = h.base } = {}) {
  return new Promise((resolve) => {
    const p = spawn(HOOKD_BIN, args, { env: cliEnv(token, url), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c) => (stdout += c));
    p.stderr.on('data', (c) => (stderr += c));
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function verify(secret, rec) {
  return new Webhook(secret).verify(rec.body.toString(), {
    'webhook-id': rec.headers['webhook-id'],
    'webhook-timestamp': rec.headers['webhook-timestamp'],
    'webhook-signature': rec.headers['webhook-signature'],
  });
}

async function publish(type, payload, prefix = '/api/v1', opts = {}) {
  const r = await h.api('POST', `${prefix}/messages`, { event_type: type, payload }, opts);
  assert.equal(r.status, 202, r.text);
  return r.json;
}

async function deliveryOf(messageId) {
  const r = await h.api('GET', `/api/v1/deliveries?message_id=${messageId}`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.data.length, 1, r.text);
  const d = await h.api('GET', `/api/v1/deliveries/${r.json.data[0].id}`);
  assert.equal(d.status, 200, d.text);
  return d.json;
}

describe('hookd listen', TIMEOUT, () => {
  test('forwards signed deliveries to the local URL; the attempt is the receiver\'s answer; kind cli', async () => {
    const rx = await startReceiver({ status: 201, body: 'hello from the laptop' });
    const type = `listen.${rand(4)}.created`;
    const l = await startListen(['--forward-to', rx.url, '--events', `${type.split('.').slice(0, 2).join('.')}.*`]);
    try {
      const ep = await h.api('GET', `/api/v1/endpoints/${l.endpointId}`);
      assert.equal(ep.status, 200, ep.text);
      assert.equal(ep.json.kind, 'cli');
      assert.equal(ep.json.url, rx.url);
      assert.equal(ep.json.secret, l.secret);

      const msg = await publish(type, { order: 42, note: 'ünïcode' });
      assert.equal(msg.deliveries, 1);
      await rx.waitFor(() => rx.requests.length === 1, 10_000, 'the forwarded delivery');
      const rec = rx.requests[0];
      assert.equal(rec.method, 'POST');
      assert.equal(rec.url, '/hook');
      assert.deepEqual(verify(l.secret, rec), { order: 42, note: 'ünïcode' });
      assert.equal(rec.headers['webhook-id'], msg.id);
      assert.equal(rec.headers['hookd-event-type'], type);
      assert.equal(rec.headers['content-type'], 'application/json');
      assert.match(rec.headers['user-agent'], /^hookd\//);

      const d = await poll(async () => {
        const x = await deliveryOf(msg.id);
        return x.status === 'succeeded' ? x : null;
      }, 10_000, 'the delivery succeeded');
      assert.equal(d.attempts.length, 1);
      assert.equal(d.attempts[0].response_status, 201);
      assert.equal(d.attempts[0].response_body, 'hello from the laptop');
      await poll(() => l.out.includes(`${msg.id} -> 201`), 5000, 'the delivery line');
      // Another type is not forwarded.
      await publish(`other.${rand(4)}`, {});
      await sleep(300);
      assert.equal(rx.requests.length, 1);
    } finally {
      l.proc.kill('SIGINT');
      assert.equal(await l.exited, 0, l.err);
      await rx.close();
    }
  });

  test('a 500 from the local receiver is a failed attempt, retried', async () => {
    const rx = await startReceiver({ status: 500, body: 'boom' });
    const type = `retry.${rand(4)}`;
    const l = await startListen(['--forward-to', rx.url, '--events', type]);
    try {
      const msg = await publish(type, { n: 1 });
      await rx.waitFor(() => rx.requests.length >= 1, 10_000, 'the first attempt');
      rx.status = 200;
      const d = await poll(async () => {
        const x = await deliveryOf(msg.id);
        return x.status === 'succeeded' ? x : null;
      }, 15_000, 'the retried delivery succeeded');
      assert.ok(d.attempts.length >= 2, JSON.stringify(d));
      assert.equal(d.attempts[0].response_status, 500);
      assert.equal(d.attempts[0].response_body, 'boom');
      assert.equal(d.attempts.at(-1).response_status, 200);
      assert.equal(rx.attemptsOf(msg.id), d.attempts.length);
      assert.match(l.out, new RegExp(`${msg.id} -> 500`));
    } finally {
      l.proc.kill('SIGINT');
      await l.exited;
      await rx.close();
    }
  });

  test('Ctrl-C removes the endpoint; a delivery still waiting for it ends failed', async () => {
    let release;
    const gate = new Promise((r) => (release = r));
    const rx = await startReceiver({ gate });
    const type = `bye.${rand(4)}`;
    const l = await startListen(['--forward-to', rx.url, '--events', type, '--max-concurrency', '1']);
    const first = await publish(type, { n: 1 });
    const second = await publish(type, { n: 2 });
    await rx.waitFor(() => rx.requests.length === 1, 10_000, 'the first delivery held by the receiver');
    l.proc.kill('SIGINT');
    assert.equal(await l.exited, 0, l.err);
    assert.match(l.err, new RegExp(`endpoint ${l.endpointId} removed`));
    release();
    const gone = await h.api('GET', `/api/v1/endpoints/${l.endpointId}`);
    assert.equal(gone.status, 404);
    for (const m of [first, second]) {
      const d = await poll(async () => {
        const x = await deliveryOf(m.id);
        return x.status === 'failed' ? x : null;
      }, 15_000, `${m.id} failed`);
      assert.equal(d.endpoint_id, l.endpointId);
    }
    assert.equal(rx.requests.filter((r) => r.headers['webhook-id'] === second.id).length, 0);
    await rx.close();
  });

  test('kill -9 of the command mid-stream loses nothing: every message ends delivered or failed', async () => {
    const rx = await startReceiver({ delayMs: 150 });
    const type = `kill.${rand(4)}`;
    const l = await startListen(['--forward-to', rx.url, '--events', type, '--max-concurrency', '2']);
    const ids = [];
    for (let i = 0; i < 20; i++) ids.push((await publish(type, { i })).id);
    await rx.waitFor(() => rx.requests.length >= 3, 10_000, 'a few deliveries forwarded');
    l.proc.kill('SIGKILL');
    await l.exited;
    // After the grace the endpoint is reaped and nothing waits for it any more.
    await poll(async () => (await h.api('GET', `/api/v1/endpoints/${l.endpointId}`)).status === 404,
      GRACE_MS + 5000, 'the endpoint reaped');
    const final = await poll(async () => {
      const all = [];
      for (const id of ids) all.push(await deliveryOf(id));
      return all.every((d) => d.status === 'succeeded' || d.status === 'failed') ? all : null;
    }, 20_000, 'every delivery ended');
    const succeeded = final.filter((d) => d.status === 'succeeded');
    assert.ok(succeeded.length >= 1);
    // A success is only ever one the receiver answered.
    for (const d of succeeded) assert.ok(rx.answered.some((r) => r.headers['webhook-id'] === d.message_id), d.id);
    for (const d of final.filter((x) => x.status === 'failed')) assert.ok(d.attempts.length >= 0);
    console.log(`kill -9: ${succeeded.length} of 20 delivered, ${20 - succeeded.length} ended failed`);
    await rx.close();
  });

  test('a dropped socket reconnects and resumes the same endpoint', async () => {
    // The command reaches hookd's stream listener through a proxy this test can cut.
    const proxyPort = await freePort();
    const hp = await startHookd({ env: { HOOKD_PUBLIC_URL: `http://127.0.0.1:${proxyPort}` } });
    const sockets = new Set();
    const proxy = net.createServer((c) => {
      const up = net.connect(hp.streamPort, '127.0.0.1');
      sockets.add(c).add(up);
      c.pipe(up).pipe(c);
      const end = () => { c.destroy(); up.destroy(); };
      c.on('error', end).on('close', end);
      up.on('error', end).on('close', end);
    });
    await new Promise((r) => proxy.listen(proxyPort, '127.0.0.1', r));
    const rx = await startReceiver();
    let l;
    try {
      l = await startListen(['--forward-to', rx.url], { token: hp.token, url: hp.base, hookd: hp });
      for (const s of sockets) s.destroy();
      sockets.clear();
      await poll(() => /reconnected; resuming endpoint/.test(l.err), 10_000, 'the command resumed');
      assert.match(l.err, new RegExp(`resuming endpoint ${l.endpointId}`));
      const r = await hp.api('POST', '/api/v1/messages', { event_type: 'resumed.one', payload: { ok: true } });
      assert.equal(r.status, 202, r.text);
      await rx.waitFor(() => rx.requests.length === 1, 10_000, 'a delivery after the reconnection');
      assert.deepEqual(verify(l.secret, rx.requests[0]), { ok: true });
      const eps = await hp.api('GET', '/api/v1/endpoints');
      assert.deepEqual(eps.json.data.map((e) => e.id), [l.endpointId]);
    } finally {
      if (l) { l.proc.kill('SIGINT'); await l.exited; }
      proxy.close();
      for (const s of sockets) s.destroy();
      await rx.close();
      hp.saveLog('listen-proxy');
      await hp.cleanup();
    }
  });

  test('an application token listens to its own application only; read-only sessions may not', async () => {
    const app = await h.api('POST', '/api/v1/apps', { name: `listen ${rand(4)}` });
    assert.equal(app.status, 201, app.text);
    const other = await h.api('POST', '/api/v1/apps', { name: `other ${rand(4)}` });
    const tok = await h.api('POST', `/api/v1/apps/${app.json.id}/tokens`, { name: 'cli' });
    assert.equal(tok.status, 201, tok.text);
    const rx = await startReceiver();
    const l = await startListen(['--forward-to', rx.url], { token: tok.json.token });
    try {
      assert.match(l.out, new RegExp(`\\(${app.json.id}\\)`));
      const ep = await h.api('GET', `/api/v1/apps/${app.json.id}/endpoints/${l.endpointId}`);
      assert.equal(ep.status, 200, ep.text);
      assert.equal(ep.json.kind, 'cli');
      await publish('tenant.other', { x: 1 }, `/api/v1/apps/${other.json.id}`);
      await publish('tenant.default', { x: 2 });
      const mine = await publish('tenant.mine', { x: 3 }, `/api/v1/apps/${app.json.id}`);
      await rx.waitFor(() => rx.requests.length >= 1, 10_000, 'its own application\'s message');
      await sleep(500);
      assert.deepEqual(rx.requests.map((r) => r.headers['webhook-id']), [mine.id]);
    } finally {
      l.proc.kill('SIGINT');
      await l.exited;
      await rx.close();
    }
    // Another application asked for by name: refused, nothing made.
    const refused = await runCli(['listen', '--forward-to', 'localhost:9', '--app', other.json.id], { token: tok.json.token });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^hookd: forbidden: /);
    // A read-only portal session cannot make an endpoint.
    const link = await h.api('POST', `/api/v1/apps/${app.json.id}/portal`, { expires_in: 600, read_only: true });
    assert.equal(link.status, 201, link.text);
    const code = link.json.url.split('#')[1];
    const session = await h.api('POST', '/api/v1/portal/session', { code }, { token: null });
    assert.equal(session.status, 201, session.text);
    const ro = await runCli(['listen', '--forward-to', 'localhost:9'], { token: session.json.token });
    assert.equal(ro.code, 1);
    assert.match(ro.stderr, /^hookd: read_only: /);
    const eps = await h.api('GET', `/api/v1/apps/${app.json.id}/endpoints`);
    assert.equal(eps.json.data.length, 0, eps.text);
  });

  test('a revoked token ends its command within a second, with one error line', async () => {
    const app = await h.api('POST', '/api/v1/apps', { name: `revoke ${rand(4)}` });
    const tok = await h.api('POST', `/api/v1/apps/${app.json.id}/tokens`, { name: 'cli' });
    assert.equal(tok.status, 201, tok.text);
    const l = await startListen(['--forward-to', 'localhost:9/x'], { token: tok.json.token });
    const revoked = await h.api('DELETE', `/api/v1/apps/${app.json.id}/tokens/${tok.json.id}`);
    assert.equal(revoked.status, 204, revoked.text);
    const at = Date.now();
    assert.equal(await l.exited, 1, l.err);
    assert.ok(Date.now() - at < 1500, `exited ${Date.now() - at} ms after the revocation`);
    assert.match(l.err, /^hookd: unauthorized: [^\n]*\n$/);
    // Its endpoint is reaped after the grace.
    await poll(async () => (await h.api('GET', `/api/v1/endpoints/${l.endpointId}`)).status === 404,
      GRACE_MS + 5000, 'the endpoint reaped');
  });

  test('--source and --app (by uid, with the admin token) become the endpoint\'s filter and application', async () => {
    const src = await h.api('POST', '/api/v1/sources', { name: `listen ${rand(4)}`, provider: 'standard' });
    assert.equal(src.status, 201, src.text);
    const uid = `listen-${rand(4)}`;
    const app = await h.api('PUT', `/api/v1/apps/${uid}`, { name: 'by uid' });
    assert.equal(app.status, 201, app.text);
    const l = await startListen(['--forward-to', 'localhost:9/x', '--source', src.json.id, '--app', uid,
      '--events', 'a.*,b.created', '--json']);
    try {
      const ep = await h.api('GET', `/api/v1/endpoints/${l.endpointId}`);
      assert.equal(ep.status, 200, ep.text);
      assert.deepEqual(ep.json.source_ids, [src.json.id]);
      assert.deepEqual(ep.json.event_types, ['a.*', 'b.created']);
      assert.equal(ep.json.app_id, app.json.id);
      assert.equal(ep.json.url, 'http://localhost:9/x');
    } finally {
      l.proc.kill('SIGINT');
      assert.equal(await l.exited, 0, l.err);
    }
  });

  test('exit codes and one-line errors: wrong token, unreachable hookd, bad flags', async () => {
    const wrong = await runCli(['listen', '--forward-to', 'localhost:9'], { token: 'tok_wrong_wrong_wrong_wrong_wrong' });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /^hookd: unauthorized: [^\n]*\n$/);
    const port = await freePort();
    const unreachable = await runCli(['listen', '--forward-to', 'localhost:9'], { url: `http://127.0.0.1:${port}` });
    assert.equal(unreachable.code, 1);
    assert.equal(unreachable.stderr.trim().split('\n').length, 1, unreachable.stderr);
    for (const args of [[], ['--forward-to', 'ftp://x/'], ['--forward-to', 'localhost:9', '--max-concurrency', '0'],
      ['--forward-to', 'localhost:9', '--bogus'], ['extra', '--forward-to', 'localhost:9']]) {
      const r = await runCli(['listen', ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    }
    const help = await runCli(['listen', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--forward-to/);
  });
});

describe('the dashboard', TIMEOUT, () => {
  test('shows a listen endpoint as such while it lives, and not after Ctrl-C', async () => {
    const rx = await startReceiver();
    const l = await startListen(['--forward-to', rx.url, '--events', 'dash.*']);
    const browser = await launchChromium();
    try {
      for (const [suffix, viewport] of [['', { width: 1366, height: 768 }], ['-420', { width: 420, height: 800 }]]) {
        const context = await browser.newContext({ viewport });
        const page = await context.newPage();
        const errors = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(h.base + '/');
        await page.getByLabel('Admin token').fill(h.token);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.locator('#nav').waitFor({ state: 'visible', timeout: 10_000 });
        await page.goto(`${h.base}/#/endpoints`);
        const row = page.locator(`tr[data-endpoint="${l.endpointId}"]`);
        await row.locator('.badge', { hasText: 'hookd listen' }).waitFor({ timeout: 10_000 });
        await page.goto(`${h.base}/#/endpoints/${l.endpointId}`);
        await page.locator('#view-endpoint .badge', { hasText: 'hookd listen' }).waitFor({ timeout: 10_000 });
        if (process.env.DASHBOARD_SCREENSHOTS) {
          fs.mkdirSync(process.env.DASHBOARD_SCREENSHOTS, { recursive: true });
          await page.goto(`${h.base}/#/endpoints`);
          await row.waitFor({ timeout: 10_000 });
          await page.waitForTimeout(300);
          await page.screenshot({ path: path.join(process.env.DASHBOARD_SCREENSHOTS, `listen-endpoints${suffix}.png`) });
        }
        assert.deepEqual(errors, []);
        await context.close();
      }
    } finally {
      await browser.close();
      l.proc.kill('SIGINT');
      await l.exited;
      await rx.close();
    }
    assert.equal((await h.api('GET', `/api/v1/endpoints/${l.endpointId}`)).status, 404);
  });
});

describe('GET /api/v1/listen, abused', TIMEOUT, () => {
  const open = (token = h.token) =>
    new WebSocket(`ws://127.0.0.1:${h.streamPort}/api/v1/listen`, { headers: { authorization: `Bearer ${token}` } });
  /** Resolves with every frame and the close code. */
  const collect = (ws) => new Promise((resolve) => {
    const frames = [];
    ws.on('message', (m) => frames.push(JSON.parse(m.toString())));
    ws.on('close', (code) => resolve({ frames, code }));
    ws.on('error', () => {});
  });

  test('garbage, a frame before the hello, a bad hello and a second hello are refused with an error frame', async () => {
    const before = (await h.api('GET', '/api/v1/endpoints?limit=500')).json.data.length;
    for (const [frames, code] of [
      [['not json'], 'bad_frame'],
      [['{"type":"result","id":1,"status":200,"duration_ms":1}'], 'bad_frame'],
      [['{"type":"hello"}'], 'bad_frame'],
      [['{"type":"hello","forward_to":"ftp://x"}'], 'invalid_url'],
      [['{"type":"hello","forward_to":"http://localhost:1/x","max_concurrency":1000}'], 'bad_frame'],
      [['{"type":"hello","forward_to":"http://localhost:1/x","app":"app_nope"}'], 'not_found'],
      [['['.repeat(60000)], 'bad_frame'], // nested 60,000 deep
    ]) {
      const ws = open();
      const done = collect(ws);
      await new Promise((r) => ws.on('open', r));
      for (const f of frames) ws.send(f);
      const { frames: got, code: closeCode } = await done;
      assert.equal(got.at(-1)?.type, 'error', `${frames[0].slice(0, 40)}: ${JSON.stringify(got)}`);
      assert.equal(got.at(-1).code, code, JSON.stringify(got));
      assert.equal(closeCode, 1008);
    }
    // A frame over 64 KiB: closed as too big (1009).
    const big = open();
    const bigDone = collect(big);
    await new Promise((r) => big.on('open', r));
    big.send(JSON.stringify({ type: 'hello', forward_to: `http://localhost:1/${'x'.repeat(70000)}` }));
    assert.equal((await bigDone).code, 1009);

    const ws = open();
    const done = collect(ws);
    await new Promise((r) => ws.on('open', r));
    ws.send('{"type":"hello","forward_to":"http://localhost:1/x","events":["never.sent"]}');
    ws.send('{"type":"hello","forward_to":"http://localhost:1/y"}');
    const { frames } = await done;
    assert.equal(frames[0].type, 'ready');
    assert.equal(frames.at(-1).code, 'bad_frame');
    const after = (await h.api('GET', '/api/v1/endpoints?limit=500')).json.data.length;
    assert.ok(after <= before + 1); // the one ready endpoint, reaped after its grace
    const wrong = open('tok_wrong_wrong_wrong_wrong_wrong');
    const refused = await new Promise((resolve) => wrong.on('unexpected-response', (_req, res) => resolve(res.statusCode)));
    assert.equal(refused, 401);
  });

  test('a command that stops reading is dropped, its endpoint reaped, its deliveries not lost', async () => {
    const type = `stuck.${rand(4)}`;
    const ws = open();
    const got = [];
    ws.on('message', (m) => got.push(JSON.parse(m.toString())));
    ws.on('error', () => {});
    const closed = new Promise((r) => ws.on('close', r));
    await new Promise((r) => ws.on('open', r));
    ws.send(JSON.stringify({ type: 'hello', forward_to: 'http://localhost:1/x', events: [type], max_concurrency: 64 }));
    await poll(() => got.length >= 1, 5000, 'ready');
    const endpointId = got[0].endpoint_id;
    ws._socket.pause(); // reads nothing more: hookd's frames pile up behind a full socket
    const started = Date.now();
    const big = 'x'.repeat(60_000);
    const ids = [];
    for (let i = 0; i < 200; i++) ids.push((await publish(type, { i, big })).id);
    // Each timed-out attempt (3 s here) frees a slot whose frame queues again; past the cap the
    // session is dropped, well before the WebSocket's own 30 s idle timeout.
    await poll(async () => (await h.api('GET', `/api/v1/endpoints/${endpointId}`)).status === 404,
      25_000, 'the stuck command dropped and its endpoint reaped');
    assert.ok(Date.now() - started < 25_000);
    ws._socket.resume();
    await closed;
    const ended = await poll(async () => {
      const r = await h.api('GET', `/api/v1/deliveries?endpoint_id=${endpointId}&limit=500`);
      return r.json.data.length === 200 && r.json.data.every((d) => d.status === 'failed') ? r.json.data : null;
    }, 20_000, 'every delivery ended failed');
    assert.equal(ended.length, ids.length);
  });

  test('a delivery the command never answers times out as a failed attempt; hookd never dials the URL', async () => {
    const rx = await startReceiver();
    const type = `silent.${rand(4)}`;
    const ws = open();
    const got = [];
    ws.on('message', (m) => got.push(JSON.parse(m.toString())));
    await new Promise((r) => ws.on('open', r));
    ws.send(JSON.stringify({ type: 'hello', forward_to: rx.url, events: [type] }));
    await poll(() => got.length >= 1, 5000, 'ready');
    assert.equal(got[0].type, 'ready');
    const msg = await publish(type, { quiet: true });
    await poll(() => got.some((f) => f.type === 'delivery'), 5000, 'the delivery frame');
    const frame = got.find((f) => f.type === 'delivery');
    const headers = Object.fromEntries(frame.headers);
    assert.equal(headers['webhook-id'], msg.id);
    const body = Buffer.from(frame.body_base64, 'base64').toString();
    assert.deepEqual(new Webhook(got[0].secret).verify(body, headers), { quiet: true });
    // A result for an id hookd never sent changes nothing.
    ws.send(JSON.stringify({ type: 'result', id: 999999, status: 200, duration_ms: 1 }));
    const d = await poll(async () => {
      const x = await deliveryOf(msg.id);
      return x.attempts.length >= 1 ? x : null;
    }, 10_000, 'the timed-out attempt');
    assert.equal(d.attempts[0].response_status, null);
    assert.match(d.attempts[0].error, /did not answer within 3000 ms/);
    assert.equal(rx.requests.length, 0);
    ws.close();
    await rx.close();
  });
});
