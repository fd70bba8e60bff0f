// Keyboard shortcuts of the inbox page and their list ("?"). Esc closes the open menu or popover
// (dialogs close on Esc by themselves); letters only act outside text fields.
import { h } from './dom.js';
import { t } from './i18n.js';

// SHORTCUTS is the list the "?" dialog shows.
const SHORTCUTS = [
  ['?', 'keys.help'],
  ['n', 'keys.next'],
  ['↑ ↓', 'keys.rows'],
  ['c', 'keys.compose'],
  ['s', 'keys.search'],
  ['Enter', 'keys.send'],
  ['/', 'keys.templates'],
  ['Esc', 'keys.escape'],
];

// closeMenus hides every open menu and popover (elements of class "closable", the folded top bar
// menu); it returns whether one was open.
export function closeMenus() {
  let closed = false;
  for (const el of document.querySelectorAll('.closable:not([hidden])')) {
    el.hidden = true;
    el.dispatchEvent(new Event('closed'));
    closed = true;
  }
  for (const el of document.querySelectorAll('.menu-open')) {
    el.classList.remove('menu-open');
    const b = el.querySelector('.menu-button');
    if (b) b.setAttribute('aria-expanded', 'false');
    closed = true;
  }
  return closed;
}

// showShortcuts opens the shortcut list as a modal dialog.
export function showShortcuts() {
  if (document.querySelector('[data-testid="shortcuts"]')) return;
  const dlg = h('dialog', { class: 'dialog', 'aria-labelledby': 'shortcuts-title', dataset: { testid: 'shortcuts' } },
    h('h3', { id: 'shortcuts-title' }, t('keys.title')),
    h('dl', { class: 'shortcuts' }, ...SHORTCUTS.flatMap(([k, key]) => [h('dt', {}, h('kbd', {}, k)), h('dd', {}, t(key))])),
    h('div', { class: 'dialog-foot' }, h('button', { class: 'btn', type: 'button', onclick: () => dlg.close() }, t('dialog.close'))));
  dlg.addEventListener('close', () => dlg.remove());
  document.body.append(dlg);
  dlg.showModal();
}

// installKeys listens for the page's shortcuts; actions has nextUnread, compose and search.
export function installKeys(actions) {
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      if (closeMenus()) e.preventDefault();
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    const el = document.activeElement;
    const typing = el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));
    if (typing || document.querySelector('dialog[open]')) return;
    const act = { '?': showShortcuts, n: actions.nextUnread, c: actions.compose, s: actions.search }[e.key];
    if (act) {
      e.preventDefault();
      act();
    }
  });
  // A click outside an open menu closes it.
  document.addEventListener('click', (e) => {
    for (const el of document.querySelectorAll('.closable:not([hidden])')) {
      const wrap = el.closest('.menu-wrap, .owner-row, .reactions') || el;
      if (!wrap.contains(e.target) && !el.contains(e.target)) {
        el.hidden = true;
        el.dispatchEvent(new Event('closed'));
      }
    }
  });
}
