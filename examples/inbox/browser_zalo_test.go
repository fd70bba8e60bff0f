package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Zalo in the web inbox: the composer says until when replies are free; a customer's reaction
// shows on the agent's reply; the agent reacts to the customer's message and sends the
// "Xin thông tin khách hàng" card from the composer; an anonymous customer whose conversation id
// is unknown gets no reply box, only the reason, in Vietnamese and in English.
func TestBrowserZaloReactionsInfoRequestAndAnonymous(t *testing.T) {
	app := startApp(t)
	b := newBrowser(t, app)
	hoa := b.login(supervisorID)
	zalo := app.app.emulators[kindZalo].(*zaloEmulator).srv
	hook := app.app.webhookURL(kindZalo)
	ctx := context.Background()

	app.customerSays(kindZalo, "zl-react", "Đỗ Thu Trang", "Shop ơi còn váy hoa không?", nil)
	app.conversationOf("Đỗ Thu Trang")
	hoa.open("Đỗ Thu Trang")
	hoa.do(chromedp.Click(chromedp.CSS(`[data-testid="claim"]`)))
	hoa.waitJS(`!document.querySelector('[data-testid="composer"]').disabled`)
	hoa.waitJS(`document.querySelector('[data-testid="composer-notice"]').textContent.includes('miễn phí')`)

	hoa.do(chromedp.SendKeys(chromedp.CSS(`[data-testid="composer"]`), "Dạ còn ạ"), chromedp.KeyEvent(kb.Enter))
	reply := app.received(kindZalo, "zl-react", func(m receivedMessage) bool { return m.Text == "Dạ còn ạ" })
	if err := zalo.CustomerReacts(ctx, hook, "zl-react", reply.ProviderMessageID, "/-heart"); err != nil {
		t.Fatal(err)
	}
	hoa.waitJS(`[...document.querySelectorAll('[data-testid="msg"][data-direction="out"] [data-testid="reaction"][data-direction="in"]')].some(e => e.textContent === '❤️')`)

	// The agent reacts to the customer's message.
	in := `document.querySelector('[data-testid="msg"][data-direction="in"]')`
	hoa.do(chromedp.Click(chromedp.JSPath(in + `.querySelector('[data-testid="react-button"]')`)))
	hoa.do(chromedp.Click(chromedp.JSPath(`[...` + in + `.querySelectorAll('[data-testid="react-emoji"]')].find(e => e.textContent === '👍')`)))
	hoa.waitJS(in + `.querySelector('[data-testid="reaction"][data-direction="out"]')?.textContent === '👍'`)
	if rs := zalo.Reactions(); len(rs) != 1 || rs[0].Icon != "/-strong" {
		t.Fatalf("Zalo got reactions %+v", rs)
	}

	// "Xin thông tin khách hàng" from the composer.
	btn := `document.querySelector('[data-testid="request-info"]')`
	hoa.waitJS(btn + `?.textContent === 'Xin thông tin khách hàng'`)
	hoa.do(chromedp.Click(chromedp.JSPath(btn)))
	hoa.waitJS(`document.querySelector('[data-testid="msg-info-request"]')`)
	hoa.waitJS(`document.querySelector('[data-testid="msg-info-request"]').closest('[data-testid="msg"]').dataset.status === 'sent'`)
	cards := 0
	for _, m := range zalo.Sent() {
		if m.InfoRequest != nil && m.UserID == "zl-react" {
			cards++
		}
	}
	if cards != 1 {
		t.Fatalf("Zalo got %d request_user_info cards, want 1", cards)
	}
	hoa.shot("zalo-reactions-info-request")

	// An anonymous customer whose delivery lacked the conversation id: no reply box, the reason.
	if err := zalo.Post(ctx, hook, zalo.AnonymousSend("text", "anon-zx81", "", "anon-msg-1", "Cho hỏi giá")); err != nil {
		t.Fatal(err)
	}
	anon := "zalo user n-zx81"
	app.conversationOf(anon)
	hoa.open(anon)
	hoa.waitJS(`document.querySelector('.compose-row').hidden && document.querySelector('[data-testid="composer-notice"]').textContent.includes('ẩn danh')`)
	hoa.selectOption("lang", "en")
	hoa.waitJS(`document.querySelector('[data-testid="nav-inbox"]')?.textContent === 'Omnichannel messages'`)
	hoa.open(anon)
	hoa.waitJS(`document.querySelector('[data-testid="composer-notice"]').textContent.includes('anonymously')`)
	if n := len(zalo.RequestsTo("/v2.0/oa/message")); n != 1 {
		t.Fatalf("%d calls to the v2 message endpoint, want the one reaction", n)
	}
	if text := eval[string](hoa, `document.querySelector('[data-testid="composer-notice"]').textContent`); strings.Contains(text, "no_reply_route") {
		t.Fatalf("the notice shows a code: %q", text)
	}
}
