package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// fileJS builds, in the page, a File named name of type typ from bytes (an array) and hands a
// DataTransfer holding it to the expression then (which sees it as dt).
func fileJS(name, typ string, bytes []byte, then string) string {
	nums := make([]string, len(bytes))
	for i, x := range bytes {
		nums[i] = itoa(int(x))
	}
	return `(() => { const dt = new DataTransfer(); dt.items.add(new File([new Uint8Array([` + strings.Join(nums, ",") + `])], ` + js(name) + `, { type: ` + js(typ) + ` })); ` + then + `; return true; })()`
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// The composer: "/" opens the templates filtered by what follows and Enter inserts the chosen one
// ({{channel}} says "TikTok"); a pasted image and a dropped image get the picker's preview and send;
// a dropped file the channel refuses gets the picker's refusal, in a toast that covers no control.
func TestBrowserComposerSlashPasteDrop(t *testing.T) {
	app := startApp(t)
	b := newBrowser(t, app)
	minh := b.login("minh")
	minh.open("Nguyễn Văn An")
	composer := chromedp.CSS(`[data-testid="composer"]`)
	minh.do(chromedp.Click(composer), chromedp.SendKeys(composer, "/doi tra"))
	minh.waitJS(`!document.querySelector('[data-testid="template-menu"]').hidden`)
	items := eval[[]string](minh, `[...document.querySelectorAll('[data-testid="template-item"]')].map(e => e.textContent)`)
	if len(items) != 1 || items[0] != "Hướng dẫn đổi trả" {
		t.Fatalf(`"/doi tra" offers %q`, items)
	}
	minh.shot("slash-templates")
	minh.do(chromedp.KeyEvent(kb.Enter))
	minh.waitJS(`document.querySelector('[data-testid="composer"]').value.startsWith('Dạ để đổi trả')`)
	if got := eval[string](minh, `document.querySelector('[data-testid="composer"]').value`); !strings.Contains(got, "qua TikTok ạ.") {
		t.Fatalf("{{channel}} rendered as %q", got)
	}
	minh.do(chromedp.Evaluate[chromedp.Void](`(() => { const c = document.querySelector('[data-testid="composer"]'); c.value = ''; c.dispatchEvent(new Event('input')); })()`),
		chromedp.SendKeys(composer, "/khongco"))
	minh.waitJS(`document.querySelector('[data-testid="template-menu"]').textContent === 'Không có mẫu nào khớp.'`)
	minh.do(chromedp.KeyEvent(kb.Escape))
	minh.waitJS(`document.querySelector('[data-testid="template-menu"]').hidden`)
	minh.do(chromedp.Evaluate[chromedp.Void](`(() => { const c = document.querySelector('[data-testid="composer"]'); c.value = ''; c.dispatchEvent(new Event('input')); })()`))

	// Paste an image: the same preview as the picker.
	png := testPNG(t)
	eval[bool](minh, fileJS("dan.png", "image/png", png, `document.querySelector('[data-testid="composer"]').dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }))`))
	minh.waitJS(`document.querySelector('[data-testid="preview-image"]')?.naturalWidth > 0 && document.querySelector('[data-testid="preview-name"]').textContent.startsWith('dan.png')`)
	minh.shot("pasted")
	minh.do(chromedp.Click(chromedp.CSS(`[data-testid="preview-remove"]`)))
	minh.waitJS(`document.querySelector('[data-testid="attachment-preview"]').hidden`)

	// Drop a PDF: TikTok takes no documents, as the picker would say; the toast covers no control.
	eval[bool](minh, fileJS("bang-gia.pdf", "application/pdf", []byte("%PDF-1.4\n%%EOF\n"), `const m = document.querySelector('[data-testid="messages"]');
		m.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
		m.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }))`))
	minh.waitJS(`[...document.querySelectorAll('[data-testid="toast"]')].some(e => e.textContent === 'Kênh này không nhận loại tệp này.')`)
	covered := eval[[]string](minh, `(() => {
		const out = [];
		for (const toast of document.querySelectorAll('[data-testid="toast"]')) {
			const a = toast.getBoundingClientRect();
			for (const el of document.querySelectorAll('button, a[href], input, select, textarea, [tabindex="0"]')) {
				const b = el.getBoundingClientRect();
				if (b.width && b.height && a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) out.push(el.outerHTML.slice(0, 80));
			}
		}
		return out;
	})()`)
	if len(covered) > 0 {
		t.Fatalf("the toast covers controls: %q", covered)
	}
	minh.usable(`[data-testid="composer"]`, `[data-testid="send"]`)
	minh.shot("drop-refused")

	// Drop an image and send it.
	eval[bool](minh, fileJS("keo-tha.png", "image/png", png, `const m = document.querySelector('[data-testid="messages"]');
		m.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
		m.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }))`))
	minh.waitJS(`document.querySelector('[data-testid="preview-name"]')?.textContent.startsWith('keo-tha.png')`)
	minh.do(chromedp.Click(composer), chromedp.KeyEvent(kb.Enter))
	got := app.received(kindTikTok, "tt-an", func(m receivedMessage) bool { return len(m.Attachments) == 1 })
	if !strings.Contains(got.Attachments[0], "image/png") {
		t.Fatalf("emulator received %v", got.Attachments)
	}
}

// The small things: the customer panel shows channel attributes with human labels and initials
// from the letters of the name; the list says "Bạn:" only on what the viewer's own conversation
// sent, "TVV:" on another agent's reply.
func TestBrowserCustomerPanelLabelsAndInitials(t *testing.T) {
	app := startApp(t)
	app.customerSays(kindTikTok, "tt-acc", "An Nguyễn (acc phụ)", "Chào shop", nil)
	b := newBrowser(t, app)
	hoa := b.login(supervisorID)
	hoa.open("An Nguyễn (acc phụ)")
	hoa.waitJS(`document.querySelector('[data-testid="customer"] .customer-head .avatar')?.textContent === 'AN'`)
	hoa.waitJS(`document.querySelector('[data-testid="customer-attr"][data-key="tiktok_user_id"] .k')?.textContent === 'Mã người dùng TikTok'`)
	if raw := eval[bool](hoa, `[...document.querySelectorAll('[data-testid="customer"] .k')].some(e => /_/.test(e.textContent))`); raw {
		t.Fatal("a raw attribute key is shown")
	}
	hoa.shot("customer-panel")

	minh := b.login("minh")
	minh.open("Nguyễn Văn An")
	composer := chromedp.CSS(`[data-testid="composer"]`)
	minh.do(chromedp.Click(composer), chromedp.SendKeys(composer, "Dạ còn size M ạ"), chromedp.KeyEvent(kb.Enter))
	minh.waitJS(rowJS("Nguyễn Văn An") + `?.querySelector('[data-testid="conv-preview"]').textContent === 'Bạn: Dạ còn size M ạ'`)
	hoa.waitJS(rowJS("Nguyễn Văn An") + `?.querySelector('[data-testid="conv-preview"]').textContent === 'TVV: Dạ còn size M ạ'`)
}
