// The operators' dashboard (API.md, "Admin UI"): sign-in, overview with counters, chart and live
// feeds, sources, endpoints, lists of messages and deliveries (lists.js), and message, delivery,
// event and endpoint pages. Text from providers and receivers is only ever set as text (see
// dom.js).
import { ApiError, api, setUnauthorizedHandler, withQuery } from './api.js';
import { renderApp, renderApps } from './apps.js';
import { $, badge, copyText, dateTime, errorState, fill, h, prettyBody, time } from './dom.js';
import { deliveriesPanel, links, renderDeliveries, renderFailed, renderMessages, shortId } from './lists.js';
import { LiveStream } from './live.js';
import { endpointActions, endpointRow, endpointStatus, kv, listenBadge, newEndpoint } from './pages.js';
import { beginView, endpointLabel, livePages, parseHash, showTransport } from './shell.js';
import { Stats } from './stats.js';
import { copyField, failed, field, notice, openDialog, showSecret } from './ui.js';

const FEED_ROWS = 100;

const state = {
  info: null,
  sources: new Map(), // id -> source
  endpoints: new Map(), // id -> endpoint
  messageTypes: new Map(), // message id -> event type
  deliveries: new Map(), // delivery id -> feed row data, newest last
  events: [], // event.received entries, newest last
  live: null,
  stats: new Stats(),
  view: null,
  viewRefresh: null, // (entries) => void for the open message or delivery page
  nav: 0, // counts navigations: an answer for a page left behind is dropped
  feedApp: null, // {id, name}: the application the overview's live feed shows, null for all
  streamApp: '', // the app_id the live stream is filtered by now ('' for none)
  anchoredAt: 0, // when the counters were last anchored on GET /api/v1/overview
};

setUnauthorizedHandler(() => showSignIn(state.live ? 'Your session has ended; sign in again.' : ''));

// ------------------------------------------------------------------ sign-in and start

function showSignIn(message) {
  if (state.live) state.live.stop();
  state.live = null;
  for (const v of document.querySelectorAll('.view')) v.hidden = true;
  $('#nav').hidden = true;
  $('#signout').hidden = true;
  $('#transport').hidden = true;
  $('#signin').hidden = false;
  $('#signin-error').textContent = message || '';
  $('#token').focus();
}

$('#signin-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const token = $('#token').value;
  try {
    await api('POST', '/api/v1/session', { token });
    $('#token').value = '';
    $('#signin-error').textContent = '';
    await start();
  } catch (e) {
    $('#signin-error').textContent = e.status === 401 ? 'That is not the admin token.' : `Sign-in failed: ${e.message}`;
  }
});

$('#signout').addEventListener('click', async () => {
  try {
    await api('DELETE', '/api/v1/session');
  } finally {
    showSignIn('Signed out.');
  }
});

async function start() {
  state.info = await api('GET', '/api/v1/info');
  $('#version').textContent = `v${state.info.version}`;
  $('#signin').hidden = true;
  $('#nav').hidden = false;
  $('#signout').hidden = false;
  $('#transport').hidden = false;
  await Promise.all([loadSources(), loadEndpoints()]);
  const overview = await api('GET', '/api/v1/overview');
  resetFeed(overview);
  state.streamApp = '';
  state.live = new LiveStream({
    base: state.info.stream_base || location.origin,
    onEntries,
    onState: showTransport,
    onUnauthorized: () => showSignIn('Your session has ended; sign in again.'),
  });
  state.live.start(overview.seq);
  route();
}

/** The feeds start again from the overview's newest entries (those of the feed's application). */
function resetFeed(overview) {
  state.deliveries.clear();
  state.events = [];
  applyFeed(overview.recent);
  state.stats.anchor(overview);
  state.anchoredAt = Date.now();
}

/**
 * Has the live stream follow `appId` ('' for every application): the overview is read again
 * and the stream resumes after its seq under the new filter, so the feed has no gap and no entry
 * twice. Only the overview filters the stream; elsewhere the pages need every application's
 * entries (and the feed keeps only its application's, applyFeed).
 */
