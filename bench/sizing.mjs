// Disk per stored event and per delivered message (docs/OPERATIONS.md, "Sizing").
//
//   HOOKD_BIN=$PWD/build/release/hookd node bench/sizing.mjs [count]     (HOOKD_BIN absolute)
//
// Starts hookd on a temp data dir, ingests `count` (default 5000) GitHub-signed events with the
// headers GitHub sends, at two body sizes, then publishes `count` messages to one endpoint (a
// loopback receiver that answers 200) and waits until every delivery succeeded. After each phase
// hookd is stopped (its last checkpoint empties the WAL into hookd.db) and hookd.db is measured.
// Prints bytes per row of each phase. Everything stays on 127.0.0.1.

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { startHookd } from '../tests/e2e/lib/hookd.mjs';
import { startReceiver } from '../tests/e2e/lib/receiver.mjs';

const count = Number(process.argv[2] || 5000);
const h = await startHookd({ env: { HOOKD_ALLOW_PRIVATE_TARGETS: 'true' } });
const rx = await startReceiver();
const dbSize = () => fs.statSync(path.join(h.dataDir, 'hookd.db')).size;
const walSize = () => {
  try {
    return fs.statSync(path.join(h.dataDir, 'hookd.db-wal')).size;
  } catch {
    return 0;
  }
};

async function settle() {
  await h.stop();
  const size = dbSize() + walSize();
  await h.restart();
  return size;
}

async function pool(n, concurrency, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

function body(bytes) {
  const base = { action: 'opened', issue: { id: 1, title: 'x', body: '' }, repository: { full_name: 'o/r' } };
  base.issue.body = 'x'.repeat(Math.max(0, bytes - JSON.stringify(base).length));
  return JSON.stringify(base);
}

try {
  const src = (await h.api('POST', '/api/v1/sources', { name: 'sizing', provider: 'github', secret: 'sizing-secret' })).json;
  const results = [];
  let before = await settle();
  for (const bytes of [1024, 8192]) {
    await pool(count, 8, async () => {
      const b = body(bytes);
      const sig = crypto.createHmac('sha256', 'sizing-secret').update(b).digest('hex');
      const r = await h.ingest(src.id, b, {
        'user-agent': 'GitHub-Hookshot/8a8b3c1',
        accept: '*/*',
        'x-github-event': 'issues',
        'x-github-delivery': crypto.randomUUID(),
        'x-github-hook-id': '412345678',
        'x-github-hook-installation-target-id': '612345678',
        'x-github-hook-installation-target-type': 'repository',
        'x-hub-signature': `sha1=${crypto.createHmac('sha1', 'sizing-secret').update(b).digest('hex')}`,
        'x-hub-signature-256': `sha256=${sig}`,
      });
      if (r.status !== 202) throw new Error(`ingest: ${r.status} ${r.text}`);
    });
    const after = await settle();
    results.push([`event, ${bytes} B body + GitHub's headers`, (after - before) / count]);
    before = after;
  }

  const ep = (await h.api('POST', '/api/v1/endpoints', { url: rx.url })).json;
  if (!ep?.id) throw new Error('endpoint not created');
  const payload = JSON.parse(body(1024));
  await pool(count, 8, async () => {
    const r = await h.api('POST', '/api/v1/messages', { event_type: 'order.created', payload });
    if (r.status !== 202) throw new Error(`publish: ${r.status} ${r.text}`);
  });
  await rx.waitFor(() => rx.requests.length >= count, 300_000, 'every delivery');
  await new Promise((r) => setTimeout(r, 1000)); // the last attempts recorded
  const after = await settle();
  results.push(['message, 1 KiB payload, one delivery, one attempt', (after - before) / count]);

  console.log(`rows: ${count} per phase; hookd.db (+ -wal) growth per row:`);
  for (const [what, per] of results) console.log(`  ${what}: ${Math.round(per)} bytes`);
} finally {
  await rx.close();
  await h.cleanup();
}
