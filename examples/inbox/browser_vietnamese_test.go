package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/dakenh/dakenh/omnichannel"
)

// Every screen in Vietnamese shows no string of the English catalogue and no English sentence: the
// list and its views and filters, the thread with its menus, the customer panel, the profile, the
// settings with the rule editor's validation, the chat permission dialog, the shortcut list, the
// alerts menu, a refused claim, a refused Zalo text with a PDF, a send failed by a missing token
// (translated from the API's codes), the login page and the customer simulator.
func TestBrowserVietnameseEverywhere(t *testing.T) {
	app := startApp(t)
	b := newBrowser(t, app)
	hoa := b.login(supervisorID)

	hoa.vietnameseOnly("list")
	for _, v := range []string{"mine", "unassigned", "awaiting", "all"} {
		hoa.do(chromedp.Click(chromedp.CSS(`[data-testid="view-` + v + `"]`)))
		hoa.waitJS(`document.querySelector('[data-testid="view-` + v + `"]').classList.contains('active')`)
		hoa.vietnameseOnly("view " + v)
	}
	hoa.do(chromedp.Click(chromedp.CSS(`[data-testid="filters-toggle"]`)))
	hoa.vietnameseOnly("filters")
	hoa.do(chromedp.Click(chromedp.CSS(`[data-testid="filters-toggle"]`)))

	hoa.open("Nguyễn Văn An")
	hoa.waitJS(`document.querySelector('[data-testid="customer-attr"][data-key="tiktok_user_id"]')`)
	hoa.vietnameseOnly("thread and customer panel")
	hoa.do(chromedp.Click(chromedp.CSS(`[data-testid="owner-button"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="assign-box"]`)))
	hoa.vietnameseOnly("owner picker")
	hoa.do(chromedp.KeyEvent(kb.Escape))
	hoa.do(chromedp.Click(chromedp.CSS(`[data-testid="templates-button"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="template-menu"]`)))
	hoa.vietnameseOnly("template menu")
	hoa.do(chromedp.KeyEvent(kb.Escape))
	hoa.do(chromedp.Click(chromedp.CSS(`[data-testid="alerts-button"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="alerts-menu"]`)))
	hoa.vietnameseOnly("alerts menu")
	hoa.do(chromedp.KeyEvent(kb.Escape))
	hoa.do(chromedp.Click(chromedp.CSS(`[data-testid="shortcuts-button"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="shortcuts"]`)))
	hoa.vietnameseOnly("shortcuts")
	hoa.do(chromedp.KeyEvent(kb.Escape))
	hoa.do(chromedp.Click(chromedp.CSS(`[data-testid="profile-link"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="profile-page"] [data-testid="history"]`)))
	hoa.vietnameseOnly("profile")

	// Settings, and the rule editor refusing an empty rule: each problem once, in Vietnamese.
	hoa.do(chromedp.Click(chromedp.CSS(`[data-testid="nav-settings"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="add-rule"]`)))
	hoa.vietnameseOnly("settings")
	hoa.do(chromedp.Click(chromedp.CSS(`[data-testid="add-rule"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="rule-dialog"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="rule-save"]`)))
	hoa.waitJS(`document.querySelectorAll('[data-testid="rule-error"]').length > 0`)
	errs := eval[[]string](hoa, `[...document.querySelectorAll('[data-testid="rule-error"]')].map(e => e.textContent)`)
	for _, want := range []string{"Tên: bắt buộc.", "User nhận hội thoại: bắt buộc."} {
		if n := countOf(errs, want); n != 1 {
			t.Fatalf("rule errors %q: %q shown %d times, want once", errs, want, n)
		}
	}
	hoa.vietnameseOnly("rule editor errors")
	hoa.shot("rule-errors")
	hoa.do(chromedp.KeyEvent(kb.Escape))
	hoa.do(chromedp.Click(chromedp.CSS(`[data-testid="permission-button"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="permission-dialog"]`)))
	hoa.vietnameseOnly("permission dialog")
	hoa.do(chromedp.KeyEvent(kb.Escape))

	// An agent outside the Zalo rule gets no "Nhận chat"; the refusal the API gives anyway is
	// said in Vietnamese.
	minh := b.login("minh")
	minh.do(chromedp.Click(chromedp.CSS(`[data-testid="view-awaiting"]`)))
	minh.open("Phạm Thu Trang")
	minh.waitJS(`document.querySelector('[data-testid="composer-notice"]')?.textContent !== ''`)
	if eval[bool](minh, `!!document.querySelector('[data-testid="claim"]')`) {
		t.Fatal(`"Nhận chat" is offered to an agent outside the conversation's rule`)
	}
	trang := app.conversationOf("Phạm Thu Trang").ID
	refusal := eval[string](minh, `(async () => {
		const { api } = await import('/static/js/api.js');
		const { errorText } = await import('/static/js/i18n.js');
		const { toast } = await import('/static/js/dom.js');
		try { await api('POST', '/conversations/`+trang+`/claim'); return 'claimed'; } catch (e) { toast(errorText(e), 'error'); return errorText(e); }
	})()`, chromedp.EvalAwaitPromise)
	if refusal != "Bạn không thuộc quy tắc chia hội thoại của kênh này nên không nhận chat được." {
		t.Fatalf("claim refusal = %q", refusal)
	}
	minh.vietnameseOnly("claim refused")

	// Zalo sends text and a PDF as two messages: the refusal is a Vietnamese toast.
	nam := b.login("nam")
	nam.do(chromedp.Click(chromedp.CSS(`[data-testid="view-awaiting"]`)))
	nam.open("Phạm Thu Trang")
	nam.do(chromedp.Click(chromedp.CSS(`[data-testid="claim"]`)))
	nam.waitJS(`!document.querySelector('[data-testid="composer"]').disabled`)
	pdf := filepath.Join(t.TempDir(), "bang-gia.pdf")
	if err := os.WriteFile(pdf, []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	nam.do(chromedp.SetUploadFiles(chromedp.CSS(`[data-testid="file-input"]`), []string{pdf}),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="preview-name"]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="composer"]`), "Bảng giá đây ạ"),
		chromedp.KeyEvent(kb.Enter))
	nam.waitJS(`[...document.querySelectorAll('[data-testid="toast"]')].some(e => e.textContent === 'Kênh này gửi chữ và tài liệu thành hai tin riêng: hãy gửi lần lượt.')`)
	nam.vietnameseOnly("zalo text with a pdf")
	nam.shot("zalo-pdf-refused")

	// A send failed by a connection without a token: the reason in Vietnamese, the provider's code kept.
	ctx := context.Background()
	an := app.conversationOf("Nguyễn Văn An")
	if err := app.app.store.Update(ctx, func(tx omnichannel.Tx) error {
		c, err := tx.GetConnection(workspaceID, an.ConnectionID)
		if err != nil {
			return err
		}
		c.Credentials.AccessToken = ""
		return tx.UpdateConnection(c)
	}); err != nil {
		t.Fatal(err)
	}
	minh.do(chromedp.Click(chromedp.CSS(`[data-testid="view-mine"]`)))
	minh.open("Nguyễn Văn An")
	minh.do(chromedp.Click(chromedp.CSS(`[data-testid="composer"]`)), chromedp.SendKeys(chromedp.CSS(`[data-testid="composer"]`), "Dạ còn ạ"), chromedp.KeyEvent(kb.Enter))
	minh.waitJS(`document.querySelector('[data-testid="msg-failure"]')?.dataset.reason === 'token_missing'`)
	failure := eval[string](minh, `document.querySelector('[data-testid="msg-failure"]').textContent`)
	if !strings.Contains(failure, "Kết nối kênh chưa có mã truy cập") || !strings.Contains(failure, "no_token") {
		t.Fatalf("failure shown as %q", failure)
	}
	minh.vietnameseOnly("failed send")
	minh.shot("failed-send")

	// The login page and the customer simulator.
	anon := b.anonymous()
	anon.do(chromedp.Navigate(app.url + "/login"))
	anon.waitJS(`document.querySelector('[data-testid^="login-user-"]')`)
	anon.vietnameseOnly("login")
	anon.do(chromedp.Navigate(app.url + "/sim"))
	anon.do(chromedp.WaitReady(chromedp.CSS(`[data-testid="sim-account"] option`)))
	anon.vietnameseOnly("simulator")

	// The check itself: the same screen in English is caught.
	minh.selectOption("lang", "en")
	minh.waitJS(`document.querySelector('[data-testid="nav-inbox"]')?.textContent === 'Omnichannel messages'`)
	minh.open("Nguyễn Văn An")
	if found := minh.englishOnScreen(); len(found) < 5 {
		t.Fatalf("the English interface went unnoticed: %q", found)
	}
}

func countOf(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}
