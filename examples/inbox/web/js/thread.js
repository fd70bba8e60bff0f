// The open conversation: header with owner ("Phụ trách"), claim / done actions, the thread with
// delivery states, and the composer (Enter sends, "/" or the button picks a template, attachments
// by the picker, paste or drag and drop). Drafts are kept per conversation; live updates never
// rebuild the composer or close the owner picker.
import { h, fill, avatar, debounce, toast, uuid, formatBytes } from './dom.js';
import { t, formatTime, errorText, failureText } from './i18n.js';
import { api, upload, attachmentURL, ApiError } from './api.js';
import { state, userName, teamName, connectionName, classificationName, isSupervisor } from './state.js';
import { logo, channelLabel, icon } from './logos.js';

// drafts holds the unsent text of each conversation of this page (by conversation id).
const drafts = new Map();

export class Thread {
  constructor({ onConversation }) {
    this.onConversation = onConversation;
    this.id = '';
    this.conv = null;
    this.detail = null;
    this.messages = [];
    this.more = false;
    this.file = null;
    this.templateId = '';
    this.panel = null;
    this.el = h('section', { class: 'thread-pane', dataset: { testid: 'thread' } });
    this.refetch = debounce(() => this.reloadDetail(), 150);
    this.clear();
  }

  clear() {
    this.id = '';
    this.conv = null;
    fill(this.el, h('div', { class: 'placeholder' }, t('thread.pick')));
  }

  // open shows conversation id; force reloads it even when it is already open; focusComposer puts
  // the keyboard focus in the composer once it is there.
  async open(id, force, focusComposer) {
    if (!id) {
      this.clear();
      return;
    }
    if (id === this.id && !force) {
      if (focusComposer) this.focusComposer();
      return;
    }
    this.id = id;
    this.file = null;
    this.templateId = '';
    const enc = encodeURIComponent(id);
    let detail, msgs, tpls;
    try {
      [detail, msgs, tpls] = await Promise.all([
        api('GET', `/conversations/${enc}`),
        api('GET', `/conversations/${enc}/messages`, null, { limit: 50 }),
        api('GET', `/conversations/${enc}/templates`).catch(() => ({ items: [] })),
      ]);
    } catch (e) {
      if (this.id === id) fill(this.el, h('div', { class: 'placeholder error' }, errorText(e)));
      return;
    }
    if (this.id !== id) return;
    this.detail = detail;
    this.conv = detail.conversation;
    this.messages = msgs.items;
    this.more = !!msgs.more;
    this.templates = tpls.items || [];
    this.render();
    this.markRead();
    if (this.panel) this.panel.open(this.conv);
    if (focusComposer) this.focusComposer();
  }

  // markRead marks the open conversation read after 300 ms of quiet (a burst of customer messages
  // makes one call); switching conversations meanwhile marks the one left at once.
  markRead() {
    if (this.readId && this.readId !== this.id) this.flushRead();
    this.readId = this.id;
    clearTimeout(this.readTimer);
    this.readTimer = setTimeout(() => this.flushRead(), 300);
  }

  flushRead() {
    clearTimeout(this.readTimer);
    const id = this.readId;
    this.readId = '';
    if (id) api('POST', `/conversations/${encodeURIComponent(id)}/read`).catch(() => {});
  }

  focusComposer() {
    if (this.text && !this.text.disabled) this.text.focus();
  }

  // reloadMessages refetches the thread's latest messages without touching the header or the
  // composer (a live update must not close a menu or lose a draft).
  async reloadMessages() {
    const id = this.id;
    try {
      const res = await api('GET', `/conversations/${encodeURIComponent(id)}/messages`, null, { limit: 50 });
      if (this.id !== id || !this.list) return;
      const seen = new Set(res.items.map((m) => m.id));
      this.messages = this.messages.filter((m) => !seen.has(m.id) && m.seq < (res.items[0] ? res.items[0].seq : Infinity)).concat(res.items);
      this.renderMessages(false);
    } catch {
      // the next event or resync tries again
    }
  }

  async reloadDetail() {
    if (!this.id) return;
    const id = this.id;
    try {
      const d = await api('GET', `/conversations/${encodeURIComponent(id)}`);
      if (this.id !== id) return;
      this.detail = d;
      this.conv = d.conversation;
      this.renderHeader();
      this.renderComposerState();
      if (this.panel) this.panel.update(this.conv);
    } catch (e) {
      if (e instanceof ApiError && (e.code === 'not_found' || e.code === 'forbidden')) this.clear();
    }
  }

