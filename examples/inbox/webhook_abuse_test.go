package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	_ "modernc.org/sqlite" // the test reads the app's SQLite file directly

	"github.com/dakenh/dakenh/channels/tiktok"
	"github.com/dakenh/dakenh/channels/tiktok/tiktoktest"
	"github.com/dakenh/dakenh/channels/zalooa"
	"github.com/dakenh/dakenh/channels/zalooa/zalotest"
	"github.com/dakenh/dakenh/omnichannel"
)

// appTrace is what a webhook may leave behind in the app: the rows of every table of its SQLite
// file and the files of its blob directory.
type appTrace struct {
	Rows  map[string]int
	Blobs int
}

func (a *testApp) trace() appTrace {
	a.t.Helper()
	db, err := sql.Open("sqlite", "file:"+a.app.opts.DB+"?mode=ro")
	if err != nil {
		a.t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
	if err != nil {
		a.t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			a.t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	tr := appTrace{Rows: map[string]int{}}
	for _, n := range tables {
		var c int
		if err := db.QueryRow(`SELECT COUNT(*) FROM "` + n + `"`).Scan(&c); err != nil {
			a.t.Fatal(err)
		}
		tr.Rows[n] = c
	}
	_ = filepath.WalkDir(filepath.Join(a.app.opts.DataDir, "blobs"), func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			tr.Blobs++
		}
		return nil
	})
	return tr
}

// settled waits until the app's background work (profile fetches, media copies, history sync)
// is done (no job due or running) and has stopped changing the store, and returns the trace.
func (a *testApp) settled() appTrace {
	a.t.Helper()
	last := a.trace()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		time.Sleep(300 * time.Millisecond)
		cur := a.trace()
		if reflect.DeepEqual(cur, last) && a.dueJobs() == 0 {
			return cur
		}
		last = cur
	}
	a.t.Fatal("the app's store never settled")
	return appTrace{}
}

// webhookAbuse is one delivery the webhook endpoint must refuse (or ignore) without a trace.
type webhookAbuse struct {
	name, method, path string
	header             http.Header
	body               []byte
	status             int
	// answer is the stable error of the answer ({"error": answer}); "" for 200 {"ok":true}.
	answer string
}

