package omnichannel_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/routing"
	"github.com/dakenh/dakenh/store/memory"
)

// An engine is a store, channel adapters and a router. Its webhook handler is mounted in the host's
// HTTP server; agent operations are methods.
func ExampleEngine() {
	ctx := context.Background()
	provider := fakechannel.NewProvider("secret")
	defer provider.Close()
	adapter, _ := fakechannel.New(fakechannel.Config{Secret: "secret", BaseURL: provider.URL()})
	router, _ := routing.New(routing.Config{})
	store := memory.New()
	dir, _ := os.MkdirTemp("", "blobs")
	defer os.RemoveAll(dir)
	engine, err := omnichannel.New(omnichannel.Config{
		Store: store, Channels: []omnichannel.Channel{adapter}, Router: router,
		Blobs: omnichannel.DirBlobStore{Dir: dir}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(http.StripPrefix("/webhooks", engine.WebhookHandler()))
	defer srv.Close()

	store.Update(ctx, func(tx omnichannel.Tx) error {
		return tx.PutUser(&omnichannel.User{WorkspaceID: "w", ID: "owner", Name: "Hoa", Role: omnichannel.RoleSupervisor, Active: true})
	})
	c := provider.Connection()
	c.WorkspaceID = "w"
	engine.AddConnection(ctx, "owner", *c) // "only me": the owner gets every conversation

	body := fakechannel.Webhook{AccountID: fakechannel.AccountID, Events: []fakechannel.WebhookEvent{
		{Type: "message", UserID: "u1", UserName: "An", MessageID: "m1", Text: "Xin chào"}}}.JSON()
	resp, _ := http.DefaultClient.Do(provider.SignedWebhook(srv.URL+"/webhooks/fake", body))
	resp.Body.Close()

	page, _ := engine.ListConversations(ctx, "owner", omnichannel.ConversationQuery{WorkspaceID: "w"})
	conv := page.Conversations[0]
	fmt.Println(resp.StatusCode, conv.ContactName, conv.AssigneeID, conv.LastMessageText, page.Unread[conv.ID])
	// Output: 200 An owner Xin chào 1
}

func ExampleNormalizePhone() {
	for _, s := range []string{"0912 345 678", "0912.345.678", "+84 912345678", "84912345678", "12345"} {
		p, ok := omnichannel.NormalizePhone(s)
		fmt.Println(p, ok)
	}
	// Output:
	// +84912345678 true
	// +84912345678 true
	// +84912345678 true
	// +84912345678 true
	//  false
}

func ExampleExtractPhones() {
	fmt.Println(omnichannel.ExtractPhones("Em tên Lan, sđt 0912 345 678, mã đơn 20241107"))
	// Output: [+84912345678]
}

func ExampleRenderTemplate() {
	text, _ := omnichannel.RenderTemplate("Cảm ơn {{customer_name}} đã liên hệ!", map[string]string{"customer_name": "chị Lan"})
	fmt.Println(text)
	// Output: Cảm ơn chị Lan đã liên hệ!
}
