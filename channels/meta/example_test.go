package meta_test

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/dakenh/dakenh/channels/meta"
)

// Both kinds of one Meta app: register them with the engine; Meta's GET check of the callback URL
// and its signed POSTs are answered by the adapters.
func Example() {
	messenger, instagram, err := meta.NewPair(meta.Config{AppID: "990011223344556", AppSecret: "app-secret", VerifyToken: "verify-me"})
	if err != nil {
		fmt.Println(err)
		return
	}
	challenge, err := messenger.AnswerHandshake(url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {"verify-me"}, "hub.challenge": {"1158201444"}})
	fmt.Println(challenge, err)

	body := []byte(`{"object":"instagram","entry":[{"id":"17841400000000001","time":1785312004871,"messaging":[{"sender":{"id":"17841499999999901"},"recipient":{"id":"17841400000000001"},"timestamp":1785312004523,"message":{"mid":"aWdf","text":"Xin ch\u00e0o"}}]}]}`)
	h := http.Header{meta.SignatureHeader: {meta.Signature("app-secret", body)}}
	fmt.Println(instagram.VerifyWebhook(h, body))
	events, _ := instagram.ParseWebhook(h, body)
	fmt.Println(events[0].ExternalAccountID, events[0].ExternalUserID, events[0].Text)
	// Output:
	// 1158201444 <nil>
	// <nil>
	// 17841400000000001 17841499999999901 Xin chào
}