async function followApp(appId) {
  if (state.streamApp === appId || !state.live) return;
  const before = state.streamApp;
  state.streamApp = appId;
  let overview;
  try {
    overview = await api('GET', '/api/v1/overview');
  } catch (e) {
    if (state.streamApp === appId) state.streamApp = before; // the stream still follows that
    throw e;
  }
  if (state.streamApp !== appId) return;
  resetFeed(overview);
  state.live.restart(overview.seq, appId ? { app_id: appId } : {});
}

// Re-anchors the counters and chart on the server's figures every minute; every 15 s while the
// stream is filtered by an application (its entries then no longer move the counters, which
// are every application's).
setInterval(async () => {
  if (!state.live) return;
  if (!state.streamApp && Date.now() - state.anchoredAt < 59_000) return;
  try {
    state.stats.anchor(await api('GET', '/api/v1/overview'));
    state.anchoredAt = Date.now();
  } catch {
    // the next round tries again
  }
}, 15_000);


// ------------------------------------------------------------------ live entries

function onEntries(entries) {
  applyFeed(entries);
  if (!state.streamApp) state.stats.add(entries);
  if (state.viewRefresh) state.viewRefresh(entries);
  for (const e of entries) {
    if (e.type === 'endpoint.disabled' || e.type === 'endpoint.enabled' || e.type.startsWith('endpoint.circuit')) {
      loadEndpoints().then(() => { if (state.view === 'endpoints') renderEndpoints(); }).catch(() => {});
      break;
    }
  }
}

function applyFeed(entries) {
  let deliveriesChanged = false;
  let eventsChanged = false;
  const only = state.feedApp && state.feedApp.id;
  for (const e of entries) {
    const d = e.data || {};
    if (only && d.app_id !== only) continue;
    if (e.type === 'message.created') {
      state.messageTypes.set(d.message_id, d.event_type);
    } else if (e.type === 'endpoint.circuit_opened' || e.type === 'endpoint.circuit_closed') {
      // The endpoint's waiting deliveries wait for its circuit (until circuit_retry_at).
      const open = e.type === 'endpoint.circuit_opened';
      for (const row of state.deliveries.values()) {
        if (row.endpoint_id !== d.endpoint_id || (row.status !== 'retrying' && row.status !== 'pending')) continue;
        row.waiting = open ? 'circuit_open' : null;
        if (open && d.circuit_retry_at && (!row.next_attempt_at || row.next_attempt_at < d.circuit_retry_at)) row.next_attempt_at = d.circuit_retry_at;
        deliveriesChanged = true;
      }
    } else if (e.type === 'event.received') {
      state.events.push(e);
      eventsChanged = true;
    } else if (e.type.startsWith('delivery.') && d.delivery_id) {
      const row = state.deliveries.get(d.delivery_id) || { id: d.delivery_id, status: 'pending' };
      state.deliveries.delete(d.delivery_id); // re-inserted last: newest activity on top
      Object.assign(row, {
        message_id: d.message_id ?? row.message_id,
        endpoint_id: d.endpoint_id ?? row.endpoint_id,
        attempt: d.attempt ?? row.attempt,
        at: e.at,
      });
      if (e.type === 'delivery.attempted') {
        row.response_status = d.response_status ?? null;
        row.latency_ms = d.latency_ms;
        row.error = d.error || null;
      } else {
        row.status = d.status || e.type.slice('delivery.'.length);
        if ('response_status' in d) row.response_status = d.response_status;
        row.next_attempt_at = d.next_attempt_at || null;
        row.waiting = d.waiting || null;
      }
      state.deliveries.set(d.delivery_id, row);
      deliveriesChanged = true;
    }
  }
  while (state.deliveries.size > FEED_ROWS) state.deliveries.delete(state.deliveries.keys().next().value);
  if (state.events.length > FEED_ROWS) state.events.splice(0, state.events.length - FEED_ROWS);
  if (deliveriesChanged) renderDeliveriesFeed();
  if (eventsChanged) renderEventsFeed();
}


