package main

import (
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// viewCountJS is the unread count shown on a view's tab (0 when none).
func viewCountJS(view string) string {
	return `Number(document.querySelector('[data-testid="view-` + view + `"] [data-testid="view-count"]')?.textContent || 0)`
}

// An agent lands on "Của tôi" (only their conversations); "Chưa phân công", "Chờ nhận chat" and
// "Tất cả" are one click away, each with its unread count, which follows new messages live, as does
// the tab title. "Nhận chat" is offered only to the users of the conversation's rule.
func TestBrowserViewsCountsAndClaimButton(t *testing.T) {
	app := startApp(t)
	b := newBrowser(t, app)
	minh := b.login("minh")
	minh.waitJS(`document.querySelector('[data-testid="view-mine"]').classList.contains('active')`)
	names := eval[[]string](minh, `[...document.querySelectorAll('[data-testid="conv-name"]')].map(e => e.textContent)`)
	// The care rule's six seeded conversations give minh two: a TikTok and a Messenger customer.
	if len(names) != 2 || names[0] != "Đinh Mỹ Linh" || names[1] != "Nguyễn Văn An" {
		t.Fatalf(`"Của tôi" of minh lists %q, want only Đinh Mỹ Linh and Nguyễn Văn An`, names)
	}
	minh.waitJS(viewCountJS("mine") + ` === 2 && ` + viewCountJS("all") + ` === 8 && ` + viewCountJS("awaiting") + ` === 2`)
	minh.waitJS(`document.title.startsWith('(2) ')`)
	minh.shot("views")

	// A customer of minh writes: the count of "Của tôi" and the title follow without a reload.
	minh.do(chromedp.Evaluate[chromedp.Void](`window.__sameDocument = true`))
	app.customerSays(kindTikTok, "tt-live2", "Đặng Thu Hà", "Shop ơi còn áo khoác không?", nil)
	conv := app.conversationOf("Đặng Thu Hà")
	mine := 2
	if conv.AssigneeID == "minh" {
		mine = 3
	}
	minh.waitJS(viewCountJS("mine") + ` === ` + strconv.Itoa(mine) + ` && ` + viewCountJS("all") + ` === 9`)
	minh.waitJS(`document.title.startsWith('(` + strconv.Itoa(mine) + `) ')`)
	if !eval[bool](minh, `window.__sameDocument === true`) {
		t.Fatal("the page reloaded")
	}

	minh.do(chromedp.Click(chromedp.CSS(`[data-testid="view-awaiting"]`)))
	minh.waitJS(`document.querySelectorAll('[data-testid="conv-row"]').length === 2 && !!` + rowJS("Phạm Thu Trang") + ` && !!` + rowJS("Lê Hoàng Phúc"))
	minh.do(chromedp.Click(chromedp.CSS(`[data-testid="view-unassigned"]`)))
	minh.waitJS(`[...document.querySelectorAll('[data-testid="conv-row"]')].every(r => r.querySelector('[data-testid="conv-assignee"] .badge'))`)
	minh.do(chromedp.Click(chromedp.CSS(`[data-testid="view-awaiting"]`)))
	minh.open("Phạm Thu Trang")
	minh.waitJS(`document.querySelector('[data-testid="composer-notice"]')?.textContent.includes('Nhận chat')`)
	if eval[bool](minh, `!!document.querySelector('[data-testid="claim"]')`) {
		t.Fatal(`"Nhận chat" offered to minh, who is not a user of the Zalo rule`)
	}
	minh.shot("no-claim-outside-rule")

	nam := b.login("nam")
	nam.do(chromedp.Click(chromedp.CSS(`[data-testid="view-awaiting"]`)))
	nam.open("Phạm Thu Trang")
	nam.do(chromedp.WaitVisible(chromedp.CSS(`[data-testid="claim"]`)))
	nam.shot("claim-in-rule")
	hoa := b.login(supervisorID)
	hoa.waitJS(`document.querySelector('[data-testid="view-all"]').classList.contains('active')`)
}

// Live updates never close the owner picker or the template menu, nor lose a draft; drafts are
// kept per conversation when switching.
func TestBrowserLiveUpdatesKeepPickerMenuAndDrafts(t *testing.T) {
	app := startApp(t)
	b := newBrowser(t, app)
	hoa := b.login(supervisorID)
	hoa.open("Nguyễn Văn An")
	composer := chromedp.CSS(`[data-testid="composer"]`)
	hoa.do(chromedp.Click(composer), chromedp.SendKeys(composer, "Nháp cho An"))

	hoa.do(chromedp.Click(chromedp.CSS(`[data-testid="owner-button"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="assign-box"]`)))
	hoa.selectOption("assign-user", "lan")
	app.customerSays(kindTikTok, "tt-an", "Nguyễn Văn An", "Shop ơi em hỏi thêm", nil)
	app.customerSays(kindTikTok, "tt-bich", "Trần Thị Bích", "Shop ơi", nil)
	hoa.waitJS(`[...document.querySelectorAll('[data-testid="msg-text"]')].some(e => e.textContent === 'Shop ơi em hỏi thêm')`)
	hoa.waitJS(rowJS("Trần Thị Bích") + `?.querySelector('[data-testid="conv-preview"]').textContent === 'Shop ơi'`)
	if !eval[bool](hoa, `!document.querySelector('[data-testid="assign-box"]').hidden && document.querySelector('[data-testid="assign-user"]').value === 'lan'`) {
		t.Fatal("the owner picker closed or lost its choice when the customer wrote")
	}
	hoa.shot("picker-kept")
	hoa.do(chromedp.KeyEvent(kb.Escape))
	hoa.waitJS(`document.querySelector('[data-testid="assign-box"]').hidden`)

	hoa.do(chromedp.Click(chromedp.CSS(`[data-testid="templates-button"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="template-menu"]`)))
	app.customerSays(kindTikTok, "tt-an", "Nguyễn Văn An", "Em chờ shop nhé", nil)
	hoa.waitJS(`[...document.querySelectorAll('[data-testid="msg-text"]')].some(e => e.textContent === 'Em chờ shop nhé')`)
	if !eval[bool](hoa, `!document.querySelector('[data-testid="template-menu"]').hidden`) {
		t.Fatal("the template menu closed when the customer wrote")
	}
	if got := eval[string](hoa, `document.querySelector('[data-testid="composer"]').value`); got != "Nháp cho An" {
		t.Fatalf("draft after live updates = %q", got)
	}
	hoa.do(chromedp.KeyEvent(kb.Escape))

	hoa.open("Trần Thị Bích")
	hoa.waitJS(`document.querySelector('[data-testid="composer"]').value === ''`)
	hoa.do(chromedp.Click(composer), chromedp.SendKeys(composer, "Nháp cho Bích"))
	hoa.open("Nguyễn Văn An")
	hoa.waitJS(`document.querySelector('[data-testid="composer"]').value === 'Nháp cho An'`)
	hoa.open("Trần Thị Bích")
	hoa.waitJS(`document.querySelector('[data-testid="composer"]').value === 'Nháp cho Bích'`)
	hoa.shot("drafts")
}
