// The lists of messages and deliveries (search by event type, status and endpoint; an id pasted
// into a search box goes straight to its page; pages follow the API's `after` cursor) and the
// failed-deliveries view with retry of a selection, each result shown on its row. app.js routes
// to these; `ctx` gives them the endpoints and sources it keeps and tells whether the page is
// still the one showing (a late answer for a page left behind is dropped). `ctx.base` is the API
// prefix ('/api/v1', or '/api/v1/apps/<app id>' for one application); without `ctx.events` there
// are no event pages (the portal), and without `ctx.state.sources` no source column.
import { api, withQuery } from './api.js';
import { badge, dateTime, errorState, fill, h } from './dom.js';

const PAGE = 50;
const RETRY_CONCURRENCY = 4;
const ID_PAGES = { msg: 'messages', dlv: 'deliveries', evt: 'events', ep: 'endpoints' };
const STATUSES = ['pending', 'retrying', 'succeeded', 'failed'];

const enc = encodeURIComponent;
const apiBase = (ctx) => ctx.base || '/api/v1';

/** The page of a pasted id ('#/messages/msg_…'), or null when the text is not such an id. */
export function idRoute(text) {
  const id = text.trim();
  const m = /^(msg|dlv|evt|ep)_[0-9A-Za-z]{6,64}$/.exec(id);
  return m ? `#/${ID_PAGES[m[1]]}/${enc(id)}` : null;
}

/** "dlv_…7QK3Z9": an id short enough for a table cell; the whole id is its title. */
export function shortId(id) {
  if (!id || id.length <= 16) return id || '—';
  return `${id.slice(0, id.indexOf('_') + 1)}…${id.slice(-6)}`;
}

export const links = {
  message: (id, text) => h('a', { href: `#/messages/${enc(id)}`, class: 'type', title: id }, text ?? id),
  delivery: (id, text) => h('a', { href: `#/deliveries/${enc(id)}`, class: 'mono', title: id }, text ?? shortId(id)),
  event: (id, text) => h('a', { href: `#/events/${enc(id)}`, class: 'mono', title: id }, text ?? shortId(id)),
  endpoint: (ctx, id) => {
    const ep = ctx.state.endpoints.get(id);
    return h('a', { href: `#/endpoints/${enc(id)}`, class: 'mono', title: ep ? ep.url : `${id}: not among the endpoints (deleted?)` },
      ep ? ctx.endpointLabel(id) : `${shortId(id)} (deleted?)`);
  },
};

// ------------------------------------------------------------------ shared pieces

/** The page size: the hash's `limit` (1-500) when it has one, else PAGE. */
function pageSize(query) {
  const n = Number(query.get('limit'));
  return Number.isInteger(n) && n >= 1 && n <= 500 ? n : PAGE;
}

function head(title, ...rest) {
  return h('div', { class: 'view-head' }, h('h1', {}, title), ...rest);
}

function pager(base, params, after, next) {
  if (!after && !next) return null;
  return h('nav', { class: 'pager', 'aria-label': 'Pages' },
    after ? h('a', { href: withQuery(base, params), 'data-page': 'first' }, '← Newest') : h('span'),
    next ? h('a', { href: withQuery(base, { ...params, after: next }), 'data-page': 'next', rel: 'next' }, 'Older →') : null);
}

function endpointSelect(ctx, selected, label) {
  const sel = h('select', { name: 'endpoint_id', 'aria-label': label },
    h('option', { value: '' }, 'All endpoints'),
    [...ctx.state.endpoints.values()].map((ep) => h('option', { value: ep.id, selected: ep.id === selected },
      ctx.endpointLabel(ep.id) + (ep.description ? ` — ${ep.description}` : ''))));
  if (selected && !ctx.state.endpoints.has(selected)) sel.append(h('option', { value: selected, selected: true }, selected));
  return sel;
}

