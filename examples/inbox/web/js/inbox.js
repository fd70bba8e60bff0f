// The inbox: the views ("Của tôi", "Chưa phân công", "Chờ nhận chat", "Tất cả") with live unread
// counts, the conversation list with its advanced filters (SPEC A), the open conversation (SPEC B,
// C, E, F) and the customer panel (SPEC B2–B4, D). At phone width the list, the thread and the
// customer panel are screens of their own (#/, #/c/{id}, #/c/{id}/info).
import { h, fill, avatar, debounce, toast } from './dom.js';
import { t, formatTime, errorText } from './i18n.js';
import { api } from './api.js';
import { state, userName, hasClaimRules, isSupervisor } from './state.js';
import { logo, channelLabel } from './logos.js';
import { Thread } from './thread.js';
import { Panel } from './panel.js';
import { alerts } from './alerts.js';

// VIEWS are the list's views: the filters each one sets.
const VIEWS = {
  mine: { assignee: 'me', awaiting: false },
  unassigned: { assignee: 'unassigned', awaiting: false },
  awaiting: { assignee: '', awaiting: true },
  all: { assignee: '', awaiting: false },
};

const emptyFilters = () => ({ status: 'open', channel: '', read: '', assignee: '', team: '', category: '', classification: '', connection: '', q: '', awaiting: false });

export class InboxView {
  constructor() {
    this.view = isSupervisor() ? 'all' : 'mine';
    this.filters = Object.assign(emptyFilters(), VIEWS[this.view]);
    this.items = [];
    this.next = '';
    this.selectedId = '';
    this.loading = 0;
    this.counts = {};
    this.refresh = debounce(() => this.load(true), 200);
    this.refreshCounts = debounce(() => this.loadCounts(), 250);

    this.list = h('ul', { class: 'conv-list', role: 'listbox', 'aria-label': t('nav.inbox'), dataset: { testid: 'conv-list' },
      onkeydown: (e) => this.listKey(e) });
    this.more = h('button', { class: 'btn ghost more', hidden: true, onclick: () => this.load(false) }, t('list.more'));
    this.unread = h('div', { class: 'unread-total', dataset: { testid: 'unread-total' } });
    this.views = h('div', { class: 'views', role: 'tablist', 'aria-label': t('view.label'), dataset: { testid: 'views' } });
    this.renderViews();
    this.tabs = h('div', { class: 'tabs', role: 'group', 'aria-label': t('list.status') },
      ...[['open', 'list.open'], ['done', 'list.done'], ['', 'list.all']].map(([v, key]) =>
        h('button', { class: 'tab', type: 'button', dataset: { status: v, testid: 'tab-' + (v || 'all') }, onclick: () => this.setFilter('status', v) }, t(key))));
    this.search = h('input', { type: 'search', class: 'search', placeholder: t('list.search'), 'aria-label': t('list.search'), dataset: { testid: 'search' },
      oninput: debounce(() => this.setFilter('q', this.search.value.trim()), 250) });
    this.filterPanel = this.buildFilters();
    const toggle = h('button', { class: 'btn ghost filters-toggle', type: 'button', dataset: { testid: 'filters-toggle' }, 'aria-expanded': 'false',
      onclick: () => {
        this.filterPanel.hidden = !this.filterPanel.hidden;
        toggle.setAttribute('aria-expanded', String(!this.filterPanel.hidden));
      } }, t('list.filters'));
    this.listPane = h('aside', { class: 'list-pane' },
      this.views, h('div', { class: 'searchbar' }, this.search, toggle), this.tabs, this.filterPanel, this.unread, this.list, this.more);

    this.thread = new Thread({ onConversation: (c) => this.onConversationChanged(c) });
    this.panel = new Panel();
    this.thread.panel = this.panel;
    this.el = h('div', { class: 'inbox screen-list' }, this.listPane, this.thread.el, this.panel.el);
    this.markTabs();
    const first = state.firstPage;
    state.firstPage = null;
    if (first && this.view === (isSupervisor() ? 'all' : 'mine')) this.show(first, true);
    else this.load(true);
    this.loadCounts();
  }

  // ---- views

  viewsShown() {
    return ['mine', 'unassigned', ...(hasClaimRules() ? ['awaiting'] : []), 'all'];
  }

  renderViews() {
    fill(this.views, ...this.viewsShown().map((v) => {
      const n = this.counts[v];
      const label = t('view.' + v);
      return h('button', { class: 'view-tab' + (v === this.view ? ' active' : ''), type: 'button', role: 'tab',
        'aria-selected': String(v === this.view), 'aria-label': n ? label + ', ' + t('view.count', { n }) : label,
        dataset: { view: v, testid: 'view-' + v }, onclick: () => this.setView(v) },
      h('span', {}, label), n ? h('span', { class: 'view-count', dataset: { testid: 'view-count' } }, String(n)) : null);
    }));
  }

