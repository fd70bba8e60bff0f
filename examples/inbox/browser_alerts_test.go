package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// stubAlertsJS replaces the browser's Notification and AudioContext by recorders: headless
// Chromium has neither a desktop nor speakers.
const stubAlertsJS = `(() => {
	window.__notes = [];
	window.__beeps = 0;
	window.Notification = class { constructor(title, o) { window.__notes.push(title + ' | ' + ((o && o.body) || '')); }
		static requestPermission() { return Promise.resolve('granted'); } };
	window.Notification.permission = 'granted';
	window.AudioContext = class { constructor() { this.currentTime = 0; this.destination = {}; }
		createOscillator() { window.__beeps++; return { frequency: {}, connect: (g) => g, start() {}, stop() {} }; }
		createGain() { return { gain: { setValueAtTime() {}, exponentialRampToValueAtTime() {} }, connect: (d) => d }; } };
})()`

// Alerts are opt-in: with sound and desktop notifications on, a customer writing in the agent's
// conversation and a new conversation for the agent chime and notify, and the tab title counts the
// unread conversations; "n" opens
// the next unread conversation with the focus in the composer; "?" lists the shortcuts and Esc
// closes them.
func TestBrowserAlertsAndShortcuts(t *testing.T) {
	app := startApp(t)
	b := newBrowser(t, app)
	minh := b.login("minh")
	minh.do(chromedp.Evaluate[chromedp.Void](stubAlertsJS))
	minh.do(chromedp.Click(chromedp.CSS(`[data-testid="alerts-button"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="alerts-menu"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="alerts-sound"]`)), chromedp.Click(chromedp.CSS(`[data-testid="alerts-desktop"]`)))
	minh.waitJS(`localStorage.getItem('dakenh.alerts.sound') === '1' && localStorage.getItem('dakenh.alerts.desktop') === '1'`)
	minh.shot("alerts-menu")
	minh.do(chromedp.KeyEvent(kb.Escape))
	minh.waitJS(`document.querySelector('[data-testid="alerts-menu"]').hidden`)

	app.customerSays(kindTikTok, "tt-an", "Nguyễn Văn An", "Shop ơi trả lời em với", nil)
	minh.waitJS(`window.__notes.some(n => n === 'Tin nhắn mới từ Nguyễn Văn An | Shop ơi trả lời em với') && window.__beeps > 0`)
	// minh's unread: An and the seeded Messenger customer Đinh Mỹ Linh.
	minh.waitJS(`document.title === '(2) Tin nhắn đa kênh — dakenh'`)
	// A new conversation for minh (the round-robin's next after the six seeded ones).
	app.customerSays(kindTikTok, "tt-new", "Đinh Thị Mới", "Chào shop", nil)
	minh.waitJS(`window.__notes.some(n => n.startsWith('Hội thoại mới: Đinh Thị Mới'))`)
	minh.waitJS(`document.title === '(3) Tin nhắn đa kênh — dakenh'`)

	// "n" opens the next unread conversation (newest first), ready to answer; again, the ones after.
	for _, name := range []string{"Đinh Thị Mới", "Nguyễn Văn An", "Đinh Mỹ Linh"} {
		minh.do(chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`), chromedp.KeyEvent("n"))
		minh.waitJS(`document.querySelector('[data-testid="thread-name"]')?.textContent === ` + js(name))
		minh.waitJS(`document.activeElement === document.querySelector('[data-testid="composer"]')`)
	}
	// All are read now, those left quickly too.
	minh.waitJS(`document.querySelectorAll('[data-testid="conv-row"].unread').length === 0`)
	// The conversation on screen makes no noise.
	notes := eval[float64](minh, `window.__notes.length`)
	app.customerSays(kindMessenger, "6100000000000001", "Đinh Mỹ Linh", "Em đợi nhé", nil)
	minh.waitJS(`[...document.querySelectorAll('[data-testid="msg-text"]')].some(e => e.textContent === 'Em đợi nhé')`)
	if got := eval[float64](minh, `window.__notes.length`); got != notes {
		t.Fatalf("notified about the conversation on screen: %v", eval[[]string](minh, `window.__notes`))
	}

	minh.do(chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`), chromedp.KeyEvent("?"))
	minh.do(chromedp.WaitVisible(chromedp.CSS(`[data-testid="shortcuts"]`)))
	if text := eval[string](minh, `document.querySelector('[data-testid="shortcuts"]').textContent`); !strings.Contains(text, "Mở hội thoại chưa đọc tiếp theo") {
		t.Fatalf("shortcut list: %q", text)
	}
	minh.a11y("shortcut list")
	minh.shot("shortcuts")
	minh.do(chromedp.KeyEvent(kb.Escape))
	minh.waitJS(`!document.querySelector('[data-testid="shortcuts"]')`)
}

