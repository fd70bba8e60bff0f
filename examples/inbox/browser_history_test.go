package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// A Zalo customer whose name the provider does not give: the template fills in the neutral
// "anh/chị" (never the engine's "zalo user …" fallback), the composer shows the rendered text with
// a note that the name is unknown, the agent edits and sends it, and the customer receives exactly
// that. A text still holding a placeholder is not sent. Information the customer shares later
// shows in the history.
func TestBrowserTemplatePreviewForUnknownName(t *testing.T) {
	app := startApp(t)
	b := newBrowser(t, app)
	hoa := b.login(supervisorID)
	app.customerSays(kindZalo, "zl-noname", "", "Shop ơi cho em hỏi", nil)
	fallback := "zalo user noname"
	app.conversationOf(fallback)
	hoa.open(fallback)
	hoa.do(chromedp.Click(chromedp.CSS(`[data-testid="claim"]`)))
	hoa.waitJS(`document.querySelector('[data-testid="owner-name"]').textContent === 'Trần Thị Hoa' && !document.querySelector('[data-testid="templates-button"]').disabled`)
	hoa.do(chromedp.Click(chromedp.CSS(`[data-testid="templates-button"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="template-menu"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="template-item"][data-id="tpl-thanks"]`)))
	hoa.waitJS(`document.querySelector('[data-testid="composer"]').value.includes('anh/chị')`)
	rendered := eval[string](hoa, `document.querySelector('[data-testid="composer"]').value`)
	if !strings.HasPrefix(rendered, "Dạ em cảm ơn anh/chị đã liên hệ") || strings.Contains(rendered, "zalo user") || strings.Contains(rendered, "{{") {
		t.Fatalf("rendered template = %q", rendered)
	}
	hoa.waitJS(`!document.querySelector('[data-testid="template-notice"]').hidden`)
	notice := eval[string](hoa, `document.querySelector('[data-testid="template-notice"]').textContent`)
	warning := eval[string](hoa, `document.querySelector('[data-testid="template-warning"]').textContent`)
	if !strings.Contains(notice, "Cảm ơn khách hàng") || !strings.Contains(warning, "Chưa biết tên khách hàng") {
		t.Fatalf("template notice = %q, warning %q", notice, warning)
	}
	hoa.shot("template-preview-unknown-name")

	composer := chromedp.CSS(`[data-testid="composer"]`)
	hoa.do(chromedp.SendKeys(composer, " Em gửi bảng size ạ."), chromedp.KeyEvent(kb.Enter))
	want := rendered + " Em gửi bảng size ạ."
	app.received(kindZalo, "zl-noname", func(m receivedMessage) bool { return m.Text == want })
	hoa.waitJS(`document.querySelector('[data-testid="template-notice"]').hidden && document.querySelector('[data-testid="composer"]').value === ''`)

	// A placeholder typed by hand is caught before anything is sent.
	hoa.do(chromedp.SendKeys(composer, "Chào {{customer_name}} ạ"), chromedp.KeyEvent(kb.Enter))
	hoa.waitJS(`[...document.querySelectorAll('[data-testid="toast"]')].some(e => e.textContent.includes('{{customer_name}}'))`)
	if v := eval[string](hoa, `document.querySelector('[data-testid="composer"]').value`); strings.TrimSpace(v) != "Chào {{customer_name}} ạ" {
		t.Fatalf("the composer lost the text: %q", v)
	}
	if n := len(app.app.emulators[kindZalo].Received("zl-noname")); n != 1 {
		t.Fatalf("the emulator received %d messages, want 1", n)
	}

	// The customer shares a phone number through Zalo's form: the history says so.
	if err := app.app.customerWrites(context.Background(), kindZalo, customerMessage{CustomerID: "zl-noname", Phone: "0912 345 679"}); err != nil {
		t.Fatal(err)
	}
	hoa.waitJS(activityJS("info_shared", "Khách hàng đã chia sẻ thông tin: +84912345679"))
}

// The history says who moved the conversation, from whom and to whom, and which category it had
// and has, with the time; in Vietnamese and in English.
func TestBrowserHistoryShowsFromAndTo(t *testing.T) {
	app := startApp(t)
	b := newBrowser(t, app)
	hoa := b.login(supervisorID)
	hoa.open("Nguyễn Văn An")
	hoa.waitJS(`document.querySelector('[data-testid="owner-name"]').textContent === 'Nguyễn Minh Anh'`)
	hoa.do(chromedp.Click(chromedp.CSS(`[data-testid="owner-button"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="assign-box"]`)))
	hoa.selectOption("assign-user", "bao")
	hoa.do(chromedp.Click(chromedp.CSS(`[data-testid="assign-save"]`)))
	moved := "Trần Thị Hoa chuyển từ Nguyễn Minh Anh sang Phạm Quốc Bảo"
	hoa.waitJS(activityJS("assigned", moved))

	for n, path := range [][3]string{{"cat-complaint", "cat-wrong-product", "cat-wrong-color"}, {"cat-product", "cat-price", "cat-promo"}} {
		for i, id := range path {
			hoa.selectOption(fmt.Sprintf("cat%d", i+1), id)
		}
		hoa.do(chromedp.Click(chromedp.CSS(`[data-testid="save-details"]`)))
		hoa.waitJS(fmt.Sprintf(`document.querySelectorAll('[data-testid="activity"][data-kind="category_changed"]').length === %d`, n+1))
	}
	changed := "Trần Thị Hoa đổi danh mục: Khiếu nại › Sai sản phẩm › Sai màu sản phẩm → Hỏi về sản phẩm › Giá › Khuyến mãi"
	hoa.waitJS(activityJS("category_changed", changed))
	hoa.waitJS(activityJS("category_changed", "Trần Thị Hoa chọn danh mục: Khiếu nại › Sai sản phẩm › Sai màu sản phẩm"))
	hoa.shot("history-from-to")

	hoa.selectOption("lang", "en")
	hoa.waitJS(`document.querySelector('[data-testid="nav-inbox"]')?.textContent === 'Omnichannel messages'`)
	hoa.open("Nguyễn Văn An")
	hoa.waitJS(activityJS("assigned", "Trần Thị Hoa moved it from Nguyễn Minh Anh to Phạm Quốc Bảo"))
	hoa.waitJS(activityJS("category_changed", "Trần Thị Hoa changed the category: Khiếu nại › Sai sản phẩm › Sai màu sản phẩm → Hỏi về sản phẩm › Giá › Khuyến mãi"))
	hoa.shot("history-from-to-english")
}

// activityJS is true when an activity entry of kind reads text, followed by its time.
func activityJS(kind, text string) string {
	return `[...document.querySelectorAll('[data-testid="activity"][data-kind="` + kind + `"]')].some(e => ` +
		`e.firstChild.textContent === ` + js(text) + ` && e.querySelector('time')?.textContent !== '')`
}
