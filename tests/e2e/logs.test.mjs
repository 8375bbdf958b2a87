// hookd's log as an operator reads it: with HOOKD_LOG_FORMAT=json every line the process writes
// is one JSON object (the start-up banner included), and each state change an operator cares
// about is a line carrying its ids: the effective settings (the admin token masked), a source
// whose signatures fail (once, with the request id), an endpoint disabled by a 410, a circuit
// opened, a delivery failed for good, the access log with request ids (paths without their
// query), and SIGTERM's shutdown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startHookd } from './lib/hookd.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { poll, sleep } from './lib/util.mjs';

const TIMEOUT = { timeout: 90_000 };

/** Every line hookd wrote (the helper's own "--- spawn" notes left out), parsed. */
function logLines(h) {
  return h.log
    .split('\n')
    .filter((l) => l.length > 0 && !l.startsWith('--- spawn'))
    .map((l) => {
      try {
        return { text: l, json: JSON.parse(l) };
      } catch {
        return { text: l, json: null };
      }
    });
}
const withMsg = (h, msg) => logLines(h).filter((l) => l.json && l.json.msg === msg).map((l) => l.json);

test('with HOOKD_LOG_FORMAT=json every line is a JSON object and the state changes are there', TIMEOUT, async () => {
  const h = await startHookd({
    env: {
      HOOKD_LOG_FORMAT: 'json',
      HOOKD_ACCESS_LOG: '1',
      HOOKD_ALLOW_PRIVATE_TARGETS: 'true',
      HOOKD_RETRY_SCHEDULE: '100ms,100ms',
      HOOKD_DELIVERY_TIMEOUT: '2s',
    },
  });
  const gone = await startReceiver({ status: 410 });
  const failing = await startReceiver({ status: 500 });
  try {
    // Start-up: the settings (token masked), then where hookd listens.
    await poll(() => withMsg(h, 'status streams').length === 1, 5000, `the start-up lines:\n${h.log}`);
    const [starting] = withMsg(h, 'starting');
    assert.ok(starting, h.log);
    assert.equal(starting.level, 'info');
    assert.equal(starting.admin_token, '***');
    assert.equal(starting.log_format, 'json');
    assert.equal(starting.access_log, true);
    assert.equal(starting.retry_schedule, '100ms,100ms');
    assert.equal(starting.allow_private_targets, true);
    assert.equal(withMsg(h, 'listening')[0].url, h.base);
    assert.equal(withMsg(h, 'dashboard')[0].url, `${h.base}/`);
    assert.equal(withMsg(h, 'status streams')[0].url, `http://127.0.0.1:${h.streamPort}/api/v1/stream`);

    // A burst of bad signatures: one line for the source, with the first request's id.
    const src = (await h.api('POST', '/api/v1/sources', { name: 'gh', provider: 'github', secret: 'right-secret' })).json;
    const body = JSON.stringify({ ref: 'main' });
    const badSig = 'sha256=' + crypto.createHmac('sha256', 'wrong-secret').update(body).digest('hex');
    for (let i = 0; i < 8; i++) {
      const r = await h.ingest(src.id, body, {
        'x-hub-signature-256': badSig,
        'x-github-delivery': `d-${i}`,
        'x-github-event': 'push',
        'x-request-id': `sig-burst-${i}`,
      });
      assert.equal(r.status, 401);
      assert.equal(r.json.error.code, 'invalid_signature');
      assert.equal(r.json.error.request_id, `sig-burst-${i}`);
      assert.equal(r.headers.get('x-request-id'), `sig-burst-${i}`);
    }

    // A 410 disables its endpoint and fails its delivery for good.
    const goneEp = (await h.api('POST', '/api/v1/endpoints', { url: gone.url, event_types: ['gone.test'] })).json;
    const failingEp = (await h.api('POST', '/api/v1/endpoints', { url: failing.url, event_types: ['fail.test'] })).json;
    const goneMsg = (await h.api('POST', '/api/v1/messages', { event_type: 'gone.test', payload: { n: 1 } })).json;
    // The failing endpoint's attempts keep failing for more than 5 s: its circuit opens, and the
    // deliveries that used up the (short) schedule before that fail for good.
    const failMsgs = [];
    for (let i = 0; i < 16 && withMsg(h, 'circuit opened').length === 0; i++) {
      failMsgs.push((await h.api('POST', '/api/v1/messages', { event_type: 'fail.test', payload: { i } })).json.id);
      await sleep(400);
    }
    await poll(() => withMsg(h, 'circuit opened').length > 0, 20_000, `the circuit to open:\n${h.log.slice(-3000)}`);

    // An error body and the access log name the same request id; the query is not logged.
    const missing = await h.api('GET', '/api/v1/endpoints/ep_01ARZ3NDEKTSV4RRFFQ69G5FAV?token=leaky-query', undefined, {
      headers: { 'x-request-id': 'lookup-1' },
    });
    assert.equal(missing.status, 404);
    assert.equal(missing.json.error.request_id, 'lookup-1');
    const made = await h.request('GET', '/nowhere');
    const madeId = made.headers.get('x-request-id');
    assert.match(madeId, /^req_[0-9A-Z]{26}$/);
    assert.equal(made.json.error.request_id, madeId);
    await poll(() => withMsg(h, 'request').some((l) => l.request_id === madeId), 5000, 'the access log line');

    const { code, signal } = await h.stop('SIGTERM');
    assert.equal(code, 0, `exit ${code} ${signal}:\n${h.log.slice(-3000)}`);

    // ---- everything below is read from the finished output
    const lines = logLines(h);
    for (const l of lines) assert.ok(l.json && typeof l.json === 'object' && !Array.isArray(l.json), `not a JSON object: ${l.text}`);
    for (const { json } of lines) {
      assert.match(json.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, JSON.stringify(json));
      assert.ok(['debug', 'info', 'warn', 'error'].includes(json.level), JSON.stringify(json));
      assert.equal(typeof json.msg, 'string');
    }
    assert.ok(!h.log.includes(h.token), 'the admin token is printed');
    assert.ok(!h.log.includes('leaky-query'), 'a query string is logged');
    assert.ok(!h.log.includes('right-secret'), 'a source secret is logged');

    const sig = withMsg(h, 'signatures failing for a source');
    assert.equal(sig.length, 1, JSON.stringify(sig));
    assert.equal(sig[0].level, 'warn');
    assert.equal(sig[0].source_id, src.id);
    assert.equal(sig[0].failures, 1);
    assert.equal(sig[0].code, 'invalid_signature');
    assert.equal(sig[0].request_id, 'sig-burst-0');

    const disabled = withMsg(h, 'endpoint disabled');
    assert.equal(disabled.length, 1, JSON.stringify(disabled));
    assert.equal(disabled[0].endpoint_id, goneEp.id);
    assert.match(disabled[0].reason, /410/);

    const failedForGood = withMsg(h, 'delivery failed for good');
    const goneFailed = failedForGood.filter((l) => l.endpoint_id === goneEp.id);
    assert.equal(goneFailed.length, 1, JSON.stringify(failedForGood));
    assert.equal(goneFailed[0].message_id, goneMsg.id);
    assert.match(goneFailed[0].delivery_id, /^dlv_/);
    assert.equal(goneFailed[0].attempts, 1);
    assert.equal(goneFailed[0].last_status, 410);
    const exhausted = failedForGood.filter((l) => l.endpoint_id === failingEp.id);
    assert.ok(exhausted.length >= 1, JSON.stringify(failedForGood));
    for (const l of exhausted) {
      assert.ok(failMsgs.includes(l.message_id), JSON.stringify(l));
      assert.equal(l.attempts, 3);
      assert.equal(l.last_status, 500);
    }

    const opened = withMsg(h, 'circuit opened');
    assert.equal(opened.length, 1, JSON.stringify(opened));
    assert.equal(opened[0].endpoint_id, failingEp.id);
    assert.equal(typeof opened[0].reason, 'string');
    assert.ok(Date.parse(opened[0].retry_at) > Date.parse(opened[0].time), JSON.stringify(opened[0]));

    const access = withMsg(h, 'request');
    const lookup = access.find((l) => l.request_id === 'lookup-1');
    assert.ok(lookup, 'the access line of the 404');
    assert.equal(lookup.method, 'GET');
    assert.equal(lookup.path, '/api/v1/endpoints/ep_01ARZ3NDEKTSV4RRFFQ69G5FAV');
    assert.equal(lookup.status, 404);
    assert.equal(lookup.remote, '127.0.0.1');
    assert.equal(typeof lookup.duration_ms, 'number');
    assert.equal(lookup.bytes, Buffer.byteLength(missing.text));
    assert.ok(access.some((l) => l.request_id === 'sig-burst-3' && l.status === 401 && l.path === `/ingest/${src.id}`));

    // Shutdown: the signal, then stopped, as the last line.
    const shutting = withMsg(h, 'shutting down');
    assert.equal(shutting.length, 1);
    assert.equal(shutting[0].signal, 'SIGTERM');
    assert.equal(lines[lines.length - 1].json.msg, 'stopped');
  } finally {
    gone.close();
    failing.close();
    await h.cleanup();
  }
});

