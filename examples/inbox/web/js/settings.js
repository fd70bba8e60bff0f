// "Cấu hình kênh chat" (SPEC G, H): connected accounts with "Thêm kết nối", chat permission
// ("Chỉ mình tôi" / "Chia sẻ hội thoại" with a new or existing rule) and the assignment rules.
import { h, fill, toast } from './dom.js';
import { t, errorText, problemText } from './i18n.js';
import { api, ApiError } from './api.js';
import { state, reloadConnections, reloadRules, userName, isSupervisor } from './state.js';
import { logo, channelLabel } from './logos.js';

const KINDS = ['zalo', 'tiktok', 'messenger', 'instagram'];

export class SettingsView {
  constructor() {
    this.el = h('div', { class: 'page settings', dataset: { testid: 'settings' } });
  }

  async enter() {
    if (!isSupervisor()) {
      fill(this.el, h('p', { class: 'muted' }, t('settings.adminOnly')));
      return;
    }
    try {
      await Promise.all([reloadConnections(), reloadRules()]);
    } catch (e) {
      fill(this.el, h('p', { class: 'error' }, errorText(e)));
      return;
    }
    this.render();
    const pending = sessionStorage.getItem('dakenh.connect');
    if (pending) {
      sessionStorage.removeItem('dakenh.connect');
      const { connected, error } = JSON.parse(pending);
      if (error) toast(t('connect.' + error) !== 'connect.' + error ? t('connect.' + error) : t('settings.connectError', { code: error }), 'error');
      const conn = state.connections.find((c) => c.id === connected);
      const known = JSON.parse(sessionStorage.getItem('dakenh.connect.known') || '[]');
      sessionStorage.removeItem('dakenh.connect.known');
      if (conn && known.includes(conn.id)) {
        // The account was connected before: the engine revived that connection with its
        // conversations, owner, chat permission and rule, so there is nothing to choose again.
        toast(t('settings.reconnected', { name: conn.displayName }), 'ok');
      } else if (conn) {
        toast(t('settings.connected', { name: conn.displayName }), 'ok');
        this.permissionDialog(conn);
      }
    }
  }

  onEvent(kind) {
    if (kind === 'connection.updated' && !this.dialogOpen) this.enter();
  }

  render() {
    const sections = KINDS.map((kind) => {
      const conns = state.connections.filter((c) => c.channel === kind);
      return h('section', { class: 'card channel-card', dataset: { testid: 'channel-' + kind } },
        h('div', { class: 'card-head' }, logo(kind, 28), h('h3', {}, t('settings.configure', { channel: channelLabel(kind) })),
          h('button', { class: 'btn primary', dataset: { testid: 'connect-' + kind }, onclick: () => this.connect(kind) }, '+ ' + t('settings.add'))),
        conns.length ? h('ul', { class: 'conn-list' }, ...conns.map((c) => this.connectionRow(c))) : h('p', { class: 'muted' }, t('settings.noConnections')));
    });
    fill(this.el,
      h('h2', {}, t('settings.title')),
      h('div', { class: 'settings-grid' }, ...sections),
      this.rulesSection());
  }

  connectionRow(c) {
    const rule = state.rules.find((r) => r.id === c.ruleId);
    const perm = c.permission === 'shared' ? t('settings.perm.shared') + (rule ? ' — ' + rule.name : '') : t('settings.perm.only_me');
    return h('li', { class: 'conn', dataset: { testid: 'connection', id: c.id, channel: c.channel } },
      h('div', { class: 'conn-main' },
        h('strong', { dataset: { testid: 'connection-name' } }, c.displayName || c.externalId),
        h('span', { class: 'badge st-' + c.status, dataset: { testid: 'connection-status' } }, t('settings.status.' + c.status)),
        h('div', { class: 'muted' }, t('settings.permission') + ': ', h('span', { dataset: { testid: 'connection-permission' } }, perm),
          ' · ' + t('settings.owner') + ': ' + userName(c.ownerId))),
      h('div', { class: 'conn-actions' },
        c.status !== 'disconnected' ? h('button', { class: 'btn', dataset: { testid: 'permission-button' }, onclick: () => this.permissionDialog(c) }, t('settings.permission')) : null,
        c.status !== 'connected' ? h('button', { class: 'btn', onclick: () => this.connect(c.channel) }, t('settings.reconnect')) : null,
        c.status !== 'disconnected' ? h('button', { class: 'btn ghost', dataset: { testid: 'disconnect' }, onclick: () => this.disconnect(c) }, t('settings.disconnect')) : null));
  }

  async connect(kind) {
    try {
      const res = await api('POST', `/connections/${encodeURIComponent(kind)}/connect`, { redirectPath: '/' });
      sessionStorage.setItem('dakenh.connect.known', JSON.stringify(state.connections.map((c) => c.id)));
      location.href = res.url; // the provider's consent page (the emulator's in demo mode)
    } catch (e) {
      toast(errorText(e), 'error');
    }
  }

