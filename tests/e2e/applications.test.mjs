// Applications end to end against the built binary: two customers' applications, each with its
// own endpoint and secret. A message published to one reaches only that customer's receiver,
// signed so that the `standardwebhooks` package verifies it with that endpoint's secret and not
// with the other's. An application token works on its own application and nowhere else (403),
// and is refused (401) once revoked. A GitHub event sent to a source bound to one application
// (signed with @octokit/webhooks-methods) reaches that application's endpoint only.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { sign as githubSign } from '@octokit/webhooks-methods';
import { Webhook as StandardWebhook } from 'standardwebhooks';

import { startHookd } from './lib/hookd.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { newWhsec, poll, rand, sleep } from './lib/util.mjs';

const TIMEOUT = { timeout: 60_000 };

let h;
let acme;
let globex;

before(async () => {
  h = await startHookd({ env: { HOOKD_ALLOW_PRIVATE_TARGETS: '1' } });
  acme = { rx: await startReceiver(), secret: newWhsec(), uid: `acme-${rand(3)}` };
  globex = { rx: await startReceiver(), secret: newWhsec(), uid: `globex-${rand(3)}` };
  for (const c of [acme, globex]) {
    const app = await h.api('PUT', `/api/v1/apps/${c.uid}`, { name: c.uid });
    assert.equal(app.status, 201, app.text);
    c.app = app.json;
    const ep = await h.api('POST', `/api/v1/apps/${c.uid}/endpoints`, { url: c.rx.url, secret: c.secret });
    assert.equal(ep.status, 201, ep.text);
    c.endpoint = ep.json;
  }
});

after(async () => {
  for (const c of [acme, globex]) if (c?.rx) await c.rx.close();
  if (!h) return;
  h.saveLog('applications');
  await h.cleanup();
});

/** Verifies a received request with the standardwebhooks package and `secret`; returns the payload. */
function verify(rec, secret) {
  return new StandardWebhook(secret).verify(rec.body.toString(), {
    'webhook-id': rec.headers['webhook-id'],
    'webhook-timestamp': rec.headers['webhook-timestamp'],
    'webhook-signature': rec.headers['webhook-signature'],
  });
}

describe('applications', TIMEOUT, () => {
  test('a message reaches only its own application, signed with its endpoint\'s secret', async () => {
    const order = { id: rand(4), total: 4200 };
    const r = await h.api('POST', `/api/v1/apps/${acme.uid}/messages`, { event_type: 'order.created', payload: order });
    assert.equal(r.status, 202, r.text);
    assert.equal(r.json.deliveries, 1);
    await acme.rx.waitFor(() => acme.rx.requests.length === 1, 10_000, 'the delivery to acme');
    const rec = acme.rx.requests[0];
    assert.deepEqual(verify(rec, acme.secret), order);
    assert.equal(rec.headers['hookd-event-type'], 'order.created');
    // Another customer's secret does not verify it; that customer received nothing.
    assert.throws(() => verify(rec, globex.secret));
    await sleep(500);
    assert.equal(globex.rx.requests.length, 0);
    assert.equal(acme.rx.requests.length, 1);
  });

  test('an application token reaches its own application only, until revoked', async () => {
    const made = await h.api('POST', `/api/v1/apps/${acme.uid}/tokens`, { name: 'ci' });
    assert.equal(made.status, 201, made.text);
    const token = made.json.token;
    assert.match(token, /^hkd_app_[0-9a-f]{64}$/);
    const as = (method, path, body) => h.api(method, path, body, { token });

    const own = await as('GET', `/api/v1/apps/${acme.uid}/endpoints`);
    assert.equal(own.status, 200, own.text);
    assert.deepEqual(own.json.data.map((e) => e.id), [acme.endpoint.id]);
    const published = await as('POST', `/api/v1/apps/${acme.uid}/messages`, { event_type: 'order.paid', payload: { n: 1 } });
    assert.equal(published.status, 202, published.text);

    for (const [method, path] of [
      ['GET', `/api/v1/apps/${globex.uid}/endpoints`],
      ['GET', `/api/v1/apps/${globex.app.id}/messages`],
      ['POST', `/api/v1/apps/${globex.uid}/messages`],
      ['GET', `/api/v1/apps/${acme.uid}/endpoints/${globex.endpoint.id}`],
      ['GET', '/api/v1/endpoints'],
      ['GET', '/api/v1/apps'],
      ['POST', `/api/v1/apps/${acme.uid}/tokens`],
    ]) {
      const r = await as(method, path, method === 'POST' ? { event_type: 'x.y', payload: 1 } : undefined);
      // Another application's endpoint under its own application is 404, as an unknown id.
      const expected = path.includes(`/endpoints/${globex.endpoint.id}`) ? 404 : 403;
      assert.equal(r.status, expected, `${method} ${path}: ${r.status} ${r.text}`);
    }
    await sleep(300);
    assert.equal(globex.rx.requests.length, 0, 'nothing reached the other customer');

    const revoked = await h.api('DELETE', `/api/v1/apps/${acme.uid}/tokens/${made.json.id}`);
    assert.equal(revoked.status, 204, revoked.text);
    const refused = await as('GET', `/api/v1/apps/${acme.uid}/endpoints`);
    assert.equal(refused.status, 401, refused.text);
    assert.equal(refused.json.error.code, 'unauthorized');
  });

  test('a GitHub event to a source bound to an application reaches that application only', async () => {
    const src = await h.api('POST', '/api/v1/sources', { name: 'acme github', provider: 'github', app_id: globex.app.id });
    assert.equal(src.status, 201, src.text);
    const before = { acme: acme.rx.requests.length, globex: globex.rx.requests.length };
    const body = JSON.stringify({ action: 'opened', issue: { number: 7 } });
    const r = await h.ingest(src.json.id, body, {
      'x-github-event': 'issues',
      'x-github-delivery': crypto.randomUUID(),
      'x-hub-signature-256': await githubSign(src.json.secret, body),
    });
    assert.equal(r.status, 202, r.text);
    await poll(() => globex.rx.requests.length > before.globex, 10_000, 'the event at globex');
    const rec = globex.rx.requests.at(-1);
    assert.equal(rec.headers['hookd-event-type'], 'issues.opened');
    assert.deepEqual(verify(rec, globex.secret), JSON.parse(body));
    await sleep(300);
    assert.equal(acme.rx.requests.length, before.acme);
  });
});
