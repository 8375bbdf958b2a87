// End-to-end test of `hookd serve --roles`: an `ingest,api` process and a `deliver` process on the
// same data dir. The first takes the event and stores it; only the second delivers it; each
// refuses what belongs to the other.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';

import { sign as githubSign } from '@octokit/webhooks-methods';
import { Webhook } from 'standardwebhooks';

import { startHookd } from './lib/hookd.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { assertError, listAll, poll, rand, sleep } from './lib/util.mjs';

const ENV = { HOOKD_ALLOW_PRIVATE_TARGETS: '1', HOOKD_RETRY_SCHEDULE: '1s,1s,1s' };
const started = [];
let receiver;

after(async () => {
  for (const x of [...started].reverse()) {
    x.saveLog(`roles-${x.name}`);
    await x.cleanup();
  }
  if (receiver) await receiver.close();
});

test('an ingest,api process and a deliver process on one data dir split the work', { timeout: 90_000 }, async () => {
  receiver = await startReceiver();
  const dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'hookd-e2e-roles-'));
  const token = `tok_${rand(24)}`;

  const front = await startHookd({ env: ENV, args: ['--roles', 'ingest,api'], dataDir, token });
  front.name = 'ingest-api';
  started.push(front);
  // It serves the dashboard and says where (start-up lines are written in one flush).
  await poll(() => / INFO listening url=/.test(front.log), 5000, 'the start-up lines of the ingest,api process');
  assert.match(front.log, new RegExp(` INFO dashboard url=${front.base}/$`, 'm'), front.log);

  const src = (await front.api('POST', '/api/v1/sources', { name: 'roles', provider: 'github' })).json;
  assert.match(src?.id ?? '', /^src_/);
  const epr = await front.api('POST', '/api/v1/endpoints', { url: receiver.url, source_ids: [src.id] });
  assert.equal(epr.status, 201, epr.text);
  const ep = epr.json;

  const body = `{"action":"opened","n":"${rand(6)}"}`;
  const r = await front.ingest(src.id, body, {
    'x-github-event': 'issues',
    'x-github-delivery': crypto.randomUUID(),
    'x-hub-signature-256': await githubSign(src.secret, body),
  });
  assert.equal(r.status, 202, r.text);
  const eventId = r.json.id;

  // The ingest,api process made the message and its delivery but does not send it.
  const msgs = (await listAll(front, '/api/v1/messages')).filter((m) => m.event_id === eventId);
  assert.equal(msgs.length, 1, `one message for the event: ${JSON.stringify(msgs)}`);
  await sleep(2000);
  assert.equal(receiver.requests.length, 0, 'the ingest,api process delivered nothing');
  let [delivery] = await listAll(front, '/api/v1/deliveries', { endpoint_id: ep.id });
  assert.equal(delivery?.status, 'pending', `pending without a deliver process: ${JSON.stringify(delivery)}`);

  // The deliver process serves no ingest and no admin API.
  const back = await startHookd({ env: ENV, args: ['--roles', 'deliver'], dataDir, token });
  back.name = 'deliver';
  started.push(back);
  // It serves no dashboard, so it prints no dashboard URL.
  await poll(() => / INFO listening url=/.test(back.log), 5000, 'the start-up lines of the deliver process');
  assert.doesNotMatch(back.log, / INFO dashboard /, back.log);
  const resend = await back.ingest(src.id, body, {
    'x-github-event': 'issues',
    'x-github-delivery': crypto.randomUUID(),
    'x-hub-signature-256': await githubSign(src.secret, body),
  });
  assertError(resend, 404);
  for (const p of ['/api/v1/sources', '/api/v1/events', '/api/v1/endpoints', '/api/v1/messages', '/api/v1/info']) {
    assertError(await back.api('GET', p), 404);
  }

  // ...and delivers what the other one stored: the event's own bytes, signed for the endpoint.
  await poll(() => receiver.requests.length >= 1, 20_000, 'the delivery from the deliver process');
  const rec = receiver.requests[0];
  assert.equal(rec.headers['webhook-id'], msgs[0].id);
  assert.equal(rec.body.toString('utf8'), body);
  new Webhook(ep.secret).verify(rec.body.toString('utf8'), {
    'webhook-id': rec.headers['webhook-id'],
    'webhook-timestamp': rec.headers['webhook-timestamp'],
    'webhook-signature': rec.headers['webhook-signature'],
  });
  delivery = await poll(
    async () => (await listAll(front, '/api/v1/deliveries', { endpoint_id: ep.id })).find((d) => d.status === 'succeeded'),
    20_000,
    'the delivery recorded as succeeded, seen through the ingest,api process',
  );
  assert.equal(delivery.message_id, msgs[0].id);
  assert.equal(receiver.requests.length, 1, 'delivered once');
});
