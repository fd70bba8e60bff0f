package inboxapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	"github.com/dakenh/dakenh/inboxapi"
	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/routing"
	"github.com/dakenh/dakenh/store/memory"
)

// A host mounts the API under /api with http.StripPrefix and plugs in its own authentication
// (here a made-up session header); a customer writes, and the agent's front end lists the inbox.
func Example() {
	ctx := context.Background()
	provider := fakechannel.NewProvider("webhook-secret")
	defer provider.Close()
	adapter, err := fakechannel.New(fakechannel.Config{Secret: provider.Secret(), BaseURL: provider.URL()})
	if err != nil {
		log.Fatal(err)
	}
	router, err := routing.New(routing.Config{})
	if err != nil {
		log.Fatal(err)
	}
	blobs, err := os.MkdirTemp("", "inboxapi-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(blobs)
	store := memory.New()
	engine, err := omnichannel.New(omnichannel.Config{Store: store, Channels: []omnichannel.Channel{adapter}, Router: router,
		Blobs: omnichannel.DirBlobStore{Dir: blobs}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		log.Fatal(err)
	}

	// The host mirrors its users into the engine's store, and connects an account.
	if err := store.Update(ctx, func(tx omnichannel.Tx) error {
		return tx.PutUser(&omnichannel.User{WorkspaceID: "shop", ID: "minh", Name: "Minh", Role: omnichannel.RoleSupervisor, Active: true})
	}); err != nil {
		log.Fatal(err)
	}
	conn := provider.Connection()
	conn.WorkspaceID = "shop"
	if _, err := engine.AddConnection(ctx, "minh", *conn); err != nil {
		log.Fatal(err)
	}

	// The host's authentication: a real CRM checks its session cookie here.
	auth := inboxapi.AuthenticatorFunc(func(r *http.Request) (*omnichannel.User, error) {
		if r.Header.Get("X-Session") != "session-of-minh" {
			return nil, errors.New("no session")
		}
		return &omnichannel.User{WorkspaceID: "shop", ID: "minh"}, nil
	})
	api, err := inboxapi.New(inboxapi.Config{Engine: engine, Auth: auth})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", http.StripPrefix("/api", api))
	mux.Handle("/webhooks/", http.StripPrefix("/webhooks", engine.WebhookHandler()))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	// A customer writes.
	hook := provider.SignedWebhook(srv.URL+"/webhooks/fake", fakechannel.Webhook{AccountID: fakechannel.AccountID,
		Events: []fakechannel.WebhookEvent{{Type: "message", UserID: "u1", UserName: "Lan", MessageID: "m1", Text: "Còn size M không?"}}}.JSON())
	if resp, err := http.DefaultClient.Do(hook); err == nil {
		resp.Body.Close()
	}

	// The agent's front end lists the inbox.
	get := func(session string) (int, inboxapi.ConversationList) {
		req, _ := http.NewRequest("GET", srv.URL+"/api/conversations?status=open", nil)
		req.Header.Set("X-Session", session)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		defer resp.Body.Close()
		var list inboxapi.ConversationList
		_ = json.NewDecoder(resp.Body).Decode(&list)
		return resp.StatusCode, list
	}
	status, list := get("session-of-minh")
	fmt.Println(status, len(list.Items), "conversation,", list.Unread, "unread")
	c := list.Items[0]
	fmt.Printf("%s on %s: %q (unread %d)\n", c.ContactName, c.Channel, c.LastMessageText, c.Unread)
	status, _ = get("")
	fmt.Println("without a session:", status)

	// Output:
	// 200 1 conversation, 1 unread
	// Lan on fake: "Còn size M không?" (unread 1)
	// without a session: 401
}
