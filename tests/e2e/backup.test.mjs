// End-to-end tests of `hookd backup` (docs/OPERATIONS.md, "Backup and restore"): a copy taken
// while hookd ingests, restored by the documented procedure, holds every event acknowledged
// before the backup began; and the command's usage and errors.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { sign as githubSign } from '@octokit/webhooks-methods';

import { HOOKD_BIN, startHookd } from './lib/hookd.mjs';
import { rand, sleep } from './lib/util.mjs';

const TIMEOUT = { timeout: 120_000 };

let h;
let source;
let work; // a temp dir for the copies

// The environment of a `hookd backup` run: no HOOKD_* from the test runner's own environment.
function cleanEnv(extra = {}) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('HOOKD_')) delete env[k];
  return { ...env, ...extra };
}

/** Runs `hookd backup args` and resolves {code, stdout, stderr}; the event loop keeps running. */
function backup(args, env = {}) {
  return new Promise((resolve) => {
    const p = spawn(HOOKD_BIN, ['backup', ...args], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c) => (stdout += c));
    p.stderr.on('data', (c) => (stderr += c));
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const backupSync = (args, env = {}) => {
  const r = spawnSync(HOOKD_BIN, ['backup', ...args], { env: cleanEnv(env), encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

/** One signed GitHub delivery through the real ingest route; resolves {status, id}. */
async function ingestOne(hookd, src) {
  const body = JSON.stringify({ action: 'opened', n: rand(8) });
  const r = await hookd.ingest(src.id, body, {
    'x-github-event': 'issues',
    'x-github-delivery': crypto.randomUUID(),
    'x-hub-signature-256': await githubSign(src.secret, body),
  });
  return { status: r.status, id: r.json?.id };
}

before(async () => {
  h = await startHookd();
  const r = await h.api('POST', '/api/v1/sources', { name: 'backup-gh', provider: 'github' });
  assert.equal(r.status, 201, r.text);
  source = r.json;
  work = await fsp.mkdtemp(path.join(os.tmpdir(), 'hookd-e2e-backup-'));
});

after(async () => {
  if (h) {
    h.saveLog('backup');
    await h.cleanup();
  }
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

describe('hookd backup', TIMEOUT, () => {
  test('usage errors exit 2, --help exits 0', () => {
    const help = backupSync(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: hookd backup --to FILE/);
    assert.match(help.stdout, /Restore: stop hookd/);
    for (const args of [[], ['--to'], ['--to='], ['--data-dir', h.dataDir], ['--to', `${work}/u.db`, '--bogus', 'x'], ['--to', `${work}/u.db`, '--data-dir']]) {
      const r = backupSync(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^hookd backup: .+\n$/, `one line for ${args.join(' ')}`);
      assert.equal(fs.existsSync(`${work}/u.db`), false);
    }
    // A bad value in a HOOKD_* variable is a usage error as for serve.
    const bad = backupSync(['--to', `${work}/u.db`], { HOOKD_DATA_DIR: h.dataDir, HOOKD_LISTEN: 'nonsense' });
    assert.equal(bad.code, 2, bad.stderr);
  });

  test('a missing database or an unwritable target is one line and exit 1, nothing written', () => {
    const missingDir = path.join(work, 'no-such-data-dir');
    const m = backupSync(['--data-dir', missingDir, '--to', `${work}/m.db`]);
    assert.equal(m.code, 1, m.stderr);
    assert.match(m.stderr, /^hookd backup: no database at .*no-such-data-dir\/hookd\.db.*\n$/);
    assert.equal(fs.existsSync(`${work}/m.db`), false);
    assert.equal(fs.existsSync(missingDir), false, 'backup created the data dir');

    const unwritable = path.join(work, 'no-such-dir', 'x.db');
    const u = backupSync(['--data-dir', h.dataDir, '--to', unwritable]);
    assert.equal(u.code, 1, u.stderr);
    assert.match(u.stderr, /^hookd backup: cannot write .*no-such-dir\/x\.db: No such file or directory\n$/);

    const live = backupSync(['--data-dir', h.dataDir, '--to', path.join(h.dataDir, 'hookd.db'), '--force']);
    assert.equal(live.code, 1, live.stderr);
    assert.match(live.stderr, /is the live database/);
  });

  test('the data dir comes from HOOKD_DATA_DIR as for serve; an existing file needs --force', async () => {
    const target = path.join(work, 'env.db');
    const first = backupSync(['--to', target], { HOOKD_DATA_DIR: h.dataDir });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /copied .*hookd\.db to .*env\.db .*integrity ok/);
    assert.equal(fs.statSync(target).mode & 0o777, 0o600);
    assert.equal(fs.readFileSync(target).subarray(0, 16).toString('latin1'), 'SQLite format 3\0');
    assert.deepEqual(fs.readdirSync(work).filter((f) => f.startsWith('env.db')), ['env.db'], 'temporary or -wal files left');

    fs.writeFileSync(target, 'keep me');
    const refused = backupSync(['--data-dir', h.dataDir, '--to', target]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /^hookd backup: .*env\.db exists; pass --force to replace it\n$/);
    assert.equal(fs.readFileSync(target, 'utf8'), 'keep me');

    const forced = backupSync(['--data-dir', h.dataDir, '--to', target, '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(fs.readFileSync(target).subarray(0, 15).toString('latin1'), 'SQLite format 3');
    assert.equal(fs.statSync(target).mode & 0o777, 0o600);
  });

  test('a backup under ingest load, restored, has every event acknowledged before it began', async () => {
    const acks = []; // {id, at}: 202s in the order their answers arrived
    let stop = false;
    let failures = 0;
    const loadDeadline = Date.now() + 60_000; // bounded whatever happens
    const worker = async () => {
      while (!stop && Date.now() < loadDeadline) {
        const r = await ingestOne(h, source);
        if (r.status === 202) acks.push({ id: r.id, at: performance.now() });
        else failures += 1;
      }
    };
    const workers = Array.from({ length: 4 }, worker);
    while (acks.length < 300 && Date.now() < loadDeadline) await sleep(20);

    const target = path.join(work, 'under-load.db');
    const began = performance.now();
    const run = await backup(['--data-dir', h.dataDir, '--to', target]);
    const ended = performance.now();
    const during = acks.filter((a) => a.at > began && a.at < ended).length;
    await sleep(300);
    stop = true;
    await Promise.all(workers);

    assert.equal(run.code, 0, `backup: ${run.stderr}`);
    assert.equal(failures, 0, 'an ingest request failed during the backup');
    const before = acks.filter((a) => a.at < began).map((a) => a.id);
    const afterIds = acks.filter((a) => a.at > ended).map((a) => a.id);
    assert.ok(before.length >= 300, `only ${before.length} events before the backup`);
    assert.ok(afterIds.length > 0, 'no events acknowledged after the backup');
    console.log(`# ${before.length} events before the backup, ${during} during it, ${afterIds.length} after`);

    // The documented restore: stop hookd, copy the file to hookd.db in the data dir, no -wal or
    // -shm beside it, start hookd on it.
    await h.stop();
    const restoredDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'hookd-e2e-restored-'));
    fs.copyFileSync(target, path.join(restoredDir, 'hookd.db'));
    fs.chmodSync(path.join(restoredDir, 'hookd.db'), 0o600);
    assert.equal(fs.existsSync(path.join(restoredDir, 'hookd.db-wal')), false);
    const restored = await startHookd({ dataDir: restoredDir, token: h.token });
    try {
      const missing = [];
      for (let i = 0; i < before.length; i += 16) {
        const rs = await Promise.all(before.slice(i, i + 16).map((id) => restored.api('GET', `/api/v1/events/${id}`)));
        rs.forEach((r, j) => {
          if (r.status !== 200 || r.json?.id !== before[i + j]) missing.push(`${before[i + j]}: ${r.status}`);
        });
      }
      assert.deepEqual(missing, [], `${missing.length} of ${before.length} acknowledged events missing from the restored copy`);
      // One snapshot, taken before the command ended: what was acknowledged after it is not there.
      const later = await restored.api('GET', `/api/v1/events/${afterIds[afterIds.length - 1]}`);
      assert.equal(later.status, 404, later.text);
      // The restored hookd ingests as before, with the restored source and its secret.
      const r = await ingestOne(restored, source);
      assert.equal(r.status, 202);
      assert.equal((await restored.api('GET', `/api/v1/events/${r.id}`)).status, 200);
    } finally {
      restored.saveLog('backup-restored');
      await restored.cleanup();
    }
  });
});
