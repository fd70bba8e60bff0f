package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/dakenh/dakenh/omnichannel"
)

// The Meta walk: the supervisor connects a second Facebook Page through the emulator's login
// dialog (unchecking the Page and Instagram account already connected), shares it with the care
// team's round-robin rule; a Messenger customer writes to that Page and the conversation goes to
// one of the team; that agent replies with an image, which reaches the customer; the customer's
// delivery and read receipts turn the reply "seen" in the agent's thread.
func TestBrowserMetaConnectWriteReplyImageSeen(t *testing.T) {
	app := startApp(t)
	ctx := context.Background()
	emu := app.app.emulators[kindMessenger].(*metaEmulator)
	pages := emu.srv.Pages()
	b := newBrowser(t, app)
	hoa := b.login(supervisorID)
	hoa.do(chromedp.Click(chromedp.CSS(`[data-testid="nav-settings"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="connect-messenger"]`)))
	hoa.waitJS(`document.querySelectorAll('[data-testid="channel-messenger"] svg.logo-messenger').length > 0`)
	hoa.waitJS(`document.querySelectorAll('[data-testid="connection"][data-channel="instagram"]').length === 1`)
	hoa.do(chromedp.Click(chromedp.CSS(`[data-testid="connect-messenger"]`)),
		chromedp.WaitVisible(chromedp.CSS(`button[value="continue"]`)))
	hoa.shot("meta-login-dialog")
	hoa.do(chromedp.Click(chromedp.CSS(`input[name="page"][value="`+pages[0].ID+`"]`)),
		chromedp.Click(chromedp.CSS(`input[name="ig"][value="`+pages[0].Instagram.ID+`"]`)))
	hoa.do(chromedp.Click(chromedp.CSS(`button[value="continue"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="permission-dialog"]`)))
	hoa.do(chromedp.Click(chromedp.CSS(`[data-testid="perm-share"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="perm-rule"]`)))
	hoa.selectOption("perm-rule", ruleCare)
	hoa.do(chromedp.Click(chromedp.CSS(`[data-testid="perm-existing-save"]`)))
	row := `[...document.querySelectorAll('[data-testid="connection"][data-channel="messenger"]')].find(r => r.querySelector('[data-testid="connection-name"]').textContent === ` + js(pages[1].Name) + `)`
	hoa.waitJS(row + `?.querySelector('[data-testid="connection-status"]').textContent === 'Đã kết nối'`)
	hoa.waitJS(row + `?.querySelector('[data-testid="connection-permission"]').textContent.startsWith('Chia sẻ hội thoại')`)
	hoa.shot("meta-connected")
	if n := eval[int](hoa, `document.querySelectorAll('[data-testid="connection"][data-channel="messenger"]').length`); n != 2 {
		t.Fatalf("%d Messenger connections, want the seeded Page and the new one", n)
	}
	if !strings.Contains(emu.srv.Subscribed(pages[1].ID), "messages") {
		t.Fatal("the app was not subscribed to the new Page's webhooks")
	}
	var conn *omnichannel.Connection
	if err := app.app.store.View(ctx, func(tx omnichannel.Tx) error {
		list, err := tx.ListConnections(workspaceID)
		for _, c := range list {
			if c.Kind == kindMessenger && c.ExternalID == pages[1].ID {
				conn = c
			}
		}
		return err
	}); err != nil || conn == nil {
		t.Fatalf("no connection of the new Page: %v", err)
	}

	// A Messenger customer writes to the new Page: round-robin over the care team.
	const customer, name = "6100000000000777", "Trịnh Kim Ngân"
	simCall(t, app, "/sim/api/messages", map[string]string{"channel": string(kindMessenger), "connectionId": conn.ID,
		"customerId": customer, "name": name, "text": "Trang Outlet còn giày size 37 không ạ?"})
	conv := app.conversationOf(name)
	if conv.ConnectionID != conn.ID || conv.RuleID != ruleCare || !slices.Contains([]string{"minh", "lan", "bao"}, conv.AssigneeID) {
		t.Fatalf("conversation: connection %q rule %q assignee %q", conv.ConnectionID, conv.RuleID, conv.AssigneeID)
	}

	// The assignee replies with an image.
	agent := b.login(conv.AssigneeID)
	agent.open(name)
	agent.waitJS(`document.querySelector('[data-testid="thread"] svg.logo-messenger, svg.logo-messenger') !== null`)
	path := filepath.Join(t.TempDir(), "giay-37.png")
	if err := os.WriteFile(path, testPNG(t), 0o644); err != nil {
		t.Fatal(err)
	}
	agent.do(chromedp.SetUploadFiles(chromedp.CSS(`[data-testid="file-input"]`), []string{path}),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="preview-image"]`)))
	agent.do(chromedp.Click(chromedp.CSS(`[data-testid="composer"]`)), chromedp.KeyEvent(kb.Enter))
	got := app.received(kindMessenger, customer, func(m receivedMessage) bool { return len(m.Attachments) == 1 })
	if !strings.Contains(got.Attachments[0], "image") {
		t.Fatalf("the customer received %v", got.Attachments)
	}
	out := `document.querySelector('[data-testid="msg"][data-direction="out"]')`
	agent.waitJS(out + `?.querySelector('[data-testid="msg-image"]')?.naturalWidth > 0`)
	agent.waitJS(`['sent','delivered','seen'].includes(` + out + `?.dataset.status)`)
	agent.shot("meta-image-sent")

	// The customer reads it.
	simCall(t, app, "/sim/api/read?"+url.Values{"channel": {string(kindMessenger)}, "customerId": {customer}}.Encode(), nil)
	agent.waitJS(out + `?.dataset.status === 'seen'`)
	agent.shot("meta-seen")
	if n := eval[int](agent, `document.querySelectorAll('[data-testid="msg"][data-direction="out"]').length`); n != 1 {
		t.Fatalf("%d outgoing messages in the thread, want the one reply (its echo matched, not doubled)", n)
	}
}

// simCall posts to the simulator API as the /sim page does (multipart fields, or an empty body).
func simCall(t *testing.T, app *testApp, path string, fields map[string]string) {
	t.Helper()
	var body bytes.Buffer
	ct := "application/octet-stream"
	if fields != nil {
		ct = newMultipart(&body, fields, nil)
	}
	req, _ := http.NewRequest(http.MethodPost, app.url+path, &body)
	req.Header.Set("Content-Type", ct)
	req.Header.Set(simHeader, "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("simulator %s answered %d: %s", path, resp.StatusCode, b)
	}
}
