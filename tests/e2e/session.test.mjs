// End-to-end tests of browser sessions (API.md, "Auth and errors"): POST /api/v1/session sets an
// HttpOnly, SameSite=Strict cookie naming a random server-side session (Secure over HTTPS, as
// the proxy reports in X-Forwarded-Proto), DELETE /api/v1/session revokes it, and a restart with
// another HOOKD_ADMIN_TOKEN ends every session.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { startHookd } from './lib/hookd.mjs';
import { assertError } from './lib/util.mjs';

const TIMEOUT = { timeout: 60_000 };

let h;
before(async () => {
  h = await startHookd();
});
after(async () => {
  if (h) await h.cleanup();
});

/** Signs in; returns {status, cookie (the Set-Cookie line), pair ("hookd_session=…"), json}. */
async function signIn(token = h.token, headers = {}) {
  return postSession({ token }, headers);
}

async function postSession(body, headers = {}) {
  const r = await h.request('POST', '/api/v1/session', {
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const cookies = r.headers.getSetCookie();
  const cookie = cookies.find((c) => c.startsWith('hookd_session=')) ?? '';
  return { status: r.status, cookie, pair: cookie.split(';')[0], json: r.json, text: r.text };
}

function withCookie(method, path, pair) {
  return h.api(method, path, undefined, { token: null, headers: { cookie: pair } });
}


describe('browser sessions', TIMEOUT, () => {
  test('sign-in sets an HttpOnly SameSite=Strict cookie that is not the token', async () => {
    const s = await signIn();
    assert.equal(s.status, 200, s.text);
    assert.match(s.cookie, /;\s*HttpOnly/i, s.cookie);
    assert.match(s.cookie, /;\s*SameSite=Strict/i, s.cookie);
    assert.match(s.cookie, /;\s*Path=\//i, s.cookie);
    assert.match(s.cookie, /;\s*Max-Age=604800\b/i, `Max-Age is the 7-day absolute limit: ${s.cookie}`);
    assert.doesNotMatch(s.cookie, /;\s*Secure/i, `no Secure over plain HTTP: ${s.cookie}`);
    const value = s.pair.slice('hookd_session='.length);
    assert.match(value, /^[0-9a-f]{64}$/, `a 256-bit random value: ${value}`);
    assert.ok(!s.cookie.includes(h.token), 'the cookie does not carry the token');
  });

  test('wrong or missing token: 401 JSON and no cookie', async () => {
    for (const body of [{ token: `${h.token}x` }, { token: '' }, {}, { token: h.token.toUpperCase() }]) {
      const s = await postSession(body);
      assert.equal(s.status, 401, `${JSON.stringify(body)}: ${s.text}`);
      assert.equal(typeof s.json?.error?.code, 'string', s.text);
      assert.equal(s.cookie, '');
    }
  });

  test('two sign-ins give different cookies, and each works for an admin route', async () => {
    const a = await signIn();
    const b = await signIn();
    assert.notEqual(a.pair, b.pair);
    for (const s of [a, b]) {
      const r = await withCookie('GET', '/api/v1/sources', s.pair);
      assert.equal(r.status, 200, r.text);
    }
    const info = await withCookie('GET', '/api/v1/info', a.pair);
    assert.equal(info.status, 200, info.text);
  });

  test('a made-up cookie is 401', async () => {
    assertError(await withCookie('GET', '/api/v1/sources', `hookd_session=${crypto.randomBytes(32).toString('hex')}`), 401);
    assertError(await withCookie('GET', '/api/v1/sources', `hookd_session=${h.token}`), 401);
  });

  test('DELETE /api/v1/session revokes the session: the same cookie is then 401', async () => {
    const a = await signIn();
    const b = await signIn();
    assert.equal((await withCookie('GET', '/api/v1/sources', a.pair)).status, 200);
    const out = await h.request('DELETE', '/api/v1/session', { headers: { cookie: a.pair } });
    assert.equal(out.status, 200, out.text);
    const cleared = out.headers.getSetCookie().find((c) => c.startsWith('hookd_session=')) ?? '';
    assert.match(cleared, /^hookd_session=;/, `cleared: ${cleared}`);
    assert.match(cleared, /Max-Age=0/i, cleared);
    assertError(await withCookie('GET', '/api/v1/sources', a.pair), 401);
    // Only that session ended.
    assert.equal((await withCookie('GET', '/api/v1/sources', b.pair)).status, 200);
  });

  test('Secure when the request came over HTTPS (X-Forwarded-Proto: https)', async () => {
    const s = await signIn(h.token, { 'x-forwarded-proto': 'https' });
    assert.equal(s.status, 200, s.text);
    assert.match(s.cookie, /;\s*Secure/i, s.cookie);
    assert.match(s.cookie, /;\s*HttpOnly/i, s.cookie);
    const out = await h.request('DELETE', '/api/v1/session', {
      headers: { cookie: s.pair, 'x-forwarded-proto': 'https' },
    });
    const cleared = out.headers.getSetCookie().find((c) => c.startsWith('hookd_session=')) ?? '';
    assert.match(cleared, /;\s*Secure/i, cleared);
  });

  test('a restart keeps sessions; a restart with another HOOKD_ADMIN_TOKEN ends them', async () => {
    const s = await signIn();
    await h.restart();
    assert.equal((await withCookie('GET', '/api/v1/sources', s.pair)).status, 200, 'same token: still signed in');

    h.token = `tok_${crypto.randomBytes(24).toString('hex')}`;
    await h.restart();
    assertError(await withCookie('GET', '/api/v1/sources', s.pair), 401);
    // The new token signs in as usual.
    const fresh = await signIn();
    assert.equal(fresh.status, 200, fresh.text);
    assert.equal((await withCookie('GET', '/api/v1/sources', fresh.pair)).status, 200);
  });
});

describe('HOOKD_SECURE_COOKIES and the session limits', TIMEOUT, () => {
  test('HOOKD_SECURE_COOKIES=on marks the cookie Secure; HOOKD_SESSION_MAX_AGE sets Max-Age', async () => {
    const other = await startHookd({ env: { HOOKD_SECURE_COOKIES: 'on', HOOKD_SESSION_MAX_AGE: '2h' } });
    try {
      const r = await other.request('POST', '/api/v1/session', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: other.token }),
      });
      assert.equal(r.status, 200, r.text);
      const c = r.headers.getSetCookie().find((x) => x.startsWith('hookd_session=')) ?? '';
      assert.match(c, /;\s*Secure/i, c);
      assert.match(c, /;\s*Max-Age=7200\b/i, c);
    } finally {
      await other.cleanup();
    }
  });
});