  render() {
    this.header = h('header', { class: 'thread-header' });
    this.assignBox = h('div', { class: 'assign-box closable', hidden: true, role: 'dialog', 'aria-label': t('thread.ownerPicker'), dataset: { testid: 'assign-box' } });
    this.list = h('div', { class: 'messages', dataset: { testid: 'messages' } });
    this.composer = this.buildComposer();
    fill(this.el, this.header, this.list, this.composer);
    this.renderHeader();
    this.renderMessages(true);
    this.renderComposerState();
  }

  // ---- header: name, owner, actions

  renderHeader() {
    const c = this.conv;
    const me = state.me;
    const owner = c.assigneeId
      ? [avatar(userName(c.assigneeId), '', c.assigneeId, 'small'), h('span', { dataset: { testid: 'owner-name' } }, userName(c.assigneeId))]
      : [h('span', { dataset: { testid: 'owner-name' } }, c.awaitingClaim ? t('list.awaiting') : t('thread.nobody'))];
    const ownerBtn = h('button', { class: 'owner', type: 'button', 'aria-expanded': String(!this.assignBox.hidden), dataset: { testid: 'owner-button' }, onclick: () => this.toggleAssign() },
      h('span', { class: 'owner-label' }, t('thread.owner') + ':'), ...owner,
      c.teamId ? h('span', { class: 'team-chip' }, teamName(c.teamId)) : null, ' ▾');
    const actions = h('div', { class: 'actions' });
    // "Nhận chat" only for whom the server says may claim (a user of the conversation's rule).
    const claimable = c.status === 'open' && !c.assigneeId && this.detail && this.detail.canClaim;
    if (claimable) actions.append(h('button', { class: 'btn primary', type: 'button', dataset: { testid: 'claim' }, onclick: () => this.claim() }, t('thread.claim')));
    if (c.status === 'open') {
      actions.append(h('button', { class: 'btn', dataset: { testid: 'mark-done' }, onclick: () => this.setStatus('done') }, '✓ ' + t('thread.done')));
    } else {
      actions.append(h('span', { class: 'badge done', dataset: { testid: 'done-badge' } }, t('thread.isDone')),
        h('button', { class: 'btn ghost', dataset: { testid: 'reopen' }, onclick: () => this.setStatus('reopen') }, t('thread.reopen')));
    }
    const back = h('a', { href: '#/', class: 'btn icon ghost back-button', title: t('thread.back'), 'aria-label': t('thread.back'), dataset: { testid: 'thread-back' } }, '←');
    const info = h('a', { href: '#/c/' + encodeURIComponent(c.id) + '/info', class: 'btn ghost info-button', dataset: { testid: 'info-button' } }, t('thread.info'));
    // The open picker is the same element across re-renders: its choice survives live updates.
    fill(this.header,
      h('div', { class: 'title-row' }, back, logo(c.channel, 26),
        h('div', { class: 'title' },
          h('h2', { dataset: { testid: 'thread-name' } }, c.contactName || '—'),
          h('div', { class: 'sub' }, channelLabel(c.channel) + ' · ' + connectionName(c.connectionId))),
        actions),
      h('div', { class: 'owner-row' }, ownerBtn, info, this.assignBox));
  }

  toggleAssign() {
    if (!this.assignBox.hidden) {
      this.assignBox.hidden = true;
      return;
    }
    const team = h('select', { dataset: { testid: 'assign-team' } }, h('option', { value: '' }, t('panel.none')),
      ...state.teams.map((x) => h('option', { value: x.id }, x.name)));
    const user = h('select', { dataset: { testid: 'assign-user' } }, h('option', { value: '' }, t('panel.none')),
      ...[...state.users.values()].filter((u) => u.active !== false).map((u) => h('option', { value: u.id }, u.name)));
    team.addEventListener('change', () => { if (team.value) user.value = ''; });
    user.addEventListener('change', () => { if (user.value) team.value = ''; });
    fill(this.assignBox,
      h('label', { class: 'field' }, h('span', {}, t('thread.team')), team),
      h('label', { class: 'field' }, h('span', {}, t('thread.person')), user),
      h('div', { class: 'row' },
        h('button', { class: 'btn primary', type: 'button', dataset: { testid: 'assign-save' }, onclick: () => this.assign(team.value, user.value) }, t('thread.save')),
        h('button', { class: 'btn ghost', type: 'button', onclick: () => { this.assignBox.hidden = true; } }, t('thread.cancel'))));
    this.assignBox.hidden = false;
    team.focus();
  }

  async assign(teamId, userId) {
    if (!teamId && !userId) {
      toast(t('thread.chooseOne'), 'error');
      return;
    }
    this.assignBox.hidden = true;
    await this.act(() => api('POST', `/conversations/${encodeURIComponent(this.id)}/assign`, teamId ? { teamId } : { userId }), t('thread.reassigned'));
  }

