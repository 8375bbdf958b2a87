// Applications (API.md, "Applications (tenants)") in the dashboard: the list with search and
// paging, "New application", and an application's page: what it is (edit its name and metadata,
// delete it), its last hour's stats, its endpoints and newest messages, its tokens (create,
// shown once; revoke) and a portal link for its customer. app.js routes to these with its
// `ctx` (see lists.js); text from the API is set as text (dom.js).
import { api, withQuery } from './api.js';
import { dateTime, errorState, fill, h } from './dom.js';
import { messagesTable, shortId } from './lists.js';
import { endpointStatus, kv, listenBadge } from './pages.js';
import { copyField, failed, field, notice, openDialog } from './ui.js';

const PAGE = 50;
const DEFAULT_APP = 'app_default';
const enc = encodeURIComponent;
const appPath = (id, rest = '') => `/api/v1/apps/${enc(id)}${rest}`;

/** {key: value} from "key=value" lines (or a JSON object); throws on anything else. */
function parseMetadata(text) {
  const t = text.trim();
  if (!t) return {};
  if (t.startsWith('{')) {
    let obj;
    try {
      obj = JSON.parse(t);
    } catch {
      throw new Error('Metadata: not valid JSON.');
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new Error('Metadata: a JSON object of strings.');
    return obj;
  }
  const out = {};
  for (const line of t.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`Metadata: “${line.slice(0, 40)}” is not key=value.`);
    out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

const metadataText = (m) => Object.entries(m || {}).map(([k, v]) => `${k}=${v}`).join('\n');

function metadataView(m) {
  const entries = Object.entries(m || {});
  if (!entries.length) return h('span', { class: 'muted' }, 'none');
  return h('dl', { class: 'kv meta' }, entries.map(([k, v]) => [h('dt', { class: 'mono' }, k), h('dd', { class: 'mono' }, v)]));
}

function appFields(app) {
  const name = h('input', { type: 'text', required: true, maxlength: 256, value: app?.name || '', autocomplete: 'off' });
  const uid = h('input', { type: 'text', maxlength: 64, pattern: '[A-Za-z0-9._\\-]{1,64}', class: 'mono', autocomplete: 'off', placeholder: 'acme-corp' });
  const metadata = h('textarea', { rows: 3, class: 'mono', placeholder: 'plan=pro\nregion=eu' });
  metadata.value = metadataText(app?.metadata);
  const fields = [field('Name', name),
    app ? null : field('UID', uid, 'Optional: your own id for this customer (A-Z, a-z, 0-9, “.”, “_”, “-”; not starting with app_).'),
    field('Metadata', metadata, 'Optional: one key=value per line.')];
  const read = () => {
    const body = { name: name.value.trim(), metadata: parseMetadata(metadata.value) };
    if (!app && uid.value.trim()) body.uid = uid.value.trim();
    return body;
  };
  return { fields, read };
}

export function newApplication() {
  const { fields, read } = appFields(null);
  openDialog({ title: 'New application', okLabel: 'Create', fields, onSubmit: async () => {
    const app = await api('POST', '/api/v1/apps', read());
    location.hash = `#/apps/${enc(app.id)}`;
    setTimeout(() => notice(`Application “${app.name}” created.`), 0);
  } });
}

// ------------------------------------------------------------------ the list

export async function renderApps(view, query, ctx) {
  const search = query.get('search') || '';
  const after = query.get('after') || '';
  const input = h('input', { type: 'search', id: 'apps-q', name: 'search', value: search, 'aria-label': 'Search applications', placeholder: 'Name or uid (prefix), or an app_ id', autocomplete: 'off', spellcheck: false });
  const results = h('div', { class: 'results' });
  fill(view,
    h('div', { class: 'view-head' }, h('h1', {}, 'Applications'),
      h('button', { type: 'button', class: 'primary', id: 'app-new', onclick: newApplication }, 'New application')),
    h('p', { class: 'muted' }, 'Each customer you send webhooks to is an application, with its own endpoints, messages and deliveries.'),
    h('form', { class: 'filters', role: 'search', onsubmit: (ev) => {
      ev.preventDefault();
      location.hash = withQuery('#/apps', { search: input.value.trim() });
    } },
    h('label', { for: 'apps-q', class: 'grow' }, 'Search', input),
    h('button', { type: 'submit', class: 'primary' }, 'Search'),
    search ? h('a', { href: '#/apps' }, 'Clear') : null),
    h('div', { class: 'panel' }, results));
  fill(results, h('p', { class: 'muted' }, 'Loading…'));
  let list;
  try {
    list = await api('GET', withQuery('/api/v1/apps', { search, after, limit: PAGE }));
  } catch (e) {
    if (ctx.current() && e.status !== 401) fill(results, errorState(e, { what: 'list' }));
    return;
  }
  if (!ctx.current()) return;
  const rows = list.data.map((a) => h('tr', { dataset: { app: a.id } },
    h('td', { class: 'type-cell' }, h('a', { href: `#/apps/${enc(a.id)}`, class: 'app-name' }, a.name)),
    h('td', { class: 'mono', dataset: { label: 'UID' } }, a.uid ?? h('span', { class: 'muted' }, '—')),
    h('td', { class: 'mono id', dataset: { label: 'Id' }, title: a.id }, a.id),
    h('td', { class: 'nowrap', dataset: { label: 'Created' } }, dateTime(a.created_at))));
  fill(results,
    rows.length
      ? h('div', { class: 'scroll-x' }, h('table', { class: 'data list', id: 'apps' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'UID'), h('th', { scope: 'col' }, 'Id'), h('th', { scope: 'col' }, 'Created'))),
        h('tbody', {}, rows)))
      : h('p', { class: 'empty muted' }, search ? `No application matches “${search}”.` : 'No applications yet.'),
    after || list.next ? h('nav', { class: 'pager', 'aria-label': 'Pages' },
      after ? h('a', { href: withQuery('#/apps', { search }), 'data-page': 'first' }, '← Newest') : h('span'),
      list.next ? h('a', { href: withQuery('#/apps', { search, after: list.next }), 'data-page': 'next', rel: 'next' }, 'Older →') : null) : null);
}

