package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dakenh/dakenh/channels/tiktok/tiktoktest"
	"github.com/dakenh/dakenh/omnichannel"
)

// The owner revokes the TikTok grant: an agent's reply fails ("cần kết nối lại"). The supervisor
// presses "Ngắt kết nối", then connects the same TikTok account again through the consent page:
// the row is the same connection, connected again with its chat permission and rule (no
// permission dialog), the inbox holds the same conversations (none doubled by the history sync),
// and the agent's "Gửi lại" sends the failed reply, which reaches the customer once.
func TestBrowserReconnectKeepsConversations(t *testing.T) {
	app := startApp(t)
	ctx := context.Background()
	conv := app.conversationOf("Trần Thị Bích")
	connID, agent := conv.ConnectionID, conv.AssigneeID
	if agent == "" {
		t.Fatal("the seeded TikTok conversation has no assignee")
	}
	before := tiktokConversations(t, app)

	// The grant dies on TikTok's side; the agent's reply fails.
	tt := app.app.emulators[kindTikTok].(*tiktokEmulator).srv
	tt.ExpireAccessTokens()
	tt.RevokeRefreshTokens()
	b := newBrowser(t, app)
	ag := b.login(agent)
	ag.open("Trần Thị Bích")
	composer := chromedp.CSS(`[data-testid="composer"]`)
	const reply = "Dạ đơn #DH1024 giao thứ Sáu ạ."
	ag.do(chromedp.Click(composer), chromedp.SendKeys(composer, reply), chromedp.Click(chromedp.CSS(`[data-testid="send"]`)))
	failed := `[...document.querySelectorAll('[data-testid="msg"][data-direction="out"]')].find(m => m.querySelector('[data-testid="msg-text"]')?.textContent === ` + js(reply) + `)`
	ag.waitJS(failed + `?.dataset.status === 'failed'`)
	ag.shot("reply-failed")

	// The supervisor disconnects, then connects the same account again.
	hoa := b.login(supervisorID)
	hoa.do(chromedp.Click(chromedp.CSS(`[data-testid="nav-settings"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="connect-tiktok"]`)))
	row := `document.querySelector('[data-testid="connection"][data-id="` + connID + `"]')`
	hoa.waitJS(row + ` !== null`)
	hoa.do(chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`))
	hoa.do(chromedp.Click(chromedp.CSS(`[data-testid="connection"][data-id="` + connID + `"] [data-testid="disconnect"]`)))
	hoa.waitJS(row + `.querySelector('[data-testid="connection-status"]').textContent === 'Đã ngắt kết nối'`)
	hoa.shot("disconnected")
	hoa.do(chromedp.Click(chromedp.CSS(`[data-testid="connect-tiktok"]`)),
		chromedp.WaitVisible(chromedp.CSS(`button[value="authorize"]`)))
	hoa.shot("tiktok-consent")
	reconnectedAt := time.Now()
	hoa.do(chromedp.Click(chromedp.CSS(`button[value="authorize"]`)))
	hoa.waitJS(row + `?.querySelector('[data-testid="connection-status"]').textContent === 'Đã kết nối'`)
	if n := eval[int](hoa, `document.querySelectorAll('[data-testid="connection"][data-channel="tiktok"]').length`); n != 1 {
		t.Fatalf("%d TikTok connections after the reconnect, want the one revived", n)
	}
	if eval[bool](hoa, `document.querySelector('[data-testid="permission-dialog"]') !== null`) {
		t.Fatal("the permission dialog opened for a revived connection: its permission and rule are kept")
	}
	hoa.waitJS(row + `.querySelector('[data-testid="connection-permission"]').textContent.startsWith('Chia sẻ hội thoại')`)
	hoa.shot("reconnected")

	// The history sync after the reconnect merges: the same conversations, none doubled.
	waitForHistorySync(t, tt, reconnectedAt)
	if after := tiktokConversations(t, app); !sameIDs(before, after) {
		t.Fatalf("TikTok conversations before %v, after the reconnect %v", before, after)
	}

	// "Gửi lại" sends the failed reply, once.
	ag.do(chromedp.Click(chromedp.CSS(`[data-testid="retry"]`)))
	ag.waitJS(`['sent','delivered','seen'].includes(` + failed + `?.dataset.status)`)
	app.received(kindTikTok, "tt-bich", func(m receivedMessage) bool { return m.Text == reply })
	n := 0
	for _, m := range app.app.emulators[kindTikTok].Received("tt-bich") {
		if m.Text == reply {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("the customer received the retried reply %d times, want once", n)
	}
	ag.shot("retried")
	c, err := app.app.engine.Conversation(ctx, workspaceID, supervisorID, conv.ID)
	if err != nil || c.ConnectionID != connID {
		t.Fatalf("conversation after the reconnect: %+v, %v", c, err)
	}
}

// waitForHistorySync waits until the TikTok emulator has served a conversation list after since
// (the history sync of the reconnected account) and then nothing more for a second: the sync is
// over. A sync stalled longer by a busy machine can only make the check that follows pass early
// (its duplicates would come later), never fail it wrongly; internal/firstweek checks the merge
// deterministically on every store.
func waitForHistorySync(t *testing.T, tt *tiktoktest.Server, since time.Time) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	seen, last, quietSince := false, -1, time.Now()
	for time.Now().Before(deadline) {
		reqs := tt.Requests()
		for _, r := range reqs {
			if strings.HasSuffix(r.Path, tiktoktest.EndpointConversation) && r.At.After(since) {
				seen = true
			}
		}
		if len(reqs) != last {
			last, quietSince = len(reqs), time.Now()
		}
		if seen && time.Since(quietSince) > time.Second {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the history sync after the reconnect did not run")
}

// tiktokConversations returns the ids of the TikTok conversations, as the supervisor lists them.
func tiktokConversations(t *testing.T, app *testApp) []string {
	t.Helper()
	page, err := app.app.engine.ListConversations(context.Background(), supervisorID, omnichannel.ConversationQuery{
		WorkspaceID: workspaceID, ChannelKinds: []omnichannel.Kind{kindTikTok}, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range page.Conversations {
		ids = append(ids, c.ID)
	}
	return ids
}

func sameIDs(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]bool{}
	for _, id := range a {
		seen[id] = true
	}
	for _, id := range b {
		if !seen[id] {
			return false
		}
	}
	return true
}
