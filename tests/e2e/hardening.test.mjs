// The hardening issue's findings, replayed against the built binary: every item that was seen
// crashing, hanging or growing hookd, sent as an attacker would (raw TCP where a client library
// would refuse the bytes). Each test ends by checking hookd still answers.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { sign as githubSign } from '@octokit/webhooks-methods';
import { startHookd } from './lib/hookd.mjs';
import { exchange } from './lib/raw.mjs';
import { sleep } from './lib/util.mjs';


/** Sends `bytes` straight to hookd and collects the answer (lib/raw.mjs). */
const raw = (port, bytes, waitMs = 1000) => exchange(() => net.connect(port, '127.0.0.1'), bytes, waitMs);

/** A request written byte for byte; `headers` is a latin1 string of "Name: value\r\n" lines. */
function post(path, headers, body) {
  return Buffer.concat([
    Buffer.from(`POST ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n`, 'latin1'),
    Buffer.from(headers, 'latin1'),
    Buffer.from(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`, 'latin1'),
    Buffer.from(body),
  ]);
}

async function assertServing(h) {
  const r = await fetch(`${h.base}/healthz`, { signal: AbortSignal.timeout(3000) });
  assert.equal(r.status, 200, 'hookd stopped answering');
}

const rssMiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
const cpuTicks = (pid) => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]);
};

describe('crashes', () => {
  let h;
  let src;
  before(async () => {
    h = await startHookd();
    src = (await h.api('POST', '/api/v1/sources', { name: 'gh', provider: 'github', secret: 's3cret' })).json;
  });
  after(() => h.cleanup());

  test('a signed GitHub replay with a non-UTF-8 X-GitHub-Delivery is 400 naming the header, every time', async () => {
    const body = '{"action":"opened"}';
    const sig = await githubSign('s3cret', body);
    for (let i = 0; i < 20; i++) {
      const r = await raw(h.port, post(src.ingest_path, `X-Hub-Signature-256: ${sig}\r\nX-GitHub-Delivery: \xff\xfe\r\nX-GitHub-Event: push\r\n`, body));
      assert.deepEqual(r.statuses, [400], r.text);
      assert.equal(r.json.error.code, 'invalid_header');
      assert.match(r.json.error.message, /X-GitHub-Delivery/);
    }
    const evt = await raw(h.port, post(src.ingest_path, `X-Hub-Signature-256: ${sig}\r\nX-GitHub-Delivery: d-1\r\nX-GitHub-Event: \xc3\x28\r\n`, body));
    assert.deepEqual(evt.statuses, [400]);
    assert.match(evt.json.error.message, /X-GitHub-Event/);
    await assertServing(h);
    assert.equal((await h.api('GET', '/api/v1/events')).json.data.length, 0);
  });

  test("a Shopify X-Shopify-Webhook-Id of \\xc3\\x28 is 400", async () => {
    const shop = (await h.api('POST', '/api/v1/sources', { name: 'shop', provider: 'shopify', secret: 'shpss' })).json;
    const body = '{"id":1}';
    const hmac = crypto.createHmac('sha256', 'shpss').update(body).digest('base64');
    const r = await raw(h.port, post(shop.ingest_path, `X-Shopify-Hmac-Sha256: ${hmac}\r\nX-Shopify-Webhook-Id: \xc3\x28\r\n`, body));
    assert.deepEqual(r.statuses, [400], r.text);
    assert.equal(r.json.error.code, 'invalid_header');
    await assertServing(h);
  });

  test('a signed event nested 150,000 deep is refused, and nothing that could crash a later read is stored', async () => {
    const body = `{"a":${'['.repeat(150000)}${']'.repeat(150000)}}`;
    const sig = await githubSign('s3cret', body);
    const r = await raw(h.port, post(src.ingest_path, `X-Hub-Signature-256: ${sig}\r\nX-GitHub-Delivery: deep\r\nX-GitHub-Event: push\r\n`, body));
    assert.deepEqual(r.statuses, [400], r.text.slice(0, 300));
    assert.equal(r.json.error.code, 'invalid_json');
    assert.match(r.json.error.message, /nested deeper than 128/);
    assert.equal((await h.api('GET', '/api/v1/messages')).json.data.length, 0);
    await assertServing(h);
  });

  test('publishing a payload nested 100,000 deep is 400 and stores nothing', async () => {
    const body = `{"event_type":"x","payload":${'['.repeat(100000)}${']'.repeat(100000)}}`;
    const r = await raw(h.port, post('/api/v1/messages', `Authorization: Bearer ${h.token}\r\n`, body));
    assert.deepEqual(r.statuses, [400], r.text.slice(0, 300));
    assert.equal(r.json.error.code, 'invalid_json');
    assert.equal((await h.api('GET', '/api/v1/messages')).json.data.length, 0);
    await assertServing(h);
  });

  test('ids get a length cap, 1e400 is named, a second X-Hub-Signature-256 is not ignored', async () => {
    const body = '{"action":"opened"}';
    const sig = await githubSign('s3cret', body);
    const long = await raw(h.port, post(src.ingest_path, `X-Hub-Signature-256: ${sig}\r\nX-GitHub-Delivery: ${'a'.repeat(32 * 1024)}\r\n`, body));
    assert.deepEqual(long.statuses, [400]);
    assert.equal(long.json.error.code, 'invalid_header');
    const huge = await raw(h.port, post(src.ingest_path, `X-Hub-Signature-256: ${sig}\r\nX-GitHub-Delivery: ${'a'.repeat(1 << 20)}\r\n`, body));
    assert.deepEqual(huge.statuses, [431]);
    const num = '{"b":1e400}';
    const r = await raw(h.port, post(src.ingest_path, `X-Hub-Signature-256: ${await githubSign('s3cret', num)}\r\nX-GitHub-Delivery: n\r\n`, num));
    assert.deepEqual(r.statuses, [400]);
    assert.match(r.json.error.message, /out of range/);
    const two = await raw(h.port, post(src.ingest_path, `X-Hub-Signature-256: sha256=${'0'.repeat(64)}\r\nX-Hub-Signature-256: ${sig}\r\nX-GitHub-Delivery: two\r\n`, body));
    assert.deepEqual(two.statuses, [401]);
    assert.equal((await h.api('GET', '/api/v1/events')).json.data.length, 0);
  });

  test('the SSRF guard refuses IPv4-translated and Teredo addresses', async () => {
    for (const url of ['http://[::ffff:0:7f00:1]/', 'http://[2001::1]/', 'http://[64:ff9b:1::a9fe:a9fe]/']) {
      const r = await h.api('POST', '/api/v1/endpoints', { url });
      assert.equal(r.status, 422, url);
      assert.equal(r.json.error.code, 'forbidden_target', url);
    }
  });
});

describe('the HTTP edge, direct', () => {
  let h;
  before(async () => {
    h = await startHookd({ env: { HOOKD_HEADER_TIMEOUT: '1s', HOOKD_BODY_TIMEOUT: '2s' } });
  });
  after(() => h.cleanup());

  const GET = 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n';

  test('three pipelined GET /healthz in one write get three answers', async () => {
    const r = await raw(h.port, GET + GET + 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.deepEqual(r.statuses, [200, 200, 200]);
  });

  test("Pistache's 413 case: the declared body's requests are never run", async () => {
    const inner = 'GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(2);
    const body = 'x'.repeat(2 << 20);
    const r = await raw(h.port, `POST /api/v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length + inner.length}\r\n\r\n${body}${inner}`);
    assert.deepEqual(r.statuses, [413]);
    assert.equal(r.json.error.code, 'payload_too_large');
  });

  for (const [name, req] of [
    ['Content-Length: -1', 'POST /api/v1/messages HTTP/1.1\r\nContent-Length: -1\r\n\r\n'],
    ['Content-Length 99999999999999999999999', 'POST /api/v1/messages HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n'],
    ['chunk size ffffffffffffffff', 'POST /api/v1/messages HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n'],
    ['Content-Length: 0x5', 'POST /api/v1/messages HTTP/1.1\r\nContent-Length: 0x5\r\n\r\nhello'],
    ['Content-Length: 5abc', 'POST /api/v1/messages HTTP/1.1\r\nContent-Length: 5abc\r\n\r\nhello'],
    ['two Content-Lengths', 'POST /api/v1/messages HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!'],
    ['GARBAGE', 'GARBAGE\r\n\r\n'],
    ['an LF-only request line', 'GET /healthz HTTP/1.1\nHost: x\n\n'],
    ['raw spaces in the URI', 'GET /a b HTTP/1.1\r\n\r\n'],
  ]) {
    test(`${name}: one neutral JSON 4xx, then closed`, async () => {
      const r = await raw(h.port, req + GET);
      assert.equal(r.statuses.length, 1, r.text);
      assert.ok(r.statuses[0] === 400 || r.statuses[0] === 413, r.text);
      assert.ok(r.json?.error?.code, r.text);
      assert.doesNotMatch(r.text, /stoull|_M_create|bad_alloc|Unknown HTTP/);
      assert.ok(r.closed);
    });
  }

  test('100 clients sending headers at a byte every 300 ms are all answered 408 request_timeout and cut at the header timeout', async () => {
    const socks = [];
    const got = [];
    let closed = 0;
    for (let i = 0; i < 100; i++) {
      const s = net.connect(h.port, '127.0.0.1');
      got.push('');
      s.on('data', (d) => {
        got[i] += d.toString('latin1');
      });
      s.on('close', () => closed++);
      s.on('error', () => {});
      socks.push(s);
    }
    const line = 'GET /healthz HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaa';
    for (let k = 0; k < line.length && closed < 100; k++) {
      // A client stops sending once answered (bytes after the close would reset the connection).
      for (const [i, s] of socks.entries()) if (!s.destroyed && got[i] === '') s.write(line[k]);
      await sleep(300);
      if (k * 300 > 4000) break;
    }
    assert.equal(closed, 100, `${closed} of 100 slow clients were cut within 4 s`);
    for (const [i, text] of got.entries()) {
      assert.match(text, /^HTTP\/1\.1 408 /, `client ${i} got: ${JSON.stringify(text)}`);
      const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
      assert.equal(body.error.code, 'request_timeout', `client ${i} got: ${text}`);
    }
    await assertServing(h);
  });

  test('300 connections holding 960 KiB of a declared 1 MiB body stay within the buffer budget', async () => {
    const pid = h.proc.pid;
    const base = rssMiB(pid);
    const socks = [];
    const chunk = Buffer.alloc(960 * 1024, 'x');
    for (let i = 0; i < 300; i++) {
      const s = net.connect(h.port, '127.0.0.1');
      s.on('error', () => {});
      s.write('POST /api/v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1048576\r\n\r\n');
      s.write(chunk);
      socks.push(s);
    }
    await sleep(1500);
    const during = rssMiB(pid);
    const t0 = Date.now();
    await assertServing(h);
    const served = Date.now() - t0;
    for (const s of socks) s.destroy();
    console.log(`# RSS ${base.toFixed(0)} MiB -> ${during.toFixed(0)} MiB with 300 unfinished uploads; /healthz in ${served} ms`);
    assert.ok(during - base < 128, `RSS grew ${(during - base).toFixed(0)} MiB`);
  });
});

