package tiktok_test

import (
	"context"
	"fmt"
	"log"
	"net/http"

	"github.com/dakenh/dakenh/channels/tiktok"
	"github.com/dakenh/dakenh/channels/tiktok/tiktoktest"
	"github.com/dakenh/dakenh/omnichannel"
)

// A customer writes on TikTok; the delivery is verified and parsed, and the adapter replies in the
// same conversation. The emulator stands in for TikTok.
func Example() {
	srv := tiktoktest.New(tiktoktest.Options{})
	defer srv.Close()
	ch, err := tiktok.New(srv.Config())
	if err != nil {
		log.Fatal(err)
	}

	// What TikTok would POST to /webhooks/tiktok.
	var body []byte
	var header http.Header
	inbox := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		header = r.Header
		body = readAll(r)
	})
	hook := serve(inbox)
	defer hook.Close()
	if _, err := srv.CustomerSays(context.Background(), hook.URL, "u1", "Lan", "Còn áo size M không shop?"); err != nil {
		log.Fatal(err)
	}

	if err := ch.VerifyWebhook(header, body); err != nil {
		log.Fatal(err)
	}
	events, err := ch.ParseWebhook(header, body)
	if err != nil {
		log.Fatal(err)
	}
	ev := events[0]
	fmt.Printf("%s %s from %s: %q\n", ev.Type, ev.Direction, ev.Profile.DisplayName, ev.Text)

	res, err := ch.Send(context.Background(), srv.Connection(), &omnichannel.OutboundMessage{
		RecipientID: ev.ExternalUserID, Text: "Dạ còn ạ!"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("sent:", res.ProviderMessageID, res.Status)
	fmt.Printf("TikTok received: %s %q\n", srv.Sent()[0].Type, srv.Sent()[0].Text)

	// Output:
	// message in from Lan: "Còn áo size M không shop?"
	// sent: tt-msg-000002 sent
	// TikTok received: TEXT "Dạ còn ạ!"
}
