// The inbox: the conversation list with its advanced filters (SPEC A), the open conversation
// (SPEC B, C, E, F) and the customer panel (SPEC B2–B4, D).
import { h, fill, avatar, debounce, toast } from './dom.js';
import { t, formatTime } from './i18n.js';
import { api } from './api.js';
import { state, userName } from './state.js';
import { logo, channelLabel } from './logos.js';
import { Thread } from './thread.js';
import { Panel } from './panel.js';

const emptyFilters = () => ({ status: 'open', channel: '', read: '', assignee: '', team: '', category: '', classification: '', connection: '', q: '', awaiting: false });

export class InboxView {
  constructor() {
    this.filters = emptyFilters();
    this.items = [];
    this.next = '';
    this.selectedId = '';
    this.loading = 0;
    this.refresh = debounce(() => this.load(true), 200);

    this.list = h('ul', { class: 'conv-list', dataset: { testid: 'conv-list' } });
    this.more = h('button', { class: 'btn ghost more', hidden: true, onclick: () => this.load(false) }, t('list.more'));
    this.unread = h('div', { class: 'unread-total', dataset: { testid: 'unread-total' } });
    this.tabs = h('div', { class: 'tabs', role: 'tablist' },
      ...[['open', 'list.open'], ['done', 'list.done'], ['', 'list.all']].map(([v, key]) =>
        h('button', { class: 'tab', role: 'tab', dataset: { status: v, testid: 'tab-' + (v || 'all') }, onclick: () => this.setFilter('status', v) }, t(key))));
    this.search = h('input', { type: 'search', class: 'search', placeholder: t('list.search'), dataset: { testid: 'search' },
      oninput: debounce(() => this.setFilter('q', this.search.value.trim()), 250) });
    this.filterPanel = this.buildFilters();
    const toggle = h('button', { class: 'btn ghost filters-toggle', dataset: { testid: 'filters-toggle' }, 'aria-expanded': 'false',
      onclick: () => {
        this.filterPanel.hidden = !this.filterPanel.hidden;
        toggle.setAttribute('aria-expanded', String(!this.filterPanel.hidden));
      } }, t('list.filters'));
    this.listPane = h('aside', { class: 'list-pane' },
      this.tabs, h('div', { class: 'searchbar' }, this.search, toggle), this.filterPanel, this.unread, this.list, this.more);

    this.thread = new Thread({ onConversation: (c) => this.onConversationChanged(c) });
    this.panel = new Panel();
    this.thread.panel = this.panel;
    this.el = h('div', { class: 'inbox' }, this.listPane, this.thread.el, this.panel.el);
    this.markTabs();
    this.load(true);
  }

  buildFilters() {
    const sel = (key, label, options) => {
      const s = h('select', { dataset: { testid: 'filter-' + key }, onchange: () => this.setFilter(key, s.value) },
        h('option', { value: '' }, t('list.all')),
        ...options.map(([v, text]) => h('option', { value: v }, text)));
      this.filterInputs[key] = s;
      return h('label', { class: 'field' }, h('span', {}, label), s);
    };
    this.filterInputs = {};
    const kinds = [...new Set(state.connections.map((c) => c.channel).concat(['tiktok', 'zalo', 'messenger', 'instagram']))];
    const agents = [...state.users.values()];
    const catOptions = state.categories.map((c) => [c.id, '\u00a0\u00a0'.repeat(c.level - 1) + c.name]);
    const awaiting = h('input', { type: 'checkbox', dataset: { testid: 'filter-awaiting' }, onchange: () => this.setFilter('awaiting', awaiting.checked) });
    this.filterInputs.awaiting = awaiting;
    return h('div', { class: 'filters', hidden: true, dataset: { testid: 'filters' } },
      sel('channel', t('filter.channel'), kinds.map((k) => [k, channelLabel(k)])),
      sel('read', t('filter.read'), [['unread', t('filter.read.unread')], ['read', t('filter.read.read')]]),
      sel('assignee', t('filter.assignee'), [['me', t('filter.assignee.me')], ['unassigned', t('list.unassigned')], ...agents.map((u) => [u.id, u.name])]),
      sel('team', t('filter.team'), state.teams.map((x) => [x.id, x.name])),
      sel('category', t('filter.category'), catOptions),
      sel('classification', t('filter.classification'), state.classifications.map((c) => [c.id, c.name])),
      sel('connection', t('filter.connection'), state.connections.map((c) => [c.id, channelLabel(c.channel) + ' · ' + c.displayName])),
      h('label', { class: 'check' }, awaiting, h('span', {}, t('filter.awaiting'))),
      h('button', { class: 'btn ghost', onclick: () => this.resetFilters() }, t('list.reset')));
  }

