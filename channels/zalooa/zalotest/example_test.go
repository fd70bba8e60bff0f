package zalotest_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/dakenh/dakenh/channels/zalooa"
	"github.com/dakenh/dakenh/channels/zalooa/zalotest"
)

// The emulator plays a customer writing to the OA: it builds Zalo's real payload, signs it and
// posts it to the webhook URL (here a handler that verifies and parses it with the adapter).
func ExampleServer_CustomerSays() {
	emu := zalotest.New(zalotest.Options{})
	defer emu.Close()
	ch, err := zalooa.New(emu.Config())
	if err != nil {
		log.Fatal(err)
	}
	inbox := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := ch.VerifyWebhook(r.Header, body); err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		events, err := ch.ParseWebhook(r.Header, body)
		if err != nil {
			http.Error(w, "malformed", http.StatusBadRequest)
			return
		}
		for _, ev := range events {
			fmt.Printf("%s from %s: %q\n", ev.Type, ev.ExternalUserID, ev.Text)
		}
	}))
	defer inbox.Close()

	ctx := context.Background()
	if _, err := emu.CustomerSays(ctx, inbox.URL+"/webhooks/zalo", "u-100", "Nguyễn Văn An", "Còn hàng không shop?"); err != nil {
		log.Fatal(err)
	}
	if err := emu.CustomerSharesPhone(ctx, inbox.URL+"/webhooks/zalo", "u-100", "Nguyễn Văn An", "84912345678"); err != nil {
		log.Fatal(err)
	}
	u, _ := emu.UserByID("u-100")
	fmt.Println("user/detail now reports:", u.Name, u.Phone)

	// Output:
	// message from u-100: "Còn hàng không shop?"
	// info_shared from u-100: ""
	// user/detail now reports: Nguyễn Văn An 84912345678
}
