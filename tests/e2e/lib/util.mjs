// Small helpers shared by the e2e test files. Exports are kept stable; add new ones rather than
// changing what an existing one does.
//
//   rand(n = 8)                  n random bytes as hex (2n characters)
//   nowSec()                     the current unix time in seconds
//   sleep(ms)                    resolves after ms
//   newWhsec(bytes = 32)         a "whsec_<base64>" secret of `bytes` random bytes
//   poll(fn, timeoutMs, what, intervalMs = 100)
//                                calls fn until it returns a truthy value and returns that value;
//                                throws "timed out … waiting for <what>" after timeoutMs (what
//                                may be a function, called then for the message)
//   parseJson(text)              JSON.parse, or undefined when text is empty or not JSON
//   readResponse(res)            a fetch Response as {status, headers, text, json}
//   assertError(r, status, code) asserts the API's error shape (status, JSON content type,
//                                {"error":{"code","message"}}, and the code if given); returns
//                                the code
//   listAll(h, urlPath, query)   every row of a list endpoint, following the `after` cursor
//                                (limit 500); asserts each page is {data: [], next}
//   listEvents(h, sourceId)      listAll of /api/v1/events for one source
//   postStream(port, urlPath, body, headers, {chunkSize, timeoutMs})
//                                POSTs body with node:http in chunks, with no Content-Length
//                                unless headers has one (so Transfer-Encoding: chunked), and
//                                resolves {status, headers, text, json} even when the server
//                                answers before reading the whole body and then closes; rejects
//                                only if no response came at all
//
// `h` is a Hookd from ./hookd.mjs (anything with api(method, path)); `r` is what its api(),
// request() or rawPost() resolve: {status, headers (a Headers), text, json}.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';

export const rand = (n = 8) => crypto.randomBytes(n).toString('hex');
export const nowSec = () => Math.floor(Date.now() / 1000);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const newWhsec = (bytes = 32) => `whsec_${crypto.randomBytes(bytes).toString('base64')}`;

export async function poll(fn, timeoutMs, what, intervalMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = await fn();
    if (last) return last;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`);
    }
    await sleep(intervalMs);
  }
}

export function parseJson(text) {
  if (!text || !text.length) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export async function readResponse(res) {
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: parseJson(text) };
}

export function assertError(r, status, code) {
  assert.equal(r.status, status, `expected ${status}${code ? ' ' + code : ''}, got ${r.status}: ${r.text}`);
  assert.match(r.headers.get('content-type') || '', /application\/json/, `error content-type: ${r.headers.get('content-type')}`);
  assert.ok(r.json && typeof r.json.error === 'object', `error body is {"error":{…}}: ${r.text}`);
  assert.equal(typeof r.json.error.code, 'string', `error.code is a string: ${r.text}`);
  assert.ok(r.json.error.code.length > 0, 'error.code is not empty');
  assert.equal(typeof r.json.error.message, 'string', `error.message is a string: ${r.text}`);
  if (code) assert.equal(r.json.error.code, code, `error code: ${r.text}`);
  // The main listener names the request in every error (the stream listener has no ids).
  const requestId = r.headers.get('x-request-id');
  if (requestId !== null) assert.equal(r.json.error.request_id, requestId, `error.request_id is X-Request-Id: ${r.text}`);
  return r.json.error.code;
}

export async function listAll(h, urlPath, query = {}) {
  const all = [];
  let cursor = null;
  for (let page = 0; page < 100; page++) {
    const q = new URLSearchParams({ ...query, limit: '500' });
    if (cursor) q.set('after', cursor);
    const r = await h.api('GET', `${urlPath}?${q}`);
    assert.equal(r.status, 200, `GET ${urlPath}?${q}: ${r.status} ${r.text}`);
    assert.ok(Array.isArray(r.json?.data), `list has data[]: ${r.text}`);
    assert.ok('next' in r.json, `list has next: ${r.text}`);
    all.push(...r.json.data);
    if (!r.json.next || r.json.data.length === 0) break;
    cursor = r.json.next;
  }
  return all;
}

export const listEvents = (h, sourceId) => listAll(h, '/api/v1/events', { source_id: sourceId });

export function postStream(port, urlPath, body, headers = {}, { chunkSize = 65536, timeoutMs = 15_000 } = {}) {
  return new Promise((resolve, reject) => {
    const buf = Buffer.isBuffer(body) ? body : Buffer.from(body);
    const req = http.request(
      { host: '127.0.0.1', port, path: urlPath, method: 'POST', agent: false, headers, timeout: timeoutMs },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        let done = false;
        const finish = () => {
          if (done) return;
          done = true;
          const text = Buffer.concat(chunks).toString();
          resolve({ status: res.statusCode, headers: new Headers(res.headers), text, json: parseJson(text) });
        };
        res.on('end', finish);
        res.on('error', finish);
        res.on('aborted', finish);
        res.on('close', finish);
      },
    );
    let responded = false;
    req.on('response', () => {
      responded = true;
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', (err) => {
      if (!responded) reject(err);
    });
    for (let i = 0; i < buf.length; i += chunkSize) req.write(buf.subarray(i, i + chunkSize));
    req.end();
  });
}
