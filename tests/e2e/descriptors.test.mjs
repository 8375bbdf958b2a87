// End-to-end test of the process's one descriptor budget (issue: hardening, second pass): under
// `ulimit -n 1024`, idle connections to the stream listener cannot take the descriptors the main
// listener and the deliveries need. Before, 1,010 of them made /healthz time out, the main
// accept loop spin on EMFILE, and every delivery needing a new connection fail as "could not
// connect to <receiver>".

import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { test } from 'node:test';

import { startHookd } from './lib/hookd.mjs';
import { exchange } from './lib/raw.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { poll, sleep } from './lib/util.mjs';

const cpuTicks = (pid) => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]);
};
const openDescriptors = (pid) => fs.readdirSync(`/proc/${pid}/fd`).length;

/** Opens `n` connections to `port` that send nothing; resolves when each is open or answered. */
async function idleConnections(port, n) {
  const socks = [];
  let refused = 0;
  await Promise.all(Array.from({ length: n }, () => new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    socks.push(s);
    let text = '';
    s.on('data', (d) => {
      text += d.toString('latin1');
      if (text.startsWith('HTTP/1.1 503') && text.includes('too_many_connections')) refused += 1;
    });
    s.on('error', () => resolve());
    s.on('close', () => resolve());
    s.on('connect', () => setTimeout(resolve, 50));
  })));
  await sleep(500); // the refusals that were still being written
  return { socks, refused: () => refused };
}

test('with ulimit -n 1024, 1,010 idle stream connections leave /healthz, the CPU and deliveries alone', { timeout: 90_000 }, async () => {
  const recv = await startReceiver();
  const h = await startHookd({ openFiles: 1024, env: { HOOKD_ALLOW_PRIVATE_TARGETS: '1' } });
  let conns;
  try {
    assert.match(h.log, /open-file limit 1024: connection caps lowered/, 'the lowered caps are logged');
    const ep = await h.api('POST', '/api/v1/endpoints', { url: `${recv.url}/hook`, event_types: ['fd.*'] });
    assert.equal(ep.status, 201, ep.text);

    conns = await idleConnections(h.streamPort, 1010);
    const pid = h.proc.pid;
    const fds = openDescriptors(pid);
    const c0 = cpuTicks(pid);
    await sleep(2000);
    const ticks = cpuTicks(pid) - c0;
    const t0 = Date.now();
    const health = await exchange(() => net.connect(h.port, '127.0.0.1'), 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 3000);
    const healthMs = Date.now() - t0;

    // A delivery needs a new outbound connection now.
    const msg = await h.api('POST', '/api/v1/messages', { event_type: 'fd.test', payload: { n: 1 } });
    assert.equal(msg.status, 202, msg.text);
    await recv.waitFor(() => recv.requests.some((r) => r.headers['webhook-id'] === msg.json.id), 15_000, 'the delivery');
    const delivery = await poll(async () => {
      const r = await h.api('GET', `/api/v1/deliveries?message_id=${msg.json.id}`);
      const d = r.json?.data?.[0];
      return d && d.status === 'succeeded' ? d : null;
    }, 10_000, 'the delivery succeeded');

    console.log(`# ${conns.refused()} of 1010 stream connections refused 503; hookd holds ${fds} descriptors; `
      + `${ticks} CPU ticks in 2 s; /healthz ${health.statuses[0]} in ${healthMs} ms`);
    assert.ok(conns.refused() > 0, 'past its cap the stream listener answers 503 too_many_connections');
    assert.ok(fds < 1024, `${fds} descriptors open`);
    assert.ok(ticks < 40, `hookd used ${ticks} ticks of CPU in 2 s with idle connections`);
    assert.deepEqual(health.statuses, [200], health.text);
    assert.ok(healthMs < 2000, `/healthz took ${healthMs} ms`);
    assert.equal(delivery.attempts, 1, JSON.stringify(delivery));
  } finally {
    for (const s of conns?.socks ?? []) s.destroy();
    await h.cleanup();
    recv.close();
  }
});