function renderDeliveriesFeed() {
  const rows = [...state.deliveries.values()].reverse().map((r) => {
    const type = state.messageTypes.get(r.message_id);
    return h('tr', { dataset: { delivery: r.id, status: r.status } },
      h('td', {}, time(r.at)),
      h('td', {}, badge(r.status), r.waiting === 'circuit_open'
        ? h('span', { class: 'muted small', dataset: { wait: 'circuit_open' } }, ' circuit open until ', time(r.next_attempt_at)) : null),
      h('td', {}, h('a', { href: `#/messages/${encodeURIComponent(r.message_id || '')}`, class: 'type' }, type || r.message_id || '—')),
      h('td', { class: 'ellipsis', title: state.endpoints.get(r.endpoint_id)?.url || r.endpoint_id }, endpointLabel(state.endpoints, r.endpoint_id)),
      h('td', { class: 'num' }, r.attempt ?? '—'),
      h('td', { class: 'num', title: r.error || '' }, r.response_status ?? (r.error ? 'error' : '—')),
      h('td', { class: 'num' }, typeof r.latency_ms === 'number' ? `${r.latency_ms} ms` : '—'));
  });
  fill($('#deliveries tbody'), rows);
  $('#deliveries-empty').hidden = rows.length > 0;
}

function renderEventsFeed() {
  const rows = [...state.events].reverse().map((e) => {
    const d = e.data || {};
    return h('tr', { dataset: { event: d.event_id } },
      h('td', {}, time(e.at)),
      h('td', { class: 'ellipsis' }, state.sources.get(d.source_id)?.name || d.source_id || '—'),
      h('td', {}, h('a', { href: `#/events/${encodeURIComponent(d.event_id || '')}`, class: 'type' }, d.type || '(no type)')));
  });
  fill($('#events tbody'), rows);
  $('#events-empty').hidden = rows.length > 0;
}

// ------------------------------------------------------------------ sources

async function loadSources() {
  const list = await api('GET', '/api/v1/sources?limit=500');
  state.sources = new Map(list.data.map((s) => [s.id, s]));
}

function ingestUrl(s) {
  return location.origin + s.ingest_path;
}

function renderSources() {
  const rows = [...state.sources.values()].map((s) => h('tr', { dataset: { source: s.id } },
    h('td', {}, h('strong', {}, s.name), h('div', { class: 'muted small mono' }, s.id)),
    h('td', {}, s.provider),
    h('td', {}, h('span', { class: 'copy-row' }, h('code', { class: 'ellipsis' }, ingestUrl(s)),
      h('button', { type: 'button', class: 'small', 'aria-label': `Copy the ingest URL of ${s.name}`, onclick: async (ev) => {
        const b = ev.currentTarget;
        b.textContent = (await copyText(ingestUrl(s))) ? 'Copied' : 'Copy failed';
        setTimeout(() => { b.textContent = 'Copy URL'; }, 1500);
      } }, 'Copy URL'))),
    h('td', {}, dateTime(s.created_at)),
    h('td', { class: 'actions' },
      h('button', { type: 'button', class: 'small', onclick: () => rotateSourceSecret(s) }, 'Rotate secret'))));
  fill($('#sources tbody'), rows);
  $('#sources-empty').hidden = rows.length > 0;
}

function newSource() {
  const name = h('input', { type: 'text', required: true, maxlength: 200, autocomplete: 'off' });
  const provider = h('select', { required: true },
    ['stripe', 'github', 'standard', 'shopify'].map((p) => h('option', { value: p }, p)));
  const secret = h('input', { type: 'text', autocomplete: 'off', class: 'mono' });
  openDialog({
    title: 'New source', okLabel: 'Create',
    fields: [field('Name', name), field('Provider', provider),
      field('Signing secret', secret, 'The secret the provider signs with. Leave empty to generate one (Standard Webhooks only).')],
    onSubmit: async () => {
      const body = { name: name.value.trim(), provider: provider.value };
      if (secret.value.trim()) body.secret = secret.value.trim();
      const s = await api('POST', '/api/v1/sources', body);
      await loadSources();
      renderSources();
      setTimeout(() => showSecret(`Source “${s.name}” created`, s.secret, copyField('Ingest URL', ingestUrl(s))), 0);
    },
  });
}