  async claim() {
    await this.act(() => api('POST', `/conversations/${encodeURIComponent(this.id)}/claim`));
  }

  async setStatus(what) {
    await this.act(() => api('POST', `/conversations/${encodeURIComponent(this.id)}/${what}`));
  }

  async act(fn, okText) {
    try {
      const res = await fn();
      if (res && res.conversation) this.applyConversation(res.conversation);
      if (okText) toast(okText, 'ok');
    } catch (e) {
      if (e instanceof ApiError && e.code === 'already_claimed') {
        toast(t('thread.claimLost', { name: userName(e.claimedBy) || '?' }), 'error');
        this.reloadDetail();
      } else {
        toast(errorText(e), 'error');
        this.reloadDetail();
      }
    }
  }

  applyConversation(c) {
    if (c.id !== this.id) return;
    this.conv = c;
    if (this.detail) this.detail.conversation = c;
    this.renderHeader();
    this.renderComposerState();
    if (this.panel) this.panel.update(c);
    this.onConversation(c);
    this.refetch();
  }

  // ---- messages

  renderMessages(scroll) {
    const nodes = [];
    if (this.more) nodes.push(h('button', { class: 'btn ghost older', onclick: () => this.loadOlder() }, t('thread.older')));
    for (const m of this.messages) nodes.push(this.messageNode(m));
    const atBottom = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 80;
    // A live update redraws the messages: an open reaction picker stays open.
    const open = [...this.list.querySelectorAll('[data-testid="reaction-picker"]:not([hidden])')].map((p) => p.closest('[data-testid="msg"]').dataset.id);
    fill(this.list, ...nodes);
    for (const id of open) {
      const p = this.list.querySelector(`[data-testid="msg"][data-id="${CSS.escape(id)}"] [data-testid="reaction-picker"]`);
      if (p) p.hidden = false;
    }
    if (scroll || atBottom) this.list.scrollTop = this.list.scrollHeight;
  }

  async loadOlder() {
    if (!this.messages.length) return;
    const res = await api('GET', `/conversations/${encodeURIComponent(this.id)}/messages`, null, { before: this.messages[0].seq, limit: 50 });
    const seen = new Set(this.messages.map((m) => m.id));
    this.messages = res.items.filter((m) => !seen.has(m.id)).concat(this.messages);
    this.more = !!res.more;
    this.renderMessages(false);
  }

  upsertMessage(m) {
    const i = this.messages.findIndex((x) => x.id === m.id);
    if (i >= 0) {
      // A live update may overtake the answer of the send call: keep the newer state.
      if (!newer(m, this.messages[i])) return;
      this.messages[i] = m;
    } else {
      this.messages.push(m);
      this.messages.sort((a, b) => a.seq - b.seq);
    }
    this.renderMessages(i < 0);
  }

  messageNode(m) {
    if (m.direction === 'system') {
      return h('div', { class: 'activity', dataset: { testid: 'activity', kind: m.activity ? m.activity.kind : '' } },
        activityText(m), ' · ', h('time', { datetime: m.createdAt }, formatTime(m.createdAt)));
    }
    const out = m.direction === 'out';
    // A customer message shows the customer's current name on this channel (the provider may
    // have sent a placeholder before the profile was fetched).
    const who = out ? (m.senderName || (m.senderId ? userName(m.senderId) : t('thread.console'))) + ' (' + t('thread.agent') + ')'
      : (this.conv && this.conv.contactName) || m.senderName || t('thread.customer');
    const body = h('div', { class: 'bubble' });
    if (m.text) body.append(h('div', { class: 'text', dataset: { testid: 'msg-text' } }, m.text));
    if (m.type === 'info_request') body.append(h('div', { class: 'text info-request', dataset: { testid: 'msg-info-request' } }, t('thread.infoRequest')));
    for (const a of m.attachments || []) body.append(attachmentNode(a));
    const meta = h('div', { class: 'meta' }, h('span', { class: 'who' }, who), ' · ', h('time', { datetime: m.createdAt }, formatTime(m.sentAt || m.createdAt)));
    if (out) {
      meta.append(' · ', h('span', { class: 'status st-' + m.status, dataset: { testid: 'msg-status' } }, t('status.' + m.status)));
      if (m.status === 'failed') {
        meta.append(h('span', { class: 'failure', dataset: { testid: 'msg-failure', reason: m.failureReasonCode || '' } }, ' — ' + failureText(m)));
        if (m.retryable) meta.append(' ', h('button', { class: 'btn small', type: 'button', dataset: { testid: 'retry' }, onclick: () => this.retry(m) }, t('thread.retry')));
      }
    }
    const node = h('div', { class: 'msg ' + (out ? 'out' : 'in'), dataset: { testid: 'msg', id: m.id, direction: m.direction, status: m.status } }, body);
    const reactions = this.reactionsNode(m);
    if (reactions) node.append(reactions);
    node.append(meta);
    return node;
  }

