// Small DOM helpers. Every string a caller passes becomes a text node or a property value:
// nothing here parses HTML, so text from providers and receivers is always shown as text.

/** h('a', {href, class: 'x', onclick}, 'text', child, [more]) -> element. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

export const $ = (sel, root = document) => root.querySelector(sel);

/** Replaces el's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** "14:03:07" in local time, with the full UTC time as a tooltip. */
export function time(iso) {
  if (!iso) return h('span', {}, '—');
  const d = new Date(iso);
  return h('time', { datetime: iso, title: iso }, d.toLocaleTimeString([], { hour12: false }));
}

export function dateTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return h('time', { datetime: iso, title: iso },
    d.toLocaleDateString([], { year: 'numeric', month: 'short', day: 'numeric' }) + ' ' +
      d.toLocaleTimeString([], { hour12: false }));
}

const STATUS_CLASS = {
  succeeded: 'ok', pending: 'neutral', retrying: 'warn', failed: 'bad', attempted: 'neutral',
  received: 'neutral', enabled: 'ok', disabled: 'bad',
};

export function badge(status) {
  return h('span', { class: `badge badge-${STATUS_CLASS[status] || 'neutral'}` }, status);
}

/** Copies text; falls back to a selected hidden textarea where the Clipboard API is missing. */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const ta = h('textarea', { class: 'offscreen', readonly: true });
    ta.value = text;
    document.body.appendChild(ta);
    ta.select();
    const ok = document.execCommand('copy');
    ta.remove();
    return ok;
  }
}

/** Pretty-prints JSON text; other text is returned as it is. */
export function prettyBody(text) {
  if (typeof text !== 'string') return JSON.stringify(text, null, 2);
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

const WHAT = { message: 'message', delivery: 'delivery', event: 'event', endpoint: 'endpoint', list: 'list', app: 'application' };

/**
 * What a page shows when it cannot show its subject: "not found" for a 404 (the id is wrong, or
 * retention pruned it), else the API's error. e: an error with status, code and message.
 */
export function errorState(e, { what = 'page', id = '' } = {}) {
  const noun = WHAT[what] || what;
  if (e && e.status === 404) {
    return h('div', { class: 'panel state state-missing', dataset: { state: 'not-found' } },
      h(what === 'list' ? 'h2' : 'h1', {}, `${noun[0].toUpperCase()}${noun.slice(1)} not found`),
      h('p', {}, 'No ', noun, ' has the id ', h('code', {}, id || '(none)'), '.'),
      h('p', { class: 'muted' }, 'Check the id; an old one may have been pruned by retention (HOOKD_RETENTION).'),
      h('p', {}, h('a', { href: '#/messages' }, 'Search messages'), ' · ', h('a', { href: '#/deliveries' }, 'Search deliveries')));
  }
  return h('div', { class: 'panel state state-error', dataset: { state: 'error' }, role: 'alert' },
    h(what === 'list' ? 'h2' : 'h1', {}, `Could not load the ${noun}`),
    h('p', {}, e?.message || String(e), e?.code && e.code !== 'error' ? h('span', { class: 'muted' }, ` (${e.code}${e.status ? `, HTTP ${e.status}` : ''})`) : null),
    h('p', {}, h('button', { type: 'button', onclick: () => window.dispatchEvent(new HashChangeEvent('hashchange')) }, 'Try again')));
}
