// The pieces of page furniture the dashboard and the portal share: a notice line, the one modal
// dialog (#dialog in the page) with its fields, copyable read-only values and a secret shown
// once. Every string is set as text (dom.js).
import { ApiError } from './api.js';
import { $, copyText, fill, h } from './dom.js';

// A notice belongs to the page it was shown on: navigating elsewhere clears it (the pages' route()).
let noticeTimer = null;
export function clearNotice() {
  clearTimeout(noticeTimer);
  $('#notice').hidden = true;
  fill($('#notice'));
}

export function notice(text, kind = 'info') {
  const el = $('#notice');
  el.className = `notice notice-${kind}`;
  fill(el, h('span', {}, text), h('button', { type: 'button', class: 'ghost small', onclick: () => { el.hidden = true; } }, 'Dismiss'));
  el.hidden = false;
  clearTimeout(noticeTimer);
  if (kind !== 'error') noticeTimer = setTimeout(() => { el.hidden = true; }, 6000);
}

export function failed(what) {
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
export function openDialog({ title, fields, okLabel = 'Save', onSubmit }) {
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

export function field(label, input, hint) {
  const id = input.id || `f-${Math.random().toString(36).slice(2)}`;
  input.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, hint ? h('small', { class: 'muted' }, hint) : null);
}

export function copyField(label, value) {
  const input = h('input', { type: 'text', readonly: true, value, class: 'mono' });
  const btn = h('button', { type: 'button', onclick: async () => {
    btn.textContent = (await copyText(value)) ? 'Copied' : 'Copy failed';
    setTimeout(() => { btn.textContent = 'Copy'; }, 1500);
  } }, 'Copy');
  return field(label, h('span', { class: 'copy-row' }, input, btn));
}

export function showSecret(title, secret, extra) {
  openDialog({ title, okLabel: null, fields: [
    h('p', {}, 'Store this secret now; it signs every request. It stays visible to admins in the API.'),
    copyField('Secret', secret), extra || null,
  ] });
}
