// Endpoints, messages and deliveries as the dashboard and the portal both show them: an endpoint's
// row and its actions (edit, disable or enable, rotate the secret, recover, send a test message),
// the endpoint form, a delivery's panel with its attempts and retry, and the message and delivery
// pages. `ctx` says where they are:
//   base           the API prefix: '/api/v1' (the admin's view of every application) or
//                  '/api/v1/apps/<app id>' (one application's, the portal)
//   readOnly       leave out every control that changes something
//   events         whether event pages exist (#/events/…; the dashboard's, not the portal's)
//   state          {endpoints: Map id -> endpoint, sources: Map id -> source}
//   endpointLabel(id), reloadEndpoints(), current(): as lists.js takes them
//   onEndpointsChanged()  called after an action changed an endpoint (re-renders)
//   eventTypes()   optional: resolves to the event types to offer when subscribing
// Every string from the API is set as text (dom.js).
import { api } from './api.js';
import { badge, dateTime, h, prettyBody, time } from './dom.js';
import { links, shortId } from './lists.js';
import { copyField, failed, field, notice, openDialog, showSecret } from './ui.js';

const enc = encodeURIComponent;

export const splitList = (text) => text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);

export function kv(pairs) {
  return h('dl', { class: 'kv' }, pairs.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

const endpointPath = (ctx, id, action = '') => `${ctx.base}/endpoints/${enc(id)}${action ? `/${action}` : ''}`;

// ------------------------------------------------------------------ endpoints

export function endpointStatus(ep) {
  if (ep.disabled) return [badge('disabled'), ep.disabled_reason ? h('div', { class: 'muted small' }, ep.disabled_reason) : null];
  if (ep.circuit && ep.circuit !== 'closed') return [badge('retrying'), h('div', { class: 'muted small' }, `circuit ${ep.circuit.replace('_', '-')}`)];
  return [badge('enabled'), ep.failing_since ? h('div', { class: 'muted small' }, 'failing since ', time(ep.failing_since)) : null];
}

/** A `hookd listen` endpoint (kind cli) says so: it lives while its command is connected. */
export function listenBadge(ep) {
  if (ep.kind !== 'cli') return null;
  return h('div', {}, h('span', { class: 'badge', title: 'A temporary endpoint of a connected `hookd listen`: removed when the command stops' }, 'hookd listen'));
}

/** The row of an endpoints table: URL, status, subscriptions, created, actions. */
export function endpointRow(ctx, ep) {
  const sources = ctx.state.sources;
  // data-label and the classes let a narrow screen show the row as a card (table.list, style.css).
  return h('tr', { dataset: { endpoint: ep.id } },
    h('td', { class: 'type-cell' }, h('a', { href: `#/endpoints/${enc(ep.id)}`, class: 'mono ellipsis wide', title: ep.url }, ep.url),
      ep.description ? h('div', { class: 'muted small' }, ep.description) : null, listenBadge(ep)),
    h('td', { dataset: { label: 'Status' } }, endpointStatus(ep)),
    h('td', { class: 'small', dataset: { label: 'Subscribes to' } },
      ep.event_types.length ? ep.event_types.join(', ') : 'all event types',
      sources ? [h('br'), h('span', { class: 'muted' }, ep.source_ids.length ? ep.source_ids.map((id) => sources.get(id)?.name || id).join(', ') : 'from all sources')] : null),
    h('td', { class: 'nowrap', dataset: { label: 'Created' } }, dateTime(ep.created_at)),
    h('td', { class: 'actions' }, endpointActions(ctx, ep)));
}

/** The buttons that act on an endpoint (none when read-only). */
export function endpointActions(ctx, ep, { test = false } = {}) {
  if (ctx.readOnly) return null;
  return [
    test ? h('button', { type: 'button', class: 'small', dataset: { action: 'test' }, onclick: () => sendTest(ctx, ep) }, 'Send test') : null,
    h('button', { type: 'button', class: 'small', dataset: { action: 'edit' }, onclick: () => editEndpoint(ctx, ep) }, 'Edit'),
    ep.disabled
      ? h('button', { type: 'button', class: 'small', dataset: { action: 'enable' }, onclick: () => setEnabled(ctx, ep, true) }, 'Enable')
      : h('button', { type: 'button', class: 'small', dataset: { action: 'disable' }, onclick: () => setEnabled(ctx, ep, false) }, 'Disable'),
    h('button', { type: 'button', class: 'small', dataset: { action: 'rotate' }, onclick: () => rotateEndpointSecret(ctx, ep) }, 'Rotate secret'),
    h('button', { type: 'button', class: 'small', dataset: { action: 'recover' }, onclick: () => recoverEndpoint(ctx, ep) }, 'Recover'),
  ];
}

function endpointFields(ctx, ep, eventTypes = []) {
  const sourceMap = ctx.state.sources;
  const url = h('input', { type: 'url', required: true, value: ep?.url || '', class: 'mono', placeholder: 'https://example.com/webhooks' });
  const description = h('input', { type: 'text', value: ep?.description || '', maxlength: 1000 });
  const listId = `event-types-${Math.random().toString(36).slice(2)}`;
  const types = h('input', { type: 'text', value: ep?.event_types?.join(', ') || '', class: 'mono', placeholder: 'invoice.*, customer.created' });
  const sources = sourceMap ? h('select', { multiple: true, size: Math.min(5, Math.max(2, sourceMap.size)) },
    [...sourceMap.values()].map((s) => h('option', { value: s.id, selected: ep?.source_ids?.includes(s.id) }, `${s.name} (${s.provider})`))) : null;
  const rate = h('input', { type: 'number', min: 1, max: 100000, value: ep?.rate_limit_per_second ?? '' });
  // The event types seen so far, offered one click each (added to the comma list).
  const known = eventTypes.length ? h('div', { class: 'chips', role: 'group', 'aria-label': 'Event types seen' },
    eventTypes.map((t) => h('button', { type: 'button', class: 'chip small', onclick: () => {
      const now = splitList(types.value);
      if (!now.includes(t)) types.value = [...now, t].join(', ');
    } }, t))) : null;
  if (eventTypes.length) types.setAttribute('list', listId);
  const fields = [field('URL', url), field('Description', description),
    field('Event types', types, 'Comma-separated; empty means all. invoice.* matches a prefix.'),
    known, eventTypes.length ? h('datalist', { id: listId }, eventTypes.map((t) => h('option', { value: t }))) : null,
    sources ? field('Sources', sources, 'None selected means all sources.') : null,
    field('Rate limit (per second)', rate, 'Empty: no limit.')];
  const read = () => {
    const body = { url: url.value.trim(), description: description.value, event_types: splitList(types.value) };
    if (sources) body.source_ids = [...sources.selectedOptions].map((o) => o.value);
    if (rate.value !== '') body.rate_limit_per_second = Number(rate.value);
    else if (ep && ep.rate_limit_per_second != null) body.rate_limit_per_second = null;
    return body;
  };
  return { fields, read };
}

async function knownTypes(ctx) {
  if (!ctx.eventTypes) return [];
  try {
    return await ctx.eventTypes();
  } catch {
    return [];
  }
}

export async function newEndpoint(ctx) {
  const { fields, read } = endpointFields(ctx, null, await knownTypes(ctx));
  openDialog({ title: 'New endpoint', okLabel: 'Create', fields, onSubmit: async () => {
    const ep = await api('POST', `${ctx.base}/endpoints`, read());
    await ctx.onEndpointsChanged();
    setTimeout(() => showSecret('Endpoint created', ep.secret), 0);
  } });
}

export async function editEndpoint(ctx, ep) {
  const { fields, read } = endpointFields(ctx, ep, await knownTypes(ctx));
  openDialog({ title: 'Edit endpoint', okLabel: 'Save', fields, onSubmit: async () => {
    await api('PATCH', endpointPath(ctx, ep.id), read());
    await ctx.onEndpointsChanged();
    notice('Endpoint saved.');
  } });
}

async function setEnabled(ctx, ep, enable) {
  try {
    await api('POST', endpointPath(ctx, ep.id, enable ? 'enable' : 'disable'));
    await ctx.onEndpointsChanged();
    notice(enable ? 'Endpoint enabled.' : 'Endpoint disabled: its queued deliveries end failed; recover them after enabling.');
  } catch (e) {
    failed(enable ? 'Enable' : 'Disable')(e);
  }
}

function rotateEndpointSecret(ctx, ep) {
  const grace = h('input', { type: 'number', min: 0, value: 86400 });
  openDialog({
    title: 'Rotate the endpoint’s secret', okLabel: 'Rotate',
    fields: [h('p', { class: 'mono ellipsis' }, ep.url), field('Grace (seconds)', grace, 'Both secrets sign requests this long.')],
    onSubmit: async () => {
      const r = await api('POST', endpointPath(ctx, ep.id, 'rotate-secret'), { grace_seconds: Number(grace.value) });
      await ctx.onEndpointsChanged();
      setTimeout(() => showSecret('Secret rotated', r.secret), 0);
    },
  });
}

function recoverEndpoint(ctx, ep) {
  const local = new Date(Date.now() - 24 * 3600_000 - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
  const since = h('input', { type: 'datetime-local', required: true, value: local });
  openDialog({
    title: 'Recover failed deliveries', okLabel: 'Re-queue',
    fields: [h('p', { class: 'mono ellipsis' }, ep.url), field('Failed since (local time)', since)],
    onSubmit: async () => {
      const r = await api('POST', endpointPath(ctx, ep.id, 'recover'), { since: new Date(since.value).toISOString() });
      notice(`${r.requeued} failed ${r.requeued === 1 ? 'delivery' : 'deliveries'} re-queued.`);
    },
  });
}

/** "Send test message": POST …/endpoints/{id}/test {event_type?} -> 202 {id, event_type, deliveries}. */
async function sendTest(ctx, ep) {
  const types = await knownTypes(ctx);
  const type = h('input', { type: 'text', class: 'mono', placeholder: ep.event_types.find((t) => !t.endsWith('*')) || 'webhook.test', autocomplete: 'off' });
  const listId = `test-types-${Math.random().toString(36).slice(2)}`;
  if (types.length) type.setAttribute('list', listId);
  openDialog({
    title: 'Send a test message', okLabel: 'Send',
    fields: [h('p', { class: 'mono ellipsis' }, ep.url),
      field('Event type', type, 'Leave empty for the default test type.'),
      types.length ? h('datalist', { id: listId }, types.map((t) => h('option', { value: t }))) : null],
    onSubmit: async () => {
      const body = type.value.trim() ? { event_type: type.value.trim() } : {};
      const r = await api('POST', endpointPath(ctx, ep.id, 'test'), body);
      notice(`Test message ${r.id} (${r.event_type}) sent.`);
      if (ctx.onTestSent) ctx.onTestSent(r);
    },
  });
}

// ------------------------------------------------------------------ deliveries

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

// After a manual retry was accepted: waits for its one attempt and says how it ended, on the
// page it was asked from only (a notice ends with its page).
async function reportManualRetry(ctx, id, attemptsBefore) {
  const current = ctx.current || (() => true); // the page the retry was asked from
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    if (!current()) return;
    const d = await api('GET', `${ctx.base}/deliveries/${enc(id)}`);
    if (!current()) return;
    if (d.manual_retry || d.in_flight || d.attempts.length <= attemptsBefore) continue;
    const a = d.attempts[d.attempts.length - 1];
    const answer = a.response_status ?? (a.error || 'no answer');
    if (d.status === 'succeeded' && a.response_status >= 200 && a.response_status < 300) notice(`Retry succeeded (${answer}).`);
    else notice(`Retry failed (${answer}): the delivery stays ${d.status}${d.status === 'retrying' && d.next_attempt_at ? `, next attempt at ${new Date(d.next_attempt_at).toLocaleTimeString([], { hour12: false })}` : ''}.`, 'error');
    return;
  }
}

/** Adds to a delivery panel the links to its own page and to its endpoint's. */
function withDeliveryLinks(ctx, panel, d) {
  const line = h('p', { class: 'delivery-links small muted' },
    'Delivery ', links.delivery(d.id, d.id), ' to ', links.endpoint(ctx, d.endpoint_id));
  panel.insertBefore(line, panel.children[1] || null);
  return panel;
}

export function deliveryPanel(ctx, d) {
  const ep = ctx.state.endpoints.get(d.endpoint_id);
  const held = d.waiting === 'circuit_open' || d.waiting === 'circuit_half_open';
  const retry = h('button', { type: 'button', class: d.status === 'succeeded' ? 'small' : 'primary small', dataset: { retry: d.id }, disabled: held,
    title: held ? 'The endpoint\'s circuit is open: nothing is sent to it until it closes' : 'One attempt now; if it fails the delivery stays as it is', onclick: async () => {
    retry.disabled = true;
    try {
      const queued = await api('POST', `${ctx.base}/deliveries/${enc(d.id)}/retry`);
      notice('One attempt queued; its result will show here.');
      reportManualRetry(ctx, d.id, d.attempts.length).catch(failed('Retry'));
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
      ctx.readOnly || d.status === 'pending' || d.in_flight || d.manual_retry ? null : retry),
    d.attempts.length
      ? h('div', { class: 'scroll-x' }, h('table', { class: 'data attempts' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col', class: 'num' }, '#'), h('th', { scope: 'col' }, 'Started'),
          h('th', { scope: 'col', class: 'num' }, 'Duration'), h('th', { scope: 'col', class: 'num' }, 'Response'), h('th', { scope: 'col' }, 'Error / body'))),
        h('tbody', {}, attempts)))
      : h('p', { class: 'muted small' }, 'No attempt yet.'));
}

// ------------------------------------------------------------------ message and delivery pages

/**
 * A message's page: what it is, every delivery with its attempts, the payload. Resolves to
 * {nodes, refreshOn(entry)}: refreshOn tells which live entries concern the page.
 */
export async function messagePage(ctx, id, { back = ['#/messages', '← Messages'] } = {}) {
  const msg = await api('GET', `${ctx.base}/messages/${enc(id)}`);
  const deliveries = await Promise.all(msg.deliveries.map((d) => api('GET', `${ctx.base}/deliveries/${enc(d.id)}`)));
  if (deliveries.some((d) => !ctx.state.endpoints.has(d.endpoint_id))) await ctx.reloadEndpoints().catch(() => {});
  const sources = ctx.state.sources;
  const source = msg.source_id && sources ? sources.get(msg.source_id) : null;
  const endpointIds = [...new Set(deliveries.map((d) => d.endpoint_id))];
  const nodes = [
    h('p', { class: 'back' }, h('a', { href: back[0] }, back[1])),
    h('div', { class: 'view-head' }, h('h1', {}, 'Message ', h('span', { class: 'type' }, msg.event_type))),
    h('div', { class: 'panel' }, kv([
      ['Message', h('code', {}, msg.id)],
      ['Created', dateTime(msg.created_at)],
      sources ? ['Source', source ? source.name : msg.source_id || '— (sent through the API)'] : null,
      ctx.events && msg.event_id ? ['Event', h('a', { href: `#/events/${enc(msg.event_id)}`, id: 'message-event' }, msg.event_id)] : null,
      ctx.apps && msg.app_id ? ['Application', h('a', { href: `#/apps/${enc(msg.app_id)}`, class: 'mono' }, msg.app_id)] : null,
      endpointIds.length ? ['Endpoints', h('span', { class: 'link-list' }, endpointIds.map((e) => links.endpoint(ctx, e)))] : null,
    ])),
    h('h2', {}, `Deliveries (${deliveries.length})`),
    deliveries.length ? deliveries.map((d) => withDeliveryLinks(ctx, deliveryPanel(ctx, d), d)) : h('p', { class: 'muted' }, 'No endpoint subscribed to this message.'),
    h('h2', {}, 'Payload'),
    h('pre', { class: 'body' }, prettyBody(msg.payload)),
  ];
  return { nodes, refreshOn: (e) => e.data && e.data.message_id === id };
}

/** A delivery's page: its message, endpoint, status and every attempt. */
export async function deliveryPage(ctx, id, { back = ['#/deliveries', '← Deliveries'] } = {}) {
  const d = await api('GET', `${ctx.base}/deliveries/${enc(id)}`);
  // The message names the event type and the event; a pruned one leaves the delivery readable.
  const msg = await api('GET', `${ctx.base}/messages/${enc(d.message_id)}`).catch(() => null);
  if (!ctx.state.endpoints.has(d.endpoint_id)) await ctx.reloadEndpoints().catch(() => {});
  const nodes = [
    h('p', { class: 'back' }, h('a', { href: back[0] }, back[1])),
    h('div', { class: 'view-head' }, h('h1', {}, 'Delivery ', h('span', { class: 'type' }, msg ? msg.event_type : shortId(d.id)))),
    h('div', { class: 'panel' }, kv([
      ['Delivery', h('code', {}, d.id)],
      ['Message', h('a', { href: `#/messages/${enc(d.message_id)}`, id: 'delivery-message', class: 'mono' }, d.message_id)],
      ctx.events && msg && msg.event_id ? ['Event', links.event(msg.event_id, msg.event_id)] : null,
      ['Endpoint', h('span', { id: 'delivery-endpoint' }, links.endpoint(ctx, d.endpoint_id))],
      ['Created', dateTime(d.created_at)],
      ['Updated', dateTime(d.updated_at)],
    ])),
    h('h2', {}, 'Status and attempts'),
    deliveryPanel(ctx, d),
  ];
  return { nodes, refreshOn: (e) => e.data && e.data.delivery_id === id };
}

/** The endpoint's secret, as a copyable field (for an endpoint's page). */
export function secretField(ep) {
  return copyField('Signing secret', ep.secret);
}
