package main

import (
	"fmt"
	"strings"

	"github.com/chromedp/chromedp"
)

// viewport sets the page's size (mobile emulation below 769 px, as a phone browser reports it).
func (tb *tab) viewport(width, height int64) {
	tb.t.Helper()
	if width <= 768 {
		tb.do(chromedp.EmulateViewport(width, height, chromedp.EmulateMobile))
	} else {
		tb.do(chromedp.EmulateViewport(width, height))
	}
}

// noOverflow fails when the page scrolls sideways or an element sticks out past the right edge.
func (tb *tab) noOverflow(where string) {
	tb.t.Helper()
	wide := eval[[]string](tb, `(() => {
		const w = document.documentElement.clientWidth;
		const out = [];
		if (document.documentElement.scrollWidth > w + 1) out.push('page ' + document.documentElement.scrollWidth + ' > ' + w);
		for (const el of document.querySelectorAll('body *')) {
			const r = el.getBoundingClientRect();
			if (r.width === 0 || r.height === 0 || getComputedStyle(el).visibility === 'hidden') continue;
			let clipped = false;
			for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
				const o = getComputedStyle(p).overflowX;
				if (o === 'hidden' || o === 'auto' || o === 'scroll' || o === 'clip') { clipped = true; break; }
			}
			if (!clipped && r.right > w + 1) out.push(el.tagName + '.' + el.className + ' right ' + Math.round(r.right));
		}
		return out.slice(0, 5);
	})()`)
	if len(wide) > 0 {
		tb.fail(fmt.Errorf("%s: horizontal overflow: %v", where, wide))
	}
}

// visibleJS is a JavaScript function telling whether an element is shown to the user.
const visibleJS = `const visible = (el) => {
	const r = el.getBoundingClientRect();
	if (r.width === 0 || r.height === 0) return false;
	for (let e = el; e; e = e.parentElement) {
		const s = getComputedStyle(e);
		if (s.display === 'none' || s.visibility === 'hidden' || s.opacity === '0') return false;
	}
	return r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth;
};`

// englishOnScreen returns the visible strings (texts, placeholders, titles, labels) that are
// strings of the English catalogue (those different from the Vietnamese ones, placeholders as
// wildcards), and the visible interface texts that read as English sentences.
func (tb *tab) englishOnScreen() []string {
	tb.t.Helper()
	return eval[[]string](tb, `(async () => {
		const { catalogue } = await import('/static/js/i18n.js');
		const en = catalogue('en'), vi = catalogue('vi');
		const esc = (s) => s.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/[{}]/g, (c) => '\\' + c);
		const patterns = [];
		for (const [k, v] of Object.entries(en)) {
			if (v === vi[k] || !/[A-Za-z]{2}/.test(v)) continue;
			const re = esc(v).replace(/\\\{\w+\\\}/g, '.*?');
			patterns.push([v, new RegExp('^[^\\p{L}]*' + re + '[^\\p{L}]*$', 'u')]);
		}
		`+visibleJS+`
		const found = new Set();
		const check = (text, where) => {
			const s = (text || '').trim();
			if (!s) return;
			for (const [v, re] of patterns) if (re.test(s)) found.add(where + ': ' + s + '  ⇐ "' + v + '"');
		};
		const customer = '.bubble, .conv-row .name, .conv-row .preview, [data-testid="thread-name"], [data-testid="customer-name"], [data-testid="profile-name"], .sub, .kv .v, .h-title, .h-detail, .identities, [data-testid="sim-mine"]';
		const englishWords = /\b(the|must|cannot|please|not|you|your|error)\b/i;
		const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
		for (let n = walker.nextNode(); n; n = walker.nextNode()) {
			const el = n.parentElement;
			if (!el || !visible(el) || ['SCRIPT', 'STYLE', 'OPTION'].includes(el.tagName)) continue;
			check(el.textContent, 'text');
			check(n.textContent, 'text');
			if (!el.closest(customer) && englishWords.test(n.textContent)) found.add('english: ' + n.textContent.trim());
		}
		for (const el of document.querySelectorAll('[placeholder], [title], [aria-label], select')) {
			if (!visible(el)) continue;
			check(el.getAttribute('placeholder'), 'placeholder');
			check(el.getAttribute('title'), 'title');
			check(el.getAttribute('aria-label'), 'aria-label');
			if (el.tagName === 'SELECT' && el.selectedOptions[0]) check(el.selectedOptions[0].textContent, 'option');
		}
		return [...found];
	})()`, chromedp.EvalAwaitPromise)
}