test('with ulimit -n 256, 300 idle connections neither spin the CPU nor keep new clients waiting', async () => {
  const h = await startHookd({ openFiles: 256 });
  try {
    const socks = [];
    for (let i = 0; i < 300; i++) {
      const s = net.connect(h.port, '127.0.0.1');
      s.on('error', () => {});
      socks.push(s);
    }
    await sleep(500);
    const c0 = cpuTicks(h.proc.pid);
    await sleep(2000);
    const ticks = cpuTicks(h.proc.pid) - c0;
    const t0 = Date.now();
    const r = await raw(h.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 3000);
    const waited = Date.now() - t0;
    for (const s of socks) s.destroy();
    console.log(`# ${ticks} CPU ticks in 2 s; new client answered ${r.statuses[0]} in ${waited} ms`);
    assert.ok(ticks < 40, `hookd used ${ticks} ticks of CPU in 2 s while idle`);
    assert.equal(r.statuses.length, 1, 'a new client got no answer');
    assert.ok(waited < 2000);
    await sleep(200);
    await assertServing(h);
  } finally {
    await h.cleanup();
  }
});

test('a full disk: ingest 503, /readyz 503, errors not logged ten times a second; ready again once space is back', async (t) => {
  const mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'hookd-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', mnt], { stdio: 'ignore' });
  } catch {
    fs.rmSync(mnt, { recursive: true, force: true });
    t.skip('cannot mount a tmpfs here (needs root)');
    return;
  }
  const h = await startHookd({ dataDir: path.join(mnt, 'data') });
  try {
    const src = (await h.api('POST', '/api/v1/sources', { name: 'gh', provider: 'github', secret: 's' })).json;
    const send = async (id) => {
      const body = JSON.stringify({ action: 'opened', pad: 'x'.repeat(4000) });
      return fetch(`${h.base}${src.ingest_path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': await githubSign('s', body), 'x-github-delivery': id, 'x-github-event': 'push' },
        body,
      });
    };
    assert.equal((await send('before')).status, 202);
    // Fill the filesystem.
    const fill = path.join(mnt, 'fill');
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${fill}`, 'bs=1M', 'count=64'], { stdio: 'ignore' });
    } catch {
      // ENOSPC is the point
    }
    const logBefore = h.log.length;
    let rejected = 0;
    for (let i = 0; i < 20; i++) if ((await send(`full-${i}`)).status === 503) rejected++;
    assert.ok(rejected > 0, 'ingest kept accepting on a full disk');
    await sleep(3000);  // readiness is re-checked at most once a second
    const ready = await fetch(`${h.base}/readyz`);
    assert.equal(ready.status, 503);
    assert.equal((await ready.json()).error.code, 'not_ready');
    const lines = h.log.slice(logBefore).split('\n').filter((l) => l.includes('checkpoint failed'));
    assert.ok(lines.length <= 2, `${lines.length} checkpoint error lines in 3 s`);
    fs.rmSync(fill);
    let back = false;
    for (let i = 0; i < 40 && !back; i++) {
      back = (await fetch(`${h.base}/readyz`)).status === 200;
      if (!back) await sleep(100);
    }
    assert.ok(back, 'not ready after space came back');
    assert.equal((await send('after')).status, 202);
    const ids = (await h.api('GET', '/api/v1/events?limit=500')).json.data.map((e) => e.provider_event_id);
    assert.ok(ids.includes('before') && ids.includes('after'));
  } finally {
    await h.cleanup();
    execFileSync('umount', ['-l', mnt]);
    fs.rmSync(mnt, { recursive: true, force: true });
  }
});
