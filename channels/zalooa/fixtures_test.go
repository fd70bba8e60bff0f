package zalooa_test

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dakenh/dakenh/channels/channeltest"
	"github.com/dakenh/dakenh/omnichannel"
)

// Identifiers of the deliveries below (the emulator is started with the same app and OA ids).
const (
	fxApp  = "3108542377690321457"
	fxOA   = "4318402341099128374"
	fxUser = "2512523625412515"
)

// delivery fills a real-shaped Zalo webhook body: {APP}, {OA}, {USER} and {TS} (epoch ms).
func delivery(tmpl string, ts int64) []byte {
	r := strings.NewReplacer("{APP}", fxApp, "{OA}", fxOA, "{USER}", fxUser, "{TS}", strconv.FormatInt(ts, 10))
	return []byte(r.Replace(tmpl))
}

// fixtures are one delivery per event the adapter maps, as Zalo posts them, with the events they
// must parse to. at is the deliveries' timestamp.
func fixtures(at time.Time) []channeltest.Fixture {
	ts := at.UnixMilli()
	when := time.UnixMilli(ts).UTC()
	yes, no := true, false
	in := func(id string, mt omnichannel.MessageType, text string, atts ...omnichannel.Attachment) omnichannel.InboundEvent {
		return omnichannel.InboundEvent{Type: omnichannel.InboundMessage, ExternalAccountID: fxOA, ExternalUserID: fxUser,
			Direction: omnichannel.DirectionIn, ProviderMessageID: id, MessageType: mt, Text: text, Attachments: atts, Time: when}
	}
	out := func(id string, mt omnichannel.MessageType, text string, atts ...omnichannel.Attachment) omnichannel.InboundEvent {
		ev := in(id, mt, text, atts...)
		ev.Direction = omnichannel.DirectionOut
		return ev
	}
	userMsg := func(event, message string) string {
		return fmt.Sprintf(`{"app_id":"{APP}","sender":{"id":"{USER}"},"user_id_by_app":"552177279252915","recipient":{"id":"{OA}"},"event_name":%q,"message":%s,"timestamp":"{TS}"}`, event, message)
	}
	oaMsg := func(event, message string) string {
		return fmt.Sprintf(`{"app_id":"{APP}","sender":{"id":"{OA}"},"user_id_by_app":"552177279252915","recipient":{"id":"{USER}"},"event_name":%q,"message":%s,"timestamp":"{TS}"}`, event, message)
	}
	img := omnichannel.Attachment{Kind: omnichannel.MessageImage, RemoteURL: "https://photo-stal.zdn.vn/a.jpg"}
	fx := []struct {
		name, body string
		want       []omnichannel.InboundEvent
	}{
		{"user_send_text", userMsg("user_send_text", `{"text":"Shop ơi, áo còn size M không? <b>gấp</b>","msg_id":"96d3cdf3af150460909"}`),
			[]omnichannel.InboundEvent{in("96d3cdf3af150460909", omnichannel.MessageText, "Shop ơi, áo còn size M không? <b>gấp</b>")}},
		{"user_send_text_quoting", userMsg("user_send_text", `{"text":"cái này","msg_id":"m-q1","quote_msg_id":"oa-msg-7"}`),
			[]omnichannel.InboundEvent{func() omnichannel.InboundEvent {
				ev := in("m-q1", omnichannel.MessageText, "cái này")
				ev.QuoteProviderMessageID = "oa-msg-7"
				return ev
			}()}},
		// Uncertain forms: ids and timestamp as JSON numbers (19 digits must survive).
		{"user_send_text_numeric_ids", `{"app_id":{APP},"sender":{"id":{USER}},"recipient":{"id":{OA}},"event_name":"user_send_text","message":{"text":"số","msg_id":9223372036854775807},"timestamp":{TS}}`,
			[]omnichannel.InboundEvent{in("9223372036854775807", omnichannel.MessageText, "số")}},
		{"user_send_image", userMsg("user_send_image", `{"text":"mẫu này","msg_id":"m-img","attachments":[{"type":"image","payload":{"thumbnail":"https://photo-stal.zdn.vn/t.jpg","url":"https://photo-stal.zdn.vn/a.jpg"}}]}`),
			[]omnichannel.InboundEvent{in("m-img", omnichannel.MessageImage, "mẫu này", img)}},
		{"user_send_gif", userMsg("user_send_gif", `{"msg_id":"m-gif","attachments":[{"type":"gif","payload":{"thumbnail":"https://a.zdn.vn/t.gif","url":"https://a.zdn.vn/g.gif"}}]}`),
			[]omnichannel.InboundEvent{in("m-gif", omnichannel.MessageImage, "",
				omnichannel.Attachment{Kind: omnichannel.MessageImage, RemoteURL: "https://a.zdn.vn/g.gif", ContentType: "image/gif"})}},
		{"user_send_link", userMsg("user_send_link", `{"text":"xem giúp","msg_id":"m-link","attachments":[{"type":"link","payload":{"url":"https://shop.vn/ao","title":"Áo thun","description":"d","thumbnail":"https://shop.vn/t.jpg"}}]}`),
			[]omnichannel.InboundEvent{in("m-link", omnichannel.MessageLink, "xem giúp\nÁo thun https://shop.vn/ao")}},
		{"user_send_audio", userMsg("user_send_audio", `{"msg_id":"m-aud","attachments":[{"type":"audio","payload":{"url":"https://voice.zdn.vn/v.aac"}}]}`),
			[]omnichannel.InboundEvent{in("m-aud", omnichannel.MessageAudio, "",
				omnichannel.Attachment{Kind: omnichannel.MessageAudio, RemoteURL: "https://voice.zdn.vn/v.aac"})}},
		{"user_send_video", userMsg("user_send_video", `{"msg_id":"m-vid","attachments":[{"type":"video","payload":{"thumbnail":"https://v.zdn.vn/t.jpg","url":"https://v.zdn.vn/v.mp4"}}]}`),
			[]omnichannel.InboundEvent{in("m-vid", omnichannel.MessageVideo, "",
				omnichannel.Attachment{Kind: omnichannel.MessageVideo, RemoteURL: "https://v.zdn.vn/v.mp4"})}},
		{"user_send_sticker", userMsg("user_send_sticker", `{"msg_id":"m-stk","attachments":[{"type":"sticker","payload":{"id":"1cc1a1b2a4f74da914e6","url":"https://zalo-api.zadn.vn/api/emoticon/sticker/webpc?eid=1"}}]}`),
			[]omnichannel.InboundEvent{in("m-stk", omnichannel.MessageSticker, "",
				omnichannel.Attachment{Kind: omnichannel.MessageSticker, RemoteURL: "https://zalo-api.zadn.vn/api/emoticon/sticker/webpc?eid=1", ProviderRef: "1cc1a1b2a4f74da914e6"})}},
		{"user_send_location", userMsg("user_send_location", `{"msg_id":"m-loc","attachments":[{"type":"location","payload":{"coordinates":{"latitude":"10.7769","longitude":"106.7009"}}}]}`),
			[]omnichannel.InboundEvent{in("m-loc", omnichannel.MessageLocation, "📍 10.7769,106.7009")}},
		// The other coordinate spelling seen in the wild (lat/long, numbers).
		{"user_send_location_lat_long", userMsg("user_send_location", `{"msg_id":"m-loc2","attachments":[{"type":"location","payload":{"coordinates":{"lat":21.0285,"long":105.8542}}}]}`),
			[]omnichannel.InboundEvent{in("m-loc2", omnichannel.MessageLocation, "📍 21.0285,105.8542")}},
		{"user_send_file", userMsg("user_send_file", `{"msg_id":"m-file","attachments":[{"type":"file","payload":{"url":"https://f.zdn.vn/bao-gia.pdf","name":"../bao-gia.pdf","size":"20480","checksum":"abc","type":"pdf"}}]}`),
			[]omnichannel.InboundEvent{in("m-file", omnichannel.MessageFile, "",
				omnichannel.Attachment{Kind: omnichannel.MessageFile, RemoteURL: "https://f.zdn.vn/bao-gia.pdf", Name: "bao-gia.pdf",
					ContentType: "application/pdf", Size: 20480})}},
		{"user_send_business_card", userMsg("user_send_business_card", `{"msg_id":"m-card","attachments":[{"type":"business_card","payload":{"thumbnail":"https://a.zdn.vn/c.jpg","description":"Nguyễn Văn An"}}]}`),
			[]omnichannel.InboundEvent{in("m-card", omnichannel.MessageContact, "Nguyễn Văn An")}},
		{"anonymous_send_text", userMsg("anonymous_send_text", `{"text":"cho hỏi","msg_id":"m-anon","conversation_id":"c-anon-1"}`),
			[]omnichannel.InboundEvent{in("m-anon", omnichannel.MessageText, "cho hỏi")}},
		{"anonymous_send_image", userMsg("anonymous_send_image", `{"msg_id":"m-anon-img","conversation_id":"c-anon-1","attachments":[{"type":"image","payload":{"url":"https://photo-stal.zdn.vn/a.jpg"}}]}`),
			[]omnichannel.InboundEvent{in("m-anon-img", omnichannel.MessageImage, "", img)}},
		{"oa_send_text", oaMsg("oa_send_text", `{"text":"Dạ còn ạ","msg_id":"oa-1"}`),
			[]omnichannel.InboundEvent{out("oa-1", omnichannel.MessageText, "Dạ còn ạ")}},
		{"oa_send_image", oaMsg("oa_send_image", `{"msg_id":"oa-2","attachments":[{"type":"image","payload":{"url":"https://photo-stal.zdn.vn/a.jpg"}}]}`),
			[]omnichannel.InboundEvent{out("oa-2", omnichannel.MessageImage, "", img)}},
		{"oa_send_file", oaMsg("oa_send_file", `{"msg_id":"oa-3","attachments":[{"type":"file","payload":{"url":"https://f.zdn.vn/q.docx","name":"q.docx","size":100}}]}`),
			[]omnichannel.InboundEvent{out("oa-3", omnichannel.MessageFile, "",
				omnichannel.Attachment{Kind: omnichannel.MessageFile, RemoteURL: "https://f.zdn.vn/q.docx", Name: "q.docx",
					ContentType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", Size: 100})}},
		{"oa_send_template", oaMsg("oa_send_template", `{"msg_id":"oa-4"}`),
			[]omnichannel.InboundEvent{out("oa-4", omnichannel.MessageOther, "[template]")}},
		{"oa_send_anonymous_text", oaMsg("oa_send_anonymous_text", `{"text":"chào bạn","msg_id":"oa-5","conversation_id":"c-anon-1"}`),
			[]omnichannel.InboundEvent{out("oa-5", omnichannel.MessageText, "chào bạn")}},
		{"user_received_message", `{"app_id":"{APP}","sender":{"id":"{OA}"},"recipient":{"id":"{USER}"},"event_name":"user_received_message","message":{"msg_id":"oa-1"},"timestamp":"{TS}"}`,
			[]omnichannel.InboundEvent{{Type: omnichannel.InboundStatus, ExternalAccountID: fxOA, ExternalUserID: fxUser,
				Status: omnichannel.MessageDelivered, ProviderMessageIDs: []string{"oa-1"}, Time: when}}},
		{"user_seen_message", `{"app_id":"{APP}","sender":{"id":"{OA}"},"recipient":{"id":"{USER}"},"event_name":"user_seen_message","message":{"msg_ids":["oa-1","oa-2"]},"timestamp":"{TS}"}`,
			[]omnichannel.InboundEvent{{Type: omnichannel.InboundStatus, ExternalAccountID: fxOA, ExternalUserID: fxUser,
				Status: omnichannel.MessageSeen, ProviderMessageIDs: []string{"oa-1", "oa-2"}, Time: when}}},
		{"follow", `{"oa_id":"{OA}","follower":{"id":"{USER}"},"user_id_by_app":"552177279252915","event_name":"follow","source":"oa_profile","app_id":"{APP}","timestamp":"{TS}"}`,
			[]omnichannel.InboundEvent{{Type: omnichannel.InboundFollow, ExternalAccountID: fxOA, ExternalUserID: fxUser,
				Profile: &omnichannel.Profile{Follower: &yes}, Time: when}}},
		{"unfollow", `{"oa_id":"{OA}","follower":{"id":"{USER}"},"event_name":"unfollow","source":"oa_profile","app_id":"{APP}","timestamp":"{TS}"}`,
			[]omnichannel.InboundEvent{{Type: omnichannel.InboundUnfollow, ExternalAccountID: fxOA, ExternalUserID: fxUser,
				Profile: &omnichannel.Profile{Follower: &no}, Time: when}}},
		// The shared phone may arrive as a number (84…).
		{"user_submit_info", `{"app_id":"{APP}","sender":{"id":"{USER}"},"recipient":{"id":"{OA}"},"event_name":"user_submit_info","info":{"address":"12 Lê Lợi","phone":84912345678,"city":"Hồ Chí Minh","district":"Quận 1","name":"Nguyễn Thị Lan","ward":"Bến Nghé"},"timestamp":"{TS}"}`,
			[]omnichannel.InboundEvent{{Type: omnichannel.InboundInfoShared, ExternalAccountID: fxOA, ExternalUserID: fxUser,
				ProviderMessageID: "submit_info:" + fxUser + ":" + strconv.FormatInt(ts, 10), Profile: &omnichannel.Profile{Phone: "84912345678"}, Time: when}}},
	}
	out2 := make([]channeltest.Fixture, len(fx))
	for i, f := range fx {
		out2[i] = channeltest.Fixture{Name: f.name, Header: map[string][]string{"Content-Type": {"application/json"}},
			Body: delivery(f.body, ts), Want: f.want}
	}
	return out2
}

// malformed are deliveries with a readable timestamp (so they pass the signature check when
// signed) that ParseWebhook must refuse, plus bodies VerifyWebhook refuses first.
func malformed(at time.Time) [][]byte {
	ts := at.UnixMilli()
	var out [][]byte
	for _, b := range []string{
		`{`, `[]`, `not json`, `{"timestamp":"{TS}"} {}`,
		`{"app_id":"{APP}","timestamp":"{TS}"}`,
		`{"app_id":"{APP}","event_name":"user_send_text","sender":{"id":"{USER}"},"recipient":{"id":"{OA}"},"message":{"text":"no id"},"timestamp":"{TS}"}`,
		`{"app_id":"{APP}","event_name":"user_send_text","recipient":{"id":"{OA}"},"message":{"msg_id":"m1","text":"no sender"},"timestamp":"{TS}"}`,
		`{"app_id":"{APP}","event_name":"user_send_text","sender":{"id":"{USER}"},"message":{"msg_id":"m1","text":"no OA"},"timestamp":"{TS}"}`,
		`{"app_id":"{APP}","event_name":"user_send_text","sender":{"id":{"x":1}},"recipient":{"id":"{OA}"},"message":{"msg_id":"m1"},"timestamp":"{TS}"}`,
		`{"app_id":"{APP}","event_name":"user_seen_message","sender":{"id":"{OA}"},"recipient":{"id":"{USER}"},"message":{"msg_ids":[]},"timestamp":"{TS}"}`,
		`{"app_id":"{APP}","event_name":"follow","oa_id":"{OA}","timestamp":"{TS}"}`,
		`{"app_id":"{APP}","event_name":"user_submit_info","recipient":{"id":"{OA}"},"info":{"phone":"0912345678"},"timestamp":"{TS}"}`,
		`{"app_id":"{APP}","event_name":"user_send_text","sender":{"id":"{USER}"},"recipient":{"id":"{OA}"},"message":"text","timestamp":"{TS}"}`,
	} {
		out = append(out, delivery(b, ts))
	}
	return out
}
