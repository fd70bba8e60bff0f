// The customer simulator: write as a TikTok or Zalo customer through the provider emulator, and see
// what the shop answered (what the emulator received).
import { h, fill, toast } from './dom.js';
import { t, applyI18n, langPicker, formatTime, errorText } from './i18n.js';
import { channelLabel, icon } from './logos.js';

const presets = {
  tiktok: [['tt-an', 'Nguyễn Văn An'], ['tt-bich', 'Trần Thị Bích'], ['tt-khoa', 'Hoàng Minh Khoa']],
  zalo: [['zl-phuc', 'Lê Hoàng Phúc'], ['zl-trang', 'Phạm Thu Trang']],
  messenger: [['6100000000000001', 'Đinh Mỹ Linh'], ['6100000000000002', 'Đỗ Khánh Vy']],
  instagram: [['17841400000000901', 'Bùi Gia Huy'], ['17841400000000902', 'Lý Thanh Tâm']],
};

const el = (id) => document.getElementById(id);
let accounts = [];
let sentByMe = {};

function account() {
  return accounts.find((a) => a.connectionId === el('account').value) || accounts[0];
}

function fillPresets() {
  const a = account();
  const list = (a && presets[a.channel]) || [];
  fill(el('preset'), ...list.map(([id, name]) => h('option', { value: id + '|' + name }, name + ' (' + id + ')')),
    h('option', { value: 'new' }, t('sim.newCustomer')));
  pickPreset();
}

function pickPreset() {
  const v = el('preset').value;
  if (v === 'new') {
    el('customerId').value = 'cust-' + Math.random().toString(36).slice(2, 8);
    el('name').value = '';
  } else if (v) {
    const [id, name] = v.split('|');
    el('customerId').value = id;
    el('name').value = name;
  }
  refresh();
}

function key() {
  const a = account();
  return (a ? a.channel : '') + '/' + el('customerId').value;
}

async function refresh() {
  const a = account();
  if (!a) return;
  const res = await fetch('/sim/api/thread?' + new URLSearchParams({ channel: a.channel, customerId: el('customerId').value }));
  if (!res.ok) return;
  const data = await res.json();
  const mine = (sentByMe[key()] || []).map((m) => ({ ...m, mine: true }));
  const all = mine.concat(data.items.map((m) => ({ id: m.id, text: m.text, attachments: m.attachments, at: m.at, mine: false })))
    .sort((x, y) => new Date(x.at) - new Date(y.at));
  if (!all.length) {
    fill(el('thread'), h('p', { class: 'muted' }, t('sim.noReplies')));
    return;
  }
  fill(el('thread'), ...all.map((m) => h('div', { class: 'msg ' + (m.mine ? 'out' : 'in'), dataset: { testid: m.mine ? 'sim-mine' : 'sim-reply' } },
    h('div', { class: 'bubble' }, m.text ? h('div', { class: 'text' }, m.text) : null,
      ...(m.attachments || []).map((n) => h('div', { class: 'att-file' }, icon('clip'), n))),
    h('div', { class: 'meta' }, (m.mine ? t('sim.you') : t('sim.shop')) + ' · ' + formatTime(m.at),
      m.mine || !m.id ? null : h('button', { type: 'button', class: 'btn small ghost', title: t('sim.react'), dataset: { testid: 'sim-react' },
        onclick: () => react(m.id) }, '❤️')))));
}

// react plays the customer putting a ❤️ on one of the shop's messages.
async function react(messageId) {
  const a = account();
  const q = new URLSearchParams({ channel: a.channel, customerId: el('customerId').value, messageId });
  const res = await fetch('/sim/api/react?' + q, { method: 'POST', headers: { 'X-Dakenh-Sim': '1' } });
  el('status').textContent = res.ok ? t('sim.reacted') : errorText({ code: 'internal' });
  setTimeout(() => { el('status').textContent = ''; }, 2000);
}

async function send(e) {
  e.preventDefault();
  const a = account();
  const fd = new FormData();
  fd.append('channel', a.channel);
  fd.append('connectionId', a.connectionId);
  for (const f of ['customerId', 'name', 'text', 'phone']) fd.append(f, el(f).value);
  const file = el('file').files[0];
  if (file) fd.append('file', file, file.name);
  const res = await fetch('/sim/api/messages', { method: 'POST', body: fd, headers: { 'X-Dakenh-Sim': '1' } });
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    const err = body.error || {};
    toast(errorText(err), 'error');
    return;
  }
  const k = key();
  (sentByMe[k] = sentByMe[k] || []).push({ text: [el('text').value, el('phone').value].filter(Boolean).join(' · '), attachments: file ? [file.name] : [], at: new Date().toISOString() });
  sessionStorage.setItem('dakenh.sim', JSON.stringify(sentByMe));
  el('text').value = '';
  el('phone').value = '';
  el('file').value = '';
  el('status').textContent = t('sim.sent');
  setTimeout(() => { el('status').textContent = ''; }, 2000);
  refresh();
}

// seen plays the customer reading the shop's messages: the provider reports them as seen.
async function seen() {
  const a = account();
  const q = new URLSearchParams({ channel: a.channel, customerId: el('customerId').value });
  const res = await fetch('/sim/api/read?' + q, { method: 'POST', headers: { 'X-Dakenh-Sim': '1' } });
  el('status').textContent = res.ok ? t('sim.seenDone') : errorText({ code: 'internal' });
  setTimeout(() => { el('status').textContent = ''; }, 2000);
}

async function boot() {
  applyI18n(document);
  el('lang').append(langPicker(document));
  try {
    sentByMe = JSON.parse(sessionStorage.getItem('dakenh.sim') || '{}');
  } catch {
    sentByMe = {};
  }
  const res = await fetch('/sim/api/accounts');
  accounts = (await res.json()).items || [];
  fill(el('account'), ...accounts.map((a) => h('option', { value: a.connectionId }, channelLabel(a.channel) + ' · ' + a.displayName)));
  el('account').addEventListener('change', fillPresets);
  el('preset').addEventListener('change', pickPreset);
  el('customerId').addEventListener('change', refresh);
  el('form').addEventListener('submit', send);
  el('seen').addEventListener('click', seen);
  el('text').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      el('form').requestSubmit();
    }
  });
  fillPresets();
  setInterval(refresh, 1500);
}

boot();
