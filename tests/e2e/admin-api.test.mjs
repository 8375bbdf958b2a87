// End-to-end tests of admin API behaviour not covered elsewhere: what an event keeps of the
// request's headers, unknown body fields, the order of every list, /api/v1/info, and events
// outliving their source.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { sign as githubSign } from '@octokit/webhooks-methods';

import { HOOKD_BIN, startHookd } from './lib/hookd.mjs';
import { assertError, listAll, listEvents, rand } from './lib/util.mjs';

const TIMEOUT = { timeout: 60_000 };
// Endpoints point at a closed local port; their deliveries just keep failing.
const DEAD_URL = 'http://127.0.0.1:9/hook';

let h;

before(async () => {
  h = await startHookd({ env: { HOOKD_ALLOW_PRIVATE_TARGETS: '1', HOOKD_RETRY_SCHEDULE: '1h' } });
});

after(async () => {
  if (!h) return;
  h.saveLog('admin-api');
  await h.cleanup();
});

async function create(urlPath, body) {
  const r = await h.api('POST', urlPath, body);
  assert.ok(r.status === 201 || r.status === 202, `POST ${urlPath}: ${r.status} ${r.text}`);
  return r.json;
}

const createSource = () => create('/api/v1/sources', { name: `adm-${rand(4)}`, provider: 'github' });
const createEndpoint = (extra = {}) => create('/api/v1/endpoints', { url: DEAD_URL, ...extra });

/** Ingests a GitHub event signed by @octokit/webhooks-methods; returns the event id. */
async function ingestGithub(src, extraHeaders = {}) {
  const body = `{"action":"opened","n":"${rand(4)}"}`;
  const r = await h.ingest(src.id, body, {
    'x-github-event': 'issues',
    'x-github-delivery': crypto.randomUUID(),
    'x-hub-signature-256': await githubSign(src.secret, body),
    ...extraHeaders,
  });
  assert.equal(r.status, 202, `ingest: ${r.status} ${r.text}`);
  return r.json.id;
}

/** The ids of `rows` that are in `wanted`, in the order the list gave them. */
const inListOrder = (rows, wanted) => rows.map((x) => x.id).filter((id) => wanted.includes(id));

describe('stored headers', TIMEOUT, () => {
  test('an event keeps the request headers except Authorization and Cookie', async () => {
    const src = await createSource();
    const id = await ingestGithub(src, {
      authorization: 'Bearer provider-credential',
      cookie: 'session=provider-cookie',
      'x-e2e-kept': 'kept-value',
    });
    const r = await h.api('GET', `/api/v1/events/${id}`);
    assert.equal(r.status, 200, r.text);
    const names = Object.keys(r.json.headers).map((k) => k.toLowerCase());
    assert.ok(!names.includes('authorization'), `no authorization: ${JSON.stringify(r.json.headers)}`);
    assert.ok(!names.includes('cookie'), `no cookie: ${JSON.stringify(r.json.headers)}`);
    assert.ok(!r.text.includes('provider-credential') && !r.text.includes('provider-cookie'), r.text);
    assert.equal(r.json.headers['x-e2e-kept'], 'kept-value', JSON.stringify(r.json.headers));
    assert.equal(r.json.headers['x-github-event'], 'issues');
  });
});

describe('unknown fields in admin request bodies', TIMEOUT, () => {
  test('every admin POST/PATCH body with an unknown field → 422 naming it, nothing changed', async () => {
    const src = await createSource();
    const ep = await createEndpoint();
    const cases = [
      ['POST', '/api/v1/sources', { name: `adm-${rand(4)}`, provider: 'github' }],
      ['PATCH', `/api/v1/sources/${src.id}`, { name: 'renamed' }],
      ['POST', `/api/v1/sources/${src.id}/rotate-secret`, {}],
      ['POST', '/api/v1/endpoints', { url: DEAD_URL }],
      ['PATCH', `/api/v1/endpoints/${ep.id}`, { description: 'changed' }],
      ['POST', `/api/v1/endpoints/${ep.id}/rotate-secret`, {}],
      ['POST', `/api/v1/endpoints/${ep.id}/recover`, { since: new Date().toISOString() }],
      ['POST', '/api/v1/messages', { event_type: `adm.${rand(4)}`, payload: { a: 1 } }],
    ];
    const sourcesBefore = (await listAll(h, '/api/v1/sources')).length;
    const endpointsBefore = (await listAll(h, '/api/v1/endpoints')).length;
    const messagesBefore = (await listAll(h, '/api/v1/messages')).length;
    for (const [method, urlPath, body] of cases) {
      const field = `bogus_${rand(3)}`;
      const r = await h.api(method, urlPath, { ...body, [field]: 1 });
      assertError(r, 422, 'invalid_field');
      assert.ok(r.json.error.message.includes(field), `${method} ${urlPath}: the message names ${field}: ${r.text}`);
    }
    assert.equal((await listAll(h, '/api/v1/sources')).length, sourcesBefore);
    assert.equal((await listAll(h, '/api/v1/endpoints')).length, endpointsBefore);
    assert.equal((await listAll(h, '/api/v1/messages')).length, messagesBefore);
    const s = (await h.api('GET', `/api/v1/sources/${src.id}`)).json;
    assert.equal(s.name, src.name, 'the source was not renamed');
    assert.equal(s.secret, src.secret, 'the source secret was not rotated');
    const e = (await h.api('GET', `/api/v1/endpoints/${ep.id}`)).json;
    assert.equal(e.description, ep.description, 'the endpoint was not changed');
    assert.equal(e.secret, ep.secret, 'the endpoint secret was not rotated');
  });
});

