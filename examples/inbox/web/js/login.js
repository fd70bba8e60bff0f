// The login page. Demo mode: the seeded users as radio buttons and the demo password shown. With
// real accounts (GET /auth/users answers 404): a user id field, nothing listed before sign-in.
// The form is posted as JSON by fetch (the server refuses form posts without the CSRF header).
import { h, fill, avatar } from './dom.js';
import { t, applyI18n, langPicker, errorText } from './i18n.js';
import { CSRF } from './api.js';

const el = (id) => document.getElementById(id);

function showError(text) {
  el('error').textContent = text;
  el('error').hidden = false;
}

async function submit(e) {
  e.preventDefault();
  const form = el('form');
  const picked = form.querySelector('input[name="user"][type="radio"]:checked');
  const user = picked ? picked.value : el('user').value.trim();
  el('submit').disabled = true;
  try {
    const res = await fetch('/auth/login', {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...CSRF },
      body: JSON.stringify({ user, password: el('password').value }),
    });
    if (res.ok) {
      location.href = '/';
      return;
    }
    const body = await res.json().catch(() => ({}));
    const err = body.error || {};
    if (err.code === 'throttled') showError(t('login.throttled', { seconds: err.retryAfter || 1 }));
    else if (err.code === 'bad_credentials') showError(t('login.error'));
    else showError(errorText(err.code ? err : { code: 'internal' }));
  } catch {
    showError(t('error.network'));
  } finally {
    el('submit').disabled = false;
  }
}

async function boot() {
  applyI18n(document);
  el('lang').append(langPicker(document));
  const q = new URLSearchParams(location.search);
  if (q.get('error') === 'throttled') showError(t('login.throttled', { seconds: 1 }));
  else if (q.has('error')) showError(t('login.error'));
  el('form').addEventListener('submit', submit);
  const res = await fetch('/auth/users', { headers: { Accept: 'application/json' } });
  if (res.status === 404) {
    // Real accounts: type the user id; no list, no demo password, no simulator.
    el('users').hidden = true;
    el('user-field').hidden = false;
    el('user').disabled = false;
    el('user').required = true;
    el('sim-link').hidden = true;
    el('intro').dataset.i18n = 'login.introAccounts';
    el('intro').textContent = t('login.introAccounts');
    el('user').focus();
    return;
  }
  const data = await res.json();
  fill(el('users'), ...data.items.map((u, i) => h('li', {},
    h('label', { class: 'login-user', dataset: { testid: 'login-user-' + u.id } },
      h('input', { type: 'radio', name: 'user', value: u.id, checked: i === 0, required: true }),
      avatar(u.name, '', u.id),
      h('span', { class: 'lu-name' }, u.name),
      h('span', { class: 'lu-role' }, t('role.' + u.role) + (u.teams.length ? ' · ' + u.teams.join(', ') : ''))))));
  el('hint').textContent = t('login.demoPassword', { password: data.demoPassword });
}

boot();
