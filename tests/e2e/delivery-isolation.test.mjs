// The delivery-scale issue's first finding, against the binary: receivers that accept the
// connection and never answer must not delay a healthy endpoint. Before, two such endpoints with
// 20 messages each held every worker thread and a healthy delivery waited over 15 s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startHookd } from './lib/hookd.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { poll } from './lib/util.mjs';

/** A TCP server that accepts every connection and never answers. */
function blackHole() {
  const sockets = new Set();
  const srv = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((resolve) =>
    srv.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${srv.address().port}/hook`,
        held: () => sockets.size,
        close: () => {
          for (const s of sockets) s.destroy();
          srv.close();
        },
      }),
    ),
  );
}

// No wall-clock bound: the black holes hold their attempts for as long as the test runs (the
// delivery timeout is longer), so the healthy delivery arrives while they are held or, if they
// held it up, not at all.
test('two endpoints that never answer leave a healthy endpoint\'s delivery undelayed', async () => {
  const h = await startHookd({ env: { HOOKD_DELIVERY_TIMEOUT: '120s', HOOKD_ALLOW_PRIVATE_TARGETS: 'true' } });
  const holes = [await blackHole(), await blackHole()];
  let heldAtArrival = null;
  const healthy = await startReceiver({
    status: 204,
    onRequest: () => {
      heldAtArrival ??= holes.map((x) => x.held());
    },
  });
  try {
    for (const [i, hole] of holes.entries()) {
      const ep = await h.api('POST', '/api/v1/endpoints', { url: hole.url, event_types: [`hang.${i}`] });
      assert.equal(ep.status, 201, JSON.stringify(ep.json));
      for (let k = 0; k < 20; k++) {
        const m = await h.api('POST', '/api/v1/messages', { event_type: `hang.${i}`, payload: { k } });
        assert.equal(m.status, 202);
      }
    }
    // Both black holes are holding attempts (up to the per-endpoint cap) before the healthy one.
    await poll(() => holes.every((x) => x.held() >= 1), 30_000, 'attempts to reach the hanging receivers');
    const ep = await h.api('POST', '/api/v1/endpoints', { url: healthy.url, event_types: ['ok'] });
    assert.equal(ep.status, 201);
    const sent = Date.now();
    const m = await h.api('POST', '/api/v1/messages', { event_type: 'ok', payload: { fine: true } });
    assert.equal(m.status, 202);
    await healthy.waitFor(() => healthy.requests.length > 0, 60_000, 'the healthy delivery');
    console.log(`# healthy delivery ${healthy.requests[0].at - sent} ms after publish, hanging connections held: ${heldAtArrival.join(', ')}`);
    assert.ok(heldAtArrival.every((n) => n >= 1), `the black holes still held attempts: ${heldAtArrival}`);
  } finally {
    for (const x of holes) x.close();
    await healthy.close();
    await h.cleanup();
  }
});
