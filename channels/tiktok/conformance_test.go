package tiktok_test

import (
	"context"
	"github.com/dakenh/dakenh/internal/testlog"
	"net/http"
	"testing"
	"time"

	"github.com/dakenh/dakenh/channels/channeltest"
	"github.com/dakenh/dakenh/channels/tiktok"
	"github.com/dakenh/dakenh/channels/tiktok/tiktoktest"
	"github.com/dakenh/dakenh/omnichannel"
)

const (
	biz  = "biz-6980001"
	conv = "0:1+dHQ6dTE=" // a TikTok conversation id, with the '+' and '=' TikTok uses
)

// fixtures are deliveries of every Business Messaging event the adapter maps, written as TikTok
// sends them (content is a JSON string).
func fixtures(imageLocator string) []channeltest.Fixture {
	at := time.UnixMilli(1700000000123).UTC()
	yes := true
	msg := func(extra string) string {
		return `{"conversation_id":"` + conv + `","message_id":"m-1","timestamp":1700000000123,"from":"lan.nguyen","to":"shophoamai",` +
			`"from_user":{"id":"u-1","role":"personal_account"},"to_user":{"id":"` + biz + `","role":"business_account"},` +
			`"is_follower":true,"message_tag":{"source":"APP"},` + extra + `}`
	}
	in := func(mt omnichannel.MessageType, text string, atts ...omnichannel.Attachment) []omnichannel.InboundEvent {
		return []omnichannel.InboundEvent{{Type: omnichannel.InboundMessage, ExternalAccountID: biz, ExternalUserID: conv,
			Direction: omnichannel.DirectionIn, ProviderMessageID: "m-1", MessageType: mt, Text: text, Time: at,
			Attachments: atts, Profile: &omnichannel.Profile{ExternalUserID: conv, DisplayName: "lan.nguyen", Follower: &yes}}}
	}
	return []channeltest.Fixture{
		{Name: "receive_text", Body: envelope("im_receive_msg", msg(`"type":"text","text":{"body":"Shop ơi, còn áo size M không? <b>"}`)),
			Want: in(omnichannel.MessageText, "Shop ơi, còn áo size M không? <b>")},
		{Name: "receive_image", Body: envelope("im_receive_msg", msg(`"type":"image","image":{"media_id":"med-9"}`)),
			Want: in(omnichannel.MessageImage, "", omnichannel.Attachment{Kind: omnichannel.MessageImage, ProviderRef: "med-9",
				RemoteURL: imageLocator})},
		{Name: "receive_share_post", Body: envelope("im_receive_msg", msg(`"type":"share_post","share_post":{"embed_url":"https://www.tiktok.com/embed/v2/7300","video_id":"7300"}`)),
			Want: in(omnichannel.MessageLink, "https://www.tiktok.com/embed/v2/7300")},
		{Name: "receive_sticker", Body: envelope("im_receive_msg", msg(`"type":"sticker","sticker":{"id":"s1"}`)),
			Want: in(omnichannel.MessageSticker, "[sticker]")},
		{Name: "receive_emoji", Body: envelope("im_receive_msg", msg(`"type":"emoji","emoji":{"id":"e1"}`)),
			Want: in(omnichannel.MessageSticker, "[emoji]")},
		{Name: "receive_video", Body: envelope("im_receive_msg", msg(`"type":"video","video":{"media_id":"vid-3","embed_url":"https://www.tiktok.com/embed/v2/7301"}`)),
			Want: in(omnichannel.MessageVideo, "https://www.tiktok.com/embed/v2/7301", omnichannel.Attachment{Kind: omnichannel.MessageVideo,
				ProviderRef: "vid-3", RemoteURL: "tiktok:media?conversation_id=0%3A1%2BdHQ6dTE%3D&media_id=vid-3&media_type=VIDEO&message_id=m-1"})},
		{Name: "receive_unknown_type", Body: envelope("im_receive_msg", msg(`"type":"template<script>","template":{}`)),
			Want: in(omnichannel.MessageOther, "[templatescript]")},
		{Name: "receive_quote", Body: envelope("im_receive_msg", msg(`"type":"text","text":{"body":"ok"},"referenced_message_info":{"referenced_message_id":"tt-msg-7"}`)),
			Want: func() []omnichannel.InboundEvent {
				w := in(omnichannel.MessageText, "ok")
				w[0].QuoteProviderMessageID = "tt-msg-7"
				return w
			}()},
		{Name: "content_as_object", // uncertain form: content as an object instead of a JSON string
			Body: []byte(`{"client_key":"tt-app-7001","event":"im_receive_msg","create_time":1700000000,"user_openid":"` + biz +
				`","content":` + msg(`"type":"text","text":{"body":"hi"}`) + `}`),
			Want: in(omnichannel.MessageText, "hi")},
		{Name: "send_echo", Body: envelope("im_send_msg", `{"conversation_id":"`+conv+`","message_id":"tt-msg-1","timestamp":1700000000123,`+
			`"type":"text","text":{"body":"Dạ còn ạ"},"from":"shophoamai","to":"lan.nguyen","from_user":{"id":"`+biz+`","role":"business_account"},`+
			`"to_user":{"id":"u-1","role":"personal_account"},"message_tag":{"source":"API"}}`),
			Want: []omnichannel.InboundEvent{{Type: omnichannel.InboundMessage, ExternalAccountID: biz, ExternalUserID: conv,
				Direction: omnichannel.DirectionOut, ProviderMessageID: "tt-msg-1", MessageType: omnichannel.MessageText,
				Text: "Dạ còn ạ", Time: at, Profile: &omnichannel.Profile{DisplayName: "lan.nguyen"}}}},
		{Name: "mark_read", Body: envelope("im_mark_read_msg", `{"conversation_id":"`+conv+`","timestamp":1700000000123,`+
			`"from_user":{"id":"u-1","role":"personal_account"},"to_user":{"id":"`+biz+`","role":"business_account"},"read":{"last_read_timestamp":1700000000999}}`),
			Want: []omnichannel.InboundEvent{{Type: omnichannel.InboundStatus, ExternalAccountID: biz, ExternalUserID: conv,
				Status: omnichannel.MessageSeen, UpTo: time.UnixMilli(1700000000999).UTC()}}},
		{Name: "mark_read_by_business_ignored", Body: envelope("im_mark_read_msg", `{"conversation_id":"`+conv+`",`+
			`"from_user":{"id":"`+biz+`","role":"business_account"},"read":{"last_read_timestamp":1700000000999}}`)},
		{Name: "referral_ad", Body: envelope("im_referral_msg", `{"conversation_id":"`+conv+`","timestamp":1700000000123,"from":"lan.nguyen",`+
			`"from_user":{"id":"u-1","role":"personal_account"},"referral":{"source":"ad","ad":{"ad_id":1789,"ad_name":"Summer sale","embed_url":"https://www.tiktok.com/embed/v2/7302"}}}`),
			Want: []omnichannel.InboundEvent{{Type: omnichannel.InboundReferral, ExternalAccountID: biz, ExternalUserID: conv,
				Referral: "TikTok ad “Summer sale” (ad 1789) https://www.tiktok.com/embed/v2/7302", Profile: &omnichannel.Profile{DisplayName: "lan.nguyen"}}}},
		{Name: "referral_short_link", Body: envelope("im_referral_msg", `{"conversation_id":"`+conv+`",`+
			`"referral":{"source":"short_link","short_link":{"ref":"spring24","prefilled_message":"Tư vấn giúp mình"}}}`),
			Want: []omnichannel.InboundEvent{{Type: omnichannel.InboundReferral, ExternalAccountID: biz, ExternalUserID: conv,
				Referral: "tiktok.me link ref=spring24 prefilled “Tư vấn giúp mình”"}}},
		{Name: "receive_eu_stripped", Body: envelope("im_receive_msg_eu", `{"to":"shophoamai","to_user":{"id":"`+biz+`","role":"business_account"},"timestamp":1700000000123}`),
			Want: []omnichannel.InboundEvent{{Type: omnichannel.InboundMessage, ExternalAccountID: biz, Direction: omnichannel.DirectionIn,
				NeedsFetch: true, Time: at}}},
	}
}