func (a *testApp) postWebhook(c webhookAbuse) (int, string) {
	a.t.Helper()
	method := c.method
	if method == "" {
		method = http.MethodPost
	}
	req, err := http.NewRequest(method, a.url+c.path, bytes.NewReader(c.body))
	if err != nil {
		a.t.Fatal(err)
	}
	for k, vs := range c.header {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestWebhookAbuseLeavesNoTrace: forged, replayed, stale, oversized, malformed and misdirected
// deliveries to the real Zalo and TikTok adapters of the inbox (SQLite file) answer a clear 4xx (or
// 200 for what is ignored), and change no row, no blob and publish no event.
func TestWebhookAbuseLeavesNoTrace(t *testing.T) {
	app := startApp(t)
	zalo := app.app.emulators[kindZalo].(*zaloEmulator).srv
	tt := app.app.emulators[kindTikTok].(*tiktokEmulator).srv
	zaloHook, ttHook := "/webhooks/"+string(zalooa.Kind), "/webhooks/"+string(tiktok.Kind)
	zh := func(sig string) http.Header {
		h := http.Header{"Content-Type": {"application/json"}}
		if sig != "" {
			h.Set(zalooa.SignatureHeader, sig)
		}
		return h
	}
	th := func(sigs ...string) http.Header {
		h := http.Header{"Content-Type": {"application/json"}}
		for _, s := range sigs {
			h.Add(tiktok.SignatureHeader, s)
		}
		return h
	}
	now := time.Now()
	zBody := zalo.UserSend("text", "zl-abuse", "zl-abuse-1", "Robert'); DROP TABLE messages;-- <script>alert(1)</script>")
	zOther := zalo.UserSend("text", "zl-abuse", "zl-abuse-2", "another body")
	zStale := zalotest.WithTimestamp(zBody, now.Add(-4*time.Hour))
	zFuture := zalotest.WithTimestamp(zBody, now.Add(time.Hour))
	zHuge := []byte(`{"timestamp":"` + zalotest.Timestamp(zBody) + `","pad":"` + strings.Repeat("x", 1<<20) + `"}`)
	zNoIDs := []byte(`{"app_id":"x","event_name":"user_send_text","message":{"text":"no ids"},"timestamp":"` + zalotest.Timestamp(zBody) + `"}`)
	zDeep := []byte(`{"timestamp":"` + zalotest.Timestamp(zBody) + `","event_name":"user_send_text","message":` +
		strings.Repeat(`{"m":`, 20000) + `1` + strings.Repeat(`}`, 20000) + `}`)
	zOtherOA := zalo.Build(zalotest.Event{EventName: "user_send_text", Sender: &zalotest.Party{ID: "zl-abuse"},
		Recipient: &zalotest.Party{ID: "9999999999999999999"}, Message: &zalotest.EventMessage{MsgID: "zl-abuse-3", Text: "to another OA"}})

	tBody := tt.WebhookBody(tiktok.EventReceive, map[string]any{"conversation_id": "tt-abuse-conv", "message_id": "tt-abuse-1",
		"type": "text", "text": map[string]any{"body": "' OR 1=1 --"}, "timestamp": now.UnixMilli()})
	tHuge := append(bytes.Repeat([]byte(" "), 1<<20), tBody...)
	tBadContent := tt.WebhookBody(tiktok.EventReceive, "not an object")
	tNotJSON := []byte("event=im_receive_msg&content=x")

	cases := []webhookAbuse{
		{"zalo: unsigned", "", zaloHook, zh(""), zBody, 401, "bad signature"},
		{"zalo: signed with another key", "", zaloHook, zh(zalo.SignWithKey("not-the-oa-secret", zBody)), zBody, 401, "bad signature"},
		{"zalo: signature of another body", "", zaloHook, zh(zalo.Sign(zOther)), zBody, 401, "bad signature"},
		{"zalo: one byte changed after signing", "", zaloHook, zh(zalo.Sign(zBody)), bytes.Replace(zBody, []byte("DROP"), []byte("DROQ"), 1), 401, "bad signature"},
		{"zalo: stale replay, signed 4 h ago", "", zaloHook, zh(zalo.Sign(zStale)), zStale, 401, "bad signature"},
		{"zalo: timestamp 1 h ahead", "", zaloHook, zh(zalo.Sign(zFuture)), zFuture, 401, "bad signature"},
		{"zalo: signature not hex", "", zaloHook, zh("mac=<script>"), zBody, 401, "bad signature"},
		{"zalo: text/plain, unsigned", "", zaloHook, http.Header{"Content-Type": {"text/plain"}}, zBody, 401, "bad signature"},
		{"zalo: over 1 MiB", "", zaloHook, zh(zalo.Sign(zHuge)), zHuge, 413, "body too large"},
		{"zalo: signed, without the ids", "", zaloHook, zh(zalo.Sign(zNoIDs)), zNoIDs, 400, "malformed body"},
		// Too deep to read the signed timestamp from: refused before parsing.
		{"zalo: signed, 20,000 levels deep", "", zaloHook, zh(zalo.Sign(zDeep)), zDeep, 401, "bad signature"},
		{"zalo: signed, for an OA not connected", "", zaloHook, zh(zalo.Sign(zOtherOA)), zOtherOA, 200, ""},
		{"zalo: GET", http.MethodGet, zaloHook, nil, nil, 405, "use POST"},
		{"zalo: deeper path", "", zaloHook + "/x/y", zh(zalo.Sign(zBody)), zBody, 404, "unknown webhook path"},
		{"zalo: unknown connection id in the path", "", zaloHook + "/' OR 1=1", zh(zalo.Sign(zBody)), zBody, 404, "unknown connection"},
		{"unknown channel kind", "", "/webhooks/facebook", zh(zalo.Sign(zBody)), zBody, 404, "unknown webhook path"},
		{"tiktok: unsigned", "", ttHook, th(), tBody, 401, "bad signature"},
		{"tiktok: signed with another secret", "", ttHook, th(tiktoktest.SignWith("not-the-secret", tBody, now)), tBody, 401, "bad signature"},
		{"tiktok: replay older than TikTok's 72 h of retries", "", ttHook,
			th(tt.SignWebhook(tBody, now.Add(-tiktok.DefaultSignatureMaxAge-time.Minute))), tBody, 401, "bad signature"},
		{"tiktok: signed 10 min ahead", "", ttHook, th(tt.SignWebhook(tBody, now.Add(10*time.Minute))), tBody, 401, "bad signature"},
		{"tiktok: two signature headers", "", ttHook, th(tt.SignWebhook(tBody, now), tt.SignWebhook(tBody, now)), tBody, 401, "bad signature"},
		{"tiktok: body changed after signing", "", ttHook, th(tt.SignWebhook(tBody, now)), bytes.Replace(tBody, []byte("OR 1=1"), []byte("OR 1=2"), 1), 401, "bad signature"},
		{"tiktok: t without s", "", ttHook, th("t=" + strings.Split(tt.SignWebhook(tBody, now), ",")[0][2:]), tBody, 401, "bad signature"},
		{"tiktok: over 1 MiB", "", ttHook, th(tt.SignWebhook(tHuge, now)), tHuge, 413, "body too large"},
		{"tiktok: signed, content not an object", "", ttHook, th(tt.SignWebhook(tBadContent, now)), tBadContent, 400, "malformed body"},
		{"tiktok: signed form body", "", ttHook, th(tt.SignWebhook(tNotJSON, now)), tNotJSON, 400, "malformed body"},
	}

	// A delivery accepted once, then replayed inside the signature window: 200, nothing new.
	accepted := webhookAbuse{"tiktok: replay of an accepted delivery", "", ttHook, th(tt.SignWebhook(tBody, now)), tBody, 200, ""}
	if code, body := app.postWebhook(accepted); code != http.StatusOK {
		t.Fatalf("the genuine delivery answered %d: %s", code, body)
	}
	zAccepted := webhookAbuse{"zalo: replay of an accepted delivery", "", zaloHook, zh(zalo.Sign(zBody)), zBody, 200, ""}
	if code, body := app.postWebhook(zAccepted); code != http.StatusOK {
		t.Fatalf("the genuine delivery answered %d: %s", code, body)
	}
	// A retry of it after a 2-hour outage, still signed with its first t: inside the window (TikTok
	// retries for 72 h), 200, and nothing new (the message id is already stored).
	retried := webhookAbuse{"tiktok: retry 2 h later of an accepted delivery", "", ttHook,
		th(tt.SignWebhook(tBody, now.Add(-2*time.Hour))), tBody, 200, ""}
	cases = append(cases, accepted, zAccepted, retried)

	before := app.settled()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sub := app.app.engine.Subscribe(ctx, omnichannel.SubscribeOptions{})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, body := app.postWebhook(c)
			if code != c.status {
				t.Fatalf("answered %d, want %d: %s", code, c.status, body)
			}
			want := `{"ok":true}`
			if c.answer != "" {
				b, _ := json.Marshal(map[string]string{"error": c.answer})
				want = string(b)
			}
			if strings.TrimSpace(body) != want {
				t.Errorf("answer %s, want %s", body, want)
			}
			for _, secret := range []string{zalo.OASecretKey(), tt.ClientSecret(), "DROP TABLE", "<script>"} {
				if strings.Contains(body, secret) {
					t.Errorf("the answer echoes %q: %s", secret, body)
				}
			}
		})
	}
	select {
	case ev := <-sub.C:
		t.Errorf("a refused or repeated delivery published %s", ev.Kind)
	case <-time.After(100 * time.Millisecond):
	}
	if after := app.trace(); !reflect.DeepEqual(before, after) {
		t.Errorf("deliveries left a trace:\nbefore %+v\nafter  %+v", before, after)
	}
	t.Logf("abuse cases: %d (webhooks, real adapters, SQLite)", len(cases))
}

