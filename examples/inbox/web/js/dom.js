// DOM helpers. Every text goes through text nodes (textContent): data is never parsed as HTML.

// h builds an element: h('a', {href: '#', class: 'x', onclick: fn, dataset: {id: 1}}, 'text', child).
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  setProps(el, props);
  append(el, children);
  return el;
}

function setProps(el, props) {
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value' || k === 'checked' || k === 'selected' || k === 'disabled') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
}

// clear removes every child of el, then appends children.
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const SVG = 'http://www.w3.org/2000/svg';

// s builds an SVG element from static attributes.
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const c of children.flat()) el.append(c instanceof Node ? c : String(c));
  return el;
}

// initials of a person's name, for avatars without a picture: the first letters of the last two
// words of the name, leaving out what is in brackets and whatever is not a letter ("Nguyễn Minh
// Anh" → "MA", "An Nguyễn (acc phụ)" → "AN").
export function initials(name) {
  const words = String(name || '').replace(/[([{][^)\]}]*[)\]}]?/g, ' ').split(/\s+/)
    .map((w) => w.replace(/[^\p{L}\p{N}]/gu, '')).filter((w) => w);
  if (!words.length) return '?';
  const pick = words.length > 1 ? words.slice(-2) : words;
  return pick.map((p) => [...p][0].toLocaleUpperCase()).join('');
}

// hue derives a stable colour from an id.
export function hue(id) {
  let x = 0;
  for (const ch of String(id)) x = (x * 31 + ch.codePointAt(0)) % 360;
  return x;
}

// avatar is a round picture or initials; the full name shows on hover (title).
export function avatar(name, url, id, extraClass) {
  const cls = 'avatar' + (extraClass ? ' ' + extraClass : '');
  if (url && /^(https:|\/)/.test(url)) {
    return h('img', { class: cls, src: url, alt: name || '', title: name || '' });
  }
  const el = h('span', { class: cls, title: name || '', 'aria-label': name || '' }, initials(name));
  el.style.setProperty('--hue', String(hue(id || name)));
  return el;
}

// debounce delays fn until calls stop for ms.
export function debounce(fn, ms) {
  let t;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}

// uuid makes an idempotency key.
export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

// toast shows a short message in the band under the top bar: the band takes its own room in the
// page (it never lies over the composer or a control) and a toast leaves after 5 s.
export function toast(text, kind) {
  let box = document.getElementById('toasts');
  if (!box) {
    box = h('div', { id: 'toasts', role: 'status', 'aria-live': 'polite' });
    const view = document.getElementById('view');
    if (view) view.before(box);
    else document.body.prepend(box);
  }
  const t = h('div', { class: 'toast ' + (kind || ''), dataset: { testid: 'toast' } }, text);
  box.append(t);
  setTimeout(() => t.remove(), 5000);
}

// formatBytes prints a size for people.
export function formatBytes(n) {
  if (n < 1024) return n + ' B';
  if (n < 1024 * 1024) return (n / 1024).toFixed(1) + ' KB';
  return (n / 1024 / 1024).toFixed(1) + ' MB';
}
