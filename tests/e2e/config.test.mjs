// End-to-end tests of start-up settings (API.md "Processes, ports, storage", "Auth and errors"):
// a generated admin token when HOOKD_ADMIN_TOKEN is unset, a weak one refused, the data dir's
// and its files' modes, and HOOKD_MAX_BODY.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { sign as githubSign } from '@octokit/webhooks-methods';

import { HOOKD_BIN, freePort, startHookd } from './lib/hookd.mjs';
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
    await poll(() => /admin token generated/.test(h.log), 10_000, () => `the printed admin token; output:\n${h.log}`);
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

// Runs `hookd serve` expecting it to refuse to start: its exit code and stderr.
async function refusedStart(dataDir, env) {
  const args = ['serve', '--listen', `127.0.0.1:${await freePort()}`, '--data-dir', dataDir];
  const run = spawnSync(HOOKD_BIN, args, {
    env: { ...process.env, HOOKD_STREAM_LISTEN: `127.0.0.1:${await freePort()}`, ...env },
    encoding: 'utf8',
    timeout: 15_000,
  });
  return { code: run.status, stderr: run.stderr, stdout: run.stdout };
}

describe('start-up refusals and file modes', TIMEOUT, () => {
  const strong = `tok_${crypto.randomBytes(24).toString('hex')}`;

  test('a short or low-entropy HOOKD_ADMIN_TOKEN is refused with exit code 2', async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'hookd-e2e-token-'));
    try {
      for (const token of ['x', 'test-token', 'a'.repeat(40)]) {
        const dataDir = path.join(base, 'data');
        const r = await refusedStart(dataDir, { HOOKD_ADMIN_TOKEN: token });
        assert.equal(r.code, 2, `${token}: ${r.stdout}${r.stderr}`);
        assert.match(r.stderr, /HOOKD_ADMIN_TOKEN/);
        assert.match(r.stderr, /at least 24 characters/);
        assert.ok(!fs.existsSync(dataDir), 'nothing was created');
      }
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  });

  test('a data dir other users can write to is refused and left untouched', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookd-e2e-shared-'));
    try {
      fs.chmodSync(dir, 0o1777);
      const r = await refusedStart(dir, { HOOKD_ADMIN_TOKEN: strong });
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.ok(r.stderr.includes(dir), r.stderr);
      assert.match(r.stderr, /mode 1777/);
      assert.match(r.stderr, /chmod go-w/);
      assert.equal((fs.statSync(dir).mode & 0o7777).toString(8), '1777');
      assert.deepEqual(fs.readdirSync(dir), []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a busy stream port fails start-up naming the setting, before the data dir is created', async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'hookd-e2e-busy-'));
    const net = await import('node:net');
    const holder = net.createServer();
    await new Promise((resolve) => holder.listen(0, '127.0.0.1', resolve));
    try {
      const port = holder.address().port;
      const dataDir = path.join(base, 'data');
      const r = await refusedStart(dataDir, { HOOKD_ADMIN_TOKEN: strong, HOOKD_STREAM_LISTEN: `127.0.0.1:${port}` });
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.ok(r.stderr.includes(`--stream-listen / HOOKD_STREAM_LISTEN 127.0.0.1:${port}`), r.stderr);
      assert.match(r.stderr, /in use/i);
      assert.ok(!fs.existsSync(dataDir), 'nothing was created');

      // The main listener the same way.
      const args = ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir];
      const main = spawnSync(HOOKD_BIN, args, {
        env: { ...process.env, HOOKD_ADMIN_TOKEN: strong, HOOKD_STREAM_LISTEN: `127.0.0.1:${await freePort()}` },
        encoding: 'utf8',
        timeout: 15_000,
      });
      assert.equal(main.status, 1, main.stderr);
      assert.ok(main.stderr.includes(`--listen / HOOKD_LISTEN 127.0.0.1:${port}`), main.stderr);
      assert.ok(!fs.existsSync(dataDir), 'nothing was created');
    } finally {
      holder.close();
      fs.rmSync(base, { recursive: true, force: true });
    }
  });

  test('a database that cannot be opened is named in the error', async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'hookd-e2e-baddb-'));
    try {
      fs.chmodSync(base, 0o700);
      // Not a database: SQLite's own words would not say which file.
      fs.writeFileSync(path.join(base, 'hookd.db'), crypto.randomBytes(8192), { mode: 0o600 });
      const r = await refusedStart(base, { HOOKD_ADMIN_TOKEN: strong });
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.ok(r.stderr.includes(`database ${base}/hookd.db: `), r.stderr);
      assert.match(r.stderr, /not a database/);
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  });

  test('settings errors name the flag or the variable used, and an unknown flag as unknown', async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'hookd-e2e-flags-'));
    try {
      const dataDir = path.join(base, 'data');
      const env = await refusedStart(dataDir, { HOOKD_ADMIN_TOKEN: strong, HOOKD_MAX_BODY: 'lots' });
      assert.equal(env.code, 2, env.stderr);
      assert.match(env.stderr, /^\S+ ERROR HOOKD_MAX_BODY: not a size: "lots"$/m);
      const bogus = spawnSync(HOOKD_BIN, ['serve', '--bogus'], { encoding: 'utf8', timeout: 15_000 });
      assert.equal(bogus.status, 2, bogus.stderr);
      assert.match(bogus.stderr, /unknown flag --bogus/);
      assert.doesNotMatch(bogus.stderr, /needs a value/);
      const help = spawnSync(HOOKD_BIN, ['serve', '--help'], { encoding: 'utf8', timeout: 15_000 });
      assert.equal(help.status, 0);
      assert.match(help.stdout, /--stream-max-connections +HOOKD_STREAM_MAX_CONNECTIONS +10000/);
      assert.ok(!fs.existsSync(dataDir), 'nothing was created');
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  });

  test('a new data dir is 0700, an existing one keeps its mode, the files are 0600', async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'hookd-e2e-modes-'));
    const modeOf = (p) => (fs.statSync(p).mode & 0o7777).toString(8);
    try {
      const fresh = await start({ token: null, dataDir: path.join(base, 'new') });
      await poll(() => /admin token generated/.test(fresh.log), 10_000, 'the generated token line');
      fresh.token = fs.readFileSync(path.join(fresh.dataDir, 'admin_token'), 'utf8').trim();
      assert.equal((await fresh.api('POST', '/api/v1/sources', { name: 'm', provider: 'github' })).status, 201);
      assert.equal(modeOf(fresh.dataDir), '700');
      for (const name of ['hookd.db', 'hookd.db-wal', 'hookd.db-shm', 'admin_token'])
        assert.equal(modeOf(path.join(fresh.dataDir, name)), '600', name);

      const existing = path.join(base, 'existing');
      fs.mkdirSync(existing);
      fs.chmodSync(existing, 0o755);
      const h = await start({ dataDir: existing });
      assert.equal((await h.api('GET', '/api/v1/sources')).status, 200);
      assert.equal(modeOf(existing), '755');
    } finally {
      for (const h of started.splice(0)) await h.cleanup();
      fs.rmSync(base, { recursive: true, force: true });
    }
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