  // reactionsNode shows the message's reactions, and the picker of the channel's reactions
  // (a click sends the agent's reaction, or takes it back when it is already there).
  reactionsNode(m) {
    const emojis = (this.detail && this.detail.capabilities && this.detail.capabilities.reactionEmojis) || [];
    const list = m.reactions || [];
    const reactable = emojis.length && !['pending', 'sending', 'failed'].includes(m.status) && !this.sendBlock();
    if (!list.length && !reactable) return null;
    const wrap = h('div', { class: 'reactions', dataset: { testid: 'reactions' } });
    for (const r of list) {
      const who = r.direction === 'in' ? t('thread.reactionCustomer') : r.userId ? t('thread.reactionAgent', { name: userName(r.userId) }) : t('thread.reactionShop');
      wrap.append(h('span', { class: 'reaction ' + (r.direction === 'in' ? 'in' : 'out'), title: who, dataset: { testid: 'reaction', direction: r.direction } }, r.emoji));
    }
    if (reactable) {
      const picker = h('span', { class: 'reaction-picker closable', hidden: true, dataset: { testid: 'reaction-picker' } },
        ...emojis.map((e) => h('button', { type: 'button', class: 'btn small ghost', dataset: { testid: 'react-emoji' },
          onclick: () => this.react(m, e, list.some((r) => r.direction === 'out' && r.userId === state.me.id && r.emoji === e)) }, e)));
      wrap.append(h('button', { type: 'button', class: 'btn small ghost react-toggle', title: t('thread.react'), 'aria-label': t('thread.react'),
        dataset: { testid: 'react-button' }, onclick: () => { picker.hidden = !picker.hidden; } }, '☺'), picker);
    }
    return wrap;
  }

  async react(m, emoji, remove) {
    try {
      const res = await api('POST', `/messages/${encodeURIComponent(m.id)}/reactions`, { emoji, remove });
      this.upsertMessage(res.message);
    } catch (e) {
      toast(errorText(e), 'error');
    }
  }

  async retry(m) {
    try {
      const res = await api('POST', `/messages/${encodeURIComponent(m.id)}/retry`);
      this.upsertMessage(res.message);
    } catch (e) {
      toast(errorText(e), 'error');
    }
  }

  // ---- composer

  buildComposer() {
    const caps = this.detail.capabilities || {};
    this.text = h('textarea', { rows: 2, placeholder: t('thread.placeholder'), 'aria-label': t('thread.composerLabel'), dataset: { testid: 'composer' },
      onkeydown: (e) => this.composerKey(e) });
    this.text.value = drafts.get(this.id) || '';
    this.text.addEventListener('input', () => {
      drafts.set(this.id, this.text.value);
      if (!this.text.value.trim()) this.hideTemplateNotice();
      this.slashTemplates();
    });
    this.text.addEventListener('paste', (e) => {
      const f = e.clipboardData && e.clipboardData.files && e.clipboardData.files[0];
      if (f) {
        e.preventDefault();
        this.takeFile(f);
      }
    });
    this.preview = h('div', { class: 'preview', hidden: true, dataset: { testid: 'attachment-preview' } });
    this.notice = h('div', { class: 'notice', hidden: true, dataset: { testid: 'composer-notice' } });
    this.tplNotice = h('div', { class: 'template-notice', hidden: true, role: 'status', dataset: { testid: 'template-notice' } });
    this.fileInput = h('input', { type: 'file', hidden: true, 'aria-label': t('thread.attach'), dataset: { testid: 'file-input' }, onchange: () => this.pickFile() });
    const accept = acceptOf(caps);
    if (accept) this.fileInput.setAttribute('accept', accept);
    const canAttach = caps.images || caps.files;
    const attachTitle = !canAttach ? t('thread.attachDisabled') : caps.files ? t('thread.attach') : t('thread.imagesOnly');
    this.attachBtn = h('button', { class: 'btn icon', type: 'button', title: attachTitle,
      'aria-label': t('thread.attach'), disabled: !canAttach, dataset: { testid: 'attach-button' }, onclick: () => this.fileInput.click() }, icon('clip'));
    this.menu = h('ul', { class: 'menu closable', hidden: true, role: 'listbox', 'aria-label': t('thread.templates'), dataset: { testid: 'template-menu' } });
    this.menu.addEventListener('closed', () => { this.slash = false; this.tplBtn.setAttribute('aria-expanded', 'false'); });
    this.tplBtn = h('button', { class: 'btn icon', type: 'button', title: t('thread.templates'), 'aria-label': t('thread.templates'), 'aria-expanded': 'false',
      dataset: { testid: 'templates-button' }, onclick: () => this.toggleTemplates() }, icon('template'));
    this.sendBtn = h('button', { class: 'btn primary', type: 'button', dataset: { testid: 'send' }, onclick: () => this.send() }, t('thread.send'));
    this.infoBtn = caps.infoRequest
      ? h('button', { class: 'btn small', type: 'button', title: t('thread.requestInfoTitle'), dataset: { testid: 'request-info' },
        onclick: () => this.requestInfo() }, t('thread.requestInfo'))
      : null;
    this.composeRow = h('div', { class: 'compose-row' },
      h('div', { class: 'tools' }, h('div', { class: 'menu-wrap' }, this.tplBtn, this.menu), this.attachBtn, this.fileInput),
      this.text, this.sendBtn);
    const composer = h('div', { class: 'composer' }, this.notice, this.tplNotice, this.preview,
      this.infoBtn ? h('div', { class: 'compose-extra' }, this.infoBtn) : null, this.composeRow);
    this.dropZone();
    return composer;
  }