/** A search box that goes to a pasted id's page, else calls onText(text). */
function searchBox({ id, label, value, placeholder, onText }) {
  const input = h('input', { type: 'search', id, name: 'q', value, placeholder, 'aria-label': label, autocomplete: 'off', spellcheck: false });
  const error = h('span', { class: 'error-text small', role: 'alert' });
  const submit = () => {
    const text = input.value.trim();
    const page = idRoute(text);
    if (page) {
      location.hash = page;
      return;
    }
    error.textContent = onText(text) || '';
  };
  return { input, error, submit };
}

/** Rows of deliveries; `select` adds a checkbox column, `results` a result column. */
export function deliveriesTable(ctx, rows, { select = null, results = false } = {}) {
  const head = h('tr', {},
    select ? h('th', { scope: 'col', class: 'check' }, select.all) : null,
    h('th', { scope: 'col' }, 'Delivery'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Event type'),
    h('th', { scope: 'col' }, 'Endpoint'), h('th', { scope: 'col', class: 'num' }, 'Attempts'),
    h('th', { scope: 'col', class: 'num' }, 'Last response'), h('th', { scope: 'col' }, 'Updated'),
    results ? h('th', { scope: 'col' }, 'Retry result') : null);
  // data-label names a cell where a narrow screen shows rows as cards (style.css).
  const body = rows.map((d) => h('tr', { dataset: { delivery: d.id, status: d.status } },
    select ? h('td', { class: 'check' }, select.box(d)) : null,
    h('td', { class: 'id' }, links.delivery(d.id)),
    h('td', {}, badge(d.status)),
    h('td', { class: 'type-cell' }, links.message(d.message_id, d.event_type || shortId(d.message_id))),
    h('td', { class: 'ellipsis', dataset: { label: 'Endpoint' } }, links.endpoint(ctx, d.endpoint_id)),
    h('td', { class: 'num', dataset: { label: 'Attempts' } }, d.attempts),
    h('td', { class: 'num', title: d.last_error || '', dataset: { label: 'Last response' } }, d.last_response_status ?? (d.last_error ? 'error' : '—')),
    h('td', { class: 'nowrap', dataset: { label: 'Updated' } }, dateTime(d.updated_at)),
    results ? h('td', { class: 'result' }) : null));
  return h('div', { class: 'scroll-x' }, h('table', { class: 'data list' }, h('thead', {}, head), h('tbody', {}, body)));
}

export function messagesTable(ctx, rows) {
  const sources = ctx.state.sources;
  const events = ctx.events !== false;
  const body = rows.map((m) => h('tr', { dataset: { message: m.id } },
    h('td', { class: 'id' }, links.message(m.id, shortId(m.id))),
    h('td', { class: 'type-cell' }, links.message(m.id, m.event_type)),
    sources ? h('td', { class: 'ellipsis', dataset: { label: 'Source' } }, m.source_id ? sources.get(m.source_id)?.name || m.source_id : h('span', { class: 'muted' }, 'API')) : null,
    events ? h('td', { dataset: { label: 'Event' } }, m.event_id ? links.event(m.event_id) : '—') : null,
    h('td', { class: 'nowrap', dataset: { label: 'Created' } }, dateTime(m.created_at))));
  return h('div', { class: 'scroll-x' }, h('table', { class: 'data list' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Message'), h('th', { scope: 'col' }, 'Event type'),
      sources ? h('th', { scope: 'col' }, 'Source') : null, events ? h('th', { scope: 'col' }, 'Event') : null, h('th', { scope: 'col' }, 'Created'))),
    h('tbody', {}, body)));
}

/** Fetches `path` into `box`, or shows why it could not; returns the answer or null. */
async function load(ctx, box, path) {
  fill(box, h('p', { class: 'muted' }, 'Loading…'));
  try {
    const list = await api('GET', path);
    // An endpoint created since the dashboard loaded its list is looked up again once.
    if (list.data.some((d) => d.endpoint_id && !ctx.state.endpoints.has(d.endpoint_id))) await ctx.reloadEndpoints().catch(() => {});
    return ctx.current() ? list : null;
  } catch (e) {
    if (ctx.current() && e.status !== 401) fill(box, errorState(e, { what: 'list' }));
    return null;
  }
}

