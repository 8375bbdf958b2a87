// The operators' dashboard (API.md, "Admin UI"): sign-in, overview with counters, chart and live
// feeds, sources, endpoints, lists of messages and deliveries (lists.js), and message, delivery,
// event and endpoint pages. Text from providers and receivers is only ever set as text (see
// dom.js).
import { ApiError, api, setUnauthorizedHandler, withQuery } from './api.js';
import { $, badge, copyText, dateTime, errorState, fill, h, prettyBody, time } from './dom.js';
import { deliveriesPanel, links, renderDeliveries, renderFailed, renderMessages, shortId } from './lists.js';
import { LiveStream } from './live.js';
import { Stats } from './stats.js';

const FEED_ROWS = 100;
const TRANSPORT_NAMES = { sse: 'SSE', websocket: 'WebSocket', longpoll: 'long-polling' };

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
};

setUnauthorizedHandler(() => showSignIn(state.live ? 'Your session has ended; sign in again.' : ''));

// ------------------------------------------------------------------ notices

// A notice belongs to the page it was shown on: navigating elsewhere clears it (route()).
let noticeTimer = null;
function clearNotice() {
  clearTimeout(noticeTimer);
  $('#notice').hidden = true;
  fill($('#notice'));
}

function notice(text, kind = 'info') {
  const el = $('#notice');
  el.className = `notice notice-${kind}`;
  fill(el, h('span', {}, text), h('button', { type: 'button', class: 'ghost small', onclick: () => { el.hidden = true; } }, 'Dismiss'));
  el.hidden = false;
  clearTimeout(noticeTimer);
  if (kind !== 'error') noticeTimer = setTimeout(() => { el.hidden = true; }, 6000);
}

function failed(what) {
  return (e) => {
    if (e instanceof ApiError && e.status === 401) return;
    notice(`${what}: ${e.message}`, 'error');
  };
}

// ------------------------------------------------------------------ dialog

/**
 * Opens the dialog. fields: elements for its body. onSubmit(form): resolves to close, throws to
 * show the error and stay open. okLabel null: an information dialog with one Close button.
 */
function openDialog({ title, fields, okLabel = 'Save', onSubmit }) {
  const dlg = $('#dialog');
  $('#dialog-title').textContent = title;
  fill($('#dialog-body'), fields);
  $('#dialog-error').textContent = '';
  const ok = $('#dialog-ok');
  const cancel = $('#dialog-cancel');
  ok.hidden = okLabel === null;
  ok.textContent = okLabel || '';
  cancel.textContent = okLabel === null ? 'Close' : 'Cancel';
  const form = $('#dialog-form');
  form.onsubmit = async (ev) => {
    ev.preventDefault();
    if (!onSubmit) return dlg.close();
    ok.disabled = true;
    try {
      await onSubmit(form);
      dlg.close();
    } catch (e) {
      $('#dialog-error').textContent = e.message;
    } finally {
      ok.disabled = false;
    }
  };
  cancel.onclick = () => dlg.close();
  dlg.showModal();
  const first = dlg.querySelector('#dialog-body input, #dialog-body select, #dialog-body textarea, #dialog-body button');
  (first || (ok.hidden ? cancel : ok)).focus();
}

function field(label, input, hint) {
  const id = input.id || `f-${Math.random().toString(36).slice(2)}`;
  input.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, hint ? h('small', { class: 'muted' }, hint) : null);
}

function copyField(label, value) {
  const input = h('input', { type: 'text', readonly: true, value, class: 'mono' });
  const btn = h('button', { type: 'button', onclick: async () => {
    btn.textContent = (await copyText(value)) ? 'Copied' : 'Copy failed';
    setTimeout(() => { btn.textContent = 'Copy'; }, 1500);
  } }, 'Copy');
  return field(label, h('span', { class: 'copy-row' }, input, btn));
}

function showSecret(title, secret, extra) {
  openDialog({ title, okLabel: null, fields: [
    h('p', {}, 'Store this secret now; it signs every request. It stays visible to admins in the API.'),
    copyField('Secret', secret), extra || null,
  ] });
}

