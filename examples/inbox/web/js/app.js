// The inbox page: top bar, hash routes (#/, #/c/{id}, #/c/{id}/info, #/customer/{id}, #/settings),
// live events, alerts and keyboard shortcuts.
import { h, fill, avatar, toast } from './dom.js';
import { t, langPicker, applyI18n, errorText } from './i18n.js';
import { liveEvents, logout as signOut } from './api.js';
import { state, loadReference, isSupervisor } from './state.js';
import { InboxView } from './inbox.js';
import { ProfileView } from './profile.js';
import { SettingsView } from './settings.js';
import { alerts, alertsMenu } from './alerts.js';
import { installKeys, showShortcuts } from './keys.js';

const view = document.getElementById('view');
let current = null;
let inbox = null;

function topbar() {
  const bar = document.getElementById('topbar');
  const me = state.me;
  const nav = h('nav', { class: 'nav', 'aria-label': t('nav.section') },
    h('a', { href: '#/', class: 'navlink', dataset: { route: 'inbox', testid: 'nav-inbox' } }, t('nav.inbox')),
    isSupervisor() ? h('a', { href: '#/settings', class: 'navlink', dataset: { route: 'settings', testid: 'nav-settings' } }, t('nav.settings')) : null,
    h('a', { href: '/sim', class: 'navlink', target: '_blank', rel: 'noopener' }, t('nav.sim')));
  const logout = h('form', { method: 'post', action: '/auth/logout', class: 'logout',
    onsubmit: (e) => { e.preventDefault(); signOut(); } },
  h('button', { type: 'submit', class: 'btn ghost', dataset: { testid: 'logout' } }, t('nav.logout')));
  // At phone width the navigation, language and sign-out fold into the menu button.
  const more = h('div', { class: 'topbar-more', id: 'topbar-more' }, nav, langPicker(document), logout);
  const menu = h('button', { class: 'btn icon ghost menu-button', type: 'button', 'aria-label': t('nav.menu'), 'aria-controls': 'topbar-more',
    'aria-expanded': 'false', dataset: { testid: 'menu-button' },
    onclick: () => {
      const open = !bar.classList.contains('menu-open');
      bar.classList.toggle('menu-open', open);
      menu.setAttribute('aria-expanded', String(open));
    } }, '☰');
  fill(bar,
    h('div', { class: 'brand' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, 'đa'), h('span', { class: 'brand-name' }, t('nav.section'))),
    more,
    h('span', { id: 'live', class: 'live', role: 'img', 'aria-label': t('live.on'), title: t('live.on') }),
    alertsMenu(),
    h('button', { class: 'btn icon ghost', type: 'button', title: t('keys.open'), 'aria-label': t('keys.open'), dataset: { testid: 'shortcuts-button' },
      onclick: showShortcuts }, '?'),
    h('span', { class: 'me', dataset: { testid: 'me' } }, avatar(me.name, me.avatarUrl, me.id), h('span', { class: 'me-name' }, me.name),
      h('span', { class: 'me-role' }, t('role.' + me.role))),
    menu);
}

function markNav(route) {
  for (const a of document.querySelectorAll('.navlink')) a.classList.toggle('active', a.dataset.route === route);
  const bar = document.getElementById('topbar');
  bar.classList.remove('menu-open');
}

function route() {
  const hash = location.hash || '#/';
  const parts = hash.slice(2).split('/');
  if (parts[0] === 'settings') {
    markNav('settings');
    show(new SettingsView());
  } else if (parts[0] === 'customer' && parts[1]) {
    markNav('inbox');
    show(new ProfileView(decodeURIComponent(parts[1])));
  } else {
    markNav('inbox');
    if (!inbox) inbox = new InboxView();
    if (current !== inbox) show(inbox);
    inbox.select(parts[0] === 'c' && parts[1] ? decodeURIComponent(parts[1]) : '', parts[2] || '');
  }
}

function show(v) {
  if (current && current !== v && current.leave) current.leave();
  if (current !== inbox || v !== inbox) fill(view, v.el);
  current = v;
  if (v.enter) v.enter();
}

function onEvent(kind, data) {
  if (inbox) inbox.onEvent(kind, data);
  if (current && current !== inbox && current.onEvent) current.onEvent(kind, data);
}

function onResync() {
  if (inbox) inbox.resync();
  if (current && current !== inbox && current.enter) current.enter();
}

function liveState(ok) {
  const el = document.getElementById('live');
  if (!el) return;
  el.classList.toggle('off', !ok);
  el.title = ok ? t('live.on') : t('live.reconnecting');
  el.setAttribute('aria-label', el.title);
}

async function boot() {
  applyI18n(document);
  alerts.setUnread(0);
  try {
    await loadReference();
  } catch (e) {
    fill(view, h('p', { class: 'error' }, errorText(e)));
    return;
  }
  topbar();
  // Back from the provider consent page: ?connected=<id> or ?connect_error=<code>.
  const q = new URLSearchParams(location.search);
  if (q.has('connected') || q.has('connect_error')) {
    sessionStorage.setItem('dakenh.connect', JSON.stringify({ connected: q.get('connected') || '', error: q.get('connect_error') || '' }));
    history.replaceState(null, '', '/#/settings');
  }
  window.addEventListener('hashchange', route);
  route();
  installKeys({
    nextUnread: () => { if (!inbox || current !== inbox) location.hash = '#/'; else inbox.nextUnread(); },
    compose: () => { const c = document.querySelector('[data-testid="composer"]'); if (c && !c.disabled) c.focus(); },
    search: () => { const s = document.querySelector('[data-testid="search"]'); if (s) s.focus(); },
  });
  liveEvents(onEvent, onResync, liveState);
}

window.addEventListener('error', () => toast(t('err.internal'), 'error'));
boot();