  setView(v) {
    this.view = v;
    Object.assign(this.filters, VIEWS[v]);
    if (this.filterInputs.assignee) this.filterInputs.assignee.value = this.filters.assignee;
    this.filterInputs.awaiting.checked = this.filters.awaiting;
    this.renderViews();
    this.items = [];
    this.load(true);
  }

  // loadCounts asks the unread count of every view (open conversations), for the tabs and the tab
  // title of the page.
  async loadCounts() {
    const views = this.viewsShown();
    let res;
    try {
      res = await Promise.all(views.map((v) => api('GET', '/conversations/unread-count', null,
        { status: 'open', assignee: VIEWS[v].assignee, awaiting: VIEWS[v].awaiting ? '1' : '' })));
    } catch {
      return; // the next event tries again
    }
    views.forEach((v, i) => { this.counts[v] = res[i].count; });
    this.renderViews();
    alerts.setUnread(this.counts[isSupervisor() ? 'all' : 'mine'] || 0);
  }

  // ---- filters

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
    const awaiting = h('input', { type: 'checkbox', checked: this.filters.awaiting, dataset: { testid: 'filter-awaiting' }, onchange: () => this.setFilter('awaiting', awaiting.checked) });
    this.filterInputs.awaiting = awaiting;
    const panel = h('div', { class: 'filters', hidden: true, dataset: { testid: 'filters' } },
      sel('channel', t('filter.channel'), kinds.map((k) => [k, channelLabel(k)])),
      sel('read', t('filter.read'), [['unread', t('filter.read.unread')], ['read', t('filter.read.read')]]),
      sel('assignee', t('filter.assignee'), [['me', t('filter.assignee.me')], ['unassigned', t('list.unassigned')], ...agents.map((u) => [u.id, u.name])]),
      sel('team', t('filter.team'), state.teams.map((x) => [x.id, x.name])),
      sel('category', t('filter.category'), catOptions),
      sel('classification', t('filter.classification'), state.classifications.map((c) => [c.id, c.name])),
      sel('connection', t('filter.connection'), state.connections.map((c) => [c.id, channelLabel(c.channel) + ' · ' + c.displayName])),
      h('label', { class: 'check' }, awaiting, h('span', {}, t('filter.awaiting'))),
      h('button', { class: 'btn ghost', type: 'button', onclick: () => this.resetFilters() }, t('list.reset')));
    this.filterInputs.assignee.value = this.filters.assignee;
    return panel;
  }

  resetFilters() {
    this.filters = Object.assign(emptyFilters(), VIEWS[this.view]);
    this.search.value = '';
    for (const [k, el] of Object.entries(this.filterInputs)) {
      if (k === 'awaiting') el.checked = this.filters.awaiting;
      else el.value = this.filters[k] || '';
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
    for (const b of this.tabs.children) {
      const on = b.dataset.status === this.filters.status;
      b.classList.toggle('active', on);
      b.setAttribute('aria-pressed', String(on));
    }
  }

  query(cursor, limit) {
    const f = this.filters;
    return { status: f.status, channel: f.channel, read: f.read, assignee: f.assignee, team: f.team, category: f.category,
      classification: f.classification, connection: f.connection, q: f.q, awaiting: f.awaiting ? '1' : '', cursor, limit: limit || 30 };
  }

  // ---- list

  async load(reset) {
    const ticket = ++this.loading;
    let res;
    try {
      const limit = reset ? Math.min(100, Math.max(30, this.items.length)) : 30;
      res = await api('GET', '/conversations', null, this.query(reset ? '' : this.next, limit));
    } catch (e) {
      toast(errorText(e), 'error');
      return;
    }
    if (ticket !== this.loading) return; // a newer load superseded this one
    this.show(res, reset);
  }

  show(res, reset) {
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
    // A re-render keeps the keyboard focus on the row that had it.
    const focused = this.list.contains(document.activeElement) ? document.activeElement.dataset.id : '';
    if (!this.items.length) {
      fill(this.list, h('li', { class: 'empty' }, t('list.empty')));
    } else {
      fill(this.list, ...this.items.map((c) => this.row(c)));
      if (!performance.getEntriesByName('dakenh-first-row').length) performance.mark('dakenh-first-row');
    }
    this.rove(focused || this.selectedId);
    if (focused) {
      const li = this.rowEl(focused);
      if (li) li.focus();
    }
    this.more.hidden = !this.next;
  }

  rowEl(id) {
    return [...this.list.querySelectorAll('.conv-row')].find((li) => li.dataset.id === id);
  }

  // rove gives the list one Tab stop (the selected row, else the first): arrows move inside it.
  rove(id) {
    const rows = [...this.list.querySelectorAll('.conv-row')];
    const on = rows.find((li) => li.dataset.id === id) || rows[0];
    for (const li of rows) li.tabIndex = li === on ? 0 : -1;
  }

  listKey(e) {
    const rows = [...this.list.querySelectorAll('.conv-row')];
    const i = rows.indexOf(document.activeElement);
    if (i < 0) return;
    let j = -1;
    if (e.key === 'ArrowDown') j = Math.min(rows.length - 1, i + 1);
    else if (e.key === 'ArrowUp') j = Math.max(0, i - 1);
    else if (e.key === 'Home') j = 0;
    else if (e.key === 'End') j = rows.length - 1;
    if (j < 0) return;
    e.preventDefault();
    this.rove(rows[j].dataset.id);
    rows[j].focus();
  }

  row(c) {
    const assignee = c.assigneeId
      ? avatar(userName(c.assigneeId), (state.users.get(c.assigneeId) || {}).avatarUrl, c.assigneeId, 'small')
      : c.awaitingClaim ? h('span', { class: 'badge claim', title: t('list.awaiting') }, t('list.awaiting')) : h('span', { class: 'badge muted', title: t('list.unassigned'), 'aria-label': t('list.unassigned') }, '—');
    const cls = ['conv-row'];
    if (c.unread > 0) cls.push('unread');
    if (c.id === this.selectedId) cls.push('selected');
    if (c.status === 'done') cls.push('done');
    // "Bạn:" only on what the viewer answered: the list knows the owner, not the sender, so a reply
    // in a conversation someone else owns says "TVV:".
    const prefix = c.lastMessageDirection !== 'out' ? '' : c.assigneeId === state.me.id ? t('list.you') : t('list.agent');
    // The engine previews a message without text by its kind ("[info_request]"): say it in words.
    const last = c.lastMessageText === '[info_request]' ? t('thread.infoRequest') : (c.lastMessageText || '');
    const open = (focusComposer) => {
      this.pendingFocus = focusComposer;
      location.hash = '#/c/' + encodeURIComponent(c.id);
    };
    return h('li', { class: cls.join(' '), tabindex: -1, role: 'option', 'aria-selected': String(c.id === this.selectedId),
      dataset: { id: c.id, testid: 'conv-row', unread: String(c.unread) },
      onclick: () => open(false),
      onkeydown: (e) => { if (e.key === 'Enter') open(true); } },
    logo(c.channel, 28),
    h('div', { class: 'row-main' },
      h('div', { class: 'row-top' }, h('span', { class: 'name', dataset: { testid: 'conv-name' } }, c.contactName || '—'),
        h('time', { class: 'time', datetime: c.lastMessageAt }, formatTime(c.lastMessageAt))),
      h('div', { class: 'row-bottom' }, h('span', { class: 'preview', dataset: { testid: 'conv-preview' } }, prefix + last),
        c.unread > 0 ? h('span', { class: 'count', dataset: { testid: 'unread-count' } }, String(c.unread)) : null)),
    h('div', { class: 'row-side', dataset: { testid: 'conv-assignee' } }, assignee));
  }

  // select opens conversation id ("" for none) on screen "thread" or "info" (phone layout).
  select(id, screen) {
    this.selectedId = id;
    this.el.classList.remove('screen-list', 'screen-thread', 'screen-info');
    this.el.classList.add(!id ? 'screen-list' : screen === 'info' ? 'screen-info' : 'screen-thread');
    for (const li of this.list.querySelectorAll('.conv-row')) {
      li.classList.toggle('selected', li.dataset.id === id);
      li.setAttribute('aria-selected', String(li.dataset.id === id));
    }
    if (id) this.rove(id);
    const focus = this.pendingFocus;
    this.pendingFocus = false;
    this.thread.open(id, false, focus);
    if (!id) this.panel.clear();
  }

  // nextUnread opens the first unread conversation after the open one, in list order.
  nextUnread() {
    const i = this.items.findIndex((c) => c.id === this.selectedId);
    const order = this.items.slice(i + 1).concat(this.items.slice(0, i + 1));
    const c = order.find((x) => x.unread > 0 && x.id !== this.selectedId);
    if (!c) {
      toast(t('keys.noUnread'), 'ok');
      return;
    }
    this.pendingFocus = true;
    location.hash = '#/c/' + encodeURIComponent(c.id);
  }

  onConversationChanged(c) {
    const i = this.items.findIndex((x) => x.id === c.id);
    if (i >= 0) {
      this.items[i] = Object.assign({}, this.items[i], c);
      this.render();
    }
    this.refresh();
    this.refreshCounts();
  }

  onEvent(kind, data) {
    if (kind.startsWith('conversation.') || kind === 'message.created' || kind === 'read.updated') {
      this.refresh();
      this.refreshCounts();
    }
    const conv = data.conversation || this.items.find((c) => c.id === data.conversationId) ||
      (this.thread.conv && this.thread.conv.id === data.conversationId ? this.thread.conv : null);
    alerts.onEvent(kind, data, conv, data.conversationId === this.selectedId);
    this.thread.onEvent(kind, data);
  }

  resync() {
    this.load(true);
    this.loadCounts();
    if (this.selectedId) this.thread.open(this.selectedId, true);
  }
}