test('the text format keeps one line per event: time, level, message, key=value', TIMEOUT, async () => {
  const h = await startHookd({ env: { HOOKD_LOG_LEVEL: 'warn' } });
  try {
    // At warn, the start-up lines (info) are left out; a signature failure (warn) is not.
    const src = (await h.api('POST', '/api/v1/sources', { name: 'gh', provider: 'github' })).json;
    const r = await h.ingest(src.id, '{}', { 'x-hub-signature-256': 'sha256=00', 'x-github-delivery': 'x', 'x-github-event': 'push', 'x-request-id': 'two words' });
    assert.equal(r.status, 401);
    const id = r.headers.get('x-request-id');
    assert.match(id, /^req_/, 'an id with a space is replaced');
    await poll(() => /signatures failing/.test(h.log), 5000, 'the signature line');
    await h.stop('SIGTERM');
    const all = h.log.split('\n').filter((l) => l && !l.startsWith('--- spawn'));
    assert.ok(!all.some((l) => / (INFO|DEBUG) /.test(l)), `lines below warn:\n${all.join('\n')}`);
    const lines = all.filter((l) => l.includes('signatures failing'));
    assert.equal(lines.length, 1, all.join('\n'));
    assert.match(
      lines[0],
      new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z WARN signatures failing for a source source_id=${src.id} failures=1 code=invalid_signature reason="[^"]+" request_id=${id}$`),
    );
  } finally {
    await h.cleanup();
  }
});
