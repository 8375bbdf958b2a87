// End-to-end tests of start-up settings (API.md "Processes, ports, storage", "Auth and errors"):
// a generated admin token when HOOKD_ADMIN_TOKEN is unset, and HOOKD_MAX_BODY.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { sign as githubSign } from '@octokit/webhooks-methods';

import { startHookd } from './lib/hookd.mjs';
import { assertError, poll } from './lib/util.mjs';

const TIMEOUT = { timeout: 60_000 };
const started = [];
after(async () => {
  for (const h of started) await h.cleanup();
});

async function start(opts) {
  const h = await startHookd(opts);
  started.push(h);
  return h;
}


describe('generated admin token (HOOKD_ADMIN_TOKEN unset)', TIMEOUT, () => {
  let h;
  let token;

  test('is printed, stored in the data dir with mode 0600, and authenticates', async () => {
    h = await start({ token: null });
    // The banner is printed once the listeners are up, so it may reach us just after /readyz
    // answers (seen under load): wait for the token line before looking for it.
    await poll(() => /admin token \(generated/.test(h.log), 10_000, () => `the printed admin token; output:\n${h.log}`);
    // The stored token is a file in the data dir whose content hookd also printed.
    const candidates = [];
    for (const name of fs.readdirSync(h.dataDir)) {
      const file = path.join(h.dataDir, name);
      const st = fs.statSync(file);
      if (!st.isFile() || st.size === 0 || st.size > 4096) continue;
      const text = fs.readFileSync(file, 'utf8').trim();
      if (text.length >= 16 && !/\s/.test(text) && h.log.includes(text)) candidates.push({ file, text, mode: st.mode & 0o777 });
    }
    assert.equal(candidates.length, 1, `one token file in ${fs.readdirSync(h.dataDir)} whose content was printed; output:\n${h.log}`);
    const [{ file, text, mode }] = candidates;
    assert.equal(mode.toString(8), '600', `${file} mode`);
    token = text;

    assertError(await h.api('GET', '/api/v1/sources', undefined, { token: null }), 401);
    assertError(await h.api('GET', '/api/v1/sources', undefined, { token: `${token}x` }), 401);
    const ok = await h.api('GET', '/api/v1/sources', undefined, { token });
    assert.equal(ok.status, 200, ok.text);
  });

  test('survives a restart: the same token works and is not printed again', async () => {
    assert.ok(token, 'previous test found the token');
    const before = h.log.length;
    await h.restart();
    const ok = await h.api('GET', '/api/v1/sources', undefined, { token });
    assert.equal(ok.status, 200, ok.text);
    assert.ok(!h.log.slice(before).includes(token), `token printed again on restart:\n${h.log.slice(before)}`);
  });
});

describe('HOOKD_MAX_BODY', TIMEOUT, () => {
  test('HOOKD_MAX_BODY=64KiB: 60 KiB accepted, 65 KiB → 413 and not stored', async () => {
    const h = await start({ env: { HOOKD_MAX_BODY: '64KiB' } });
    const src = await h.api('POST', '/api/v1/sources', { name: 'maxbody', provider: 'github' });
    assert.equal(src.status, 201, src.text);
    const { id, secret } = src.json;
    const send = async (size) => {
      const prefix = '{"action":"opened","pad":"';
      const body = prefix + 'z'.repeat(size - prefix.length - 2) + '"}';
      assert.equal(body.length, size);
      return h.rawPost(`/ingest/${id}`, body, {
        'content-type': 'application/json',
        'x-github-event': 'issues',
        'x-github-delivery': crypto.randomUUID(),
        'x-hub-signature-256': await githubSign(secret, body),
      });
    };
    const small = await send(60 * 1024);
    assert.equal(small.status, 202, small.text);
    assertError(await send(65 * 1024), 413);
    const list = await h.api('GET', `/api/v1/events?source_id=${id}`);
    assert.equal(list.json.data.length, 1);
  });
});
