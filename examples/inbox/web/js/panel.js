// The right panel: customer information with the "eye" profile link (SPEC B2, B3), the editable
// conversation details (SPEC D1–D3) and the interaction history (SPEC B4).
import { h, fill, avatar, toast } from './dom.js';
import { t, formatTime, errorText, attrLabel } from './i18n.js';
import { api } from './api.js';
import { state } from './state.js';
import { logo, channelLabel, historyIcon, eyeIcon } from './logos.js';

export class Panel {
  constructor() {
    this.el = h('aside', { class: 'info-pane', dataset: { testid: 'info' } });
    this.conv = null;
    this.dirty = false;
  }

  clear() {
    this.conv = null;
    fill(this.el);
  }

  async open(conv) {
    this.conv = conv;
    this.dirty = false;
    this.customerBox = h('section', { class: 'card', dataset: { testid: 'customer' } });
    this.detailsBox = h('section', { class: 'card', dataset: { testid: 'details' } });
    this.historyBox = h('section', { class: 'card', dataset: { testid: 'history-card' } });
    // At phone width the panel is a screen of its own, with the way back to the conversation.
    const back = h('a', { href: '#/c/' + encodeURIComponent(conv.id), class: 'btn ghost back-button panel-back', dataset: { testid: 'panel-back' } }, '← ' + t('panel.back'));
    fill(this.el, back, this.customerBox, this.detailsBox, this.historyBox);
    this.renderDetails();
    await this.loadCustomer();
  }

  // loadCustomer (re)loads the customer card and the history, leaving the details being edited.
  async loadCustomer() {
    const id = this.conv.id;
    try {
      const res = await api('GET', `/conversations/${encodeURIComponent(id)}/customer`);
      if (!this.conv || this.conv.id !== id) return;
      this.renderCustomer(res.contact);
      this.renderHistory(res.history || []);
    } catch (e) {
      fill(this.customerBox, h('p', { class: 'error' }, errorText(e)));
    }
  }

  update(conv) {
    if (!this.conv || conv.id !== this.conv.id) return;
    const changedContact = conv.contactPhone !== this.conv.contactPhone || conv.contactName !== this.conv.contactName;
    this.conv = conv;
    if (!this.dirty) this.renderDetails();
    if (changedContact) this.loadCustomer();
  }

  renderCustomer(c) {
    const conv = this.conv;
    const rows = [];
    const row = (label, value, testid) => value && rows.push(h('div', { class: 'kv' }, h('span', { class: 'k' }, label), h('span', { class: 'v', dataset: { testid } }, value)));
    row(t('panel.phone'), c.phone, 'customer-phone');
    row(t('panel.email'), c.email, 'customer-email');
    for (const id of c.identities || []) {
      rows.push(h('div', { class: 'kv' }, h('span', { class: 'k' }, t('panel.channelName')),
        h('span', { class: 'v' }, logo(id.channel, 14), ' ', id.displayName || id.externalUserId)));
    }
    row(t('panel.crm'), c.crmCustomerId, 'customer-crm');
    const attrs = Object.entries(c.attributes || {});
    fill(this.customerBox,
      h('h3', {}, t('panel.customer')),
      h('div', { class: 'customer-head' }, avatar(c.name || conv.contactName, c.avatarUrl, c.id),
        h('strong', { dataset: { testid: 'customer-name' } }, c.name || conv.contactName),
        h('a', { href: '#/customer/' + encodeURIComponent(conv.id), class: 'eye-link', title: t('panel.profile'), 'aria-label': t('panel.profile'), dataset: { testid: 'profile-link' } }, eyeIcon())),
      ...rows,
      attrs.length ? h('h4', {}, t('panel.extended')) : null,
      ...attrs.map(([k, v]) => h('div', { class: 'kv', dataset: { testid: 'customer-attr', key: k } }, h('span', { class: 'k' }, attrLabel(k)), h('span', { class: 'v' }, v))));
  }