  // requestInfo sends the channel's request for the customer's contact details (Zalo's card).
  async requestInfo() {
    if (this.sendBlock()) return;
    this.infoBtn.disabled = true;
    const id = this.id;
    try {
      const res = await api('POST', `/conversations/${encodeURIComponent(id)}/info-request`, { idempotencyKey: uuid() });
      if (this.id === id) this.upsertMessage(res.message);
      toast(t('thread.requestInfoSent'), 'ok');
    } catch (e) {
      toast(errorText(e), 'error');
      this.reloadDetail();
    } finally {
      this.renderComposerState();
    }
  }

  // dropZone lets a file dropped on the thread be attached as if picked (set up once per pane).
  dropZone() {
    if (this.dropReady) return;
    this.dropReady = true;
    const has = (e) => e.dataTransfer && [...e.dataTransfer.types].includes('Files');
    this.el.addEventListener('dragover', (e) => {
      if (!has(e) || !this.text || this.text.disabled) return;
      e.preventDefault();
      this.el.classList.add('dragging');
    });
    this.el.addEventListener('dragleave', (e) => { if (!this.el.contains(e.relatedTarget)) this.el.classList.remove('dragging'); });
    this.el.addEventListener('drop', (e) => {
      this.el.classList.remove('dragging');
      if (!has(e) || !this.text || this.text.disabled) return;
      e.preventDefault();
      const f = e.dataTransfer.files[0];
      if (f) this.takeFile(f);
    });
    this.el.dataset.dropHint = t('thread.dropHere');
  }

  composerKey(e) {
    if (!this.menu.hidden && ['ArrowDown', 'ArrowUp', 'Enter', 'Tab'].includes(e.key) && !e.isComposing) {
      const items = [...this.menu.querySelectorAll('[data-testid="template-item"]')];
      if (e.key === 'Enter' || e.key === 'Tab') {
        const pick = items[this.menuActive] || items[0];
        if (pick && (this.slash || e.key === 'Enter')) {
          e.preventDefault();
          pick.click();
          return;
        }
        if (e.key === 'Tab') return;
      } else if (items.length) {
        e.preventDefault();
        this.menuActive = (this.menuActive + (e.key === 'ArrowDown' ? 1 : -1) + items.length) % items.length;
        this.markActive(items);
        return;
      }
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      this.send();
    }
  }

  toggleTemplates() {
    if (!this.menu.hidden) {
      this.menu.hidden = true;
      this.menu.dispatchEvent(new Event('closed'));
      return;
    }
    this.slash = false;
    this.showTemplates('');
  }

  // slashTemplates opens the template menu while the composer holds "/words" (and nothing else),
  // filtered by the words.
  slashTemplates() {
    const m = /^\/([^\n]*)$/.exec(this.text.value);
    if (m && !this.tplBtn.disabled) {
      this.slash = true;
      this.showTemplates(m[1]);
    } else if (this.slash) {
      this.menu.hidden = true;
      this.menu.dispatchEvent(new Event('closed'));
    }
  }