function rotateSourceSecret(s) {
  const secret = h('input', { type: 'text', autocomplete: 'off', class: 'mono' });
  const grace = h('input', { type: 'number', min: 0, value: 86400 });
  openDialog({
    title: `Rotate the secret of “${s.name}”`, okLabel: 'Rotate',
    fields: [field('New secret', secret, 'Leave empty to generate one where the provider allows it.'),
      field('Grace (seconds)', grace, 'The old secret keeps verifying this long.')],
    onSubmit: async () => {
      const body = { grace_seconds: Number(grace.value) };
      if (secret.value.trim()) body.secret = secret.value.trim();
      const r = await api('POST', `/api/v1/sources/${encodeURIComponent(s.id)}/rotate-secret`, body);
      setTimeout(() => showSecret('Secret rotated', r.secret), 0);
    },
  });
}

// ------------------------------------------------------------------ endpoints

async function loadEndpoints() {
  const list = await api('GET', '/api/v1/endpoints?limit=500');
  state.endpoints = new Map(list.data.map((e) => [e.id, e]));
}

function renderEndpoints() {
  const rows = [...state.endpoints.values()].map((ep) => endpointRow(linkCtx, ep));
  fill($('#endpoints tbody'), rows);
  $('#endpoints-empty').hidden = rows.length > 0;
}

// ------------------------------------------------------------------ message and event pages




async function showEndpoint(id) {
  const view = $('#view-endpoint');
  const nav = state.nav;
  const ep = await api('GET', `/api/v1/endpoints/${encodeURIComponent(id)}`);
  const recent = await deliveriesPanel(linkCtx, { endpoint_id: id });
  if (nav !== state.nav) return;
  state.endpoints.set(ep.id, { ...state.endpoints.get(ep.id), ...ep });
  fill(view,
    h('p', { class: 'back' }, h('a', { href: '#/endpoints' }, '← Endpoints')),
    h('div', { class: 'view-head' }, h('h1', {}, 'Endpoint ', h('span', { class: 'type' }, endpointLabel(state.endpoints, ep.id))),
      h('span', { class: 'head-actions' }, endpointActions(linkCtx, ep, { test: true }))),
    h('div', { class: 'panel' }, kv([
      ['Endpoint', h('code', {}, ep.id)],
      ['Application', h('a', { href: `#/apps/${encodeURIComponent(ep.app_id)}`, class: 'mono', id: 'endpoint-app' }, ep.app_id)],
      ['URL', h('code', {}, ep.url)],
      ep.kind === 'cli' ? ['Kind', listenBadge(ep)] : null,
      ep.description ? ['Description', ep.description] : null,
      ['Status', h('span', {}, endpointStatus(ep))],
      ['Event types', ep.event_types.length ? ep.event_types.join(', ') : 'all'],
      ['Sources', ep.source_ids.length ? ep.source_ids.map((s) => state.sources.get(s)?.name || s).join(', ') : 'all'],
      ['Created', dateTime(ep.created_at)],
    ])),
    h('p', { class: 'link-list' },
      h('a', { href: withQuery('#/deliveries', { endpoint_id: ep.id }) }, 'All its deliveries'),
      h('a', { href: withQuery('#/failed', { endpoint_id: ep.id }) }, 'Its failed deliveries')),
    h('h2', {}, 'Latest deliveries'),
    h('div', { class: 'panel' }, recent));
}

