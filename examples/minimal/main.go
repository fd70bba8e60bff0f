// Command minimal is the smallest embedding of dakenh: one engine, one channel, one conversation
// end to end over real HTTP on loopback.
//
//	go run ./examples/minimal
//
// A customer's message arrives as a signed webhook, is stored and assigned by round-robin; an agent
// replies; the outbox worker delivers the reply to the provider (the in-process emulator of the
// "fake" channel); the provider reports delivery by webhook; the thread is printed. Around it, what
// a host CRM does: migrate the schema in a deploy step and open without migrating, mirror its users
// as the host, check readiness, follow the durable event feed with a cursor, receive the engine's
// signed outgoing webhooks, delete a customer's data on request, and shut down in order.
package main

import (
	"context"
	"encoding/json"
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
	"github.com/dakenh/dakenh/guardedfetch"
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
	// The deploy step migrates; the app opens without migrating (and would refuse a schema behind).
	storeCfg := sqlite.Config{Path: filepath.Join(data, "dakenh.db")}
	if err := sqlite.Migrate(ctx, storeCfg); err != nil {
		return err
	}
	storeCfg.SkipMigrations = true
	store, err := sqlite.Open(ctx, storeCfg)
	if err != nil {
		return err
	}
	defer store.Close()
	schema, err := store.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "schema                → version %d of %d, %d pending\n", schema.Current, schema.Latest, len(schema.Pending))

	// The host's own receiver of the engine's outgoing webhooks (a CRM endpoint), on loopback: the
	// engine's webhook client refuses private addresses unless told, as here, to allow one.
	hookLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	received := make(chan []byte, 16)
	var secret omnichannel.WebhookSecret
	hookSrv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if omnichannel.VerifyWebhook(secret, r.Header.Get("X-Dakenh-Signature"), body, time.Now(), 5*time.Minute) != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		received <- body
	})}
	go hookSrv.Serve(hookLn)
	defer hookSrv.Close()
	blobs := filepath.Join(data, "attachments")
	engine, err := omnichannel.New(omnichannel.Config{
		Store: store, Channels: []omnichannel.Channel{adapter}, Router: router,
		Blobs:         omnichannel.DirBlobStore{Dir: blobs},
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
		WebhookClient: guardedfetch.AllowingListeners(hookLn),
		PollInterval:  100 * time.Millisecond,
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

	ep, err := engine.CreateWebhookEndpoint(ctx, "boss", omnichannel.WebhookEndpoint{WorkspaceID: workspace,
		URL: "http://" + hookLn.Addr().String() + "/dakenh", Kinds: []omnichannel.EventKind{omnichannel.EventMessageCreated},
		Enabled: true})
	if err != nil {
		return err
	}
	secret = ep.Secret // generated; shown once, kept by the host

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

	// 5. The host follows the durable feed from its saved cursor (0: the beginning), at least once,
	// across restarts: it stores the last position it handled.
	var cursor int64
	kinds := map[omnichannel.EventKind]int{}
	for entry, err := range engine.Events(ctx, workspace, cursor) {
		if err != nil {
			return err
		}
		kinds[entry.Kind]++
		cursor = entry.Position
	}
	fmt.Fprintf(out, "\nfeed                  → up to position %d: %d message.created, %d message.updated\n",
		cursor, kinds[omnichannel.EventMessageCreated], kinds[omnichannel.EventMessageUpdated])

	// 6. The CRM's endpoint got the same messages, signed (Run delivers every PollInterval).
	select {
	case body := <-received:
		var batch omnichannel.WebhookBatch
		if err := json.Unmarshal(body, &batch); err != nil {
			return err
		}
		fmt.Fprintf(out, "outgoing webhook      → %d signed event(s), first %s\n", len(batch.Events), batch.Events[0].Kind)
	case <-ctx.Done():
		return ctx.Err()
	}

	// 7. A data-protection request: the customer and everything of theirs goes, for good.
	if err := engine.DeleteContact(ctx, workspace, "boss", conv.ContactID); err != nil {
		return err
	}
	left, err := engine.ListConversations(ctx, "boss", omnichannel.ConversationQuery{WorkspaceID: workspace})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "customer deleted      → %d conversation(s) left\n", len(left.Conversations))
	for entry, err := range engine.Events(ctx, workspace, cursor) {
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "feed                  → %s\n", entry.Kind)
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
