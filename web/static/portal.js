// The portal (API.md, "Applications (tenants)"): one application's endpoints, messages,
// deliveries and live feed, for that application's customer, opened from a one-time link
// `<base>/portal/#<code>` as a page or inside another site's iframe.
//
// The code is read from the fragment and removed from the address at once, then traded for an
// application token (POST /api/v1/portal/session). The token is kept in sessionStorage (a reload
// of the tab keeps the session; no cookie is set or sent) and sent as a bearer token on every
// call, all of them under /api/v1/apps/<app id>/. Any 401 ends the session: the page then says
// the link has expired. A read-only session shows no control that changes anything.
import { ApiError, api, setBearer, setUnauthorizedHandler } from './api.js';
import { $, badge, dateTime, errorState, fill, h, time } from './dom.js';
import { deliveriesPanel, links, renderDeliveries, renderFailed, renderMessages } from './lists.js';
import { LiveStream } from './live.js';
import { endpointActions, endpointRow, endpointStatus, kv, newEndpoint, secretField } from './pages.js';
import { beginView, endpointLabel, livePages, parseHash, showTransport } from './shell.js';
import { clearNotice, failed } from './ui.js';

const KEY = 'hookd.portal';
const FEED_ROWS = 100;
const enc = encodeURIComponent;

const state = {
  session: null, // {token, app: {id, uid, name}, read_only, expires_at}
  endpoints: new Map(),
  messageTypes: new Map(), // message id -> event type
  feed: [], // live entries, newest last
  live: null,
  view: null,
  viewRefresh: null,
  nav: 0,
  over: false,
};

// ------------------------------------------------------------------ the session

function store(session) {
  try {
    if (session) sessionStorage.setItem(KEY, JSON.stringify(session));
    else sessionStorage.removeItem(KEY);
  } catch {
    // storage refused (a sandboxed frame): the session lasts as long as the page
  }
}

function stored() {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) || 'null');
    return s && typeof s.token === 'string' && s.app && typeof s.app.id === 'string' ? s : null;
  } catch {
    return null;
  }
}

/** The session is over (a 401, its expiry, or a link that did not open): says so, forgets it. */
function expired(detail = '') {
  if (state.over) return;
  state.over = true;
  if (state.live) state.live.stop();
  state.live = null;
  store(null);
  setBearer(null);
  state.session = null;
  for (const v of document.querySelectorAll('.view')) v.hidden = true;
  for (const d of document.querySelectorAll('dialog[open]')) d.close();
  clearNotice();
  $('#starting').hidden = true;
  $('#nav').hidden = true;
  $('#transport').hidden = true;
  $('#access').hidden = true;
  $('#app-label').textContent = '';
  $('#expired-detail').textContent = detail;
  $('#expired').hidden = false;
  document.title = 'Link expired';
}

setUnauthorizedHandler(() => expired());

/** Trades the link's one-time code for a session; null when the code is not (or no longer) good. */
async function exchange(code) {
  const res = await fetch('/api/v1/portal/session', {
    method: 'POST', credentials: 'omit', cache: 'no-store',
    headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }),
  });
  let json = null;
  try {
    json = await res.json();
  } catch {
    json = null;
  }
  if (res.status === 401 || res.status === 404 || res.status === 410) return null;
  if (!res.ok || !json || typeof json.token !== 'string') {
    const err = (json && json.error) || {};
    throw new ApiError(res.status, err.code || 'error', err.message || `HTTP ${res.status}`);
  }
  return { token: json.token, app: json.app, read_only: !!json.read_only, expires_at: json.expires_at };
}

async function begin() {
  // A code is anything in the fragment that is not one of the page's own routes (#/…).
  const hash = location.hash.replace(/^#/, '');
  if (hash && !hash.startsWith('/')) {
    // Out of the address (and the history) before anything else: it is a credential.
    history.replaceState(null, '', `${location.pathname}${location.search}#/endpoints`);
    let session = null;
    try {
      session = await exchange(decodeURIComponent(hash));
    } catch (e) {
      expired(`The link could not be opened: ${e.message}`);
      return;
    }
    if (!session) {
      expired();
      return;
    }
    store(session);
  }
  const session = stored();
  if (!session) {
    expired('This page opens from a link; there is no session in this tab.');
    return;
  }
  if (session.expires_at && Date.parse(session.expires_at) <= Date.now()) {
    expired();
    return;
  }
  start(session);
}

async function start(session) {
  if (state.live) state.live.stop();
  state.live = null;
  state.feed = [];
  state.session = session;
  $('#expired').hidden = true;
  setBearer(session.token);
  const app = session.app;
  ctx.base = `/api/v1/apps/${enc(app.id)}`;
  ctx.readOnly = !!session.read_only;
  $('#app-label').textContent = app.name;
  $('#app-label').title = app.uid ? `${app.name} (${app.uid})` : app.name;
  document.title = `Webhooks · ${app.name}`;
  const access = $('#access');
  access.textContent = session.read_only ? 'read-only' : 'full access';
  access.dataset.readOnly = String(!!session.read_only);
  access.title = session.expires_at ? `This session ends at ${new Date(session.expires_at).toLocaleString()}` : '';
  access.hidden = false;
  scheduleExpiry(session);
  try {
    await loadEndpoints();
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 401)) expired(`Could not load: ${e.message}`);
    return;
  }
  $('#starting').hidden = true;
  $('#nav').hidden = false;
  $('#transport').hidden = false;
  startLive().catch(() => showTransport({ transport: 'longpoll', state: 'retrying' }));
  route();
}