// ------------------------------------------------------------------ messages

/** "Application app_… · Clear" above a list the address limits to one application. */
function appFilter(appId, clearHref) {
  if (!appId) return null;
  return h('p', { class: 'app-filter small' }, 'Application ', h('a', { href: `#/apps/${enc(appId)}`, class: 'mono' }, appId), ' · ', h('a', { href: clearHref }, 'All applications'));
}

export async function renderMessages(view, query, ctx) {
  const eventType = query.get('event_type') || '';
  const appId = ctx.apps ? query.get('app_id') || '' : '';
  const after = query.get('after') || '';
  const limit = pageSize(query) === PAGE ? '' : pageSize(query);
  const types = [...new Set(ctx.state.messageTypes.values())].sort();
  const search = searchBox({
    id: 'messages-q', label: 'Event type or id', value: eventType,
    placeholder: 'Event type, or paste an id (msg_…, dlv_…, evt_…, ep_…)',
    onText: (text) => { location.hash = withQuery('#/messages', { event_type: text, app_id: appId }); },
  });
  search.input.setAttribute('list', 'known-types');
  const results = h('div', { class: 'results' });
  fill(view,
    head('Messages'),
    h('form', { class: 'filters', role: 'search', onsubmit: (ev) => { ev.preventDefault(); search.submit(); } },
      h('label', { for: 'messages-q', class: 'grow' }, 'Search', search.input),
      h('datalist', { id: 'known-types' }, types.map((t) => h('option', { value: t }))),
      h('button', { type: 'submit', class: 'primary' }, 'Search'),
      eventType ? h('a', { href: withQuery('#/messages', { app_id: appId }) }, 'Clear') : null,
      search.error),
    appFilter(appId, withQuery('#/messages', { event_type: eventType })),
    h('div', { class: 'panel' }, results));
  const list = await load(ctx, results, withQuery(`${apiBase(ctx)}/messages`, { event_type: eventType, app_id: appId, after, limit: limit || PAGE }));
  if (!list) return;
  fill(results,
    list.data.length ? messagesTable(ctx, list.data)
      : h('p', { class: 'empty muted' }, eventType ? `No message of type “${eventType}”${after ? ' older than these' : ''}.` : 'No messages yet.'),
    pager('#/messages', { event_type: eventType, app_id: appId, limit }, after, list.next));
}

// ------------------------------------------------------------------ deliveries

