// The live status stream (API.md, "Status stream"): Server-Sent Events, else WebSocket, else
// long-polling, chosen on its own. Every connection resumes after the last seq handed on, and
// an entry at or below it is dropped, so a switch or a reconnect neither skips nor repeats.

const TYPES = [
  'event.received', 'message.created', 'delivery.attempted', 'delivery.succeeded',
  'delivery.retrying', 'delivery.failed', 'endpoint.disabled', 'endpoint.enabled',
  'endpoint.circuit_opened', 'endpoint.circuit_closed',
];
export const TRANSPORTS = ['sse', 'websocket', 'longpoll'];
const FAILURES_BEFORE_FALLBACK = 2; // connections that fail before opening, in a row
const SHORT_LIVED_MS = 2000; // a connection closed this soon after opening counts as failed
const RETRY_PREFERRED_MS = 5 * 60_000; // on a fallback, try SSE again this often
const POLL_TIMEOUT_S = 25;

export class LiveStream {
  /**
   * base: the stream listener's origin (GET /api/v1/info's stream_base).
   * onEntries(entries): new entries, in seq order. onState({transport, state}): state is
   * 'connecting', 'live' or 'retrying'. onUnauthorized(): the session is gone.
   */
  constructor({ base, onEntries, onState, onUnauthorized }) {
    this.base = base.replace(/\/+$/, '');
    this.onEntries = onEntries;
    this.onState = onState;
    this.onUnauthorized = onUnauthorized || (() => {});
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

  stop() {
    this.stopped = true;
    this._closeCurrent();
    clearInterval(this.upgradeTimer);
    this.upgradeTimer = null;
  }

  get transport() {
    return TRANSPORTS[this.index];
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
    if (this.failures >= FAILURES_BEFORE_FALLBACK && this.index < TRANSPORTS.length - 1) {
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
    const url = `${this.base}/api/v1/stream?after=${this.lastSeq}`;
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

  _websocket() {
    const url = `${this.base.replace(/^http/, 'ws')}/api/v1/ws`;
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
          res = await fetch(`${this.base}/api/v1/updates?after=${this.lastSeq}&timeout=${timeout}`, {
            credentials: 'include', signal: ctl.signal, cache: 'no-store',
          });
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