  showTemplates(filter) {
    const f = fold(filter.trim());
    const list = (this.templates || []).filter((tp) => !f || fold(tp.name).includes(f) || fold(tp.body).includes(f));
    this.menuActive = 0;
    fill(this.menu, ...(list.length ? list.map((tp) => h('li', { role: 'option' },
      h('button', { type: 'button', tabindex: -1, dataset: { testid: 'template-item', id: tp.id }, title: tp.body,
        onmousedown: (e) => e.preventDefault(), onclick: () => this.insertTemplate(tp) }, tp.name)))
      : [h('li', { class: 'muted empty-menu' }, t('thread.noTemplates'))]));
    this.markActive([...this.menu.querySelectorAll('[data-testid="template-item"]')]);
    this.menu.hidden = false;
    this.tplBtn.setAttribute('aria-expanded', 'true');
  }

  markActive(items) {
    items.forEach((b, i) => {
      b.classList.toggle('active', i === this.menuActive);
      b.parentElement.setAttribute('aria-selected', String(i === this.menuActive));
    });
  }

  sendBlock() {
    const c = this.conv;
    const me = state.me;
    const w = (this.detail && this.detail.window) || { open: true };
    if (this.detail && this.detail.replyBlocked) return t('thread.cannotSend.noReplyRoute');
    if (c.awaitingClaim) return t('thread.cannotSend.claim');
    if (!isSupervisor() && c.assigneeId !== me.id) {
      if (!c.assigneeId) return t('thread.cannotSend.claim');
      return c.claimed ? t('thread.cannotSend.claimed', { name: userName(c.assigneeId) }) : t('thread.cannotSend.other', { name: userName(c.assigneeId) });
    }
    if (!w.open) return t('thread.windowClosed');
    return '';
  }

  renderComposerState() {
    if (!this.text) return;
    const block = this.sendBlock();
    const w = (this.detail && this.detail.window) || {};
    const caps = (this.detail && this.detail.capabilities) || {};
    let info = block;
    if (!block && w.remainingReplies !== undefined && w.remainingReplies !== null) info = t('thread.remaining', { n: w.remainingReplies });
    if (!block && w.closesAt) info = (info ? info + ' ' : '') + t('thread.closesAt', { time: formatTime(w.closesAt) });
    if (!block && w.humanAgent) info = (info ? info + ' ' : '') + t('thread.humanAgent');
    if (!block && w.freeUntil) {
      const free = Date.parse(w.freeUntil) > Date.now() ? t('thread.freeUntil', { time: formatTime(w.freeUntil) }) : t('thread.freeOver');
      info = (info ? info + ' ' : '') + free;
    }
    this.notice.textContent = info;
    this.notice.hidden = !info;
    this.notice.classList.toggle('blocked', !!block);
    this.text.disabled = !!block;
    this.sendBtn.disabled = !!block;
    this.tplBtn.disabled = !!block;
    this.attachBtn.disabled = !!block || !(caps.images || caps.files);
    if (this.infoBtn) this.infoBtn.disabled = !!block;
    // A customer who cannot be addressed gets no reply box at all, only the reason.
    const noRoute = !!(this.detail && this.detail.replyBlocked);
    this.composeRow.hidden = noRoute;
    if (this.infoBtn) this.infoBtn.hidden = noRoute;
    if (caps.maxTextLength) this.text.maxLength = caps.maxTextLength;
    this.maxTextBytes = caps.maxTextBytes || 0;
  }

  // insertTemplate puts the template, rendered by the server for this conversation, into the
  // composer: the agent sees (and may edit) exactly the text that will be sent, with a note saying
  // which values were not known (an unknown customer name renders a neutral form of address).
  async insertTemplate(tp) {
    const slash = this.slash;
    this.menu.hidden = true;
    this.menu.dispatchEvent(new Event('closed'));
    try {
      const res = await api('POST', `/conversations/${encodeURIComponent(this.id)}/templates/${encodeURIComponent(tp.id)}/render`);
      const ta = this.text;
      if (slash) {
        // The "/words" typed to find the template give way to it.
        ta.value = ta.value.replace(/^\/[^\n]*\n?/, '');
        ta.setSelectionRange(0, 0);
      }
      ta.setRangeText(res.text, ta.selectionStart, ta.selectionEnd, 'end');
      drafts.set(this.id, ta.value);
      this.templateId = tp.id;
      this.showTemplateNotice(tp, res.unknown || []);
      ta.focus();
    } catch (e) {
      toast(errorText(e), 'error');
    }
  }

