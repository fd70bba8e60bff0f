package meta_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/dakenh/dakenh/channels/channeltest"
	"github.com/dakenh/dakenh/channels/meta"
	"github.com/dakenh/dakenh/channels/meta/metatest"
	"github.com/dakenh/dakenh/internal/testlog"
	"github.com/dakenh/dakenh/omnichannel"
)

func TestConformanceMessenger(t *testing.T) {
	runConformance(t, meta.KindMessenger, pageID, psid, messengerFixtures())
}

func TestConformanceInstagram(t *testing.T) {
	runConformance(t, meta.KindInstagram, igID, igsid, instagramFixtures())
}

func runConformance(t *testing.T, kind omnichannel.Kind, account, user string, fx []channeltest.Fixture) {
	srv := metatest.New(metatest.Options{})
	t.Cleanup(srv.Close)
	logs := &testlog.Buffer{}
	ch := newAdapter(t, srv, kind, logs)
	ctx := context.Background()
	hook := newCapture(t)

	srv.SetCustomer(user, metatest.Customer{Name: "Nguyễn Thị Lan", Username: "lan.ng", Picture: pngBytes})
	if _, err := srv.CustomerSays(ctx, hook.srv.URL, account, user, "Lan", "xin chào"); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.CustomerSendsFile(ctx, hook.srv.URL, account, user, "Lan", pngBytes, "image/png"); err != nil {
		t.Fatal(err)
	}
	delivery, _ := hook.last()
	events, err := ch.ParseWebhook(nil, delivery)
	if err != nil || len(events) != 1 || len(events[0].Attachments) != 1 {
		t.Fatalf("the emulator's image delivery parsed to %v, %v", events, err)
	}
	fx = append(fx, channeltest.Fixture{Name: "emulator_image_delivery", Body: delivery, Want: events})

	channeltest.Run(t, channeltest.Harness{
		Channel: ch,
		Conn:    srv.Connection(account),
		Sign: func(body []byte) http.Header {
			return http.Header{meta.SignatureHeader: {srv.Sign(body)}}
		},
		SignWrongKey: func(body []byte) http.Header {
			return http.Header{meta.SignatureHeader: {metatest.SignWith("another-app-secret", body)}}
		},
		// Meta signs no timestamp: no freshness window; replays are duplicates.
		Fixtures:     fx,
		Malformed:    malformed,
		UnknownEvent: []byte(`{"object":"` + map[bool]string{true: "instagram", false: "page"}[kind == meta.KindInstagram] + `","entry":[{"id":"` + account + `","time":1,"messaging":[{"sender":{"id":"` + user + `"},"recipient":{"id":"` + account + `"},"timestamp":1,"optin":{"ref":"x"}}]}]}`),
		Recipient:    user,
		SentCount:    func() int { return len(srv.Sent()) },
		Fault: func(k channeltest.FaultKind) bool {
			f := map[channeltest.FaultKind]metatest.Fault{channeltest.FaultRateLimit: metatest.FaultRateLimit,
				channeltest.FaultServerError: metatest.FaultServerError, channeltest.FaultTokenExpired: metatest.FaultTokenExpired,
				channeltest.FaultWindowClosed: metatest.FaultOutsideWindow}[k]
			if f == 0 {
				return false
			}
			srv.FailNext(metatest.EndpointSend, f, 1)
			return true
		},
		KnownUserID: user,
		Media:       []channeltest.Media{{Attachment: events[0].Attachments[0], Content: pngBytes, ContentType: "image/png"}},
		Consent:     srv.Consent,
		Secrets:     []string{srv.AppSecret(), srv.VerifyToken()},
		Logs:        logs.String,
	})
}
