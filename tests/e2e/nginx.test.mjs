// The production shape: deploy/nginx/hookd.conf terminating TLS in front of hookd. The framing
// cases of the hardening work are sent through it over TLS, byte for byte; behind nginx hookd
// only ever sees well-formed requests. The config is used as committed, with its ports,
// certificate paths and upstream addresses pointed at this test's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { Webhook } from 'standardwebhooks';

import { E2E_DIR, HOOKD_BIN, freePort, startHookd } from './lib/hookd.mjs';
import { exchange } from './lib/raw.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { poll, sleep } from './lib/util.mjs';

const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => fs.existsSync(p));
const CONF = path.resolve(E2E_DIR, '../../deploy/nginx/hookd.conf');

let hookd;
let nginx;
let dir;
let tlsPort;

/** Sends `bytes` to nginx over TLS and collects the answer (lib/raw.mjs). */
async function raw(bytes, waitMs = 1500) {
  const r = await exchange(() => tls.connect({ host: '127.0.0.1', port: tlsPort, rejectUnauthorized: false }), bytes, waitMs);
  return { ...r, responses: r.statuses };
}

before(async () => {
  assert.ok(NGINX, 'nginx is not installed (make test installs it)');
  tlsPort = await freePort();
  // The proxy serves both listeners under this one origin; /api/v1/info must say so.
  hookd = await startHookd({ env: { HOOKD_PUBLIC_URL: `https://localhost:${tlsPort}` } });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookd-nginx-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
  const httpPort = await freePort();
  const site = fs.readFileSync(CONF, 'utf8')
    .replace('server 127.0.0.1:8080;', `server 127.0.0.1:${hookd.port};`)
    .replace('server 127.0.0.1:8081;', `server 127.0.0.1:${hookd.streamPort};`)
    .replace('listen 443 ssl;', `listen 127.0.0.1:${tlsPort} ssl;`)
    .replace('listen 80;', `listen 127.0.0.1:${httpPort};`)
    .replace('/etc/ssl/hookd/fullchain.pem', path.join(dir, 'cert.pem'))
    .replace('/etc/ssl/hookd/privkey.pem', path.join(dir, 'key.pem'));
  assert.ok(site.includes(String(hookd.port)) && site.includes(String(tlsPort)), 'the config changed shape');
  fs.writeFileSync(path.join(dir, 'site.conf'), site);
  fs.writeFileSync(path.join(dir, 'nginx.conf'), `
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include ${dir}/site.conf;
}
`);
  nginx = spawn(NGINX, ['-c', path.join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const r = await raw('GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n', 300);
    if (r.responses[0] === 200) return;
    await sleep(50);
  }
  throw new Error(`nginx did not come up: ${fs.existsSync(path.join(dir, 'error.log')) ? fs.readFileSync(path.join(dir, 'error.log'), 'utf8') : ''}`);
});

after(async () => {
  nginx?.kill('SIGTERM');
  await hookd?.cleanup();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const GET = 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n';

test('three pipelined requests in one write get three answers', async () => {
  const r = await raw(GET + GET + GET.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n'));
  assert.deepEqual(r.responses, [200, 200, 200], r.text);
});

test('a body over the limit is 413 and the requests inside its declared length never run', async () => {
  const inner = 'GET /readyz HTTP/1.1\r\nHost: localhost\r\n\r\n'.repeat(2);
  const body = 'x'.repeat(2 << 20);
  const r = await raw(`POST /api/v1/messages HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${body.length + inner.length}\r\n\r\n${body}${inner}`);
  assert.deepEqual(r.responses, [413], r.text.slice(0, 300));
});

for (const [name, req] of [
  ['Content-Length: -1', 'POST /api/v1/messages HTTP/1.1\r\nHost: localhost\r\nContent-Length: -1\r\n\r\n'],
  ['a 23-digit Content-Length', 'POST /api/v1/messages HTTP/1.1\r\nHost: localhost\r\nContent-Length: 99999999999999999999999\r\n\r\n'],
  ['chunk size ffffffffffffffff', 'POST /api/v1/messages HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nabc\r\n0\r\n\r\n'],
  ['Content-Length: 0x5', 'POST /api/v1/messages HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0x5\r\n\r\nhello'],
  ['Content-Length: 5abc', 'POST /api/v1/messages HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5abc\r\n\r\nhello'],
  ['two different Content-Lengths', 'POST /api/v1/messages HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!'],
  ['GARBAGE', 'GARBAGE\r\n\r\n'],
  ['raw spaces in the URI', 'GET /health z HTTP/1.1\r\nHost: localhost\r\n\r\n'],
]) {
  test(`${name}: one 4xx answer, no internal text, then the connection closes`, async () => {
    const r = await raw(req + GET);
    assert.equal(r.responses.length, 1, r.text);
    assert.ok(r.responses[0] >= 400 && r.responses[0] < 500, r.text);
    assert.doesNotMatch(r.text, /stoull|_M_create|bad_alloc|exception/);
    assert.ok(r.closed, 'connection left open');
  });
}

test('an LF-only request is either refused or normalised; never answered twice or left hanging', async () => {
  const r = await raw('GET /healthz HTTP/1.1\nHost: localhost\nConnection: close\n\n');
  assert.equal(r.responses.length, 1, r.text);
  assert.ok(r.closed);
});

test('a provider delivery through TLS reaches hookd with X-Forwarded-Proto https', async () => {
  const r = await raw('POST /api/v1/session HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
    `Content-Length: ${JSON.stringify({ token: hookd.token }).length}\r\nConnection: close\r\n\r\n${JSON.stringify({ token: hookd.token })}`);
  assert.deepEqual(r.responses, [200], r.text);
  assert.match(r.text, /Set-Cookie: hookd_session=[^\r\n]*Secure/i);
});

test('the status streams reach the browser through the same origin: info names it, SSE flows unbuffered', async () => {
  const auth = `Authorization: Bearer ${hookd.token}\r\n`;
  const info = await raw(`GET /api/v1/info HTTP/1.1\r\nHost: localhost\r\n${auth}Connection: close\r\n\r\n`);
  assert.deepEqual(info.responses, [200], info.text);
  assert.match(info.text, new RegExp(`"stream_base":"https://localhost:${tlsPort}"`));
  // An SSE stream held open through nginx sees an entry published after it connected.
  const stream = raw(`GET /api/v1/stream HTTP/1.1\r\nHost: localhost\r\n${auth}\r\n`, 3000);
  await sleep(300);
  const pub = await hookd.api('POST', '/api/v1/messages', { event_type: 'through.nginx', payload: { n: 1 } });
  assert.equal(pub.status, 202);
  const r = await stream;
  assert.deepEqual(r.responses, [200], r.text.slice(0, 300));
  assert.match(r.text, /text\/event-stream/i);
  assert.match(r.text, /event: message\.created/);
  assert.match(r.text, new RegExp(pub.json.id));
});

/** `hookd <args>` against the proxy's https origin, trusting the test's certificate (or not). */
function cliOverTls(args, { trust = true } = {}) {
  const env = { ...process.env, HOME: dir, HOOKD_URL: `https://localhost:${tlsPort}`, HOOKD_TOKEN: hookd.token };
  if (trust) env.SSL_CERT_FILE = path.join(dir, 'cert.pem');
  else delete env.SSL_CERT_FILE;
  const proc = spawn(HOOKD_BIN, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const c = { proc, out: '', err: '', code: undefined };
  proc.stdout.on('data', (d) => (c.out += d));
  proc.stderr.on('data', (d) => (c.err += d));
  c.exited = new Promise((resolve) => proc.on('exit', (code) => resolve((c.code = code))));
  return c;
}

test('hookd listen and hookd tail work through the TLS proxy (wss, https), the certificate verified', async () => {
  const rx = await startReceiver();
  const listen = cliOverTls(['listen', '--forward-to', rx.url, '--events', 'tls.*']);
  const tail = cliOverTls(['tail', '--types', 'delivery.succeeded', '--json']);
  try {
    await poll(() => /Webhook signing secret: whsec_/.test(listen.out) || listen.code !== undefined, 10_000, 'listen ready');
    assert.equal(listen.code, undefined, listen.err);
    const secret = listen.out.match(/(whsec_\S+)/)[1];
    const pub = await hookd.api('POST', '/api/v1/messages', { event_type: 'tls.ok', payload: { over: 'wss' } });
    assert.equal(pub.status, 202, pub.text);
    await rx.waitFor(() => rx.requests.length === 1, 10_000, 'the delivery through wss');
    const rec = rx.requests[0];
    assert.deepEqual(new Webhook(secret).verify(rec.body.toString(), rec.headers), { over: 'wss' });
    await poll(() => tail.out.includes(pub.json.id), 10_000, 'tail over https shows the delivery');
  } finally {
    listen.proc.kill('SIGINT');
    tail.proc.kill('SIGTERM');
    assert.equal(await listen.exited, 0, listen.err);
    await tail.exited;
    await rx.close();
  }
  // Without trusting the certificate: one error line, exit 1, nothing made.
  const refused = cliOverTls(['listen', '--forward-to', 'localhost:9'], { trust: false });
  assert.equal(await refused.exited, 1);
  assert.equal(refused.err.trim().split('\n').length, 1, refused.err);
  assert.match(refused.err, /^hookd: .*(certificate|SSL|TLS)/i);
});

test('/metrics is refused through the shipped config, in every spelling, while hookd itself serves it', async () => {
  // hookd answers it on its own listener (where Prometheus scrapes) ...
  const direct = await hookd.request('GET', '/metrics');
  assert.equal(direct.status, 200);
  assert.match(direct.text, /^hookd_build_info\{/m);
  // ... and nothing of it comes out of the public server.
  for (const target of ['/metrics', '/metrics?x=1', '//metrics', '/%6detrics', '/%6D%65trics', '/x/../metrics',
    '/./metrics', '/api/../metrics', '/metrics/', '/metrics//', '//metrics/', '/metrics%2F', '/metrics/%2e',
    '/METRICS', '/metrics;x', '/metrics%3Fx']) {
    const r = await raw(`GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
    assert.equal(r.responses.length, 1, `${target}: ${r.text.slice(0, 200)}`);
    assert.ok(r.responses[0] >= 400 && r.responses[0] < 500, `${target}: ${r.responses[0]}`);
    assert.doesNotMatch(r.text, /hookd_|process_|# TYPE/, `${target} leaked metrics`);
  }
  // With a token, too: the public server does not pass it on.
  const r = await raw(`GET /metrics HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${hookd.token}\r\nConnection: close\r\n\r\n`);
  assert.deepEqual(r.responses, [404], r.text.slice(0, 200));
});
