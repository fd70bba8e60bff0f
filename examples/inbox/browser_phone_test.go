package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// At 390×844 the list, the thread and the customer panel are screens with back navigation, nothing
// scrolls sideways, and the composer and "Gửi" stay usable when the on-screen keyboard takes half
// the height. Every screen is also taken at 1440 px; no screen overflows at either width.
func TestBrowserPhoneLayoutScreens(t *testing.T) {
	app := startApp(t)
	b := newBrowser(t, app)
	minh := b.login("minh")

	// Desktop: the three columns side by side.
	minh.open("Nguyễn Văn An")
	minh.noOverflow("1440 inbox")
	minh.shot("1440-inbox")

	minh.viewport(390, 844)
	minh.do(chromedp.Navigate(app.url + "/#/"))
	minh.waitJS(rowJS("Nguyễn Văn An"))
	minh.waitJS(`getComputedStyle(document.querySelector('[data-testid="thread"]')).display === 'none'`)
	minh.noOverflow("390 list")
	minh.shot("390-list")

	// The list may redraw under a live update: click the row as it is when the click happens.
	minh.do(chromedp.Evaluate[chromedp.Void](rowJS("Nguyễn Văn An") + `.click()`))
	minh.waitJS(`document.querySelector('[data-testid="thread-name"]')?.textContent === 'Nguyễn Văn An'`)
	minh.waitJS(`getComputedStyle(document.querySelector('.list-pane')).display === 'none' && getComputedStyle(document.querySelector('[data-testid="thread-back"]')).display !== 'none'`)
	minh.noOverflow("390 thread")
	phoneThread := minh.shot("390-thread")
	minh.usable(`[data-testid="composer"]`, `[data-testid="send"]`)

	// The on-screen keyboard takes 340 px: the composer and the send button stay on screen and work.
	minh.viewport(390, 504)
	minh.do(chromedp.Click(chromedp.CSS(`[data-testid="composer"]`)))
	minh.usable(`[data-testid="composer"]`, `[data-testid="send"]`)
	minh.noOverflow("390 thread with keyboard")
	minh.shot("390-keyboard")
	minh.do(chromedp.SendKeys(chromedp.CSS(`[data-testid="composer"]`), "Dạ size M còn ạ."),
		chromedp.Click(chromedp.CSS(`[data-testid="send"]`)))
	app.received(kindTikTok, "tt-an", func(m receivedMessage) bool { return m.Text == "Dạ size M còn ạ." })
	minh.viewport(390, 844)

	// The customer panel is a screen of its own, with the way back to the conversation.
	minh.clickJS(`[data-testid="info-button"]`)
	minh.waitJS(`document.querySelector('[data-testid="customer-name"]')?.textContent === 'Nguyễn Văn An' && getComputedStyle(document.querySelector('[data-testid="thread"]')).display === 'none'`)
	minh.noOverflow("390 customer")
	minh.shot("390-customer")
	minh.clickJS(`[data-testid="panel-back"]`)
	minh.waitJS(`getComputedStyle(document.querySelector('[data-testid="thread"]')).display !== 'none'`)
	minh.clickJS(`[data-testid="thread-back"]`)
	minh.waitJS(`getComputedStyle(document.querySelector('.list-pane')).display !== 'none' && getComputedStyle(document.querySelector('[data-testid="thread"]')).display === 'none'`)
	// The browser's back button walks the same screens.
	minh.do(chromedp.NavigateBack())
	minh.waitJS(`getComputedStyle(document.querySelector('[data-testid="thread"]')).display !== 'none'`)

	// The profile page, and the folded top bar menu.
	minh.do(chromedp.Navigate(app.url + "/#/customer/" + app.conversationOf("Nguyễn Văn An").ID))
	minh.waitJS(`document.querySelector('[data-testid="profile-name"]')`)
	minh.noOverflow("390 profile")
	minh.shot("390-profile")
	minh.do(chromedp.Click(chromedp.CSS(`[data-testid="menu-button"]`)))
	minh.waitJS(`getComputedStyle(document.querySelector('[data-testid="nav-inbox"]')).display !== 'none' && document.querySelector('[data-testid="nav-inbox"]').getBoundingClientRect().width > 0`)
	minh.noOverflow("390 menu")
	minh.shot("390-menu")
	minh.do(chromedp.KeyEvent(kb.Escape))
	minh.waitJS(`document.querySelector('[data-testid="nav-inbox"]').getBoundingClientRect().width === 0`)
	minh.viewport(1440, 900)
	minh.noOverflow("1440 profile")
	minh.shot("1440-profile")

	// The supervisor's settings, the rule editor and the login page at both widths.
	hoa := b.login(supervisorID)
	for _, w := range []int64{1440, 390} {
		hoa.viewport(w, map[int64]int64{1440: 900, 390: 844}[w])
		hoa.do(chromedp.Navigate(app.url + "/#/settings"))
		hoa.waitJS(`document.querySelector('[data-testid="add-rule"]')`)
		hoa.noOverflow("settings")
		hoa.shot(map[int64]string{1440: "1440", 390: "390"}[w] + "-settings")
		hoa.do(chromedp.Click(chromedp.CSS(`[data-testid="add-rule"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="rule-dialog"]`)))
		hoa.noOverflow("rule editor")
		hoa.shot(map[int64]string{1440: "1440", 390: "390"}[w] + "-rule-editor")
		hoa.do(chromedp.KeyEvent(kb.Escape))
		hoa.waitJS(`!document.querySelector('[data-testid="rule-dialog"]')`)
	}
	sim := b.anonymous()
	sim.viewport(390, 844)
	sim.do(chromedp.Navigate(app.url + "/login"))
	sim.waitJS(`document.querySelector('#password')`)
	sim.noOverflow("390 login")
	sim.shot("390-login")

	// DAKENH_DOCS_DIR=docs keeps the phone thread as the README's picture.
	if dir := os.Getenv("DAKENH_DOCS_DIR"); dir != "" {
		data, err := os.ReadFile(phoneThread)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "inbox-phone.png"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// usable fails unless every selector's element is on screen, not covered and enabled.
func (tb *tab) usable(selectors ...string) {
	tb.t.Helper()
	for _, sel := range selectors {
		tb.waitJS(`(() => { const el = document.querySelector(` + js(sel) + `); if (!el || el.disabled) return false;
			const r = el.getBoundingClientRect();
			if (r.width < 24 || r.height < 24 || r.top < 0 || r.left < 0 || r.bottom > innerHeight || r.right > innerWidth) return false;
			const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
			return hit === el || el.contains(hit); })()`)
	}
}

// clickJS clicks the element of selector as it is when the click happens (the header and the list
// redraw under live updates, which can replace a node between finding it and clicking it).
func (tb *tab) clickJS(selector string) {
	tb.t.Helper()
	tb.waitJS(`document.querySelector(` + js(selector) + `)`)
	tb.do(chromedp.Evaluate[chromedp.Void](`document.querySelector(` + js(selector) + `).click()`))
}
