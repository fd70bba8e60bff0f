package tiktoktest_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/dakenh/dakenh/channels/tiktok"
	"github.com/dakenh/dakenh/channels/tiktok/tiktoktest"
	"github.com/dakenh/dakenh/omnichannel"
)

// The emulator plays a customer writing to the business; the business answers through the
// adapter, and Sent lists what TikTok received.
func Example() {
	srv := tiktoktest.New(tiktoktest.Options{})
	defer srv.Close()
	ch, err := tiktok.New(srv.Config())
	if err != nil {
		log.Fatal(err)
	}
	inbox := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := ch.VerifyWebhook(r.Header, body); err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		events, _ := ch.ParseWebhook(r.Header, body)
		fmt.Printf("inbox got %q from %s\n", events[0].Text, events[0].Profile.DisplayName)
	}))
	defer inbox.Close()

	ctx := context.Background()
	if _, err := srv.CustomerSays(ctx, inbox.URL+"/webhooks/tiktok", "u1", "Lan", "Có ship COD không shop?"); err != nil {
		log.Fatal(err)
	}
	_, err = ch.Send(ctx, srv.Connection(), &omnichannel.OutboundMessage{RecipientID: srv.ConversationID("u1"), Text: "Dạ có ạ"})
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range srv.Sent() {
		fmt.Printf("business sent %s %q to %s\n", m.Type, m.Text, m.UserID)
	}
	// Output:
	// inbox got "Có ship COD không shop?" from Lan
	// business sent TEXT "Dạ có ạ" to u1
}
