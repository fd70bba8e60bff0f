// Command minimal is the smallest embedding of dakenh: one engine, one channel, one conversation
// end to end over real HTTP on loopback.
//
//	go run ./examples/minimal
//
// A customer's message arrives as a signed webhook, is stored and assigned by round-robin; an agent
// replies; the outbox worker delivers the reply to the provider (the in-process emulator of the
// "fake" channel); the provider reports delivery by webhook; the thread is printed.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/routing"
	"github.com/dakenh/dakenh/store/sqlite"
)

const workspace = "demo"

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, out io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()

	// The provider side: an emulator that speaks the fake provider's HTTP API and signs webhooks.
	provider := fakechannel.NewProvider("webhook-secret")
	defer provider.Close()

	// The engine: a store, the channel adapters, a router.
	adapter, err := fakechannel.New(fakechannel.Config{Secret: provider.Secret(), BaseURL: provider.URL()})
	if err != nil {
		return err
	}
	router, err := routing.New(routing.Config{})
	if err != nil {
		return err
	}
	// The embedded SQLite store: one file in a data directory (a fresh one per run, so the printed
	// conversation is always the first).
	data, err := os.MkdirTemp("", "dakenh-minimal-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(data)
	store, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(data, "dakenh.db")})
	if err != nil {
		return err
	}
	defer store.Close()
	blobs := filepath.Join(data, "attachments")
	engine, err := omnichannel.New(omnichannel.Config{
		Store: store, Channels: []omnichannel.Channel{adapter}, Router: router,
		Blobs:  omnichannel.DirBlobStore{Dir: blobs},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		return err
	}
	ran := make(chan error, 1)
	go func() { ran <- engine.Run(ctx) }()
	// On the way out: stop taking jobs, let the one in flight finish (or release it after 5 s).
	defer func() {
		closeCtx, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		_ = engine.Close(closeCtx)
		<-ran
	}()

	// The host's HTTP server mounts the webhook handler.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/webhooks/", http.StripPrefix("/webhooks", engine.WebhookHandler()))
	mux.Handle("/readyz", engine.ReadinessHandler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	hookURL := "http://" + ln.Addr().String() + "/webhooks/fake"

	// The host mirrors its users (as itself: AsHost), connects the account and shares it through a
	// round-robin rule.
	for _, u := range []omnichannel.User{
		{ID: "boss", Name: "Chị Hoa (giám sát)", Role: omnichannel.RoleSupervisor},
		{ID: "minh", Name: "Minh", Role: omnichannel.RoleAgent},
		{ID: "lan", Name: "Lan", Role: omnichannel.RoleAgent},
	} {
		u.WorkspaceID, u.Active = workspace, true
		if _, err := engine.SaveUser(omnichannel.AsHost(ctx), "", u); err != nil {
			return err
		}
	}
	ready, err := http.Get("http://" + ln.Addr().String() + "/readyz")
	if err != nil {
		return err
	}
	ready.Body.Close()
	fmt.Fprintf(out, "readiness             → HTTP %d\n", ready.StatusCode)
	c := provider.Connection()
	c.WorkspaceID = workspace
	conn, err := engine.AddConnection(ctx, "boss", *c)
	if err != nil {
		return err
	}
	if _, err := engine.SaveRule(ctx, "boss", omnichannel.Rule{WorkspaceID: workspace, Name: "Bán hàng",
		SourceIDs: []string{conn.ID}, UserIDs: []string{"minh", "lan"}, Method: omnichannel.MethodRoundRobin}); err != nil {
		return err
	}

	events := engine.Subscribe(ctx, omnichannel.SubscribeOptions{WorkspaceID: workspace})

	// 1. The customer writes: the provider posts a signed webhook.
	status, err := post(provider, hookURL, fakechannel.Webhook{AccountID: fakechannel.AccountID, Events: []fakechannel.WebhookEvent{
		{Type: "message", UserID: "cust-1", UserName: "Nguyễn Văn An", MessageID: "pm-in-1", Text: "Shop ơi, áo còn size M không?"},
	}}.JSON())
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "webhook in            → HTTP %d\n", status)

	page, err := engine.ListConversations(ctx, "boss", omnichannel.ConversationQuery{WorkspaceID: workspace})
	if err != nil {
		return err
	}
	if len(page.Conversations) != 1 {
		return fmt.Errorf("want 1 conversation, got %d", len(page.Conversations))
	}
	conv := page.Conversations[0]
	fmt.Fprintf(out, "conversation opened   → %s, assigned to %s by round-robin\n", conv.ContactName, conv.AssigneeID)

	// 2. The assignee replies; Send returns at once with a pending message.
	msg, err := engine.Send(ctx, omnichannel.SendParams{WorkspaceID: workspace, ConversationID: conv.ID,
		UserID: conv.AssigneeID, Text: "Dạ còn ạ, anh lấy mấy áo ạ?", IdempotencyKey: "reply-1"})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "reply queued          → %s\n", msg.Status)

	// 3. The worker delivers it to the provider.
	sent, err := waitFor(ctx, events, func(ev omnichannel.Event) bool {
		return ev.Kind == omnichannel.EventMessageUpdated && ev.MessageID == msg.ID && ev.Message.Status == omnichannel.MessageSent
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "reply out             → provider accepted it as %s\n", sent.Message.ProviderMessageID)

	// 4. The provider reports delivery.
	status, err = post(provider, hookURL, fakechannel.Webhook{AccountID: fakechannel.AccountID, Events: []fakechannel.WebhookEvent{
		{Type: "status", Status: "delivered", MessageIDs: []string{sent.Message.ProviderMessageID}},
	}}.JSON())
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "delivery webhook      → HTTP %d\n", status)

	thread, err := engine.Messages(ctx, workspace, "boss", conv.ID, 0, 50)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "\nthread:")
	for _, m := range thread {
		switch m.Direction {
		case omnichannel.DirectionSystem:
			fmt.Fprintf(out, "  #%d  · %s %s\n", m.Seq, m.Activity.Action, m.Activity.To)
		case omnichannel.DirectionIn:
			fmt.Fprintf(out, "  #%d  %s: %s\n", m.Seq, m.SenderName, m.Text)
		default:
			fmt.Fprintf(out, "  #%d  %s (TVV): %s  [%s]\n", m.Seq, m.SenderName, m.Text, m.Status)
		}
	}
	if last := thread[len(thread)-1]; last.Status != omnichannel.MessageDelivered {
		return fmt.Errorf("reply ended %s, want delivered", last.Status)
	}
	return nil
}

func post(p *fakechannel.Provider, url string, body []byte) (int, error) {
	resp, err := http.DefaultClient.Do(p.SignedWebhook(url, body))
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func waitFor(ctx context.Context, sub *omnichannel.Subscription, match func(omnichannel.Event) bool) (omnichannel.Event, error) {
	for {
		select {
		case ev := <-sub.C:
			if match(ev) {
				return ev, nil
			}
		case <-ctx.Done():
			return omnichannel.Event{}, ctx.Err()
		}
	}
}
