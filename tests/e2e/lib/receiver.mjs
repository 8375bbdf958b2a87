// A webhook receiver for the e2e tests: an HTTP server on 127.0.0.1:<free port>.
//
//   const rx = await startReceiver({ status: 204, delayMs: 2000 });
//   rx.url                  http://127.0.0.1:<port>/hook
//   rx.requests             every request, recorded as soon as its body has arrived:
//                           {method, url, headers, body (a Buffer), at (Date.now())}
//   rx.answered             the records whose answer was fully handed to the socket
//   rx.inFlight()           requests that have arrived and are not yet answered (or given up)
//   rx.attemptsOf(id)       how many requests came with webhook-id `id`
//   rx.status = 500         answers from now on have this status (so does rx.body)
//   await rx.waitFor(pred, timeoutMs, what)
//   await rx.close()        closes the server and every open connection
//
// Options: `status` (200) and `body` ('ok') of every answer; `delayMs` before answering; `gate`, a
// promise awaited before the delay (holds answers back); `onRequest(rec, receiver)`, run on each
// arrival.

import http from 'node:http';

import { sleep } from './util.mjs';

export async function startReceiver({ status = 200, body = 'ok', delayMs = 0, gate = null, onRequest = null } = {}) {
  const requests = [];
  const answered = [];
  const waiters = new Set();
  const notify = () => {
    for (const w of waiters) w();
  };
  const sockets = new Set();
  let inFlight = 0;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('error', () => {});
    res.on('error', () => {});
    req.on('end', async () => {
      const rec = {
        method: req.method,
        url: req.url,
        headers: { ...req.headers },
        body: Buffer.concat(chunks),
        at: Date.now(),
      };
      requests.push(rec);
      inFlight++;
      if (onRequest) onRequest(rec, receiver);
      notify();
      try {
        if (gate) await gate;
        if (delayMs) await sleep(delayMs);
        if (res.destroyed || req.socket.destroyed) return; // the sender went away (kill -9)
        res.writeHead(receiver.status, { 'content-type': 'text/plain' });
        res.end(receiver.body, () => {
          rec.answered = true;
          answered.push(rec);
          notify();
        });
      } finally {
        inFlight--;
      }
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  const receiver = {
    url: `http://127.0.0.1:${port}/hook`,
    status,
    body,
    requests,
    answered,
    inFlight: () => inFlight,
    attemptsOf: (webhookId) => requests.filter((r) => r.headers['webhook-id'] === webhookId).length,
    /** Resolves when pred() is true (checked on every arrival/answer), rejects after timeoutMs. */
    waitFor(pred, timeoutMs, what = 'condition') {
      if (pred()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pred()) {
            cleanup();
            resolve();
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`receiver: timed out after ${timeoutMs} ms waiting for ${what} (${requests.length} requests so far)`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
      });
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return receiver;
}