export async function renderDeliveries(view, query, ctx) {
  const status = STATUSES.includes(query.get('status')) ? query.get('status') : '';
  const endpointId = query.get('endpoint_id') || '';
  const appId = ctx.apps ? query.get('app_id') || '' : '';
  const after = query.get('after') || '';
  const limit = pageSize(query) === PAGE ? '' : pageSize(query);
  const statusSel = h('select', { name: 'status', id: 'deliveries-status' },
    h('option', { value: '' }, 'Any status'), STATUSES.map((s) => h('option', { value: s, selected: s === status }, s)));
  const endpointSel = endpointSelect(ctx, endpointId, 'Endpoint');
  endpointSel.id = 'deliveries-endpoint';
  const apply = () => { location.hash = withQuery('#/deliveries', { status: statusSel.value, endpoint_id: endpointSel.value, app_id: appId }); };
  statusSel.addEventListener('change', apply);
  endpointSel.addEventListener('change', apply);
  const search = searchBox({
    id: 'deliveries-q', label: 'Go to an id', value: '', placeholder: 'Paste an id (dlv_…, msg_…, evt_…, ep_…)',
    onText: (text) => (text ? 'That is not a delivery, message, event or endpoint id.' : ''),
  });
  const results = h('div', { class: 'results' });
  fill(view,
    head('Deliveries', h('a', { href: '#/failed' }, 'Failed deliveries →')),
    h('form', { class: 'filters', role: 'search', onsubmit: (ev) => { ev.preventDefault(); if (search.input.value.trim()) search.submit(); else apply(); } },
      h('label', { for: 'deliveries-status' }, 'Status', statusSel),
      h('label', { for: 'deliveries-endpoint' }, 'Endpoint', endpointSel),
      h('label', { for: 'deliveries-q', class: 'grow' }, 'Id', search.input),
      h('button', { type: 'submit', class: 'primary' }, 'Go'),
      status || endpointId ? h('a', { href: withQuery('#/deliveries', { app_id: appId }) }, 'Clear') : null,
      search.error),
    appFilter(appId, withQuery('#/deliveries', { status, endpoint_id: endpointId })),
    h('div', { class: 'panel' }, results));
  const list = await load(ctx, results, withQuery(`${apiBase(ctx)}/deliveries`, { status, endpoint_id: endpointId, app_id: appId, after, limit: limit || PAGE }));
  if (!list) return;
  fill(results,
    list.data.length ? deliveriesTable(ctx, list.data) : h('p', { class: 'empty muted' }, 'No delivery matches.'),
    pager('#/deliveries', { status, endpoint_id: endpointId, app_id: appId, limit }, after, list.next));
}

/** The deliveries of `filter` (endpoint_id or message_id), first page only, with a link to more. */
export async function deliveriesPanel(ctx, filter, limit = 20) {
  const list = await api('GET', withQuery(`${apiBase(ctx)}/deliveries`, { ...filter, limit }));
  if (list.data.some((d) => !ctx.state.endpoints.has(d.endpoint_id))) await ctx.reloadEndpoints().catch(() => {});
  if (!list.data.length) return h('p', { class: 'muted' }, 'No deliveries.');
  return [deliveriesTable(ctx, list.data),
    list.next ? h('p', { class: 'small' }, h('a', { href: withQuery('#/deliveries', { endpoint_id: filter.endpoint_id }) }, 'All of them →')) : null];
}

// ------------------------------------------------------------------ failed deliveries

const RESULT_TEXT = {
  queued: ['ok', 'Retry queued'],
  endpoint_disabled: ['bad', 'Endpoint disabled: enable it, then retry'],
  attempt_in_progress: ['warn', 'An attempt is in progress'],
  circuit_open: ['warn', 'Circuit open: it waits for the circuit'],
  not_found: ['bad', 'Not found (pruned?)'],
};