  async disconnect(c) {
    if (!confirm(t('settings.confirmDisconnect'))) return;
    try {
      await api('POST', `/connections/${encodeURIComponent(c.id)}/disconnect`);
      await this.enter();
    } catch (e) {
      toast(errorText(e), 'error');
    }
  }

  // permissionDialog is step 3 of the seed's connect flow: "Chỉ mình tôi" or "Chia sẻ hội thoại".
  permissionDialog(conn) {
    const dlg = h('dialog', { class: 'dialog', 'aria-label': t('perm.title', { name: conn.displayName }), dataset: { testid: 'permission-dialog' } });
    let saved = false;
    const close = () => { if (dlg.open) dlg.close(); };
    // Closing without a choice (the button, Esc) keeps the permission as it is, and says so.
    dlg.addEventListener('close', () => {
      dlg.remove();
      this.dialogOpen = false;
      if (!saved && conn.permission !== 'shared') toast(t('perm.keptOnlyMe', { name: conn.displayName }), 'ok');
      this.enter();
    });
    const body = h('div', { class: 'dialog-body' });
    const step1 = () => fill(body,
      h('p', {}, t('perm.question')),
      h('div', { class: 'choice-grid' },
        h('button', { class: 'choice', dataset: { testid: 'perm-only-me' }, onclick: () => save('only_me', '') },
          h('strong', {}, t('perm.onlyMe')), h('span', {}, t('perm.onlyMeHelp'))),
        h('button', { class: 'choice', dataset: { testid: 'perm-share' }, onclick: step2 },
          h('strong', {}, t('perm.share')), h('span', {}, t('perm.shareHelp')))));
    const step2 = () => {
      const pick = h('select', { 'aria-label': t('perm.pickRule'), dataset: { testid: 'perm-rule' } }, ...state.rules.map((r) => h('option', { value: r.id }, r.name)));
      fill(body,
        h('button', { class: 'choice', dataset: { testid: 'perm-new-rule' }, onclick: () => {
          saved = true;
          dlg.close();
          this.ruleDialog({ name: '', sourceIds: [conn.id], userIds: [], method: 'round_robin', oldConversations: 'none' }, async (rule) => {
            await save('shared', rule.id, true);
          });
        } }, h('strong', {}, t('perm.newRule'))),
        state.rules.length ? h('div', { class: 'choice' }, h('strong', {}, t('perm.existing')),
          h('label', { class: 'field' }, h('span', {}, t('perm.pickRule')), pick),
          h('button', { class: 'btn primary', dataset: { testid: 'perm-existing-save' }, onclick: () => save('shared', pick.value) }, t('rule.save'))) : null);
    };
    const save = async (permission, ruleId, quiet) => {
      try {
        await api('PUT', `/connections/${encodeURIComponent(conn.id)}/permission`, { permission, ruleId });
        saved = true;
        toast(t('perm.saved'), 'ok');
        if (!quiet) close();
        else this.enter();
      } catch (e) {
        toast(errorText(e), 'error');
      }
    };
    dlg.append(h('h3', {}, t('perm.title', { name: conn.displayName })), body,
      h('div', { class: 'dialog-foot' }, h('button', { class: 'btn ghost', type: 'button', dataset: { testid: 'perm-later' }, onclick: close }, t('perm.later'))));
    step1();
    document.body.append(dlg);
    this.dialogOpen = true;
    dlg.showModal();
  }

  rulesSection() {
    const rows = state.rules.map((r) => h('li', { class: 'rule', dataset: { testid: 'rule', id: r.id } },
      h('div', { class: 'rule-main' },
        h('strong', { dataset: { testid: 'rule-name' } }, r.name),
        h('div', { class: 'muted' }, t('rule.method') + ': ' + t('rule.method.' + r.method) + ' · ' + t('rule.old') + ': ' + t('rule.old.' + r.oldConversations)),
        h('div', { class: 'muted' }, t('rule.sources') + ': ', ...(r.sourceIds || []).map((id) => {
          const c = state.connections.find((x) => x.id === id);
          return c ? h('span', { class: 'chip' }, logo(c.channel, 12), ' ', c.displayName) : null;
        })),
        h('div', { class: 'muted' }, t('rule.users') + ': ' + (r.userIds || []).map(userName).join(', '))),
      h('div', { class: 'conn-actions' },
        h('button', { class: 'btn', onclick: () => this.ruleDialog(r) }, t('settings.edit')),
        h('button', { class: 'btn ghost', onclick: () => this.deleteRule(r) }, t('settings.delete')))));
    return h('section', { class: 'card', dataset: { testid: 'rules' } },
      h('div', { class: 'card-head' }, h('h3', {}, t('settings.rules')),
        h('button', { class: 'btn primary', dataset: { testid: 'add-rule' }, onclick: () => this.ruleDialog({ name: '', sourceIds: [], userIds: [], method: 'round_robin', oldConversations: 'none' }) }, '+ ' + t('settings.addRule'))),
      rows.length ? h('ul', { class: 'rule-list' }, ...rows) : h('p', { class: 'muted' }, t('settings.noRules')));
  }

