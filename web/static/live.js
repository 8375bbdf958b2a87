// The live status stream (API.md, "Status stream"): Server-Sent Events, else WebSocket, else
// long-polling, chosen on its own. Every connection resumes after the last seq handed on, and
// an entry at or below it is dropped, so a switch or a reconnect neither skips nor repeats.
//
// The dashboard authenticates with its session cookie (EventSource, WebSocket, fetch with
// credentials). The portal has an application token instead (`bearer`), which EventSource and
// WebSocket cannot send: it reads SSE through fetch and a ReadableStream with the Authorization
// header (resuming with Last-Event-ID), else long-polls with fetch, and sends no cookie.

const TYPES = [
  'event.received', 'message.created', 'delivery.attempted', 'delivery.succeeded',
  'delivery.retrying', 'delivery.failed', 'endpoint.disabled', 'endpoint.enabled',
  'endpoint.circuit_opened', 'endpoint.circuit_closed',
];
export const TRANSPORTS = ['sse', 'websocket', 'longpoll'];
const BEARER_TRANSPORTS = ['sse', 'longpoll'];
const FAILURES_BEFORE_FALLBACK = 2; // connections that fail before opening, in a row
const SHORT_LIVED_MS = 2000; // a connection closed this soon after opening counts as failed
const RETRY_PREFERRED_MS = 5 * 60_000; // on a fallback, try SSE again this often
const POLL_TIMEOUT_S = 25;