  resetFilters() {
    this.filters = emptyFilters();
    this.search.value = '';
    for (const [k, el] of Object.entries(this.filterInputs)) {
      if (k === 'awaiting') el.checked = false;
      else el.value = '';
    }
    this.markTabs();
    this.items = [];
    this.load(true);
  }

  setFilter(key, value) {
    this.filters[key] = value;
    if (key === 'status') this.markTabs();
    this.items = [];
    this.load(true);
  }

  markTabs() {
    for (const b of this.tabs.children) b.classList.toggle('active', b.dataset.status === this.filters.status);
  }

  query(cursor, limit) {
    const f = this.filters;
    return { status: f.status, channel: f.channel, read: f.read, assignee: f.assignee, team: f.team, category: f.category,
      classification: f.classification, connection: f.connection, q: f.q, awaiting: f.awaiting ? '1' : '', cursor, limit: limit || 30 };
  }

  async load(reset) {
    const ticket = ++this.loading;
    let res;
    try {
      const limit = reset ? Math.min(100, Math.max(30, this.items.length)) : 30;
      res = await api('GET', '/conversations', null, this.query(reset ? '' : this.next, limit));
    } catch (e) {
      toast(t('error.generic', { message: e.message }), 'error');
      return;
    }
    if (ticket !== this.loading) return; // a newer load superseded this one
    if (reset) {
      this.items = res.items;
    } else {
      const seen = new Set(this.items.map((c) => c.id));
      this.items = this.items.concat(res.items.filter((c) => !seen.has(c.id)));
    }
    this.next = res.next;
    this.unread.textContent = res.unread > 0 ? t('list.unreadTotal', { n: res.unread }) : '';
    this.render();
  }

  render() {
    if (!this.items.length) {
      fill(this.list, h('li', { class: 'empty' }, t('list.empty')));
    } else {
      fill(this.list, ...this.items.map((c) => this.row(c)));
    }
    this.more.hidden = !this.next;
  }

  row(c) {
    const assignee = c.assigneeId
      ? avatar(userName(c.assigneeId), (state.users.get(c.assigneeId) || {}).avatarUrl, c.assigneeId, 'small')
      : c.awaitingClaim ? h('span', { class: 'badge claim', title: t('list.awaiting') }, t('list.awaiting')) : h('span', { class: 'badge muted', title: t('list.unassigned') }, '—');
    const cls = ['conv-row'];
    if (c.unread > 0) cls.push('unread');
    if (c.id === this.selectedId) cls.push('selected');
    if (c.status === 'done') cls.push('done');
    // The engine previews a message without text by its kind ("[info_request]"): say it in words.
    const last = c.lastMessageText === '[info_request]' ? t('thread.infoRequest') : (c.lastMessageText || '');
    const preview = (c.lastMessageDirection === 'out' ? t('list.you') : '') + last;
    return h('li', { class: cls.join(' '), tabindex: 0, dataset: { id: c.id, testid: 'conv-row', unread: String(c.unread) },
      onclick: () => { location.hash = '#/c/' + encodeURIComponent(c.id); },
      onkeydown: (e) => { if (e.key === 'Enter') location.hash = '#/c/' + encodeURIComponent(c.id); } },
    logo(c.channel, 28),
    h('div', { class: 'row-main' },
      h('div', { class: 'row-top' }, h('span', { class: 'name', dataset: { testid: 'conv-name' } }, c.contactName || '—'),
        h('time', { class: 'time', datetime: c.lastMessageAt }, formatTime(c.lastMessageAt))),
      h('div', { class: 'row-bottom' }, h('span', { class: 'preview', dataset: { testid: 'conv-preview' } }, preview),
        c.unread > 0 ? h('span', { class: 'count', dataset: { testid: 'unread-count' } }, String(c.unread)) : null)),
    h('div', { class: 'row-side', dataset: { testid: 'conv-assignee' } }, assignee));
  }

  select(id) {
    this.selectedId = id;
    for (const li of this.list.querySelectorAll('.conv-row')) li.classList.toggle('selected', li.dataset.id === id);
    this.thread.open(id);
    if (!id) this.panel.clear();
  }

  onConversationChanged(c) {
    const i = this.items.findIndex((x) => x.id === c.id);
    if (i >= 0) {
      this.items[i] = Object.assign({}, this.items[i], c);
      this.render();
    }
    this.refresh();
  }

  onEvent(kind, data) {
    if (kind.startsWith('conversation.') || kind === 'message.created' || kind === 'read.updated') this.refresh();
    this.thread.onEvent(kind, data);
  }

  resync() {
    this.load(true);
    if (this.selectedId) this.thread.open(this.selectedId, true);
  }
}