// TestWebhookInvalidUTF8IsStoredAsValidText: a correctly signed delivery whose text is not UTF-8 is
// kept (the customer wrote something) with the broken bytes replaced, never stored as invalid text.
func TestWebhookInvalidUTF8IsStoredAsValidText(t *testing.T) {
	app := startApp(t)
	zalo := app.app.emulators[kindZalo].(*zaloEmulator).srv
	body := bytes.Replace(zalo.UserSend("text", "zl-utf8", "zl-utf8-1", "xin chào MARK"), []byte("MARK"), []byte("\xff\xfe\xc3"), 1)
	req, _ := http.NewRequest(http.MethodPost, app.url+"/webhooks/zalo", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(zalooa.SignatureHeader, zalo.Sign(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("answered %d", resp.StatusCode)
	}
	var texts []string
	if err := app.app.store.View(context.Background(), func(tx omnichannel.Tx) error {
		page, err := tx.ListConversations(omnichannel.ConversationQuery{WorkspaceID: workspaceID, Limit: 50})
		if err != nil {
			return err
		}
		for _, c := range page {
			msgs, err := tx.ListMessages(workspaceID, c.ID, 0, 50)
			if err != nil {
				return err
			}
			for _, m := range msgs {
				if strings.HasPrefix(m.Text, "xin chào") {
					texts = append(texts, m.Text)
				}
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(texts) != 1 || !utf8.ValidString(texts[0]) || !strings.Contains(texts[0], "\uFFFD") {
		t.Fatalf("stored %q", texts)
	}
}
