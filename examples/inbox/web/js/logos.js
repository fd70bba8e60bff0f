// Channel logos drawn as inline SVG from static shapes.
import { s } from './dom.js';
import { t } from './i18n.js';

const labels = { tiktok: 'TikTok', zalo: 'Zalo OA', messenger: 'Messenger', instagram: 'Instagram', fake: 'Fake' };

export function channelLabel(kind) {
  return labels[kind] || kind;
}

// logo returns the channel's logo (title = channel name).
export function logo(kind, size) {
  const n = size || 20;
  const svg = s('svg', { viewBox: '0 0 24 24', width: n, height: n, class: 'logo logo-' + kind, role: 'img', 'aria-label': channelLabel(kind) });
  svg.append(s('title', {}, channelLabel(kind)));
  if (kind === 'tiktok') {
    svg.append(
      s('rect', { x: 0, y: 0, width: 24, height: 24, rx: 6, fill: '#111' }),
      // a quaver drawn twice, offset in cyan and pink, then white on top
      ...['#25F4EE', '#FE2C55', '#fff'].map((c, i) => {
        const dx = i === 0 ? -0.7 : i === 1 ? 0.7 : 0;
        return s('g', { fill: c, transform: `translate(${dx} ${i === 0 ? -0.5 : i === 1 ? 0.5 : 0})` },
          s('circle', { cx: 9.5, cy: 15.5, r: 3.2 }),
          s('rect', { x: 11.2, y: 4.5, width: 2.3, height: 11 }),
          s('path', { d: 'M13.5 4.5c.4 2.2 1.9 3.6 4 3.8v2.3c-1.6 0-3-.6-4-1.5z' }));
      }),
    );
  } else if (kind === 'zalo') {
    svg.append(
      s('rect', { x: 0, y: 0, width: 24, height: 24, rx: 6, fill: '#0068FF' }),
      s('path', { d: 'M5 6.5h14a1.5 1.5 0 0 1 1.5 1.5v7a1.5 1.5 0 0 1-1.5 1.5H11l-4 3v-3H5A1.5 1.5 0 0 1 3.5 15V8A1.5 1.5 0 0 1 5 6.5z', fill: '#fff' }),
      s('text', { x: 12, y: 14.2, 'text-anchor': 'middle', 'font-size': 6.2, 'font-weight': 700, 'font-family': 'Arial, sans-serif', fill: '#0068FF' }, 'Zalo'),
    );
  } else if (kind === 'messenger') {
    svg.append(
      s('defs', {}, s('linearGradient', { id: 'lg-msgr-' + n, x1: 0, y1: 1, x2: 1, y2: 0 },
        s('stop', { offset: 0, 'stop-color': '#0099FF' }), s('stop', { offset: 0.6, 'stop-color': '#A033FF' }), s('stop', { offset: 1, 'stop-color': '#FF5280' }))),
      s('rect', { x: 0, y: 0, width: 24, height: 24, rx: 6, fill: `url(#lg-msgr-${n})` }),
      // the speech bubble with its lightning bolt
      s('path', { d: 'M12 4.2c-4.4 0-7.8 3.2-7.8 7.5 0 2.3 1 4.2 2.5 5.6v2.5l2.3-1.3c.9.3 1.9.4 3 .4 4.4 0 7.8-3.2 7.8-7.2S16.4 4.2 12 4.2z', fill: '#fff' }),
      s('path', { d: 'M7.6 13.9l2.6-4.1 2.1 1.6 2.7-1.6-2.6 4.1-2.1-1.6z', fill: '#A033FF' }),
    );
  } else if (kind === 'instagram') {
    svg.append(
      s('defs', {}, s('linearGradient', { id: 'lg-ig-' + n, x1: 0, y1: 1, x2: 1, y2: 0 },
        s('stop', { offset: 0, 'stop-color': '#FEDA75' }), s('stop', { offset: 0.35, 'stop-color': '#FA7E1E' }),
        s('stop', { offset: 0.6, 'stop-color': '#D62976' }), s('stop', { offset: 1, 'stop-color': '#4F5BD5' }))),
      s('rect', { x: 0, y: 0, width: 24, height: 24, rx: 6, fill: `url(#lg-ig-${n})` }),
      // the camera: rounded square, lens and flash
      s('rect', { x: 5, y: 5, width: 14, height: 14, rx: 4, fill: 'none', stroke: '#fff', 'stroke-width': 1.8 }),
      s('circle', { cx: 12, cy: 12, r: 3.3, fill: 'none', stroke: '#fff', 'stroke-width': 1.8 }),
      s('circle', { cx: 16.3, cy: 7.7, r: 1, fill: '#fff' }),
    );
  } else {
    svg.append(
      s('rect', { x: 0, y: 0, width: 24, height: 24, rx: 6, fill: '#6b7280' }),
      s('path', { d: 'M6 7h12v8h-6l-3 3v-3H6z', fill: '#fff' }),
    );
  }
  return svg;
}

// historyIcon is a small glyph for an interaction type.
export function historyIcon(type) {
  const svg = s('svg', { viewBox: '0 0 24 24', width: 16, height: 16, class: 'hicon', 'aria-label': t('history.' + type) });
  if (type === 'call') {
    svg.append(s('path', { d: 'M6.6 10.8a15 15 0 0 0 6.6 6.6l2.2-2.2a1 1 0 0 1 1-.25 11.4 11.4 0 0 0 3.6.6 1 1 0 0 1 1 1V20a1 1 0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1c0 1.25.2 2.45.6 3.6a1 1 0 0 1-.25 1z', fill: '#16a34a' }));
  } else if (type === 'transaction') {
    svg.append(s('path', { d: 'M4 6h16v12H4z M4 9h16', fill: 'none', stroke: '#b45309', 'stroke-width': 2 }));
  } else {
    svg.append(s('path', { d: 'M4 5h16v10H9l-5 4z', fill: '#2563eb' }));
  }
  return svg;
}

// eyeIcon is the "eye" of the profile link.
export function eyeIcon() {
  return s('svg', { viewBox: '0 0 24 24', width: 18, height: 18, class: 'eye', 'aria-hidden': 'true' },
    s('path', { d: 'M12 5C7 5 3 9 1.5 12 3 15 7 19 12 19s9-4 10.5-7C21 9 17 5 12 5z', fill: 'none', stroke: 'currentColor', 'stroke-width': 2 }),
    s('circle', { cx: 12, cy: 12, r: 3, fill: 'currentColor' }));
}

// icon draws a small interface glyph: 'template', 'clip' or 'file'.
export function icon(name) {
  const svg = s('svg', { viewBox: '0 0 24 24', width: 18, height: 18, class: 'icon', 'aria-hidden': 'true', fill: 'none', stroke: 'currentColor', 'stroke-width': 2, 'stroke-linecap': 'round', 'stroke-linejoin': 'round' });
  if (name === 'template') {
    svg.append(s('rect', { x: 4, y: 3, width: 16, height: 18, rx: 2 }), s('path', { d: 'M8 8h8M8 12h8M8 16h5' }));
  } else if (name === 'clip') {
    svg.append(s('path', { d: 'M21 11.5l-8.5 8.5a5 5 0 0 1-7-7L14 4.5a3.5 3.5 0 0 1 5 5L10.5 18a2 2 0 0 1-3-3L15 7.5' }));
  } else {
    svg.append(s('path', { d: 'M14 3H6a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V9z' }), s('path', { d: 'M14 3v6h6' }));
  }
  return svg;
}
