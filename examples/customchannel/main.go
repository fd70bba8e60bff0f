// Command customchannel shows a vendor's new channel adapter at work, with no engine and no
// network: it starts the smsgw emulator, verifies and parses a signed webhook, and sends a reply.
//
//	go run ./examples/customchannel
package main

import (
	"context"
	"fmt"
	"io"
	"log"

	"github.com/dakenh/dakenh/examples/customchannel/smsgw"
	"github.com/dakenh/dakenh/examples/customchannel/smsgw/smsgwtest"
	"github.com/dakenh/dakenh/omnichannel"
)

func main() {
	const secret = "webhook-secret"
	gw := smsgwtest.NewProvider(secret) // the emulated gateway: send API + webhook signer
	defer gw.Close()

	ch, err := smsgw.New(smsgw.Config{Secret: secret, BaseURL: gw.URL()})
	if err != nil {
		log.Fatal(err)
	}

	// 1. The gateway delivers a customer's SMS; the engine would hand these bytes to the adapter.
	req := gw.SignedWebhook("http://crm.example/webhooks/smsgw", gw.Inbound("+84912345678", "Shop còn áo size M không?"))
	body, _ := io.ReadAll(req.Body)
	if err := ch.VerifyWebhook(req.Header, body); err != nil {
		log.Fatal(err)
	}
	events, err := ch.ParseWebhook(req.Header, body)
	if err != nil {
		log.Fatal(err)
	}
	ev := events[0]
	fmt.Printf("webhook: %s %s from %s to %s: %q\n", ev.Type, ev.ProviderMessageID, ev.ExternalUserID, ev.ExternalAccountID, ev.Text)

	// A tampered delivery is refused.
	err = ch.VerifyWebhook(req.Header, append(body, '!'))
	fmt.Println("tampered webhook refused:", err)

	// 2. An agent replies; the engine's send worker would make this call.
	res, err := ch.Send(context.Background(), gw.Connection(), &omnichannel.OutboundMessage{
		MessageID: "msg-1", RecipientID: ev.ExternalUserID, Text: "Dạ còn ạ, anh/chị cần mấy cái?",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("reply sent: provider id %s, status %s\n", res.ProviderMessageID, res.Status)
	for _, sms := range gw.Sent() {
		fmt.Printf("gateway received: from %s to %s: %q\n", sms.From, sms.To, sms.Text)
	}
}