  async deleteRule(r) {
    if (!confirm(t('settings.confirmDelete'))) return;
    try {
      await api('DELETE', `/rules/${encodeURIComponent(r.id)}`);
      await this.enter();
    } catch (e) {
      toast(errorText(e), 'error');
    }
  }

  // ruleDialog edits a rule (SPEC H1): name, sources, users, method, old-conversation policy.
  ruleDialog(rule, after) {
    const dlg = h('dialog', { class: 'dialog wide', 'aria-label': t('rule.title'), dataset: { testid: 'rule-dialog' } });
    dlg.addEventListener('close', () => { dlg.remove(); this.dialogOpen = false; });
    const name = h('input', { type: 'text', value: rule.name || '', required: true, 'aria-label': t('rule.name'), dataset: { testid: 'rule-name-input' } });
    const checks = (items, selected, testid) => h('div', { class: 'checks' }, ...items.map(([id, label, icon]) =>
      h('label', { class: 'check' }, h('input', { type: 'checkbox', value: id, checked: selected.includes(id), dataset: { testid } }), icon || null, h('span', {}, label))));
    const sources = checks(state.connections.filter((c) => c.status !== 'disconnected').map((c) => [c.id, c.displayName, logo(c.channel, 14)]), rule.sourceIds || [], 'rule-source');
    const users = checks([...state.users.values()].filter((u) => u.active !== false).map((u) => [u.id, u.name]), rule.userIds || [], 'rule-user');
    const teamPick = h('select', { 'aria-label': t('rule.addTeam'), dataset: { testid: 'rule-team' }, onchange: () => {
      const team = state.teams.find((x) => x.id === teamPick.value);
      if (team) for (const box of users.querySelectorAll('input')) if (team.memberIds.includes(box.value)) box.checked = true;
      teamPick.value = '';
    } }, h('option', { value: '' }, t('rule.addTeam')), ...state.teams.map((x) => h('option', { value: x.id }, x.name)));
    const radios = (group, values, current, help) => h('div', { class: 'radios' }, ...values.map((v) =>
      h('label', { class: 'radio' }, h('input', { type: 'radio', name: group, value: v, checked: v === current, dataset: { testid: group + '-' + v } }),
        h('span', {}, h('strong', {}, t(group === 'method' ? 'rule.method.' + v : 'rule.old.' + v)),
          help && t('rule.method.' + v + '.help') !== 'rule.method.' + v + '.help' ? h('small', {}, t('rule.method.' + v + '.help')) : null))));
    const method = radios('method', ['round_robin', 'claim'], rule.method || 'round_robin', true);
    const old = radios('old', ['none', 'available', 'all'], rule.oldConversations || 'none', false);
    const errors = h('div', { class: 'form-errors', dataset: { testid: 'rule-errors' } });
    const picked = (box) => [...box.querySelectorAll('input:checked')].map((x) => x.value);
    const save = async () => {
      const body = { name: name.value.trim(), sourceIds: picked(sources), userIds: picked(users),
        method: method.querySelector('input:checked').value, oldConversations: old.querySelector('input:checked').value };
      try {
        const res = rule.id ? await api('PUT', `/rules/${encodeURIComponent(rule.id)}`, body) : await api('POST', '/rules', body);
        dlg.close();
        toast(t('rule.saved'), 'ok');
        if (after) await after(res.rule);
        await this.enter();
      } catch (e) {
        // Each problem once, in the interface language.
        const lines = e instanceof ApiError && e.problems.length ? [...new Set(e.problems.map(problemText))] : [errorText(e)];
        fill(errors, ...lines.map((line) => h('div', { dataset: { testid: 'rule-error' } }, line)));
      }
    };
    const field = (label, el) => h('div', { class: 'field' }, h('span', { class: 'label' }, label), el);
    dlg.append(h('h3', {}, t('rule.title')),
      field(t('rule.name'), name), field(t('rule.sources'), sources), field(t('rule.users'), h('div', {}, teamPick, users)),
      field(t('rule.method'), method), field(t('rule.old'), h('div', {}, old, h('p', { class: 'warning' }, t('rule.oldWarning')))),
      errors,
      h('div', { class: 'dialog-foot' },
        h('button', { class: 'btn ghost', type: 'button', onclick: () => dlg.close() }, t('thread.cancel')),
        h('button', { class: 'btn primary', dataset: { testid: 'rule-save' }, onclick: save }, t('rule.save'))));
    document.body.append(dlg);
    this.dialogOpen = true;
    dlg.showModal();
  }
}
