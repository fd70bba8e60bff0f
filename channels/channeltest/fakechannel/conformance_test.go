package fakechannel_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/dakenh/dakenh/channels/channeltest"
	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	"github.com/dakenh/dakenh/omnichannel"
)

const testSecret = "fake-webhook-secret-0123456789"

// pngBytes is a tiny (not necessarily valid) PNG for media tests.
var pngBytes = []byte("\x89PNG\r\n\x1a\nchanneltest-image")

func TestConformance(t *testing.T) {
	p := fakechannel.NewProvider(testSecret)
	t.Cleanup(p.Close)
	ch, err := fakechannel.New(fakechannel.Config{Secret: testSecret, BaseURL: p.URL(), HTTPClient: p.Client()})
	if err != nil {
		t.Fatal(err)
	}
	p.AddUser("u1", "Lan", "0912345678")
	imageURL := p.ServeMedia("x.png", "image/png", pngBytes)
	fileURL := p.ServeMedia("bao-gia.pdf", "application/pdf", []byte("%PDF-1.4 quote"))
	at := time.UnixMilli(1700000000000).UTC()
	yes, no := true, false

	fixtures := []channeltest.Fixture{
		{
			Name: "text_in",
			Body: fakechannel.Webhook{AccountID: "acc1", Events: []fakechannel.WebhookEvent{{
				Type: "message", Direction: "in", UserID: "u1", UserName: "Lan", MessageID: "m1",
				Text: "Shop ơi, còn áo size M không?", Time: 1700000000000,
			}}}.JSON(),
			Want: []omnichannel.InboundEvent{{
				Type: omnichannel.InboundMessage, ExternalAccountID: "acc1", ExternalUserID: "u1",
				Direction: omnichannel.DirectionIn, ProviderMessageID: "m1", MessageType: omnichannel.MessageText,
				Text: "Shop ơi, còn áo size M không?", Time: at,
				Profile: &omnichannel.Profile{ExternalUserID: "u1", DisplayName: "Lan"},
			}},
		},
		{
			Name: "image_in_with_quote",
			Body: fakechannel.Webhook{AccountID: "acc1", Events: []fakechannel.WebhookEvent{{
				Type: "message", Direction: "in", UserID: "u1", MessageID: "m2", QuoteID: "pm-7",
				Attachments: []fakechannel.WebhookAttachment{{Type: "image", URL: imageURL, Name: "x.png", ContentType: "image/png", Size: 123}},
			}}}.JSON(),
			Want: []omnichannel.InboundEvent{{
				Type: omnichannel.InboundMessage, ExternalAccountID: "acc1", ExternalUserID: "u1",
				Direction: omnichannel.DirectionIn, ProviderMessageID: "m2", MessageType: omnichannel.MessageImage,
				QuoteProviderMessageID: "pm-7",
				Attachments: []omnichannel.Attachment{{Kind: omnichannel.MessageImage, RemoteURL: imageURL,
					Name: "x.png", ContentType: "image/png", Size: 123}},
			}},
		},
		{
			Name: "file_in",
			Body: fakechannel.Webhook{AccountID: "acc1", Events: []fakechannel.WebhookEvent{{
				Type: "message", UserID: "u1", MessageID: "m3", Text: "báo giá",
				Attachments: []fakechannel.WebhookAttachment{{Type: "file", URL: fileURL, Name: "bao-gia.pdf"}},
			}}}.JSON(),
			Want: []omnichannel.InboundEvent{{
				Type: omnichannel.InboundMessage, ExternalAccountID: "acc1", ExternalUserID: "u1",
				Direction: omnichannel.DirectionIn, ProviderMessageID: "m3", MessageType: omnichannel.MessageFile,
				Text:        "báo giá",
				Attachments: []omnichannel.Attachment{{Kind: omnichannel.MessageFile, RemoteURL: fileURL, Name: "bao-gia.pdf"}},
			}},
		},
		{
			Name: "echo_out",
			Body: fakechannel.Webhook{AccountID: "acc1", Events: []fakechannel.WebhookEvent{{
				Type: "message", Direction: "out", UserID: "u1", MessageID: "pm-1", Text: "Dạ còn ạ",
			}}}.JSON(),
			Want: []omnichannel.InboundEvent{{
				Type: omnichannel.InboundMessage, ExternalAccountID: "acc1", ExternalUserID: "u1",
				Direction: omnichannel.DirectionOut, ProviderMessageID: "pm-1", MessageType: omnichannel.MessageText,
				Text: "Dạ còn ạ",
			}},
		},
		{
			Name: "status_delivered_and_seen",
			Body: fakechannel.Webhook{AccountID: "acc1", Events: []fakechannel.WebhookEvent{
				{Type: "status", Status: "delivered", MessageIDs: []string{"pm1"}},
				{Type: "status", Status: "seen", UserID: "u1", MessageIDs: []string{"pm1", "pm2"}, Time: 1700000000000},
				{Type: "status", Status: "typing", MessageIDs: []string{"pm1"}}, // unknown status: ignored
			}}.JSON(),
			Want: []omnichannel.InboundEvent{
				{Type: omnichannel.InboundStatus, ExternalAccountID: "acc1", Status: omnichannel.MessageDelivered,
					ProviderMessageIDs: []string{"pm1"}},
				{Type: omnichannel.InboundStatus, ExternalAccountID: "acc1", ExternalUserID: "u1",
					Status: omnichannel.MessageSeen, ProviderMessageIDs: []string{"pm1", "pm2"}, Time: at},
			},
		},
		{
			Name: "profile_follow_unfollow_referral",
			Body: fakechannel.Webhook{AccountID: "acc1", Events: []fakechannel.WebhookEvent{
				{Type: "profile", UserID: "u1", Phone: "0912345678"},
				{Type: "follow", UserID: "u1"},
				{Type: "unfollow", UserID: "u2"},
				{Type: "referral", UserID: "u1", Referral: "ad 42"},
			}}.JSON(),
			Want: []omnichannel.InboundEvent{
				{Type: omnichannel.InboundProfile, ExternalAccountID: "acc1", ExternalUserID: "u1",
					Profile: &omnichannel.Profile{ExternalUserID: "u1", Phone: "0912345678"}},
				{Type: omnichannel.InboundFollow, ExternalAccountID: "acc1", ExternalUserID: "u1",
					Profile: &omnichannel.Profile{Follower: &yes}},
				{Type: omnichannel.InboundUnfollow, ExternalAccountID: "acc1", ExternalUserID: "u2",
					Profile: &omnichannel.Profile{Follower: &no}},
				{Type: omnichannel.InboundReferral, ExternalAccountID: "acc1", ExternalUserID: "u1", Referral: "ad 42"},
			},
		},
		{
			Name: "brief_example", // the delivery documented in the package brief, byte for byte
			Body: []byte(`{"account_id":"acc1","events":[{"type":"message","direction":"in","user_id":"u1","user_name":"Lan","avatar":"","phone":"","message_id":"m1","text":"hi","attachments":[{"type":"image","url":"http://example.test/media/x.png","name":"x.png","content_type":"image/png","size":123}],"quote_id":"","time":1700000000000},{"type":"status","status":"delivered","message_ids":["pm1"]},{"type":"profile","user_id":"u1","phone":"0912345678"},{"type":"follow","user_id":"u1"}]}`),
			Want: []omnichannel.InboundEvent{
				{Type: omnichannel.InboundMessage, ExternalAccountID: "acc1", ExternalUserID: "u1",
					Direction: omnichannel.DirectionIn, ProviderMessageID: "m1", MessageType: omnichannel.MessageImage,
					Text: "hi", Time: at, Profile: &omnichannel.Profile{DisplayName: "Lan"},
					Attachments: []omnichannel.Attachment{{Kind: omnichannel.MessageImage, RemoteURL: "http://example.test/media/x.png",
						Name: "x.png", ContentType: "image/png", Size: 123}}},
				{Type: omnichannel.InboundStatus, ExternalAccountID: "acc1", Status: omnichannel.MessageDelivered,
					ProviderMessageIDs: []string{"pm1"}},
				{Type: omnichannel.InboundProfile, ExternalAccountID: "acc1", ExternalUserID: "u1",
					Profile: &omnichannel.Profile{Phone: "0912345678"}},
				{Type: omnichannel.InboundFollow, ExternalAccountID: "acc1", ExternalUserID: "u1",
					Profile: &omnichannel.Profile{Follower: &yes}},
			},
		},
	}

	channeltest.Run(t, channeltest.Harness{
		Channel: ch,
		Conn:    p.Connection(),
		Sign: func(body []byte) http.Header {
			return http.Header{fakechannel.SignatureHeader: {p.Sign(body)}}
		},
		SignWrongKey: func(body []byte) http.Header {
			return http.Header{fakechannel.SignatureHeader: {fakechannel.Sign("another-secret", body)}}
		},
		Fixtures: fixtures,
		Malformed: [][]byte{
			[]byte(`{`),
			[]byte(`[]`),
			[]byte(`not json`),
			[]byte(`{"events":[]}`),
			[]byte(`{"account_id":"acc1","events":"x"}`),
			[]byte(`{"account_id":"acc1","events":[]} {}`),
			[]byte(`{"account_id":"acc1","events":[{"type":"message","user_id":"u1"}]}`),
			[]byte(`{"account_id":"acc1","events":[{"type":"message","message_id":"m1"}]}`),
			[]byte(`{"account_id":"acc1","events":[{"type":"message","user_id":"u1","message_id":"m1","direction":"sideways"}]}`),
			[]byte(`{"account_id":"acc1","events":[{"type":"status","status":"seen"}]}`),
			[]byte(`{"account_id":"acc1","events":[{"type":"follow"}]}`),
			[]byte(`{"account_id":"acc1","events":[{"type":"message","user_id":"u1","message_id":"m1","time":"yesterday"}]}`),
		},
		UnknownEvent: fakechannel.Webhook{AccountID: "acc1", Events: []fakechannel.WebhookEvent{{Type: "typing", UserID: "u1"}}}.JSON(),
		Recipient:    "u1",
		SentCount:    func() int { return len(p.Sent()) },
		Fault: func(k channeltest.FaultKind) bool {
			switch k {
			case channeltest.FaultRateLimit:
				p.FailNext(http.StatusTooManyRequests, "", 1)
			case channeltest.FaultServerError:
				p.FailNext(http.StatusBadGateway, "", 1)
			case channeltest.FaultTokenExpired:
				p.FailNext(http.StatusUnauthorized, "token_expired", 1)
			case channeltest.FaultWindowClosed:
				p.FailNext(http.StatusForbidden, "window_closed", 1)
			default:
				return false
			}
			return true
		},
		KnownUserID: "u1",
		Media: []channeltest.Media{
			{Attachment: omnichannel.Attachment{Kind: omnichannel.MessageImage, RemoteURL: imageURL}, Content: pngBytes, ContentType: "image/png"},
		},
		Consent:          p.Consent,
		SingleUseRefresh: true,
		Secrets:          []string{testSecret},
	})
}