// malformed are signed deliveries the adapter must refuse with ErrMalformed.
var malformed = [][]byte{
	[]byte(`{`),
	[]byte(`[]`),
	[]byte(`not json`),
	[]byte(`{"event":"im_receive_msg","content":"{}"}`),                 // no user_openid
	[]byte(`{"user_openid":"biz-6980001","content":"{}"}`),              // no event
	envelope("im_receive_msg", `{not json`),                             // content string is not JSON
	envelope("im_receive_msg", `[]`),                                    // content is not an object
	envelope("im_receive_msg", ``),                                      // empty content
	envelope("im_receive_msg", `{"conversation_id":"c"} {}`),            // data after the content
	envelope("im_receive_msg", `{"conversation_id":"c","type":"text"}`), // no message_id
	envelope("im_send_msg", `{"message_id":"m","type":"text"}`),         // no conversation_id
	envelope("im_receive_msg", `{"conversation_id":"c","message_id":"m","timestamp":"yesterday"}`),
	envelope("im_mark_read_msg", `{"read":{"last_read_timestamp":1}}`),           // no conversation_id
	envelope("im_referral_msg", `{"referral":{"source":"ad"}}`),                  // no conversation_id
	[]byte(`{"event":"im_receive_msg","user_openid":"biz-6980001","content":5}`), // content is a number
	[]byte(`{"event":"im_receive_msg","user_openid":"biz-6980001"}`),             // no content
	append(envelope("im_receive_msg", `{"conversation_id":"c","message_id":"m"}`), []byte(` {}`)...),
}

