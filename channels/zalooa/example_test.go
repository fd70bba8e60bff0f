package zalooa_test

import (
	"context"
	"fmt"
	"log"
	"net/http"

	"github.com/dakenh/dakenh/channels/zalooa"
	"github.com/dakenh/dakenh/channels/zalooa/zalotest"
	"github.com/dakenh/dakenh/omnichannel"
)

// A customer's message arrives from the emulated Zalo, is verified and parsed, and the OA answers
// it with a quote.
func Example() {
	emu := zalotest.New(zalotest.Options{})
	defer emu.Close()
	ch, err := zalooa.New(emu.Config()) // AppID, AppSecret, OASecretKey, base URLs, HTTP client
	if err != nil {
		log.Fatal(err)
	}
	conn := emu.Connection() // the emulated OA, with a valid token pair

	body := emu.UserSend("text", "2512523625412515", "msg-1", "Shop ơi, còn áo size M không?")
	h := http.Header{}
	h.Set(zalooa.SignatureHeader, emu.Sign(body))
	if err := ch.VerifyWebhook(h, body); err != nil {
		log.Fatal(err)
	}
	events, err := ch.ParseWebhook(h, body)
	if err != nil {
		log.Fatal(err)
	}
	ev := events[0]
	fmt.Printf("%s %s from %s: %q\n", ev.Type, ev.Direction, ev.ExternalUserID, ev.Text)

	res, err := ch.Send(context.Background(), conn, &omnichannel.OutboundMessage{
		RecipientID: ev.ExternalUserID, Text: "Dạ còn ạ!", QuoteProviderMessageID: ev.ProviderMessageID,
	})
	if err != nil {
		log.Fatal(err)
	}
	sent := emu.Sent()[0]
	fmt.Println(res.Status, res.ProviderMessageID == sent.ID)
	fmt.Printf("Zalo received %q quoting %s\n", sent.Text, sent.QuoteMessageID)
	fmt.Println(string(emu.RequestsTo(zalotest.PathSend)[0].Body))

	// Output:
	// message in from 2512523625412515: "Shop ơi, còn áo size M không?"
	// sent true
	// Zalo received "Dạ còn ạ!" quoting msg-1
	// {"recipient":{"user_id":"2512523625412515"},"message":{"text":"Dạ còn ạ!","quote_message_id":"msg-1"}}
}
