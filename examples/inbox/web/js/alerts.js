// Alerts: the unread count in the tab title, an optional sound and opt-in desktop notifications
// for new conversations and for customer messages in the agent's own conversations. The choices
// are kept in localStorage; both are off until the agent turns them on.
import { h } from './dom.js';
import { t } from './i18n.js';
import { state } from './state.js';

const SOUND = 'dakenh.alerts.sound';
const DESKTOP = 'dakenh.alerts.desktop';

let unread = 0;
let audio = null;

export const alerts = {
  // setUnread shows n (the landing view's unread conversations) in the tab title.
  setUnread(n) {
    unread = n;
    document.title = (n > 0 ? '(' + n + ') ' : '') + t('app.title') + ' — dakenh';
  },

  get unread() {
    return unread;
  },

  // onEvent alerts for a live event: a new conversation the agent may take or owns, a customer
  // message in a conversation the agent owns (or any, for a supervisor). A message in the
  // conversation on screen, while the page is visible, makes no noise.
  onEvent(kind, data, conv, onScreen) {
    const me = state.me;
    const mine = conv && (conv.assigneeId === me.id || (me.role === 'supervisor' && !conv.assigneeId));
    let title = '';
    let body = '';
    if (kind === 'conversation.opened' && conv && (conv.assigneeId === me.id || !conv.assigneeId)) {
      title = t('alerts.newConversation', { name: conv.contactName || '—' });
      body = conv.lastMessageText || '';
    } else if (kind === 'message.created' && data.message && data.message.direction === 'in' && mine) {
      title = t('alerts.newMessage', { name: conv.contactName || data.message.senderName || '—' });
      body = data.message.text || '';
    }
    if (!title || (onScreen && !document.hidden)) return;
    if (localStorage.getItem(SOUND) === '1') beep();
    if (localStorage.getItem(DESKTOP) === '1' && window.Notification && Notification.permission === 'granted') {
      const n = new Notification(title, { body: body.slice(0, 140), tag: data.conversationId || '' });
      n.onclick = () => {
        window.focus();
        location.hash = '#/c/' + encodeURIComponent(data.conversationId || '');
      };
    }
  },
};

// beep plays a short two-tone chime with the Web Audio API.
function beep() {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return;
  audio = audio || new Ctx();
  const now = audio.currentTime;
  for (const [i, f] of [[0, 880], [1, 1320]]) {
    const o = audio.createOscillator();
    const g = audio.createGain();
    o.frequency.value = f;
    g.gain.setValueAtTime(0.08, now + i * 0.12);
    g.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.12 + 0.11);
    o.connect(g).connect(audio.destination);
    o.start(now + i * 0.12);
    o.stop(now + i * 0.12 + 0.12);
  }
}

// alertsMenu is the top bar's bell: a menu with the sound and desktop notification switches.
export function alertsMenu() {
  const box = (key, label, testid, onOn) => {
    const input = h('input', { type: 'checkbox', checked: localStorage.getItem(key) === '1', dataset: { testid },
      onchange: async () => {
        if (input.checked && onOn && !(await onOn())) {
          input.checked = false;
          return;
        }
        localStorage.setItem(key, input.checked ? '1' : '0');
      } });
    return h('label', { class: 'check' }, input, h('span', {}, label));
  };
  const note = h('p', { class: 'muted small', hidden: true, dataset: { testid: 'alerts-denied' } }, t('alerts.denied'));
  const askDesktop = async () => {
    if (!window.Notification) return false;
    const p = Notification.permission === 'default' ? await Notification.requestPermission() : Notification.permission;
    note.hidden = p === 'granted';
    return p === 'granted';
  };
  const panel = h('div', { class: 'popover closable', hidden: true, role: 'dialog', 'aria-label': t('alerts.title'), dataset: { testid: 'alerts-menu' } },
    h('strong', {}, t('alerts.title')),
    box(SOUND, t('alerts.sound'), 'alerts-sound'),
    box(DESKTOP, t('alerts.desktop'), 'alerts-desktop', askDesktop),
    note);
  const button = h('button', { class: 'btn icon ghost', type: 'button', title: t('alerts.title'), 'aria-label': t('alerts.title'),
    'aria-expanded': 'false', dataset: { testid: 'alerts-button' },
    onclick: () => {
      panel.hidden = !panel.hidden;
      button.setAttribute('aria-expanded', String(!panel.hidden));
    } }, bell());
  panel.addEventListener('closed', () => button.setAttribute('aria-expanded', 'false'));
  return h('div', { class: 'menu-wrap alerts' }, button, panel);
}

function bell() {
  const svgNS = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(svgNS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '18');
  svg.setAttribute('height', '18');
  svg.setAttribute('aria-hidden', 'true');
  const p = document.createElementNS(svgNS, 'path');
  p.setAttribute('d', 'M12 3a6 6 0 0 0-6 6v4l-2 3h16l-2-3V9a6 6 0 0 0-6-6zm-2 15a2 2 0 0 0 4 0');
  p.setAttribute('fill', 'none');
  p.setAttribute('stroke', 'currentColor');
  p.setAttribute('stroke-width', '2');
  svg.append(p);
  return svg;
}
