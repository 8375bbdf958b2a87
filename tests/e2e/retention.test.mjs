// Retention against the binary: with a short window, what is older than it (and finished) is
// pruned in the background, while younger rows and unfinished deliveries stay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHookd } from './lib/hookd.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { poll, sleep } from './lib/util.mjs';

test('finished messages and their deliveries older than HOOKD_RETENTION go; younger ones stay', async () => {
  const h = await startHookd({
    env: { HOOKD_RETENTION: '5s', HOOKD_RETENTION_INTERVAL: '1s', HOOKD_ALLOW_PRIVATE_TARGETS: 'true' },
  });
  const receiver = await startReceiver({ status: 204 });
  const delivered = (id, what) => poll(async () => (await h.api('GET', `/api/v1/messages/${id}`)).json.deliveries?.[0]?.status === 'succeeded', 5000, what);
  try {
    const ep = await h.api('POST', '/api/v1/endpoints', { url: receiver.url });
    assert.equal(ep.status, 201);
    const old = await h.api('POST', '/api/v1/messages', { event_type: 'old', payload: { n: 1 } });
    assert.equal(old.status, 202);
    await delivered(old.json.id, 'the old delivery');
    await sleep(5500);
    // The young message is finished and is not the newest: retention always keeps the newest
    // delivery, so only its age can keep the young one.
    const young = await h.api('POST', '/api/v1/messages', { event_type: 'young', payload: { n: 2 } });
    assert.equal(young.status, 202);
    await delivered(young.json.id, 'the young delivery');
    const youngest = await h.api('POST', '/api/v1/messages', { event_type: 'youngest', payload: { n: 3 } });
    assert.equal(youngest.status, 202);
    await delivered(youngest.json.id, 'the youngest delivery');
    await poll(async () => (await h.api('GET', `/api/v1/messages/${old.json.id}`)).status === 404, 5000, 'the old message to be pruned');
    await sleep(1500); // another pass (HOOKD_RETENTION_INTERVAL) after the young one finished
    const kept = await h.api('GET', `/api/v1/messages/${young.json.id}`);
    assert.equal(kept.status, 200, 'a message younger than the window was pruned');
    assert.equal(kept.json.deliveries.length, 1, 'the young message lost its delivery');
    const deliveries = (await h.api('GET', `/api/v1/deliveries?message_id=${old.json.id}`)).json.data;
    assert.equal(deliveries.length, 0, 'the old message left deliveries behind');
    const metrics = await (await fetch(`${h.base}/metrics`)).text();
    assert.match(metrics, /hookd_retention_pruned_rows_total\{table="messages"\} [1-9]/);
  } finally {
    await receiver.close();
    await h.cleanup();
  }
});