  showTemplateNotice(tp, unknown) {
    const warnings = [];
    const other = [];
    for (const v of unknown) {
      if (v === 'customer_name') warnings.push(t('thread.templateUnknownName'));
      else if (v === 'customer_phone') warnings.push(t('thread.templateUnknownPhone'));
      else other.push(v);
    }
    if (other.length) warnings.push(t('thread.templateUnknownOther', { names: other.join(', ') }));
    fill(this.tplNotice,
      h('div', { class: 'row' }, h('span', {}, t('thread.templateFilled', { name: tp.name })),
        h('button', { class: 'btn small ghost', type: 'button', onclick: () => this.hideTemplateNotice() }, t('thread.templateDismiss'))),
      ...warnings.map((w) => h('div', { class: 'warn', dataset: { testid: 'template-warning' } }, w)));
    this.tplNotice.hidden = false;
  }

  hideTemplateNotice() {
    if (!this.tplNotice) return;
    fill(this.tplNotice);
    this.tplNotice.hidden = true;
  }

  pickFile() {
    const f = this.fileInput.files && this.fileInput.files[0];
    this.fileInput.value = '';
    if (f) this.takeFile(f);
  }

  // takeFile checks a picked, pasted or dropped file against the channel's capabilities and shows
  // it in the preview.
  takeFile(f) {
    if (this.text.disabled) return;
    const caps = this.detail.capabilities || {};
    const image = f.type.startsWith('image/');
    const allowed = image ? caps.images && (!caps.imageTypes || !caps.imageTypes.length || caps.imageTypes.includes(f.type))
      : caps.files && (!caps.fileTypes || !caps.fileTypes.length || caps.fileTypes.includes(f.type));
    if (!allowed) {
      toast(t('thread.fileType'), 'error');
      return;
    }
    const max = image ? caps.maxImageBytes : caps.maxFileBytes;
    if (max && f.size > max) {
      toast(t('thread.fileTooBig', { max: formatBytes(max) }), 'error');
      return;
    }
    this.setFile(f);
  }

  setFile(f) {
    if (this.previewURL) URL.revokeObjectURL(this.previewURL);
    this.previewURL = '';
    this.file = f;
    if (!f) {
      fill(this.preview);
      this.preview.hidden = true;
      return;
    }
    let thumb;
    if (f.type.startsWith('image/')) {
      this.previewURL = URL.createObjectURL(f);
      thumb = h('img', { src: this.previewURL, alt: f.name, dataset: { testid: 'preview-image' } });
    } else {
      thumb = h('span', { class: 'file-chip' }, icon('file'));
    }
    fill(this.preview, thumb, h('span', { class: 'file-name', dataset: { testid: 'preview-name' } }, f.name + ' · ' + formatBytes(f.size)),
      h('button', { class: 'btn small ghost', type: 'button', title: t('thread.remove'), 'aria-label': t('thread.remove'), dataset: { testid: 'preview-remove' }, onclick: () => this.setFile(null) }, '✕'));
    this.preview.hidden = false;
    this.text.focus();
  }

  async send() {
    if (this.sending || this.sendBlock()) return;
    const text = this.text.value;
    if (!text.trim() && !this.file) return;
    // The server refuses a leftover template placeholder too; say it in the agent's language first.
    const left = text.match(placeholderRE);
    if (left) {
      toast(t('thread.placeholderLeft', { placeholder: left[0] }), 'error');
      return;
    }
    const bytes = new TextEncoder().encode(text).length;
    if (this.maxTextBytes && bytes > this.maxTextBytes) {
      toast(t('thread.tooManyBytes', { n: bytes, max: this.maxTextBytes }), 'error');
      return;
    }
    this.sending = true;
    this.sendBtn.disabled = true;
    const id = this.id;
    try {
      const ids = [];
      if (this.file) ids.push((await upload(this.file)).id);
      const res = await api('POST', `/conversations/${encodeURIComponent(id)}/messages`, {
        text: text.trim() ? text : '', attachmentIds: ids, idempotencyKey: uuid(), templateId: this.templateId,
      });
      drafts.delete(id);
      if (this.id === id) {
        this.text.value = '';
        this.templateId = '';
        this.hideTemplateNotice();
        this.setFile(null);
        this.upsertMessage(res.message);
      }
    } catch (e) {
      toast(errorText(e), 'error');
      this.reloadDetail();
    } finally {
      this.sending = false;
      this.renderComposerState();
    }
  }

  // ---- live events

  onEvent(kind, data) {
    if (!this.id || data.conversationId !== this.id) return;
    if ((kind === 'message.created' || kind === 'message.updated') && data.message) {
      this.upsertMessage(data.message);
      if (data.message.direction === 'in') this.markRead();
    } else if (kind.startsWith('message.')) {
      this.reloadMessages();
    }
    // The reply window and the remaining replies change with every message.
    if (kind.startsWith('conversation.') || kind === 'message.created') this.refetch();
  }
}