async function showEvent(id) {
  const view = $('#view-event');
  const nav = state.nav;
  const e = await api('GET', `/api/v1/events/${encodeURIComponent(id)}`);
  // Every accepted event became one message (API.md): its deliveries are the event's.
  const messages = (await api('GET', withQuery('/api/v1/messages', { event_id: id }))).data;
  const delivered = await Promise.all(messages.map(async (m) => [m, await deliveriesPanel(linkCtx, { message_id: m.id }, 100)]));
  if (nav !== state.nav) return;
  const headers = e.headers && typeof e.headers === 'object' ? Object.entries(e.headers) : [];
  fill(view,
    h('p', { class: 'back' }, h('a', { href: '#/overview' }, '← Overview')),
    h('div', { class: 'view-head' }, h('h1', {}, 'Event ', h('span', { class: 'type' }, e.type || '(no type)'))),
    h('div', { class: 'panel' }, kv([
      ['Event', h('code', {}, e.id)],
      ['Received', dateTime(e.received_at)],
      ['Source', state.sources.get(e.source_id)?.name || e.source_id],
      ['Provider', e.provider],
      ['Provider event id', h('code', {}, e.provider_event_id ?? '—')],
      ['Message', messages.length
        ? h('span', { class: 'link-list', id: 'event-messages' }, messages.map((m) => links.message(m.id, m.id)))
        : h('span', { class: 'muted' }, 'none (pruned by retention?)')],
    ])),
    delivered.map(([m, panel]) => [h('h2', {}, 'Deliveries of ', links.message(m.id, shortId(m.id))), h('div', { class: 'panel', dataset: { eventDeliveries: m.id } }, panel)]),
    headers.length ? [h('h2', {}, 'Headers'), h('div', { class: 'panel scroll-x' }, h('table', { class: 'data' }, h('tbody', {},
      headers.map(([k, v]) => h('tr', {}, h('th', { scope: 'row', class: 'mono' }, k), h('td', { class: 'mono' }, Array.isArray(v) ? v.join(', ') : String(v)))))))] : null,
    h('h2', {}, 'Body'),
    h('pre', { class: 'body', id: 'event-body' }, prettyBody(e.body)));
}

// ------------------------------------------------------------------ the live feeds' application

// The overview's feeds show one application's entries when the address names it
// (#/overview?app_id=app_…); the box finds it by id, uid or the start of its name.
let appSearchTimer = null;
$('#feed-app').addEventListener('input', () => {
  clearTimeout(appSearchTimer);
  appSearchTimer = setTimeout(async () => {
    const text = $('#feed-app').value.trim();
    try {
      const list = await api('GET', withQuery('/api/v1/apps', { search: text, limit: 10 }));
      fill($('#feed-apps'), list.data.map((a) => h('option', { value: a.id, label: a.uid ? `${a.name} (${a.uid})` : a.name })));
    } catch {
      // the list stays as it was
    }
  }, 200);
});

$('#feed-filter').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const text = $('#feed-app').value.trim();
  $('#feed-app-error').textContent = '';
  if (!text) {
    location.hash = '#/overview';
    return;
  }
  try {
    let app = await api('GET', `/api/v1/apps/${encodeURIComponent(text)}`).catch((e) => {
      if (e.status === 404 || e.status === 400 || e.status === 422) return null;
      throw e;
    });
    if (!app) {
      const list = await api('GET', withQuery('/api/v1/apps', { search: text, limit: 2 }));
      if (list.data.length !== 1) {
        $('#feed-app-error').textContent = list.data.length ? `More than one application matches “${text}”; pick one from the list.` : `No application matches “${text}”.`;
        return;
      }
      app = list.data[0];
    }
    state.feedApp = { id: app.id, name: app.name };
    location.hash = withQuery('#/overview', { app_id: app.id });
  } catch (e) {
    failed('Filter')(e);
  }
});

