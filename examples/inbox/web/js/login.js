// The login page: the seeded users as radio buttons and the demo password shown.
import { h, fill, avatar } from './dom.js';
import { t, applyI18n, langPicker } from './i18n.js';

async function boot() {
  applyI18n(document);
  document.getElementById('lang').append(langPicker(document));
  if (new URLSearchParams(location.search).has('error')) document.getElementById('error').hidden = false;
  const res = await fetch('/auth/users', { headers: { Accept: 'application/json' } });
  const data = await res.json();
  const list = document.getElementById('users');
  fill(list, ...data.items.map((u, i) => h('li', {},
    h('label', { class: 'login-user', dataset: { testid: 'login-user-' + u.id } },
      h('input', { type: 'radio', name: 'user', value: u.id, checked: i === 0, required: true }),
      avatar(u.name, '', u.id),
      h('span', { class: 'lu-name' }, u.name),
      h('span', { class: 'lu-role' }, t('role.' + u.role) + (u.teams.length ? ' · ' + u.teams.join(', ') : ''))))));
  document.getElementById('hint').textContent = t('login.demoPassword', { password: data.demoPassword });
}

boot();