describe('lists are newest first', TIMEOUT, () => {
  /** Checks `urlPath` lists `ids` (oldest first) newest first, whole and one row per page. */
  async function assertNewestFirst(urlPath, query, ids) {
    const newestFirst = [...ids].reverse();
    assert.deepEqual(inListOrder(await listAll(h, urlPath, query), ids), newestFirst, `${urlPath} order`);
    const paged = [];
    let cursor = null;
    for (let i = 0; i < 1000; i++) {
      const q = new URLSearchParams({ ...query, limit: '1' });
      if (cursor) q.set('after', cursor);
      const r = await h.api('GET', `${urlPath}?${q}`);
      assert.equal(r.status, 200, r.text);
      paged.push(...r.json.data);
      if (!r.json.next) break;
      cursor = r.json.next;
    }
    assert.deepEqual(inListOrder(paged, ids), newestFirst, `${urlPath} order, one row per page`);
  }

  test('events', async () => {
    const src = await createSource();
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push(await ingestGithub(src));
    await assertNewestFirst('/api/v1/events', { source_id: src.id }, ids);
  });

  test('messages', async () => {
    const type = `adm.order.${rand(4)}`;
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push((await create('/api/v1/messages', { event_type: type, payload: { i } })).id);
    await assertNewestFirst('/api/v1/messages', { event_type: type }, ids);
  });

  test('sources', async () => {
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push((await createSource()).id);
    await assertNewestFirst('/api/v1/sources', {}, ids);
  });

  test('endpoints', async () => {
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push((await createEndpoint()).id);
    await assertNewestFirst('/api/v1/endpoints', {}, ids);
  });

  test('deliveries', async () => {
    const type = `adm.dlv.${rand(4)}`;
    const ep = await createEndpoint({ event_types: [type] });
    const messages = [];
    for (let i = 0; i < 4; i++) messages.push((await create('/api/v1/messages', { event_type: type, payload: { i } })).id);
    const deliveries = await listAll(h, '/api/v1/deliveries', { endpoint_id: ep.id });
    assert.deepEqual(
      deliveries.map((d) => d.message_id),
      [...messages].reverse(),
      `one delivery per message, newest first: ${JSON.stringify(deliveries)}`,
    );
    await assertNewestFirst('/api/v1/deliveries', { endpoint_id: ep.id }, [...deliveries].reverse().map((d) => d.id));
  });
});

describe('GET /api/v1/info', TIMEOUT, () => {
  test('answers the version and the stream base, to the admin only', async () => {
    const r = await h.api('GET', '/api/v1/info');
    assert.equal(r.status, 200, r.text);
    const version = execFileSync(HOOKD_BIN, ['version'], { encoding: 'utf8' }).trim();
    assert.ok(version.includes(r.json.version) && r.json.version.length > 0, `version ${r.json.version} vs "${version}"`);
    assert.equal(typeof r.json.stream_base, 'string');
    assert.match(r.json.stream_base, /^https?:\/\/\S+$/, r.text);
    assertError(await h.api('GET', '/api/v1/info', undefined, { token: null }), 401);
  });
});

describe('deleting a source', TIMEOUT, () => {
  test('keeps its events', async () => {
    const src = await createSource();
    const ids = [await ingestGithub(src), await ingestGithub(src)];
    const before = await Promise.all(ids.map((id) => h.api('GET', `/api/v1/events/${id}`)));
    const d = await h.api('DELETE', `/api/v1/sources/${src.id}`);
    assert.equal(d.status, 200, d.text);
    assertError(await h.api('GET', `/api/v1/sources/${src.id}`), 404);
    for (const [i, id] of ids.entries()) {
      const r = await h.api('GET', `/api/v1/events/${id}`);
      assert.equal(r.status, 200, `event ${id} after its source was deleted: ${r.text}`);
      assert.deepEqual(r.json, before[i].json);
    }
    assert.deepEqual(inListOrder(await listEvents(h, src.id), ids), [...ids].reverse());
  });
});