// ------------------------------------------------------------------ one application

function statsPanel(stats) {
  const d = stats.deliveries || {};
  const cell = (label, value, kind) => h('div', { class: `counter ${kind || ''}`, dataset: { stat: label.toLowerCase() } },
    h('span', { class: 'label' }, label), h('span', { class: 'value' }, String(value ?? 0)));
  return h('div', { class: 'counters app-stats' },
    cell('Messages', stats.messages),
    cell('Succeeded', d.succeeded, 'ok'),
    cell('Retrying', (d.retrying ?? 0) + (d.pending ?? 0), 'warn'),
    cell('Failed', d.failed, 'bad'));
}

function endpointsTable(list) {
  if (!list.length) return h('p', { class: 'muted' }, 'No endpoints yet.');
  return h('div', { class: 'scroll-x' }, h('table', { class: 'data list', id: 'app-endpoints' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'URL'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Subscribes to'))),
    h('tbody', {}, list.map((ep) => h('tr', { dataset: { endpoint: ep.id } },
      h('td', { class: 'type-cell' }, h('a', { href: `#/endpoints/${enc(ep.id)}`, class: 'mono', title: ep.url }, ep.url),
        ep.description ? h('div', { class: 'muted small' }, ep.description) : null, listenBadge(ep)),
      h('td', { dataset: { label: 'Status' } }, endpointStatus(ep)),
      h('td', { class: 'small', dataset: { label: 'Subscribes to' } }, ep.event_types.length ? ep.event_types.join(', ') : 'all event types'))))));
}

const KIND_NAMES = { token: 'API token', portal: 'Portal session' };

function tokenState(t) {
  if (t.revoked_at) return h('span', { class: 'badge badge-bad' }, 'revoked');
  if (t.expires_at && Date.parse(t.expires_at) <= Date.now()) return h('span', { class: 'badge badge-neutral' }, 'expired');
  return h('span', { class: 'badge badge-ok' }, 'active');
}

function tokensTable(app, list, reload) {
  if (!list.length) return h('p', { class: 'muted' }, 'No tokens yet.');
  return h('div', { class: 'scroll-x' }, h('table', { class: 'data list', id: 'app-tokens' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Kind'), h('th', { scope: 'col' }, 'State'),
      h('th', { scope: 'col' }, 'Created'), h('th', { scope: 'col' }, 'Expires'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
    h('tbody', {}, list.map((t) => h('tr', { dataset: { token: t.id, kind: t.kind || 'token' } },
      h('td', { class: 'type-cell' }, t.name || h('span', { class: 'muted' }, '(no name)'), ' ', h('span', { class: 'muted small mono', title: t.id }, shortId(t.id))),
      h('td', { dataset: { label: 'Kind' }, class: 'kind' }, KIND_NAMES[t.kind] || t.kind || KIND_NAMES.token),
      h('td', { dataset: { label: 'State' } }, tokenState(t)),
      h('td', { class: 'nowrap', dataset: { label: 'Created' } }, dateTime(t.created_at)),
      h('td', { class: 'nowrap', dataset: { label: 'Expires' } }, t.expires_at ? dateTime(t.expires_at) : 'never'),
      h('td', { class: 'actions' }, t.revoked_at ? null : h('button', { type: 'button', class: 'small', dataset: { revoke: t.id }, onclick: () => revokeToken(app, t, reload) }, 'Revoke')))))));
}

function newToken(app, reload) {
  const name = h('input', { type: 'text', maxlength: 100, autocomplete: 'off', placeholder: 'CI deploy' });
  const hours = h('input', { type: 'number', min: 1, step: 1, placeholder: 'never' });
  openDialog({
    title: `New token for “${app.name}”`, okLabel: 'Create',
    fields: [h('p', { class: 'muted' }, 'A token works on this application’s routes under /api/v1/apps/… and its status stream only.'),
      field('Name', name), field('Expires after (hours)', hours, 'Empty: it never expires (revoke it when done).')],
    onSubmit: async () => {
      const body = {};
      if (name.value.trim()) body.name = name.value.trim();
      if (hours.value !== '') body.expires_in = Math.round(Number(hours.value) * 3600);
      const t = await api('POST', appPath(app.id, '/tokens'), body);
      await reload();
      setTimeout(() => openDialog({ title: 'Token created', okLabel: null, fields: [
        h('p', {}, 'Copy the token now: it is shown only this once (hookd keeps only its hash).'),
        copyField('Token', t.token),
        h('p', { class: 'muted small' }, t.expires_at ? ['Expires ', dateTime(t.expires_at), '.'] : 'It does not expire.'),
      ] }), 0);
    },
  });
}

function revokeToken(app, t, reload) {
  openDialog({
    title: 'Revoke the token?', okLabel: 'Revoke',
    fields: [h('p', {}, 'Requests with ', h('strong', {}, t.name || t.id), ' are refused from the next one on. This cannot be undone.')],
    onSubmit: async () => {
      await api('DELETE', appPath(app.id, `/tokens/${enc(t.id)}`));
      await reload();
      notice('Token revoked.');
    },
  });
}

function portalLink(app) {
  const hours = h('input', { type: 'number', id: 'portal-hours', min: 0.01, max: 168, step: 'any', value: 1, required: true });
  const readOnly = h('input', { type: 'checkbox', id: 'portal-read-only' });
  openDialog({
    title: `Portal link for “${app.name}”`, okLabel: 'Create link',
    fields: [
      h('p', { class: 'muted' }, 'A one-time link to a page where this application’s customer manages its endpoints and sees its messages and deliveries. Opening it uses it up; send it over a trusted channel.'),
      field('Link valid for (hours)', hours, 'The session it opens ends then too; at most 168 hours (7 days).'),
      h('div', { class: 'field check' }, h('label', { for: 'portal-read-only' }, readOnly, ' Read-only (no changes, no retries)')),
    ],
    onSubmit: async () => {
      const expires = Math.max(1, Math.round(Number(hours.value) * 3600));
      const r = await api('POST', appPath(app.id, '/portal'), { expires_in: expires, read_only: readOnly.checked });
      setTimeout(() => openDialog({ title: 'Portal link', okLabel: null, fields: [
        h('p', {}, 'Open it once, as a link or in an iframe. It is shown only now.'),
        copyField('URL', r.url),
        h('p', { class: 'muted small', id: 'portal-link-info' }, r.read_only ? 'Read-only. ' : 'Full access to the application’s endpoints. ', 'Valid until ', dateTime(r.expires_at), '.'),
      ] }), 0);
    },
  });
}

function editApp(app, reload) {
  const { fields, read } = appFields(app);
  openDialog({ title: 'Edit application', okLabel: 'Save', fields, onSubmit: async () => {
    await api('PATCH', appPath(app.id), read());
    await reload();
    notice('Application saved.');
  } });
}

function deleteApp(app) {
  openDialog({
    title: `Delete “${app.name}”?`, okLabel: 'Delete',
    fields: [h('p', {}, 'Its endpoints and sources are deleted at once and nothing more is delivered to them; its messages, deliveries and tokens are removed in the background. This cannot be undone.')],
    onSubmit: async () => {
      await api('DELETE', appPath(app.id));
      location.hash = '#/apps';
      setTimeout(() => notice(`Application “${app.name}” deleted.`), 0);
    },
  });
}

/** The page of application `id` (an id or uid). */
export async function renderApp(view, id, ctx) {
  const app = await api('GET', appPath(id));
  const [stats, endpoints, messages, tokens] = await Promise.all([
    api('GET', appPath(app.id, '/stats')).catch((e) => e),
    api('GET', appPath(app.id, '/endpoints?limit=100')).catch((e) => e),
    api('GET', appPath(app.id, '/messages?limit=10')).catch((e) => e),
    api('GET', appPath(app.id, '/tokens?limit=100')).catch((e) => e),
  ]);
  if (!ctx.current()) return;
  const reload = () => (ctx.current() ? renderApp(view, app.id, ctx).catch(failed('Reload')) : null);
  const part = (r, ok) => (r instanceof Error ? errorState(r, { what: 'list' }) : ok(r));
  fill(view,
    h('p', { class: 'back' }, h('a', { href: '#/apps' }, '← Applications')),
    h('div', { class: 'view-head' }, h('h1', {}, 'Application ', h('span', { class: 'app-title' }, app.name)),
      h('span', { class: 'head-actions' },
        h('button', { type: 'button', id: 'app-portal', class: 'primary', onclick: () => portalLink(app) }, 'Portal link'),
        h('button', { type: 'button', id: 'app-edit', onclick: () => editApp(app, reload) }, 'Edit'),
        app.id === DEFAULT_APP ? null : h('button', { type: 'button', id: 'app-delete', class: 'danger', onclick: () => deleteApp(app) }, 'Delete'))),
    h('div', { class: 'panel', id: 'app-info' }, kv([
      ['Name', h('span', { id: 'app-name' }, app.name)],
      ['UID', app.uid ? h('code', { id: 'app-uid' }, app.uid) : h('span', { class: 'muted' }, 'none')],
      ['Id', h('code', { id: 'app-id' }, app.id)],
      ['Metadata', metadataView(app.metadata)],
      ['Created', dateTime(app.created_at)],
      ['Updated', dateTime(app.updated_at)],
    ])),
    h('h2', {}, 'Last hour'),
    part(stats, statsPanel),
    h('div', { class: 'section-head' }, h('h2', {}, 'Endpoints'),
      h('a', { href: withQuery('#/deliveries', { app_id: app.id }) }, 'Its deliveries →')),
    h('div', { class: 'panel' }, part(endpoints, (l) => [endpointsTable(l.data), l.next ? h('p', { class: 'small muted' }, 'The first 100 are shown.') : null])),
    h('div', { class: 'section-head' }, h('h2', {}, 'Recent messages'),
      h('a', { href: withQuery('#/messages', { app_id: app.id }) }, 'All its messages →')),
    h('div', { class: 'panel', id: 'app-messages' }, part(messages, (l) => (l.data.length ? messagesTable(ctx, l.data) : h('p', { class: 'muted' }, 'No messages yet.')))),
    h('div', { class: 'section-head' }, h('h2', {}, 'Tokens'),
      h('button', { type: 'button', id: 'token-new', class: 'small', onclick: () => newToken(app, reload) }, 'New token')),
    h('div', { class: 'panel' }, part(tokens, (l) => tokensTable(app, l.data, reload))));
}
