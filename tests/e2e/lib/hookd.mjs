// Starts the built `hookd` binary for end-to-end tests and talks to it.
//
//   const h = await startHookd();
//   const { status, json } = await h.api('POST', '/api/v1/sources', { name, provider });
//   await h.kill9(); await h.restart();
//   const { code, signal } = await h.stop();   // SIGTERM, waits for exit
//   h.saveLog('ingest');                        // the output, to a file in the temp dir
//   await h.cleanup();                          // stops if needed, removes the data dir
//
// Every answer that api(), request(), ingest(), rawPost() and streamRequest() receive is checked against the
// OpenAPI description (./openapi.mjs): an undocumented status or a body that does not match its
// schema fails the test with the route, the status and the validator's message.
//
// HOOKD_BIN gives the binary (default ../../build/release/hookd relative to tests/e2e).

import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { checkResponse } from './openapi.mjs';
import { postStream, readResponse, sleep } from './util.mjs';

export const E2E_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const HOOKD_BIN = path.resolve(E2E_DIR, process.env.HOOKD_BIN || '../../build/release/hookd');

// The listeners of the hookd processes the suites started: port → 'main' or 'stream'.
const LISTENERS = new Map();

// Every answer a suite gets from a hookd it started is checked against docs/openapi.yaml
// (lib/openapi.mjs): through the helpers below and through any plain fetch() a suite makes. An
// event stream is checked by its status and content type (its body never ends); a body the test
// gave up on (aborted, reset) cannot be checked and is not.
const rawFetch = globalThis.fetch;
globalThis.fetch = async (input, init = {}) => {
  const res = await rawFetch(input, init);
  let url;
  try {
    url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
  } catch {
    return res;
  }
  const listener = url.hostname === '127.0.0.1' ? LISTENERS.get(Number(url.port)) : undefined;
  if (!listener) return res;
  const method = (init.method || (input instanceof Request ? input.method : 'GET')).toUpperCase();
  let text = '';
  if (!(res.headers.get('content-type') || '').startsWith('text/event-stream')) {
    try {
      text = await res.clone().text();
    } catch {
      return res;
    }
  }
  checkResponse(method, url.pathname + url.search, { status: res.status, headers: res.headers, text }, { listener });
  return res;
};

const READY_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 15_000;
const REQUEST_TIMEOUT_MS = 15_000;