export async function renderFailed(view, query, ctx) {
  const endpointId = query.get('endpoint_id') || '';
  const after = query.get('after') || '';
  const limit = pageSize(query) === PAGE ? '' : pageSize(query);
  const endpointSel = endpointSelect(ctx, endpointId, 'Endpoint');
  endpointSel.id = 'failed-endpoint';
  endpointSel.addEventListener('change', () => { location.hash = withQuery('#/failed', { endpoint_id: endpointSel.value }); });
  const results = h('div', { class: 'results' });
  const summary = h('span', { class: 'summary', role: 'status', 'aria-live': 'polite', id: 'retry-summary' });
  const retryBtn = h('button', { type: 'button', class: 'primary', id: 'retry-selected', disabled: true, hidden: !!ctx.readOnly }, 'Retry selected');
  fill(view,
    head('Failed deliveries'),
    h('p', { class: 'muted' }, 'Deliveries that used every attempt of the retry schedule, or whose endpoint was disabled.', ctx.readOnly ? null : ' Select some and retry them: each gets an attempt now.'),
    h('div', { class: 'filters' },
      h('label', { for: 'failed-endpoint' }, 'Endpoint', endpointSel),
      h('span', { class: 'grow' }),
      retryBtn),
    h('p', { class: 'summary-line' }, summary),
    h('div', { class: 'panel' }, results));
  const list = await load(ctx, results, withQuery(`${apiBase(ctx)}/deliveries`, { status: 'failed', endpoint_id: endpointId, after, limit: limit || PAGE }));
  if (!list) return;
  if (!list.data.length || ctx.readOnly) {
    retryBtn.hidden = !!ctx.readOnly;
    fill(results, list.data.length ? deliveriesTable(ctx, list.data) : h('p', { class: 'empty muted' }, after ? 'No older failed deliveries.' : 'No failed deliveries.'),
      pager('#/failed', { endpoint_id: endpointId, limit }, after, list.next));
    return;
  }
  const boxes = new Map(); // delivery id -> checkbox
  const all = h('input', { type: 'checkbox', 'aria-label': 'Select all on this page', id: 'select-all' });
  const update = () => {
    const enabled = [...boxes.values()].filter((b) => !b.disabled);
    const n = enabled.filter((b) => b.checked).length;
    retryBtn.disabled = n === 0;
    retryBtn.textContent = n ? `Retry selected (${n})` : 'Retry selected';
    all.checked = enabled.length > 0 && n === enabled.length;
    all.indeterminate = n > 0 && n < enabled.length;
  };
  all.addEventListener('change', () => {
    for (const b of boxes.values()) if (!b.disabled) b.checked = all.checked;
    update();
  });
  const box = (d) => {
    const b = h('input', { type: 'checkbox', value: d.id, 'aria-label': `Select delivery ${d.id}`, onchange: update });
    boxes.set(d.id, b);
    return b;
  };
  const table = deliveriesTable(ctx, list.data, { select: { all, box }, results: true });
  fill(results, table, pager('#/failed', { endpoint_id: endpointId, limit }, after, list.next));
  update();

  retryBtn.onclick = async () => {
    const ids = [...boxes].filter(([, b]) => b.checked && !b.disabled).map(([id]) => id);
    if (!ids.length) return;
    retryBtn.disabled = true;
    for (const id of ids) boxes.get(id).disabled = true;
    summary.textContent = `Retrying ${ids.length}…`;
    const counts = new Map();
    const setResult = (id, code, message) => {
      const cell = table.querySelector(`tr[data-delivery="${CSS.escape(id)}"] td.result`);
      const [kind, text] = RESULT_TEXT[code] || ['bad', message || code];
      cell.dataset.result = code;
      fill(cell, h('span', { class: `badge badge-${kind}` }, text),
        code === 'endpoint_disabled' ? [' ', links.endpoint(ctx, list.data.find((d) => d.id === id).endpoint_id)] : null);
      counts.set(code, (counts.get(code) || 0) + 1);
    };
    let next = 0;
    const worker = async () => {
      while (next < ids.length && ctx.current()) {
        const id = ids[next++];
        try {
          await api('POST', `${apiBase(ctx)}/deliveries/${enc(id)}/retry`);
          setResult(id, 'queued');
        } catch (e) {
          if (e.status === 401) return;
          setResult(id, e.status === 404 ? 'not_found' : e.code, e.message);
          boxes.get(id).disabled = false; // refused: it can be selected again
        }
        boxes.get(id).checked = false;
      }
    };
    await Promise.all(Array.from({ length: Math.min(RETRY_CONCURRENCY, ids.length) }, worker));
    if (!ctx.current()) return;
    const queued = counts.get('queued') || 0;
    const refused = [...counts].filter(([code]) => code !== 'queued')
      .map(([code, n]) => `${n} ${(RESULT_TEXT[code]?.[1] || code).split(':')[0].toLowerCase()}`);
    summary.textContent = `${queued} ${queued === 1 ? 'retry' : 'retries'} queued` +
      (refused.length ? `; not retried: ${refused.join(', ')}.` : '.');
    update();
  };
}