// fold lowers s and removes its accents, for matching template names ("cam on" finds "Cảm ơn").
function fold(s) {
  return String(s || '').normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'd').toLowerCase();
}

// placeholderRE matches a template placeholder left in a text ("{{customer_name}}"), as the engine does.
const placeholderRE = /\{\{\s*[A-Za-z0-9_]+\s*\}\}/;

const statusRank = { pending: 0, sending: 1, sent: 2, delivered: 3, seen: 4, failed: 5 };

// newer tells whether message state a is not older than b (by updatedAt, then by status).
function newer(a, b) {
  const ta = Date.parse(a.updatedAt || a.createdAt) || 0;
  const tb = Date.parse(b.updatedAt || b.createdAt) || 0;
  if (ta !== tb) return ta > tb;
  return (statusRank[a.status] ?? 0) >= (statusRank[b.status] ?? 0);
}

function acceptOf(caps) {
  const parts = [];
  if (caps.images) parts.push(...(caps.imageTypes && caps.imageTypes.length ? caps.imageTypes : ['image/*']));
  if (caps.files) {
    if (!caps.fileTypes || !caps.fileTypes.length) return '';
    parts.push(...caps.fileTypes);
  }
  return parts.join(',');
}


function attachmentNode(a) {
  const url = attachmentURL(a);
  if (a.kind === 'sticker' && url) {
    return h('img', { src: url, alt: t('thread.sticker'), class: 'att-sticker', loading: 'lazy', dataset: { testid: 'msg-sticker' } });
  }
  if (a.kind === 'image' && url) {
    return h('a', { href: url, target: '_blank', rel: 'noopener', class: 'att-image' },
      h('img', { src: url, alt: a.name || 'image', loading: 'lazy', dataset: { testid: 'msg-image' } }));
  }
  const label = (a.name || a.kind) + (a.size ? ' · ' + formatBytes(a.size) : '');
  if (!url) return h('span', { class: 'att-file' }, icon('file'), label);
  return h('a', { href: url, class: 'att-file', download: a.name || '', rel: 'noopener', dataset: { testid: 'msg-file' } }, icon('file'), label);
}

// activityText is a history entry in words: who did what, from which value to which (user, team,
// category and classification names resolved from the reference data; ids the page does not know
// are shown as they are).
function activityText(m) {
  const a = m.activity || {};
  const actor = a.actorId ? userName(a.actorId) : t('activity.system');
  let from = a.from || '';
  let to = a.to || '';
  let key = 'activity.' + a.kind;
  switch (a.kind) {
    case 'assigned':
    case 'unassigned':
    case 'claimed':
    case 'awaiting_claim':
      from = userName(a.fromUserId || from);
      to = userName(a.toUserId || to);
      if (a.kind === 'assigned' || a.kind === 'awaiting_claim') key += from ? '' : '.set';
      if (a.kind === 'claimed' && from) key += '.from';
      break;
    case 'team_changed':
    case 'category_changed':
    case 'classification_changed':
    case 'note_changed':
      from = from && valueName[a.kind](from);
      to = to && valueName[a.kind](to);
      key += changeSuffix(from, to);
      break;
    case 'reopened':
      if (!a.actorId) key += '.customer';
      break;
    case 'info_shared': {
      const info = [a.to, a.detail].filter((x) => x).join(', ');
      return info ? t(key, { info }) : t(key + '.empty');
    }
  }
  const text = t(key, { actor, from, to });
  return text === key ? a.kind || '' : text;
}

// valueName shows the value of a detail change: a name or path for an id, a note cut short.
const valueName = {
  team_changed: (id) => teamName(id),
  category_changed: (id) => categoryPathName(id),
  classification_changed: (id) => classificationName(id) || id,
  note_changed: (text) => shorten(text),
};

// changeSuffix picks the key of a change: both values, only a new one (".set"), or only the old one
// (".cleared").
function changeSuffix(from, to) {
  if (!from) return '.set';
  if (!to) return '.cleared';
  return '';
}

// categoryPathName is the path of a category from the root: "Bán hàng › Hỏi giá".
function categoryPathName(id) {
  if (!id) return '';
  const names = [];
  const seen = new Set();
  for (let c = state.categories.find((x) => x.id === id); c && !seen.has(c.id) && names.length < 3;
    c = state.categories.find((x) => x.id === c.parentId)) {
    seen.add(c.id);
    names.unshift(c.name);
  }
  return names.length ? names.join(' › ') : id;
}

// shorten cuts a long note for the one-line history entry.
function shorten(s) {
  const r = [...(s || '')];
  return r.length > 80 ? r.slice(0, 80).join('') + '…' : r.join('');
}