/** A TCP port that was free a moment ago: listen on port 0, read it, close. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}


class Hookd {
  constructor({ port, streamPort, dataDir, token, extraEnv, extraArgs = [], openFiles }) {
    this.openFiles = openFiles;
    this.extraArgs = extraArgs;
    this.port = port;
    this.streamPort = streamPort;
    this.dataDir = dataDir;
    this.token = token;
    this.tokenFromEnv = token !== null;
    this.extraEnv = extraEnv;
    this.base = `http://127.0.0.1:${port}`;
    this.proc = null;
    this.exited = null; // Promise<{code, signal}> of the current process
    this.log = ''; // stdout+stderr of every process started, for failure messages
  }

  _spawn() {
    const env = { ...process.env, ...this.extraEnv };
    // token null: leave HOOKD_ADMIN_TOKEN unset so hookd generates and stores one.
    if (this.tokenFromEnv) env.HOOKD_ADMIN_TOKEN = this.token;
    else delete env.HOOKD_ADMIN_TOKEN;
    // Keep the second (stream) listener off the shared default port so files can run in parallel.
    env.HOOKD_STREAM_LISTEN = `127.0.0.1:${this.streamPort}`;
    delete env.HOOKD_LISTEN;
    delete env.HOOKD_DATA_DIR;
    const args = ['serve', '--listen', `127.0.0.1:${this.port}`, '--data-dir', this.dataDir, ...this.extraArgs];
    this.log += `\n--- spawn ${HOOKD_BIN} ${args.join(' ')}\n`;
    // openFiles: run under `ulimit -n <openFiles>` (soft and hard), as a constrained host would.
    const proc = this.openFiles
      ? spawn('bash', ['-c', `ulimit -n ${this.openFiles} && exec "$0" "$@"`, HOOKD_BIN, ...args], {
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        })
      : spawn(HOOKD_BIN, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const append = (chunk) => {
      this.log += chunk.toString();
      if (this.log.length > 200_000) this.log = this.log.slice(-100_000);
    };
    proc.stdout.on('data', append);
    proc.stderr.on('data', append);
    this.exited = new Promise((resolve) => {
      proc.on('error', (err) => {
        this.log += `\n--- spawn error: ${err.message}\n`;
        resolve({ code: null, signal: null, error: err });
      });
      proc.on('exit', (code, signal) => resolve({ code, signal }));
    });
    this.proc = proc;
    return proc;
  }

  /** Starts a process and polls /readyz until 200; retries the spawn if it dies early (port race). */
  async _startAndWait({ newPortOnEarlyExit = false } = {}) {
    if (!fs.existsSync(HOOKD_BIN)) {
      throw new Error(`hookd binary not found at ${HOOKD_BIN} (set HOOKD_BIN or build it)`);
    }
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let attempts = 0;
    while (Date.now() < deadline) {
      attempts += 1;
      this._spawn();
      let dead = null;
      this.exited.then((r) => {
        dead = r;
      });
      while (Date.now() < deadline && !dead) {
        try {
          const res = await fetch(`${this.base}/readyz`, { signal: AbortSignal.timeout(1000) });
          await res.arrayBuffer();
          if (res.status === 200) {
            LISTENERS.set(this.port, 'main');
            LISTENERS.set(this.streamPort, 'stream');
            return;
          }
        } catch {
          // not listening yet
        }
        await sleep(50);
      }
      if (!dead) break; // timed out with the process still running
      if (attempts >= 3) break;
      if (newPortOnEarlyExit) {
        // Another process may have taken the port between freePort() and the spawn.
        this.port = await freePort();
        this.streamPort = await freePort();
        this.base = `http://127.0.0.1:${this.port}`;
      }
      await sleep(200);
    }
    const tail = this.log.slice(-4000);
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill('SIGKILL');
      await this.exited;
    }
    throw new Error(`hookd did not become ready on ${this.base} within ${READY_TIMEOUT_MS} ms. Output:\n${tail}`);
  }

  /** The stream listener's base URL (SSE, WebSocket, long-poll). */
  get streamBase() {
    return `http://127.0.0.1:${this.streamPort}`;
  }

  get running() {
    return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Sends `signal` (default SIGTERM) and waits for the exit: resolves {code, signal}. */
  async stop(signal = 'SIGTERM', timeoutMs = STOP_TIMEOUT_MS) {
    if (!this.proc) return { code: null, signal: null };
    if (!this.running) return this.exited;
    this.proc.kill(signal);
    let timer;
    const timeout = new Promise((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const r = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (r === 'timeout') {
      this.proc.kill('SIGKILL');
      await this.exited;
      throw new Error(`hookd did not exit within ${timeoutMs} ms after ${signal}`);
    }
    return r;
  }

  /** SIGKILL, no chance to clean up. */
  async kill9() {
    return this.stop('SIGKILL');
  }

  /** Starts a new process on the same data dir and port (stops the old one first if running). */
  async restart() {
    if (this.running) await this.stop();
    await this._startAndWait();
  }

  /** Stops (SIGKILL if SIGTERM does not work) and removes the data dir. */
  /** Writes everything the processes printed to a file in the temp dir and says where. */
  saveLog(label) {
    const logFile = path.join(os.tmpdir(), `hookd-e2e-${label}-${process.pid}.log`);
    fs.writeFileSync(logFile, this.log);
    console.log(`# hookd output${label ? ` (${label})` : ''}: ${logFile}`);
  }

  async cleanup() {
    if (this.running) {
      try {
        await this.stop('SIGTERM', 5000);
      } catch {
        // stop() already SIGKILLed it
      }
    }
    await fsp.rm(this.dataDir, { recursive: true, force: true });
  }

  /** Admin API call with the bearer token. body: object (sent as JSON) or undefined. */
  async api(method, urlPath, body, { headers = {}, token = this.token } = {}) {
    const h = { ...headers };
    if (token !== null && token !== undefined) h.authorization = `Bearer ${token}`;
    let payload;
    if (body !== undefined) {
      h['content-type'] = 'application/json';
      payload = typeof body === 'string' ? body : JSON.stringify(body);
    }
    const res = await fetch(this.base + urlPath, {
      method,
      headers: h,
      body: payload,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const r = await readResponse(res);
    checkResponse(method, urlPath, r);
    return r;
  }

  /** Unauthenticated request (e.g. ingest, health). body: raw string or Buffer. */
  async request(method, urlPath, { headers = {}, body } = {}) {
    const res = await fetch(this.base + urlPath, {
      method,
      headers,
      body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const r = await readResponse(res);
    checkResponse(method, urlPath, r);
    return r;
  }

  /**
   * A request to the stream listener (long-poll, or a stream's refusal), checked against the
   * document like api()'s. token: the bearer credential (default the admin token; null: none).
   */
  async streamRequest(method, urlPath, { headers = {}, token = this.token } = {}) {
    const h = { ...headers };
    if (token !== null && token !== undefined) h.authorization = `Bearer ${token}`;
    const res = await fetch(this.streamBase + urlPath, {
      method,
      headers: h,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS + 60_000),
    });
    const r = await readResponse(res);
    checkResponse(method, urlPath, r, { listener: 'stream' });
    return r;
  }

  /** POST to /ingest/<sourceId> with the raw body and headers (content-type JSON unless given). */
  async ingest(sourceId, body, headers = {}) {
    const h = { 'content-type': 'application/json', ...headers };
    return this.request('POST', `/ingest/${sourceId}`, { headers: h, body });
  }

  /**
   * POST with node:http that still reports the response when the server answers before reading
   * the whole body (e.g. 413) and then closes; fetch can lose such a response to EPIPE/ECONNRESET.
   */
  async rawPost(urlPath, body, headers = {}) {
    const buf = Buffer.isBuffer(body) ? body : Buffer.from(body);
    const r = await postStream(this.port, urlPath, buf, { 'content-length': buf.length, ...headers }, { timeoutMs: REQUEST_TIMEOUT_MS });
    checkResponse('POST', urlPath, r);
    return r;
  }
}

/**
 * Starts hookd on a free port with a fresh temp data dir and a random admin token.
 * env: extra environment. args: extra `hookd serve` flags (e.g. ['--roles', 'deliver']).
 * token: null leaves HOOKD_ADMIN_TOKEN unset (h.token is then null until the test sets it from
 * what hookd generated). dataDir: serve from this dir (cleanup() removes it).
 */
export async function startHookd({ env = {}, args = [], token: givenToken, dataDir: givenDir, openFiles } = {}) {
  const port = await freePort();
  let streamPort = await freePort();
  while (streamPort === port) streamPort = await freePort();
  const dataDir = givenDir ?? (await fsp.mkdtemp(path.join(os.tmpdir(), 'hookd-e2e-')));
  const token = givenToken === null ? null : givenToken ?? `tok_${crypto.randomBytes(24).toString('hex')}`;
  const h = new Hookd({ port, streamPort, dataDir, token, extraEnv: env, extraArgs: args, openFiles });
  try {
    await h._startAndWait({ newPortOnEarlyExit: true });
  } catch (err) {
    await fsp.rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  return h;
}