// Keyboard and accessibility: from a list row a few Tab presses reach the composer with a visible
// focus ring (Enter on a row goes there at once); Esc closes the template menu; every control has a
// label; all visible text meets WCAG 2.1 AA contrast on every screen.
func TestBrowserKeyboardFocusLabelsContrast(t *testing.T) {
	app := startApp(t)
	b := newBrowser(t, app)
	hoa := b.login(supervisorID)
	hoa.open("Nguyễn Văn An")
	hoa.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="conv-row"][tabindex="0"]').focus()`))
	tabs := 0
	for ; tabs < 12; tabs++ {
		if eval[bool](hoa, `document.activeElement === document.querySelector('[data-testid="composer"]')`) {
			break
		}
		hoa.do(chromedp.KeyEvent(kb.Tab))
		if ring := eval[string](hoa, `(() => { const s = getComputedStyle(document.activeElement); return s.outlineStyle === 'none' || parseFloat(s.outlineWidth) === 0 ? document.activeElement.outerHTML.slice(0, 100) : ''; })()`); ring != "" {
			t.Fatalf("focus without a visible ring: %s", ring)
		}
	}
	if tabs > 10 {
		t.Fatalf("%d Tab presses from a row did not reach the composer", tabs)
	}
	t.Logf("Tab presses from the list to the composer: %d", tabs)
	hoa.do(chromedp.Evaluate[chromedp.Void](rowJS("Trần Thị Bích")+`.focus()`), chromedp.KeyEvent(kb.Enter))
	hoa.waitJS(`document.querySelector('[data-testid="thread-name"]')?.textContent === 'Trần Thị Bích' && document.activeElement === document.querySelector('[data-testid="composer"]')`)

	hoa.do(chromedp.Click(chromedp.CSS(`[data-testid="templates-button"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="template-menu"]`)))
	hoa.do(chromedp.KeyEvent(kb.Escape))
	hoa.waitJS(`document.querySelector('[data-testid="template-menu"]').hidden`)

	// The contrast check itself: a pale text is caught.
	hoa.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="thread-name"]').insertAdjacentHTML('afterend', '<span id="pale">nhạt</span>'); document.getElementById('pale').style.color = '#999'`))
	if low := hoa.lowContrast(); len(low) != 1 || !strings.Contains(low[0], "nhạt") {
		t.Fatalf("the contrast check missed a pale text: %q", low)
	}
	hoa.do(chromedp.Evaluate[chromedp.Void](`document.getElementById('pale').remove()`))
	hoa.a11y("inbox")
	hoa.do(chromedp.Click(chromedp.CSS(`[data-testid="filters-toggle"]`)))
	hoa.a11y("filters")
	hoa.do(chromedp.Click(chromedp.CSS(`[data-testid="owner-button"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="assign-box"]`)))
	hoa.a11y("owner picker")
	hoa.do(chromedp.KeyEvent(kb.Escape))
	hoa.do(chromedp.Click(chromedp.CSS(`[data-testid="profile-link"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="profile-page"] [data-testid="history"]`)))
	hoa.a11y("profile")
	hoa.do(chromedp.Click(chromedp.CSS(`[data-testid="nav-settings"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="add-rule"]`)))
	hoa.a11y("settings")
	hoa.do(chromedp.Click(chromedp.CSS(`[data-testid="add-rule"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="rule-dialog"]`)))
	hoa.a11y("rule editor")
	hoa.do(chromedp.KeyEvent(kb.Escape))
	hoa.viewport(390, 844)
	hoa.do(chromedp.Navigate(app.url + "/#/c/" + app.conversationOf("Nguyễn Văn An").ID))
	hoa.waitJS(`document.querySelector('[data-testid="thread-name"]')?.textContent === 'Nguyễn Văn An'`)
	hoa.a11y("phone thread")
	hoa.do(chromedp.Navigate(app.url + "/#/"))
	hoa.waitJS(rowJS("Nguyễn Văn An"))
	hoa.a11y("phone list")
	sim := b.anonymous()
	sim.do(chromedp.Navigate(app.url + "/login"))
	sim.waitJS(`document.querySelector('[data-testid^="login-user-"]')`)
	sim.a11y("login")
}
