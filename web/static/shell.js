// What the dashboard and the portal both do around their views: the live transport's indicator,
// an endpoint's short label, the route read from the URL's fragment, the start of a navigation,
// and message and delivery pages that reload when a live entry concerns them.
import { $, fill } from './dom.js';
import { deliveryPage, messagePage } from './pages.js';
import { clearNotice, failed } from './ui.js';

const TRANSPORT_NAMES = { sse: 'SSE', websocket: 'WebSocket', longpoll: 'long-polling' };

/** Shows the live stream's state ({transport, state}) in the header's #transport badge. */
export function showTransport({ transport, state: s }) {
  const el = $('#transport');
  const name = TRANSPORT_NAMES[transport];
  el.dataset.transport = transport;
  el.dataset.state = s;
  $('#transport-text').textContent =
    s === 'live' ? `Live · ${name}` : s === 'connecting' ? `Connecting · ${name}…` : `Reconnecting · ${name}…`;
  el.title = s === 'live' ? `Live updates over ${name}` : `Trying ${name}`;
}

/** host + path of endpoint `id` (from `endpoints`, a Map id -> endpoint), else the id. */
export function endpointLabel(endpoints, id) {
  const ep = endpoints.get(id);
  if (!ep) return id || '—';
  try {
    const u = new URL(ep.url);
    return u.host + u.pathname;
  } catch {
    return ep.url;
  }
}

/** {name, param, query} of "#/name/param?query"; `name` defaults to `home`. */
export function parseHash(home) {
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
  return { name: name || home, param: decoded, query: new URLSearchParams(q < 0 ? '' : hash.slice(q + 1)) };
}

/**
 * Starts a navigation to `view`: its section (#view-<view>) is the one shown, its nav link
 * (`navOf[view]`, else the view) is marked current, the last page's notice and live refresh end,
 * and ctx.current() is true until the next navigation. Returns {nav, section}.
 */
export function beginView(state, ctx, view, navOf) {
  const nav = ++state.nav;
  ctx.current = () => nav === state.nav;
  state.view = view;
  state.viewRefresh = null;
  clearNotice();
  const section = $(`#view-${view}`);
  for (const v of document.querySelectorAll('.view')) v.hidden = v !== section;
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.view === (navOf[view] || view)) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  return { nav, section };
}

/**
 * The message and delivery pages, shown in #view-message and #view-delivery with `ctx` (see
 * pages.js). state: {nav, viewRefresh}: an answer for a page left behind (nav moved on) is
 * dropped, and state.viewRefresh(entries) reloads the open page (a few times a second at most)
 * when a live entry concerns it.
 */
export function livePages(state, ctx) {
  function refreshWhen(refreshOn, show, id, nav) {
    let pending = null;
    state.viewRefresh = (entries) => {
      if (!entries.some(refreshOn) || pending) return;
      pending = setTimeout(() => {
        pending = null;
        if (nav === state.nav) show(id).catch(failed('Reload'));
      }, 300);
    };
  }
  async function showMessage(id) {
    const nav = state.nav;
    const { nodes, refreshOn } = await messagePage(ctx, id);
    if (nav !== state.nav) return;
    fill($('#view-message'), nodes);
    refreshWhen(refreshOn, showMessage, id, nav);
  }
  async function showDelivery(id) {
    const nav = state.nav;
    const { nodes, refreshOn } = await deliveryPage(ctx, id);
    if (nav !== state.nav) return;
    fill($('#view-delivery'), nodes);
    refreshWhen(refreshOn, showDelivery, id, nav);
  }
  return { showMessage, showDelivery };
}
