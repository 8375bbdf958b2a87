// A stand-in for hookd's status-stream listener (API.md, "Status stream"), for testing the
// dashboard's transports where the binary does not serve them yet. It follows hookd's log through
// GET /api/v1/overview (whose `recent` holds the newest entries) and serves it as SSE
// (/api/v1/stream), WebSocket (/api/v1/ws, first frame {"after": seq}) and long-poll
// (/api/v1/updates), with CORS for credentialed requests from the dashboard's origin.
//
//   const stub = await startStreamStub(h, port);   // h: a started Hookd
//   stub.base; stub.hits.sse / .websocket / .longpoll; await stub.close();

import http from 'node:http';
import { WebSocketServer } from 'ws';

export async function startStreamStub(h, port) {
  const log = []; // entries, seq order
  const waiters = new Set();
  const hits = { sse: 0, websocket: 0, longpoll: 0 };
  let stopped = false;

  const after = (seq) => log.filter((e) => e.seq > seq);
  const follow = async () => {
    while (!stopped) {
      try {
        const { json } = await h.api('GET', '/api/v1/overview');
        const last = log.length ? log[log.length - 1].seq : 0;
        const fresh = (json?.recent || []).filter((e) => e.seq > last);
        if (fresh.length) {
          log.push(...fresh);
          for (const w of waiters) w();
        }
      } catch {
        // hookd restarting or gone: try again
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const cors = (req, res) => {
    if (req.headers.origin) {
      res.setHeader('access-control-allow-origin', req.headers.origin);
      res.setHeader('access-control-allow-credentials', 'true');
      res.setHeader('vary', 'Origin');
    }
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://stub');
    cors(req, res);
    if (url.pathname === '/api/v1/stream') {
      hits.sse += 1;
      let sent = Number(req.headers['last-event-id'] || url.searchParams.get('after') || 0);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('retry: 2000\n\n');
      const push = () => {
        for (const e of after(sent)) {
          res.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
          sent = e.seq;
        }
      };
      push();
      waiters.add(push);
      req.on('close', () => waiters.delete(push));
      return;
    }
    if (url.pathname === '/api/v1/updates') {
      hits.longpoll += 1;
      const from = Number(url.searchParams.get('after') || 0);
      const timeoutMs = Math.min(60, Number(url.searchParams.get('timeout') || 30)) * 1000;
      const answer = () => {
        const events = after(from);
        if (!events.length && !timedOut) return false;
        waiters.delete(answer);
        clearTimeout(timer);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ events, next: events.length ? events[events.length - 1].seq : from }));
        return true;
      };
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        answer();
      }, timeoutMs);
      if (!answer()) waiters.add(answer);
      req.on('close', () => {
        waiters.delete(answer);
        clearTimeout(timer);
      });
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":{"code":"not_found","message":"no such stream"}}');
  });

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url, 'http://stub').pathname !== '/api/v1/ws') return socket.destroy();
    hits.websocket += 1;
    wss.handleUpgrade(req, socket, head, (ws) => {
      let sent = null;
      const push = () => {
        if (sent === null) return;
        for (const e of after(sent)) {
          ws.send(JSON.stringify(e));
          sent = e.seq;
        }
      };
      ws.once('message', (data) => {
        try {
          sent = Number(JSON.parse(data.toString()).after) || 0;
        } catch {
          sent = 0;
        }
        push();
      });
      waiters.add(push);
      ws.on('close', () => waiters.delete(push));
    });
  });

  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  follow();
  return {
    base: `http://127.0.0.1:${server.address().port}`,
    hits,
    async close() {
      stopped = true;
      for (const c of wss.clients) c.terminate();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