/** Sets the feeds' application from the address; resolves to the app_id to follow ('' for all). */
async function feedAppFrom(query) {
  const id = query.get('app_id') || '';
  if (!id) {
    state.feedApp = null;
  } else if (!state.feedApp || state.feedApp.id !== id) {
    try {
      const app = await api('GET', `/api/v1/apps/${encodeURIComponent(id)}`);
      state.feedApp = { id: app.id, name: app.name };
    } catch (e) {
      state.feedApp = null;
      if (e.status === 404) notice(`No application ${id}: the feeds show every application.`, 'error');
      else failed('Filter')(e);
    }
  }
  const app = state.feedApp;
  $('#feed-app').value = app ? app.id : '';
  $('#feed-all').hidden = !app;
  $('#feed-app-name').textContent = app ? `· ${app.name}` : '';
  $('#events-app-name').textContent = app ? `· ${app.name}` : '';
  return app ? app.id : '';
}

// ------------------------------------------------------------------ routing

// What lists.js needs of this page.
const linkCtx = {
  state,
  endpointLabel: (id) => endpointLabel(state.endpoints, id),
  reloadEndpoints: loadEndpoints,
  current: null, // set per navigation
  base: '/api/v1', // the admin's view of every application
  events: true,
  apps: true,
  readOnly: false,
  onEndpointsChanged: async () => {
    await loadEndpoints();
    renderEndpoints();
    if (state.view === 'endpoint') route();
  },
  // Every application's event types seen, offered when subscribing.
  eventTypes: async () => (await api('GET', '/api/v1/event-types?limit=500')).data.map((t) => t.event_type),
};


// Hash name (and whether it has an id) -> the view shown, its section and the nav entry lit.
function viewFor(name, param) {
  const pages = { messages: 'message', deliveries: 'delivery', events: 'event', endpoints: 'endpoint', apps: 'app' };
  if (param && pages[name]) return pages[name];
  if (['overview', 'messages', 'deliveries', 'failed', 'sources', 'endpoints', 'apps'].includes(name)) return name;
  return 'overview';
}
const NAV_OF = { message: 'messages', delivery: 'deliveries', endpoint: 'endpoints', event: 'overview', app: 'apps' };
const { showMessage, showDelivery } = livePages(state, linkCtx);
const PAGES = {
  message: showMessage, delivery: showDelivery, event: showEvent, endpoint: showEndpoint,
  app: (id) => renderApp($('#view-app'), id, linkCtx),
};

async function route() {
  if (!state.live) return;
  const { name, param, query } = parseHash('overview');
  const view = viewFor(name, param);
  const { nav, section } = beginView(state, linkCtx, view, NAV_OF);
  try {
    // Only the overview's feeds follow one application; every other page needs all entries.
    const follow = view === 'overview' ? await feedAppFrom(query) : '';
    if (nav !== state.nav) return;
    await followApp(follow);
    if (nav !== state.nav) return;
    if (view === 'overview') {
      renderDeliveriesFeed();
      renderEventsFeed();
      state.stats.render();
    } else if (view === 'sources') {
      renderSources();
      await loadSources();
      renderSources();
    } else if (view === 'endpoints') {
      renderEndpoints();
      await loadEndpoints();
      renderEndpoints();
    } else if (view === 'messages') {
      await renderMessages(section, query, linkCtx);
    } else if (view === 'deliveries') {
      await renderDeliveries(section, query, linkCtx);
    } else if (view === 'failed') {
      await renderFailed(section, query, linkCtx);
    } else if (view === 'apps') {
      await renderApps(section, query, linkCtx);
    } else {
      fill(section, h('p', { class: 'muted', dataset: { state: 'loading' } }, 'Loading…'));
      await PAGES[view](param);
    }
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;
    if (nav !== state.nav) return;
    if (PAGES[view]) fill(section, h('p', { class: 'back' }, h('a', { href: '#/overview' }, '← Overview')), errorState(e, { what: view, id: param }));
    else failed('Loading')(e);
  }
}
window.addEventListener('hashchange', () => {
  route();
  $('#main').focus({ preventScroll: true });
});
$('#source-new').addEventListener('click', newSource);
$('#endpoint-new').addEventListener('click', () => newEndpoint(linkCtx));

// Signed in already (the session cookie)? Otherwise ask for the token.
start().catch((e) => {
  if (!(e instanceof ApiError && e.status === 401)) showSignIn(`Could not load: ${e.message}`);
});
