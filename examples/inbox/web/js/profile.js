// The customer's full profile page (the "eye" link, SPEC B3): contact data, identities on every
// channel, extended data and the whole interaction history.
import { h, fill, avatar } from './dom.js';
import { t, errorText, attrLabel } from './i18n.js';
import { api } from './api.js';
import { logo, channelLabel } from './logos.js';
import { historyList } from './panel.js';

export class ProfileView {
  constructor(conversationId) {
    this.id = conversationId;
    this.el = h('div', { class: 'page profile', dataset: { testid: 'profile-page' } });
  }

  async enter() {
    const enc = encodeURIComponent(this.id);
    let res;
    try {
      res = await api('GET', `/conversations/${enc}/customer`);
    } catch (e) {
      fill(this.el, h('p', { class: 'error' }, errorText(e)));
      return;
    }
    const c = res.contact;
    const kv = (label, value) => value ? h('div', { class: 'kv' }, h('span', { class: 'k' }, label), h('span', { class: 'v' }, value)) : null;
    const crm = safeURL(c.profileUrl);
    fill(this.el,
      h('a', { href: '#/c/' + enc, class: 'back' }, t('profile.back')),
      h('div', { class: 'profile-grid' },
        h('section', { class: 'card' },
          h('h2', {}, t('profile.title')),
          h('div', { class: 'customer-head big' }, avatar(c.name, c.avatarUrl, c.id, 'large'), h('strong', { dataset: { testid: 'profile-name' } }, c.name)),
          kv(t('panel.phone'), c.phone), kv(t('panel.email'), c.email), kv(t('panel.crm'), c.crmCustomerId),
          crm ? h('a', { href: crm, target: '_blank', rel: 'noopener noreferrer' }, t('profile.crmLink')) : null,
          h('h4', {}, t('panel.extended')),
          ...Object.entries(c.attributes || {}).map(([k, v]) => kv(attrLabel(k), v)),
          h('h4', {}, t('profile.identities')),
          h('ul', { class: 'identities' }, ...(c.identities || []).map((i) =>
            h('li', {}, logo(i.channel, 16), ' ', channelLabel(i.channel) + ': ', i.displayName || i.externalUserId, i.phone ? ' · ' + i.phone : '')))),
        h('section', { class: 'card' }, h('h2', {}, t('panel.history')), historyList(res.history || [], ''))));
  }
}

// safeURL accepts only http(s) and same-origin paths: never javascript: or data:.
function safeURL(u) {
  if (!u) return '';
  try {
    const x = new URL(u, location.origin);
    return x.protocol === 'https:' || x.protocol === 'http:' ? x.href : '';
  } catch {
    return '';
  }
}