  renderDetails() {
    const conv = this.conv;
    const path = conv.categoryPath || [];
    const levels = [1, 2, 3].map((level) => h('select', { dataset: { testid: 'cat' + level }, onchange: () => { this.dirty = true; refill(level); } }));
    const refill = (changed) => {
      for (let l = changed + 1; l <= 3; l++) {
        const parent = levels[l - 2].value;
        const opts = parent ? state.categories.filter((c) => c.parentId === parent && (c.active || path.includes(c.id))) : [];
        fill(levels[l - 1], h('option', { value: '' }, t('panel.none')), ...opts.map((c) => h('option', { value: c.id }, c.name)));
        levels[l - 1].disabled = !opts.length;
      }
    };
    fill(levels[0], h('option', { value: '' }, t('panel.none')),
      ...state.categories.filter((c) => !c.parentId && (c.active || path.includes(c.id))).map((c) => h('option', { value: c.id }, c.name)));
    levels[0].value = path[0] || '';
    refill(1);
    levels[1].value = path[1] || '';
    refill(2);
    levels[2].value = path[2] || '';
    const note = h('textarea', { rows: 3, dataset: { testid: 'note' }, oninput: () => { this.dirty = true; } });
    note.value = conv.note || '';
    const cls = h('select', { dataset: { testid: 'classification' }, onchange: () => { this.dirty = true; } },
      h('option', { value: '' }, t('panel.none')),
      ...state.classifications.filter((c) => c.active || c.id === conv.classificationId).map((c) => h('option', { value: c.id }, c.name)));
    cls.value = conv.classificationId || '';
    const saved = h('span', { class: 'saved', dataset: { testid: 'details-saved' } });
    const save = h('button', { class: 'btn primary', dataset: { testid: 'save-details' }, onclick: async () => {
      const categoryId = levels[2].value || levels[1].value || levels[0].value || '';
      save.disabled = true;
      try {
        const res = await api('PATCH', `/conversations/${encodeURIComponent(conv.id)}/details`, { categoryId, classificationId: cls.value, note: note.value });
        this.dirty = false;
        this.conv = res.conversation;
        saved.textContent = t('panel.saved');
        toast(t('panel.saved'), 'ok');
      } catch (e) {
        toast(errorText(e), 'error');
      } finally {
        save.disabled = false;
      }
    } }, t('panel.save'));
    const field = (label, el) => h('label', { class: 'field' }, h('span', {}, label), el);
    fill(this.detailsBox, h('h3', {}, t('panel.details')),
      field(t('panel.category1'), levels[0]), field(t('panel.category2'), levels[1]), field(t('panel.category3'), levels[2]),
      field(t('panel.note'), note), field(t('panel.classification'), cls), h('div', { class: 'row' }, save, saved));
  }

  renderHistory(items) {
    fill(this.historyBox, h('h3', {}, t('panel.history')), historyList(items, this.conv.id));
  }
}

// historyList renders interaction history items (shared with the profile page).
export function historyList(items, currentId) {
  if (!items.length) return h('p', { class: 'muted' }, t('panel.noHistory'));
  return h('ul', { class: 'history', dataset: { testid: 'history' } }, ...items.map((it) => {
    const title = h('span', { class: 'h-title' }, it.type === 'conversation' && it.channel ? [logo(it.channel, 14), ' ', channelLabel(it.channel) + ' · ', it.title] : it.title);
    const head = it.conversationId && it.conversationId !== currentId
      ? h('a', { href: '#/c/' + encodeURIComponent(it.conversationId) }, title) : title;
    return h('li', { class: 'h-item h-' + it.type, dataset: { testid: 'history-item', type: it.type } },
      historyIcon(it.type),
      h('div', {}, head, it.detail ? h('div', { class: 'h-detail' }, it.detail) : null,
        h('time', { datetime: it.at }, (t('history.' + it.type) !== 'history.' + it.type ? t('history.' + it.type) + ' · ' : '') + formatTime(it.at))));
  }));
}