// vietnameseOnly fails when an English string is on screen.
func (tb *tab) vietnameseOnly(where string) {
	tb.t.Helper()
	if found := tb.englishOnScreen(); len(found) > 0 {
		tb.shot("english-" + where)
		tb.t.Fatalf("%s: English in the Vietnamese interface:\n  %s", where, strings.Join(found, "\n  "))
	}
}

// lowContrast returns the visible texts whose colour against their background is under WCAG 2.1
// AA (4.5:1, 3:1 for large text); disabled controls are exempt, as WCAG says.
func (tb *tab) lowContrast() []string {
	tb.t.Helper()
	return eval[[]string](tb, `(() => {
		`+visibleJS+`
		const parse = (c) => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null; const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number); return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 }; };
		const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
		const over = (top, bottom) => ({ r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a), b: top.b * top.a + bottom.b * (1 - top.a), a: 1 });
		const background = (el) => {
			const layers = [];
			for (let e = el; e; e = e.parentElement) {
				const c = parse(getComputedStyle(e).backgroundColor);
				if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
			}
			let bg = { r: 255, g: 255, b: 255, a: 1 };
			for (const c of layers.reverse()) bg = over(c, bg);
			return bg;
		};
		const out = [];
		const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
		for (let n = walker.nextNode(); n; n = walker.nextNode()) {
			const el = n.parentElement;
			if (!el || !n.textContent.trim() || !visible(el) || el.closest(':disabled, [aria-disabled="true"], option')) continue;
			const s = getComputedStyle(el);
			let opacity = 1;
			for (let e = el; e; e = e.parentElement) opacity *= Number(getComputedStyle(e).opacity);
			const bg = background(el);
			const fg = over(Object.assign(parse(s.color), { a: parse(s.color).a * opacity }), bg);
			const [l1, l2] = [lum(fg), lum(bg)].sort((a, b) => b - a);
			const ratio = (l1 + 0.05) / (l2 + 0.05);
			const size = parseFloat(s.fontSize), bold = Number(s.fontWeight) >= 700;
			const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
			if (ratio < need) out.push(ratio.toFixed(2) + ' < ' + need + ': "' + n.textContent.trim().slice(0, 40) + '" ' + s.color + ' on rgb(' + [bg.r, bg.g, bg.b].map(Math.round) + ')');
		}
		return [...new Set(out)].slice(0, 20);
	})()`)
}

// unlabelled returns the visible controls without an accessible name.
func (tb *tab) unlabelled() []string {
	tb.t.Helper()
	return eval[[]string](tb, `(() => {
		`+visibleJS+`
		const out = [];
		for (const el of document.querySelectorAll('button, a[href], input:not([type=hidden]), select, textarea, [role=tab], [role=option], [tabindex="0"]')) {
			if (!visible(el)) continue;
			const name = (el.getAttribute('aria-label') || '').trim() || (el.labels && [...el.labels].map((l) => l.textContent).join('').trim()) ||
				(el.getAttribute('aria-labelledby') ? document.getElementById(el.getAttribute('aria-labelledby'))?.textContent.trim() : '') ||
				(['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName) ? '' : el.textContent.trim()) || (el.getAttribute('title') || '').trim();
			if (!name) out.push(el.outerHTML.slice(0, 120));
		}
		return out;
	})()`)
}

// a11y fails on low contrast or unlabelled controls on the current screen.
func (tb *tab) a11y(where string) {
	tb.t.Helper()
	if low := tb.lowContrast(); len(low) > 0 {
		tb.t.Fatalf("%s: text under WCAG AA contrast:\n  %s", where, strings.Join(low, "\n  "))
	}
	if bare := tb.unlabelled(); len(bare) > 0 {
		tb.t.Fatalf("%s: controls without a label:\n  %s", where, strings.Join(bare, "\n  "))
	}
}