const splitList = (text) => text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);

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
  state.deliveries.clear();
  state.events = [];
  applyFeed(overview.recent);
  state.stats.anchor(overview);
  state.live = new LiveStream({
    base: state.info.stream_base || location.origin,
    onEntries,
    onState: showTransport,
    onUnauthorized: () => showSignIn('Your session has ended; sign in again.'),
  });
  state.live.start(overview.seq);
  route();
}

// Re-anchors the counters and chart on the server's figures every minute.
setInterval(async () => {
  if (!state.live) return;
  try {
    state.stats.anchor(await api('GET', '/api/v1/overview'));
  } catch {
    // the next minute tries again
  }
}, 60_000);

function showTransport({ transport, state: s }) {
  const el = $('#transport');
  const name = TRANSPORT_NAMES[transport];
  el.dataset.transport = transport;
  el.dataset.state = s;
  $('#transport-text').textContent =
    s === 'live' ? `Live · ${name}` : s === 'connecting' ? `Connecting · ${name}…` : `Reconnecting · ${name}…`;
  el.title = s === 'live' ? `Live updates over ${name}` : `Trying ${name}`;
}

// ------------------------------------------------------------------ live entries

function onEntries(entries) {
  applyFeed(entries);
  state.stats.add(entries);
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
  for (const e of entries) {
    const d = e.data || {};
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

function endpointLabel(id) {
  const ep = state.endpoints.get(id);
  if (!ep) return id || '—';
  try {
    const u = new URL(ep.url);
    return u.host + u.pathname;
  } catch {
    return ep.url;
  }
}

function renderDeliveriesFeed() {
  const rows = [...state.deliveries.values()].reverse().map((r) => {
    const type = state.messageTypes.get(r.message_id);
    return h('tr', { dataset: { delivery: r.id, status: r.status } },
      h('td', {}, time(r.at)),
      h('td', {}, badge(r.status), r.waiting === 'circuit_open'
        ? h('span', { class: 'muted small', dataset: { wait: 'circuit_open' } }, ' circuit open until ', time(r.next_attempt_at)) : null),
      h('td', {}, h('a', { href: `#/messages/${encodeURIComponent(r.message_id || '')}`, class: 'type' }, type || r.message_id || '—')),
      h('td', { class: 'ellipsis', title: state.endpoints.get(r.endpoint_id)?.url || r.endpoint_id }, endpointLabel(r.endpoint_id)),
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

function endpointStatus(ep) {
  if (ep.disabled) return [badge('disabled'), ep.disabled_reason ? h('div', { class: 'muted small' }, ep.disabled_reason) : null];
  if (ep.circuit && ep.circuit !== 'closed') return [badge('retrying'), h('div', { class: 'muted small' }, `circuit ${ep.circuit.replace('_', '-')}`)];
  return [badge('enabled'), ep.failing_since ? h('div', { class: 'muted small' }, 'failing since ', time(ep.failing_since)) : null];
}

function renderEndpoints() {
  const rows = [...state.endpoints.values()].map((ep) => h('tr', { dataset: { endpoint: ep.id } },
    h('td', {}, h('a', { href: `#/endpoints/${encodeURIComponent(ep.id)}`, class: 'mono ellipsis wide', title: ep.url }, ep.url),
      ep.description ? h('div', { class: 'muted small' }, ep.description) : null),
    h('td', {}, endpointStatus(ep)),
    h('td', { class: 'small' },
      ep.event_types.length ? ep.event_types.join(', ') : 'all event types',
      h('br'),
      h('span', { class: 'muted' }, ep.source_ids.length ? ep.source_ids.map((id) => state.sources.get(id)?.name || id).join(', ') : 'from all sources')),
    h('td', {}, dateTime(ep.created_at)),
    h('td', { class: 'actions' },
      h('button', { type: 'button', class: 'small', onclick: () => editEndpoint(ep) }, 'Edit'),
      ep.disabled
        ? h('button', { type: 'button', class: 'small', onclick: () => setEnabled(ep, true) }, 'Enable')
        : h('button', { type: 'button', class: 'small', onclick: () => setEnabled(ep, false) }, 'Disable'),
      h('button', { type: 'button', class: 'small', onclick: () => rotateEndpointSecret(ep) }, 'Rotate secret'),
      h('button', { type: 'button', class: 'small', onclick: () => recoverEndpoint(ep) }, 'Recover'))));
  fill($('#endpoints tbody'), rows);
  $('#endpoints-empty').hidden = rows.length > 0;
}

function endpointFields(ep) {
  const url = h('input', { type: 'url', required: true, value: ep?.url || '', class: 'mono', placeholder: 'https://example.com/webhooks' });
  const description = h('input', { type: 'text', value: ep?.description || '', maxlength: 1000 });
  const types = h('input', { type: 'text', value: ep?.event_types?.join(', ') || '', class: 'mono', placeholder: 'invoice.*, customer.created' });
  const sources = h('select', { multiple: true, size: Math.min(5, Math.max(2, state.sources.size)) },
    [...state.sources.values()].map((s) => h('option', { value: s.id, selected: ep?.source_ids?.includes(s.id) }, `${s.name} (${s.provider})`)));
  const rate = h('input', { type: 'number', min: 1, max: 100000, value: ep?.rate_limit_per_second ?? '' });
  const fields = [field('URL', url), field('Description', description),
    field('Event types', types, 'Comma-separated; empty means all. invoice.* matches a prefix.'),
    field('Sources', sources, 'None selected means all sources.'),
    field('Rate limit (per second)', rate, 'Empty: no limit.')];
  const read = () => {
    const body = {
      url: url.value.trim(), description: description.value, event_types: splitList(types.value),
      source_ids: [...sources.selectedOptions].map((o) => o.value),
    };
    if (rate.value !== '') body.rate_limit_per_second = Number(rate.value);
    else if (ep && ep.rate_limit_per_second != null) body.rate_limit_per_second = null;
    return body;
  };
  return { fields, read };
}

function newEndpoint() {
  const { fields, read } = endpointFields(null);
  openDialog({ title: 'New endpoint', okLabel: 'Create', fields, onSubmit: async () => {
    const ep = await api('POST', '/api/v1/endpoints', read());
    await loadEndpoints();
    renderEndpoints();
    setTimeout(() => showSecret('Endpoint created', ep.secret), 0);
  } });
}

function editEndpoint(ep) {
  const { fields, read } = endpointFields(ep);
  openDialog({ title: 'Edit endpoint', okLabel: 'Save', fields, onSubmit: async () => {
    await api('PATCH', `/api/v1/endpoints/${encodeURIComponent(ep.id)}`, read());
    await loadEndpoints();
    renderEndpoints();
    notice('Endpoint saved.');
  } });
}

async function setEnabled(ep, enable) {
  try {
    await api('POST', `/api/v1/endpoints/${encodeURIComponent(ep.id)}/${enable ? 'enable' : 'disable'}`);
    await loadEndpoints();
    renderEndpoints();
    notice(enable ? 'Endpoint enabled.' : 'Endpoint disabled: its queued deliveries end failed; recover them after enabling.');
  } catch (e) {
    failed(enable ? 'Enable' : 'Disable')(e);
  }
}

function rotateEndpointSecret(ep) {
  const grace = h('input', { type: 'number', min: 0, value: 86400 });
  openDialog({
    title: 'Rotate the endpoint’s secret', okLabel: 'Rotate',
    fields: [h('p', { class: 'mono ellipsis' }, ep.url), field('Grace (seconds)', grace, 'Both secrets sign requests this long.')],
    onSubmit: async () => {
      const r = await api('POST', `/api/v1/endpoints/${encodeURIComponent(ep.id)}/rotate-secret`, { grace_seconds: Number(grace.value) });
      await loadEndpoints();
      setTimeout(() => showSecret('Secret rotated', r.secret), 0);
    },
  });
}

function recoverEndpoint(ep) {
  const local = new Date(Date.now() - 24 * 3600_000 - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
  const since = h('input', { type: 'datetime-local', required: true, value: local });
  openDialog({
    title: 'Recover failed deliveries', okLabel: 'Re-queue',
    fields: [h('p', { class: 'mono ellipsis' }, ep.url), field('Failed since (local time)', since)],
    onSubmit: async () => {
      const r = await api('POST', `/api/v1/endpoints/${encodeURIComponent(ep.id)}/recover`, { since: new Date(since.value).toISOString() });
      notice(`${r.requeued} failed ${r.requeued === 1 ? 'delivery' : 'deliveries'} re-queued.`);
    },
  });
}

// ------------------------------------------------------------------ message and event pages

function kv(pairs) {
  return h('dl', { class: 'kv' }, pairs.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

async function showMessage(id) {
  const view = $('#view-message');
  const nav = state.nav;
  const msg = await api('GET', `/api/v1/messages/${encodeURIComponent(id)}`);
  const deliveries = await Promise.all(msg.deliveries.map((d) => api('GET', `/api/v1/deliveries/${encodeURIComponent(d.id)}`)));
  if (nav !== state.nav) return;
  const source = msg.source_id ? state.sources.get(msg.source_id) : null;
  const endpointIds = [...new Set(deliveries.map((d) => d.endpoint_id))];
  fill(view,
    h('p', { class: 'back' }, h('a', { href: '#/messages' }, '← Messages')),
    h('div', { class: 'view-head' }, h('h1', {}, 'Message ', h('span', { class: 'type' }, msg.event_type))),
    h('div', { class: 'panel' }, kv([
      ['Message', h('code', {}, msg.id)],
      ['Created', dateTime(msg.created_at)],
      ['Source', source ? source.name : msg.source_id || '— (sent through the API)'],
      msg.event_id ? ['Event', h('a', { href: `#/events/${encodeURIComponent(msg.event_id)}`, id: 'message-event' }, msg.event_id)] : null,
      endpointIds.length ? ['Endpoints', h('span', { class: 'link-list' }, endpointIds.map((e) => links.endpoint(linkCtx, e)))] : null,
    ])),
    h('h2', {}, `Deliveries (${deliveries.length})`),
    deliveries.length ? deliveries.map((d) => withDeliveryLinks(deliveryPanel(d), d)) : h('p', { class: 'muted' }, 'No endpoint subscribed to this message.'),
    h('h2', {}, 'Payload'),
    h('pre', { class: 'body' }, prettyBody(msg.payload)));
  // Live entries for this message's deliveries reload the page (a few times a second at most).
  let pending = null;
  state.viewRefresh = (entries) => {
    if (!entries.some((e) => e.data && e.data.message_id === id)) return;
    if (pending) return;
    pending = setTimeout(() => {
      pending = null;
      if (nav === state.nav) showMessage(id).catch(failed('Reload'));
    }, 300);
  };
}

// What the delivery waits for, as the API says it: an attempt in flight, a manual retry's
// attempt, the endpoint's circuit, or its next scheduled attempt.
function deliveryWait(d) {
  const note = (...text) => h('span', { class: 'muted small', dataset: { wait: d.waiting || (d.in_flight ? 'in_flight' : d.manual_retry ? 'manual_retry' : 'schedule') } }, ...text);
  if (d.in_flight) return note(d.manual_retry ? 'manual attempt in flight' : 'attempt in flight');
  if (d.waiting === 'circuit_open') return note('waiting on open circuit until ', time(d.next_attempt_at));
  if (d.waiting === 'circuit_half_open') return note('waiting for the circuit\'s probe attempt');
  if (d.manual_retry) return note('manual attempt queued');
  if (d.status === 'retrying' && d.next_attempt_at) return note('next attempt ', time(d.next_attempt_at));
  return null;
}

// After a manual retry was accepted: waits for its one attempt and says how it ended.
async function reportManualRetry(id, attemptsBefore) {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    const d = await api('GET', `/api/v1/deliveries/${encodeURIComponent(id)}`);
    if (d.manual_retry || d.in_flight || d.attempts.length <= attemptsBefore) continue;
    const a = d.attempts[d.attempts.length - 1];
    const answer = a.response_status ?? (a.error || 'no answer');
    if (d.status === 'succeeded' && a.response_status >= 200 && a.response_status < 300) notice(`Retry succeeded (${answer}).`);
    else notice(`Retry failed (${answer}): the delivery stays ${d.status}${d.status === 'retrying' && d.next_attempt_at ? `, next attempt at ${new Date(d.next_attempt_at).toLocaleTimeString([], { hour12: false })}` : ''}.`, 'error');
    return;
  }
}

/** Adds to a delivery panel the links to its own page and to its endpoint's. */
function withDeliveryLinks(panel, d) {
  const line = h('p', { class: 'delivery-links small muted' },
    'Delivery ', links.delivery(d.id, d.id), ' to ', links.endpoint(linkCtx, d.endpoint_id));
  panel.insertBefore(line, panel.children[1] || null);
  return panel;
}

async function showDelivery(id) {
  const view = $('#view-delivery');
  const nav = state.nav;
  const d = await api('GET', `/api/v1/deliveries/${encodeURIComponent(id)}`);
  // The message names the event type and the event; a pruned one leaves the delivery readable.
  const msg = await api('GET', `/api/v1/messages/${encodeURIComponent(d.message_id)}`).catch(() => null);
  if (nav !== state.nav) return;
  fill(view,
    h('p', { class: 'back' }, h('a', { href: '#/deliveries' }, '← Deliveries')),
    h('div', { class: 'view-head' }, h('h1', {}, 'Delivery ', h('span', { class: 'type' }, msg ? msg.event_type : shortId(d.id)))),
    h('div', { class: 'panel' }, kv([
      ['Delivery', h('code', {}, d.id)],
      ['Message', h('a', { href: `#/messages/${encodeURIComponent(d.message_id)}`, id: 'delivery-message', class: 'mono' }, d.message_id)],
      msg && msg.event_id ? ['Event', links.event(msg.event_id, msg.event_id)] : null,
      ['Endpoint', h('span', { id: 'delivery-endpoint' }, links.endpoint(linkCtx, d.endpoint_id))],
      ['Created', dateTime(d.created_at)],
      ['Updated', dateTime(d.updated_at)],
    ])),
    h('h2', {}, 'Status and attempts'),
    deliveryPanel(d));
  let pending = null;
  state.viewRefresh = (entries) => {
    if (!entries.some((e) => e.data && e.data.delivery_id === id)) return;
    if (pending) return;
    pending = setTimeout(() => {
      pending = null;
      if (nav === state.nav) showDelivery(id).catch(failed('Reload'));
    }, 300);
  };
}

async function showEndpoint(id) {
  const view = $('#view-endpoint');
  const nav = state.nav;
  const ep = await api('GET', `/api/v1/endpoints/${encodeURIComponent(id)}`);
  const recent = await deliveriesPanel(linkCtx, { endpoint_id: id });
  if (nav !== state.nav) return;
  state.endpoints.set(ep.id, { ...state.endpoints.get(ep.id), ...ep });
  fill(view,
    h('p', { class: 'back' }, h('a', { href: '#/endpoints' }, '← Endpoints')),
    h('div', { class: 'view-head' }, h('h1', {}, 'Endpoint ', h('span', { class: 'type' }, endpointLabel(ep.id)))),
    h('div', { class: 'panel' }, kv([
      ['Endpoint', h('code', {}, ep.id)],
      ['URL', h('code', {}, ep.url)],
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

function deliveryPanel(d) {
  const ep = state.endpoints.get(d.endpoint_id);
  const held = d.waiting === 'circuit_open' || d.waiting === 'circuit_half_open';
  const retry = h('button', { type: 'button', class: d.status === 'succeeded' ? 'small' : 'primary small', dataset: { retry: d.id }, disabled: held,
    title: held ? 'The endpoint\'s circuit is open: nothing is sent to it until it closes' : 'One attempt now; if it fails the delivery stays as it is', onclick: async () => {
    retry.disabled = true;
    try {
      const queued = await api('POST', `/api/v1/deliveries/${encodeURIComponent(d.id)}/retry`);
      notice('One attempt queued; its result will show here.');
      reportManualRetry(d.id, d.attempts.length).catch(failed('Retry'));
      if (queued && queued.manual_retry) retry.hidden = true;
    } catch (e) {
      failed('Retry')(e);
    } finally {
      retry.disabled = held;
    }
  } }, d.status === 'succeeded' ? 'Send again' : 'Retry now');
  const attempts = d.attempts.map((a) => h('tr', {},
    h('td', { class: 'num' }, a.number),
    h('td', {}, dateTime(a.started_at)),
    h('td', { class: 'num' }, `${a.duration_ms} ms`),
    h('td', { class: 'num' }, a.response_status ?? '—'),
    h('td', {}, a.error ? h('span', { class: 'error-text' }, a.error) : null,
      a.response_body ? h('details', {}, h('summary', {}, 'Response body'), h('pre', { class: 'body small' }, a.response_body)) : null)));
  return h('div', { class: 'panel delivery', dataset: { delivery: d.id, status: d.status } },
    h('div', { class: 'delivery-head' },
      badge(d.status),
      h('span', { class: 'mono ellipsis', title: ep?.url || d.endpoint_id }, ep ? ep.url : d.endpoint_id),
      h('span', { class: 'spacer' }),
      deliveryWait(d),
      d.status === 'pending' || d.in_flight || d.manual_retry ? null : retry),
    d.attempts.length
      ? h('table', { class: 'data attempts' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col', class: 'num' }, '#'), h('th', { scope: 'col' }, 'Started'),
          h('th', { scope: 'col', class: 'num' }, 'Duration'), h('th', { scope: 'col', class: 'num' }, 'Response'), h('th', { scope: 'col' }, 'Error / body'))),
        h('tbody', {}, attempts))
      : h('p', { class: 'muted small' }, 'No attempt yet.'));
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

// ------------------------------------------------------------------ routing

// What lists.js needs of this page.
const linkCtx = {
  state,
  endpointLabel,
  reloadEndpoints: loadEndpoints,
  current: null, // set per navigation
};

// "#/messages/msg_1?x=1" -> { name: 'messages', param: 'msg_1', query }.
function parseHash() {
  const hash = location.hash.replace(/^#\/?/, '');
  const q = hash.indexOf('?');
  const path = q < 0 ? hash : hash.slice(0, q);
  const [name = '', param = ''] = path.split('/');
  let decoded = param;
  try {
    decoded = decodeURIComponent(param);
  } catch {
    // a malformed escape: looked up as it is, and not found
  }
  return { name: name || 'overview', param: decoded, query: new URLSearchParams(q < 0 ? '' : hash.slice(q + 1)) };
}

// Hash name (and whether it has an id) -> the view shown, its section and the nav entry lit.
function viewFor(name, param) {
  const pages = { messages: 'message', deliveries: 'delivery', events: 'event', endpoints: 'endpoint' };
  if (param && pages[name]) return pages[name];
  if (['overview', 'messages', 'deliveries', 'failed', 'sources', 'endpoints'].includes(name)) return name;
  return 'overview';
}
const NAV_OF = { message: 'messages', delivery: 'deliveries', endpoint: 'endpoints', event: 'overview' };
const PAGES = { message: showMessage, delivery: showDelivery, event: showEvent, endpoint: showEndpoint };

async function route() {
  if (!state.live) return;
  const { name, param, query } = parseHash();
  const view = viewFor(name, param);
  const nav = ++state.nav;
  linkCtx.current = () => nav === state.nav;
  state.view = view;
  state.viewRefresh = null;
  clearNotice();
  const section = $(`#view-${view}`);
  for (const v of document.querySelectorAll('.view')) v.hidden = v !== section;
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.view === (NAV_OF[view] || view)) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  try {
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
$('#endpoint-new').addEventListener('click', newEndpoint);

// Signed in already (the session cookie)? Otherwise ask for the token.
start().catch((e) => {
  if (!(e instanceof ApiError && e.status === 401)) showSignIn(`Could not load: ${e.message}`);
});