func TestConformance(t *testing.T) {
	srv := tiktoktest.New(tiktoktest.Options{NoReplyLimits: true})
	t.Cleanup(srv.Close)
	logs := &testlog.Buffer{}
	ch := newAdapter(t, srv, logs)
	ctx := context.Background()

	hook := newCapture(t)
	if _, err := srv.CustomerSays(ctx, hook.srv.URL, "u-77", "Minh Thư", "xin chào"); err != nil {
		t.Fatal(err)
	}
	recipient := srv.ConversationID("u-77")
	if _, err := srv.CustomerSendsImage(ctx, hook.srv.URL, "u-77", "Minh Thư", pngBytes, "image/png"); err != nil {
		t.Fatal(err)
	}
	imageDelivery := hook.last()
	events, err := ch.ParseWebhook(nil, imageDelivery)
	if err != nil || len(events) != 1 || len(events[0].Attachments) != 1 {
		t.Fatalf("the emulator's image delivery parsed to %v, %v", events, err)
	}

	fx := fixtures("tiktok:media?conversation_id=0%3A1%2BdHQ6dTE%3D&media_id=med-9&media_type=IMAGE&message_id=m-1")
	fx = append(fx, channeltest.Fixture{Name: "emulator_image_delivery", Body: imageDelivery, Want: events})

	channeltest.Run(t, channeltest.Harness{
		Channel: ch,
		Conn:    srv.Connection(),
		Sign: func(body []byte) http.Header {
			return http.Header{tiktok.SignatureHeader: {srv.SignWebhook(body, time.Now())}}
		},
		SignWrongKey: func(body []byte) http.Header {
			return http.Header{tiktok.SignatureHeader: {tiktoktest.SignWith("another-app-secret", body, time.Now())}}
		},
		SignAt: func(body []byte, at time.Time) (http.Header, []byte) {
			return http.Header{tiktok.SignatureHeader: {srv.SignWebhook(body, at)}}, body
		},
		Window:       tiktok.DefaultSignatureMaxAge,
		Fixtures:     fx,
		Malformed:    malformed,
		UnknownEvent: envelope("im_auto_message_config_update", `{"status":"ok"}`),
		Recipient:    recipient,
		SentCount:    func() int { return len(srv.Sent()) },
		Fault: func(k channeltest.FaultKind) bool {
			switch k {
			case channeltest.FaultRateLimit:
				srv.FailNext(tiktoktest.EndpointSend, tiktoktest.FaultThrottled, 1)
			case channeltest.FaultServerError:
				srv.FailNext(tiktoktest.EndpointSend, tiktoktest.FaultServerError, 1)
			case channeltest.FaultTokenExpired:
				srv.FailNext(tiktoktest.EndpointSend, tiktoktest.FaultTokenExpired, 1)
			case channeltest.FaultWindowClosed:
				srv.FailNext(tiktoktest.EndpointSend, tiktoktest.FaultWindowClosed, 1)
			default:
				return false
			}
			return true
		},
		KnownUserID:      recipient,
		Media:            []channeltest.Media{{Attachment: events[0].Attachments[0], Content: pngBytes, ContentType: "image/png"}},
		Consent:          srv.Consent,
		SingleUseRefresh: true,
		Secrets:          []string{srv.ClientSecret()},
		Logs:             logs.String,
	})
}
