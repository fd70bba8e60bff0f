package fakechannel_test

import (
	"context"
	"fmt"
	"io"
	"log"

	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	"github.com/dakenh/dakenh/omnichannel"
)

// A webhook arrives from the emulated provider, is verified and parsed, and the adapter replies.
func Example() {
	provider := fakechannel.NewProvider("webhook-secret")
	defer provider.Close()

	ch, err := fakechannel.New(fakechannel.Config{Secret: "webhook-secret", BaseURL: provider.URL()})
	if err != nil {
		log.Fatal(err)
	}
	conn := provider.Connection() // the emulator's account, with a valid token pair

	body := fakechannel.Webhook{AccountID: fakechannel.AccountID, Events: []fakechannel.WebhookEvent{
		{Type: "message", Direction: "in", UserID: "u1", UserName: "Lan", MessageID: "m1", Text: "Còn hàng không shop?"},
	}}.JSON()
	req := provider.SignedWebhook("http://crm.example/webhooks/fake", body)
	raw, _ := io.ReadAll(req.Body)

	if err := ch.VerifyWebhook(req.Header, raw); err != nil {
		log.Fatal(err)
	}
	events, err := ch.ParseWebhook(req.Header, raw)
	if err != nil {
		log.Fatal(err)
	}
	ev := events[0]
	fmt.Printf("%s from %s (%s): %q\n", ev.Type, ev.ExternalUserID, ev.Profile.DisplayName, ev.Text)

	res, err := ch.Send(context.Background(), conn, &omnichannel.OutboundMessage{
		RecipientID: ev.ExternalUserID, Text: "Dạ còn ạ!", QuoteProviderMessageID: ev.ProviderMessageID,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("sent:", res.ProviderMessageID, res.Status)
	fmt.Printf("provider received: %q quoting %s\n", provider.Sent()[0].Text, provider.Sent()[0].QuoteID)

	// Output:
	// message from u1 (Lan): "Còn hàng không shop?"
	// sent: pm-1 sent
	// provider received: "Dạ còn ạ!" quoting m1
}
