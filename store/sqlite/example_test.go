package sqlite_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/routing"
	"github.com/dakenh/dakenh/store/sqlite"
)

// Open a database file and run an Engine on it: a customer's webhook is stored durably (the 200
// goes out after the commit) and shows up in the conversation list, also after a restart.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "dakenh-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "dakenh.db")

	store, err := sqlite.Open(ctx, sqlite.Config{Path: path})
	if err != nil {
		log.Fatal(err)
	}
	adapter, err := fakechannel.New(fakechannel.Config{Secret: "webhook-secret", BaseURL: "http://127.0.0.1:9"})
	if err != nil {
		log.Fatal(err)
	}
	router, err := routing.New(routing.Config{})
	if err != nil {
		log.Fatal(err)
	}
	engine, err := omnichannel.New(omnichannel.Config{
		Store: store, Channels: []omnichannel.Channel{adapter}, Router: router,
		Blobs:  omnichannel.DirBlobStore{Dir: filepath.Join(dir, "blobs")},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		log.Fatal(err)
	}

	// The host mirrors its users and connects the shop's account.
	if err := store.Update(ctx, func(tx omnichannel.Tx) error {
		return tx.PutUser(&omnichannel.User{WorkspaceID: "shop", ID: "hoa", Name: "Chị Hoa",
			Role: omnichannel.RoleSupervisor, Active: true})
	}); err != nil {
		log.Fatal(err)
	}
	if _, err := engine.AddConnection(ctx, "hoa", omnichannel.Connection{WorkspaceID: "shop",
		Kind: fakechannel.Kind, ExternalID: fakechannel.AccountID, DisplayName: "Shop"}); err != nil {
		log.Fatal(err)
	}

	// A customer writes.
	body := fakechannel.Webhook{AccountID: fakechannel.AccountID, Events: []fakechannel.WebhookEvent{
		{Type: "message", UserID: "cust-1", UserName: "Nguyễn Văn An", MessageID: "pm-1", Text: "Áo còn size M không?"},
	}}.JSON()
	req := httptest.NewRequest(http.MethodPost, "/fake", bytes.NewReader(body))
	req.Header.Set(fakechannel.SignatureHeader, fakechannel.Sign("webhook-secret", body))
	rec := httptest.NewRecorder()
	engine.WebhookHandler().ServeHTTP(rec, req)
	fmt.Println("webhook:", rec.Code)
	if err := store.Close(); err != nil {
		log.Fatal(err)
	}

	// After a restart the conversation is still there.
	store, err = sqlite.Open(ctx, sqlite.Config{Path: path})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	err = store.View(ctx, func(tx omnichannel.Tx) error {
		list, err := tx.ListConversations(omnichannel.ConversationQuery{WorkspaceID: "shop"})
		for _, c := range list {
			fmt.Printf("%s: %q (%s)\n", c.ContactName, c.LastMessageText, c.Status)
		}
		return err
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// webhook: 200
	// Nguyễn Văn An: "Áo còn size M không?" (open)
}