/** "?after=12&app_id=app_1" from a seq (or null) and filter params (empty values left out). */
function query(after, params) {
  const q = new URLSearchParams();
  if (after !== null && after !== undefined) q.set('after', String(after));
  for (const [k, v] of Object.entries(params || {})) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/**
 * Splits SSE text into its blocks: calls onBlock({id, event, data}) for each complete one and
 * returns what is left over (an unfinished block).
 */
export function parseSse(text, onBlock) {
  const blocks = text.split(/\r\n\r\n|\n\n|\r\r/);
  const rest = blocks.pop();
  for (const block of blocks) {
    const ev = { id: '', event: 'message', data: [] };
    for (const line of block.split(/\r\n|\n|\r/)) {
      if (!line || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const name = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (name === 'id') ev.id = value;
      else if (name === 'event') ev.event = value;
      else if (name === 'data') ev.data.push(value);
    }
    if (ev.data.length) onBlock({ id: ev.id, event: ev.event, data: ev.data.join('\n') });
  }
  return rest;
}

export class LiveStream {
  /**
   * base: the stream listener's origin (GET /api/v1/info's stream_base).
   * onEntries(entries): new entries, in seq order. onState({transport, state}): state is
   * 'connecting', 'live' or 'retrying'. onUnauthorized(): the session is gone.
   * params: filters added to every connection's query (e.g. {app_id}). bearer: an application
   * token sent as `Authorization: Bearer` instead of the cookie (no WebSocket then).
   */
  constructor({ base, onEntries, onState, onUnauthorized, params = {}, bearer = null }) {
    this.base = base.replace(/\/+$/, '');
    this.onEntries = onEntries;
    this.onState = onState;
    this.onUnauthorized = onUnauthorized || (() => {});
    this.params = { ...params };
    this.bearer = bearer;
    this.transports = bearer ? BEARER_TRANSPORTS : TRANSPORTS;
    this.lastSeq = 0;
    this.index = 0; // into TRANSPORTS
    this.failures = 0;
    this.conn = null; // {close()} of the current connection
    this.timer = null;
    this.upgradeTimer = null;
    this.stopped = true;
  }

  start(afterSeq) {
    this.lastSeq = Math.max(this.lastSeq, afterSeq || 0);
    this.stopped = false;
    this.index = 0;
    this.failures = 0;
    this._connect();
  }

  /**
   * Follows another filter from `afterSeq` on: the current connection is closed, and entries are
   * handed on from afterSeq exactly (the caller read what came before it under the new filter).
   */
  restart(afterSeq, params = {}) {
    this.stop();
    this.params = { ...params };
    this.lastSeq = afterSeq || 0;
    this.start(afterSeq);
  }

  stop() {
    this.stopped = true;
    this._closeCurrent();
    clearInterval(this.upgradeTimer);
    this.upgradeTimer = null;
  }

  get transport() {
    return this.transports[this.index];
  }

  /** Hands on the entries above lastSeq, in order; returns how many were new. */
  _deliver(entries) {
    const fresh = [];
    for (const e of [...entries].sort((a, b) => a.seq - b.seq)) {
      if (typeof e.seq !== 'number' || e.seq <= this.lastSeq) continue;
      this.lastSeq = e.seq;
      fresh.push(e);
    }
    if (fresh.length) this.onEntries(fresh);
    return fresh.length;
  }

  _state(state) {
    this.onState({ transport: this.transport, state });
  }

  _closeCurrent() {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.conn) {
      const c = this.conn;
      this.conn = null;
      c.close();
    }
  }

  _connect() {
    if (this.stopped) return;
    this._closeCurrent();
    this._state('connecting');
    const open = { sse: this._sse, websocket: this._websocket, longpoll: this._longpoll }[this.transport];
    open.call(this);
  }

  _opened(conn) {
    if (conn !== this.conn) return;
    conn.openedAt = Date.now();
    this.failures = 0;
    this._state('live');
    if (this.index > 0 && !this.upgradeTimer) {
      this.upgradeTimer = setInterval(() => {
        if (this.stopped || this.index === 0) return;
        this.index = 0;
        this.failures = 0;
        this._connect();
      }, RETRY_PREFERRED_MS);
    } else if (this.index === 0 && this.upgradeTimer) {
      clearInterval(this.upgradeTimer);
      this.upgradeTimer = null;
    }
  }

  /** The current connection ended: reconnect, or fall back after repeated failures. */
  _lost(conn) {
    if (conn !== this.conn || this.stopped) return;
    this.conn = null;
    const healthy = conn.openedAt && Date.now() - conn.openedAt >= SHORT_LIVED_MS;
    if (!healthy) this.failures += 1;
    if (this.failures >= FAILURES_BEFORE_FALLBACK && this.index < this.transports.length - 1) {
      this.index += 1;
      this.failures = 0;
      this._connect();
      return;
    }
    this._state('retrying');
    const delay = healthy ? 250 : Math.min(10_000, 500 * 2 ** Math.max(0, this.failures - 1));
    this.timer = setTimeout(() => this._connect(), delay);
  }

  _sse() {
    if (this.bearer) {
      this._sseFetch();
      return;
    }
    const url = `${this.base}/api/v1/stream${query(this.lastSeq, this.params)}`;
    const es = new EventSource(url, { withCredentials: true });
    const conn = { close: () => es.close() };
    this.conn = conn;
    const onEntry = (ev) => {
      try {
        const e = JSON.parse(ev.data);
        if (typeof e.seq !== 'number' && ev.lastEventId) e.seq = Number(ev.lastEventId);
        this._deliver([e]);
      } catch {
        // not an entry
      }
    };
    for (const t of TYPES) es.addEventListener(t, onEntry);
    es.onmessage = onEntry;
    es.onopen = () => this._opened(conn);
    // EventSource would reconnect by itself (with Last-Event-ID), but then a blocked stream
    // would never give way to the next transport: close it and decide here.
    es.onerror = () => {
      es.close();
      this._lost(conn);
    };
  }

  // SSE read with fetch, for a bearer token (EventSource cannot send headers).
  _sseFetch() {
    const ctl = new AbortController();
    const conn = { close: () => ctl.abort() };
    this.conn = conn;
    const headers = { authorization: `Bearer ${this.bearer}`, accept: 'text/event-stream' };
    if (this.lastSeq) headers['last-event-id'] = String(this.lastSeq);
    const read = async () => {
      let res;
      try {
        res = await fetch(`${this.base}/api/v1/stream${query(null, this.params)}`, {
          headers, credentials: 'omit', cache: 'no-store', signal: ctl.signal,
        });
      } catch {
        this._lost(conn);
        return;
      }
      if (res.status === 401) {
        ctl.abort();
        this.stop();
        this.onUnauthorized();
        return;
      }
      if (!res.ok || !res.body || !/text\/event-stream/.test(res.headers.get('content-type') || '')) {
        ctl.abort();
        this._lost(conn);
        return;
      }
      this._opened(conn);
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buffered = '';
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          if (this.conn !== conn) return;
          buffered = parseSse(buffered + decoder.decode(value, { stream: true }), (ev) => {
            try {
              const e = JSON.parse(ev.data);
              if (typeof e.seq !== 'number' && ev.id) e.seq = Number(ev.id);
              this._deliver([e]);
            } catch {
              // not an entry
            }
          });
        }
      } catch {
        // aborted, or the connection broke
      }
      this._lost(conn);
    };
    read();
  }

  _websocket() {
    const url = `${this.base.replace(/^http/, 'ws')}/api/v1/ws${query(null, this.params)}`;
    let ws;
    const conn = { close: () => ws && ws.close(1000) };
    this.conn = conn;
    try {
      ws = new WebSocket(url);
    } catch {
      setTimeout(() => this._lost(conn), 0);
      return;
    }
    ws.onopen = () => {
      ws.send(JSON.stringify({ after: this.lastSeq }));
      this._opened(conn);
    };
    ws.onmessage = (ev) => {
      try {
        const m = JSON.parse(ev.data);
        this._deliver(Array.isArray(m) ? m : m.events ? m.events : [m]);
      } catch {
        // not an entry
      }
    };
    ws.onclose = () => this._lost(conn);
  }

  _longpoll() {
    const ctl = new AbortController();
    const conn = { close: () => ctl.abort() };
    this.conn = conn;
    const poll = async () => {
      while (this.conn === conn) {
        let res;
        // The first poll answers at once, so the page knows the transport works (and catches up).
        const timeout = conn.openedAt ? POLL_TIMEOUT_S : 0;
        try {
          const init = { credentials: 'include', signal: ctl.signal, cache: 'no-store' };
          if (this.bearer) Object.assign(init, { credentials: 'omit', headers: { authorization: `Bearer ${this.bearer}` } });
          res = await fetch(`${this.base}/api/v1/updates${query(this.lastSeq, { ...this.params, timeout })}`, init);
        } catch {
          this._lost(conn);
          return;
        }
        if (res.status === 401) {
          this.stop();
          this.onUnauthorized();
          return;
        }
        if (!res.ok) {
          this._lost(conn);
          return;
        }
        if (!conn.openedAt) this._opened(conn);
        try {
          const body = await res.json();
          // Only the entries move lastSeq: `next` is not needed to resume without a gap.
          this._deliver(body.events || []);
        } catch {
          this._lost(conn);
          return;
        }
      }
    };
    poll();
  }
}