// When the session's time is up the next call would answer 401: check then, rather than wait
// for the customer to click.
function scheduleExpiry(session) {
  if (!session.expires_at) return;
  const wait = Math.max(0, Date.parse(session.expires_at) - Date.now()) + 500;
  setTimeout(async () => {
    if (state.session !== session) return;
    try {
      await api('GET', '/api/v1/info');
      setTimeout(() => scheduleExpiry(session), 30_000); // the server's clock says not yet
    } catch {
      // a 401 has ended the session (the handler); anything else: the next call tells
    }
  }, Math.min(wait, 2 ** 31 - 1));
}

// ------------------------------------------------------------------ endpoints

async function loadEndpoints() {
  const list = await api('GET', `${ctx.base}/endpoints?limit=500`);
  state.endpoints = new Map(list.data.map((e) => [e.id, e]));
}


function renderEndpoints(view) {
  const rows = [...state.endpoints.values()].map((ep) => endpointRow(ctx, ep));
  fill(view,
    h('div', { class: 'view-head' }, h('h1', {}, 'Endpoints'),
      ctx.readOnly ? null : h('button', { type: 'button', class: 'primary', id: 'endpoint-new', onclick: () => newEndpoint(ctx) }, 'New endpoint')),
    h('p', { class: 'muted' }, 'An endpoint is a URL of yours that receives the events it subscribes to, signed with its secret (Standard Webhooks).'),
    h('div', { class: 'panel scroll-x' },
      rows.length
        ? h('table', { class: 'data list', id: 'endpoints' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'URL'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Subscribes to'),
            h('th', { scope: 'col' }, 'Created'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
          h('tbody', {}, rows))
        : h('p', { class: 'empty muted' }, ctx.readOnly ? 'No endpoints yet.' : 'No endpoints yet: add the URL that should receive your events.')));
}

async function showEndpoint(id) {
  const nav = state.nav;
  const ep = await api('GET', `${ctx.base}/endpoints/${enc(id)}`);
  const recent = await deliveriesPanel(ctx, { endpoint_id: id });
  if (nav !== state.nav) return;
  state.endpoints.set(ep.id, ep);
  fill($('#view-endpoint'),
    h('p', { class: 'back' }, h('a', { href: '#/endpoints' }, '← Endpoints')),
    h('div', { class: 'view-head' }, h('h1', {}, 'Endpoint ', h('span', { class: 'type' }, endpointLabel(state.endpoints, ep.id))),
      h('span', { class: 'head-actions' }, endpointActions(ctx, ep, { test: !ctx.readOnly }))),
    h('div', { class: 'panel' }, kv([
      ['Endpoint', h('code', {}, ep.id)],
      ['URL', h('code', {}, ep.url)],
      ep.description ? ['Description', ep.description] : null,
      ['Status', h('span', {}, endpointStatus(ep))],
      ['Event types', ep.event_types.length ? ep.event_types.join(', ') : 'all'],
      ['Rate limit', ep.rate_limit_per_second ? `${ep.rate_limit_per_second} per second` : 'none'],
      ['Created', dateTime(ep.created_at)],
    ])),
    ep.secret ? h('div', { class: 'panel secret-panel' }, secretField(ep),
      h('p', { class: 'muted small' }, 'Verify every request with it (the webhook-signature header); rotating it keeps the old one signing for a grace period.')) : null,
    h('p', { class: 'link-list' },
      h('a', { href: `#/deliveries?endpoint_id=${enc(ep.id)}` }, 'All its deliveries'),
      h('a', { href: `#/failed?endpoint_id=${enc(ep.id)}` }, 'Its failed deliveries')),
    h('h2', {}, 'Latest deliveries'),
    h('div', { class: 'panel' }, recent));
}

// ------------------------------------------------------------------ live

async function startLive() {
  const info = await api('GET', '/api/v1/info');
  const base = (info.stream_base || location.origin).replace(/\/+$/, '');
  // Where the log is now: the feed starts there (a long-poll with timeout 0 answers at once).
  const res = await fetch(`${base}/api/v1/updates?timeout=0`, {
    headers: { authorization: `Bearer ${state.session.token}` }, credentials: 'omit', cache: 'no-store',
  });
  if (res.status === 401) {
    expired();
    return;
  }
  const head = res.ok ? (await res.json()).next : 0;
  if (!state.session) return;
  state.live = new LiveStream({
    base,
    bearer: state.session.token,
    onEntries,
    onState: showTransport,
    onUnauthorized: () => expired(),
  });
  state.live.start(head);
}


function onEntries(entries) {
  const appId = state.session && state.session.app.id;
  let changed = false;
  for (const e of entries) {
    const d = e.data || {};
    if (d.app_id && d.app_id !== appId) continue; // never the case: the stream is the application's
    if (e.type === 'message.created') state.messageTypes.set(d.message_id, d.event_type);
    if (e.type === 'endpoint.disabled' || e.type === 'endpoint.enabled' || e.type.startsWith('endpoint.circuit')) {
      loadEndpoints().then(() => { if (state.view === 'endpoints') renderEndpoints($('#view-endpoints')); }).catch(() => {});
    }
    state.feed.push(e);
    changed = true;
  }
  if (state.feed.length > FEED_ROWS) state.feed.splice(0, state.feed.length - FEED_ROWS);
  if (changed) renderFeed();
  if (state.viewRefresh) state.viewRefresh(entries);
}

const ENTRY_STATUS = {
  'delivery.succeeded': 'succeeded', 'delivery.failed': 'failed', 'delivery.retrying': 'retrying',
  'delivery.attempted': 'attempted', 'message.created': 'pending', 'endpoint.disabled': 'disabled', 'endpoint.enabled': 'enabled',
};

function renderFeed() {
  const rows = [...state.feed].reverse().map((e) => {
    const d = e.data || {};
    const type = d.event_type || state.messageTypes.get(d.message_id);
    return h('tr', { dataset: { entry: e.type, message: d.message_id || '', delivery: d.delivery_id || '' } },
      h('td', { class: 'nowrap' }, time(e.at)),
      h('td', {}, badge(ENTRY_STATUS[e.type] || 'attempted'), ' ', h('span', { class: 'muted small' }, e.type)),
      h('td', { class: 'type-cell' }, d.message_id ? links.message(d.message_id, type || d.message_id) : '—'),
      h('td', { class: 'ellipsis', dataset: { label: 'Endpoint' }, title: state.endpoints.get(d.endpoint_id)?.url || d.endpoint_id || '' },
        d.endpoint_id ? h('a', { href: `#/endpoints/${enc(d.endpoint_id)}` }, endpointLabel(state.endpoints, d.endpoint_id)) : '—'),
      h('td', { class: 'num', dataset: { label: 'Response' }, title: d.error || '' }, d.response_status ?? (d.error ? 'error' : '—')),
      h('td', { class: 'num', dataset: { label: 'Latency' } }, typeof d.latency_ms === 'number' ? `${d.latency_ms} ms` : '—'));
  });
  fill($('#live tbody'), rows);
  $('#live-empty').hidden = rows.length > 0;
}

// ------------------------------------------------------------------ routing

// What lists.js and pages.js need of this page (base and readOnly are set by start()).
const ctx = {
  state,
  endpointLabel: (id) => endpointLabel(state.endpoints, id),
  reloadEndpoints: loadEndpoints,
  current: null,
  base: '',
  events: false,
  apps: false,
  readOnly: true,
  onEndpointsChanged: async () => {
    await loadEndpoints();
    route();
  },
  eventTypes: async () => (await api('GET', `${ctx.base}/event-types?limit=500`)).data.map((t) => t.event_type),
};


const NAV_OF = { endpoint: 'endpoints', message: 'messages', delivery: 'deliveries', failed: 'deliveries' };

function viewFor(name, param) {
  const pages = { endpoints: 'endpoint', messages: 'message', deliveries: 'delivery' };
  if (param && pages[name]) return pages[name];
  if (['endpoints', 'messages', 'deliveries', 'failed', 'live'].includes(name)) return name;
  return 'endpoints';
}




const { showMessage, showDelivery } = livePages(state, ctx);
const PAGES = { endpoint: showEndpoint, message: showMessage, delivery: showDelivery };

async function route() {
  if (!state.session) return;
  const { name, param, query } = parseHash('endpoints');
  const view = viewFor(name, param);
  const { nav, section } = beginView(state, ctx, view, NAV_OF);
  try {
    if (view === 'endpoints') {
      renderEndpoints(section);
      await loadEndpoints();
      if (nav === state.nav) renderEndpoints(section);
    } else if (view === 'messages') {
      await renderMessages(section, query, ctx);
    } else if (view === 'deliveries') {
      await renderDeliveries(section, query, ctx);
    } else if (view === 'failed') {
      await renderFailed(section, query, ctx);
    } else if (view === 'live') {
      renderFeed();
    } else {
      fill(section, h('p', { class: 'muted', dataset: { state: 'loading' } }, 'Loading…'));
      await PAGES[view](param);
    }
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;
    if (nav !== state.nav) return;
    if (PAGES[view]) fill(section, h('p', { class: 'back' }, h('a', { href: `#/${NAV_OF[view]}` }, '← Back')), errorState(e, { what: view, id: param }));
    else failed('Loading')(e);
  }
}

window.addEventListener('hashchange', () => {
  // A second link opened in this tab: trade its code too (it replaces the session).
  if (location.hash && !location.hash.startsWith('#/')) {
    state.over = false;
    begin();
    return;
  }
  route();
  $('#main').focus({ preventScroll: true });
});

begin().catch((e) => expired(`Could not load: ${e.message}`));
