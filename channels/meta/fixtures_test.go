package meta_test

import (
	"time"

	"github.com/dakenh/dakenh/channels/channeltest"
	oc "github.com/dakenh/dakenh/omnichannel"
)

// Documented samples, written as Meta sends them: non-ASCII escaped, "/"
// escaped, app_id and timestamps as numbers.
var at = time.UnixMilli(1785312004523).UTC()

func pageItem(item string) []byte {
	return []byte(`{"object":"page","entry":[{"id":"` + pageID + `","time":1785312004871,"messaging":[` + item + `]}]}`)
}

func igItem(item string) []byte {
	return []byte(`{"object":"instagram","entry":[{"id":"` + igID + `","time":1785312004871,"messaging":[` + item + `]}]}`)
}

// in is a customer item to the Page; out an echo from it.
func in(msg string) string {
	return `{"sender":{"id":"` + psid + `"},"recipient":{"id":"` + pageID + `"},"timestamp":1785312004523,` + msg + `}`
}

func igIn(msg string) string {
	return `{"sender":{"id":"` + igsid + `"},"recipient":{"id":"` + igID + `"},"timestamp":1785312004523,` + msg + `}`
}

func msgEv(account, user string, dir oc.Direction, mid string, mt oc.MessageType, text string, atts ...oc.Attachment) oc.InboundEvent {
	return oc.InboundEvent{Type: oc.InboundMessage, ExternalAccountID: account, ExternalUserID: user, Direction: dir,
		ProviderMessageID: mid, MessageType: mt, Text: text, Attachments: atts, Time: at}
}

func messengerFixtures() []channeltest.Fixture {
	pin := func(mid string, mt oc.MessageType, text string, atts ...oc.Attachment) []oc.InboundEvent {
		return []oc.InboundEvent{msgEv(pageID, psid, oc.DirectionIn, mid, mt, text, atts...)}
	}
	quoted := pin("m_2", oc.MessageText, "Size M")
	quoted[0].QuoteProviderMessageID = "m_1"
	second := msgEv("104857600000002", "7000000000000001", oc.DirectionIn, "m_b1", oc.MessageText, "trang hai")
	second.Time = time.UnixMilli(1785312004000).UTC()
	return []channeltest.Fixture{
		{Name: "text_escaped", Body: pageItem(in(`"message":{"mid":"m_1","text":"Shop \u01a1i, c\u00f2n \u00e1o size M kh\u00f4ng? <b> \ud83d\ude00 a\/b"}`)),
			Want: pin("m_1", oc.MessageText, "Shop ơi, còn áo size M không? <b> 😀 a/b")},
		{Name: "quick_reply_and_reply_to", Body: pageItem(in(`"message":{"mid":"m_2","text":"Size M","quick_reply":{"payload":"SIZE_M"},"reply_to":{"mid":"m_1","is_self_reply":false}}`)),
			Want: quoted},
		{Name: "image", Body: pageItem(in(`"message":{"mid":"m_3","attachments":[{"type":"image","payload":{"url":"https:\/\/scontent.xx.fbcdn.net\/v\/t1.15752-9\/a.jpg?oh=1&oe=2"}}]}`)),
			Want: pin("m_3", oc.MessageImage, "", oc.Attachment{Kind: oc.MessageImage, RemoteURL: "https://scontent.xx.fbcdn.net/v/t1.15752-9/a.jpg?oh=1&oe=2"})},
		{Name: "video_audio_file", Body: pageItem(in(`"message":{"mid":"m_4","attachments":[{"type":"video","payload":{"url":"https://cdn.example/v.mp4"}},{"type":"audio","payload":{"url":"https://cdn.example/a.mp4"}},{"type":"file","payload":{"url":"https://cdn.example/f.pdf"}}]}`)),
			Want: pin("m_4", oc.MessageVideo, "", oc.Attachment{Kind: oc.MessageVideo, RemoteURL: "https://cdn.example/v.mp4"},
				oc.Attachment{Kind: oc.MessageAudio, RemoteURL: "https://cdn.example/a.mp4"}, oc.Attachment{Kind: oc.MessageFile, RemoteURL: "https://cdn.example/f.pdf"})},
		{Name: "sticker_pair_collapsed", Body: pageItem(in(`"message":{"mid":"m_5","attachments":[{"type":"image","payload":{"url":"https://cdn.example/s.png","sticker_id":369239263222822}},{"type":"sticker","payload":{"sticker_id":369239263222822}}]}`)),
			Want: pin("m_5", oc.MessageSticker, "", oc.Attachment{Kind: oc.MessageSticker, RemoteURL: "https://cdn.example/s.png", ProviderRef: "369239263222822"})},
		{Name: "fallback_without_payload", Body: pageItem(in(`"message":{"mid":"m_6","attachments":[{"type":"fallback","title":"\u00c1o thun","url":"https:\/\/shop.example\/p\/1"}]}`)),
			Want: pin("m_6", oc.MessageLink, "Áo thun https://shop.example/p/1")},
		{Name: "location", Body: pageItem(in(`"message":{"mid":"m_7","attachments":[{"type":"location","payload":{"coordinates":{"lat":10.7769,"long":106.7009}}}]}`)),
			Want: pin("m_7", oc.MessageLocation, "10.7769,106.7009")},
		{Name: "unknown_type", Body: pageItem(in(`"message":{"mid":"m_8","attachments":[{"type":"hologram<script>","payload":{}}]}`)),
			Want: pin("m_8", oc.MessageOther, "[hologramscript]")},
		{Name: "echo_of_our_send", Body: []byte(`{"object":"page","entry":[{"id":"` + pageID + `","time":1785312004871,"messaging":[{"sender":{"id":"` + pageID + `"},"recipient":{"id":"` + psid + `"},"timestamp":1785312004523,"message":{"is_echo":true,"app_id":990011223344556,"metadata":"dakenh:msg-1","mid":"m_9","text":"D\u1ea1 c\u00f2n \u1ea1"}}]}]}`),
			Want: []oc.InboundEvent{msgEv(pageID, psid, oc.DirectionOut, "m_9", oc.MessageText, "Dạ còn ạ")}},
		{Name: "echo_from_page_inbox", Body: []byte(`{"object":"page","entry":[{"id":"` + pageID + `","time":1785312004871,"messaging":[{"sender":{"id":"` + pageID + `"},"recipient":{"id":"` + psid + `"},"timestamp":1785312004523,"message":{"is_echo":true,"app_id":263902037430900,"mid":"m_10","text":"ok"}}]}]}`),
			Want: []oc.InboundEvent{msgEv(pageID, psid, oc.DirectionOut, "m_10", oc.MessageText, "ok")}},
		{Name: "delivery_watermark", Body: pageItem(in(`"delivery":{"mids":["mid.1458668856218:ed81099e15d3f4f233"],"watermark":1458668856253}`)),
			Want: []oc.InboundEvent{{Type: oc.InboundStatus, ExternalAccountID: pageID, ExternalUserID: psid, Status: oc.MessageDelivered,
				ProviderMessageIDs: []string{"mid.1458668856218:ed81099e15d3f4f233"}, UpTo: time.UnixMilli(1458668856253).UTC(), Time: at}}},
		{Name: "delivery_watermark_only", Body: pageItem(in(`"delivery":{"watermark":1458668856253}`)),
			Want: []oc.InboundEvent{{Type: oc.InboundStatus, ExternalAccountID: pageID, ExternalUserID: psid, Status: oc.MessageDelivered,
				UpTo: time.UnixMilli(1458668856253).UTC()}}},
		{Name: "read_watermark", Body: pageItem(in(`"read":{"watermark":1458668856253}`)),
			Want: []oc.InboundEvent{{Type: oc.InboundStatus, ExternalAccountID: pageID, ExternalUserID: psid, Status: oc.MessageSeen,
				UpTo: time.UnixMilli(1458668856253).UTC()}}},
		{Name: "postback_with_referral", Body: pageItem(in(`"postback":{"mid":"m_11","title":"B\u1eaft \u0111\u1ea7u","payload":"GET_STARTED","referral":{"ref":"spring","source":"SHORTLINK","type":"OPEN_THREAD"}}`)),
			Want: []oc.InboundEvent{msgEv(pageID, psid, oc.DirectionIn, "m_11", oc.MessageText, "Bắt đầu"),
				{Type: oc.InboundReferral, ExternalAccountID: pageID, ExternalUserID: psid, Referral: "m.me link ref=spring"}}},
		{Name: "referral_ad", Body: pageItem(in(`"referral":{"ref":"summer","ad_id":"6045246247433","source":"ADS","type":"OPEN_THREAD","ads_context_data":{"ad_title":"Sale h\u00e8","photo_url":"https://x/p.jpg"}}`)),
			Want: []oc.InboundEvent{{Type: oc.InboundReferral, ExternalAccountID: pageID, ExternalUserID: psid, Referral: "Facebook ad “Sale hè” (ad 6045246247433) ref=summer"}}},
		{Name: "reaction", Body: pageItem(in(`"reaction":{"reaction":"love","emoji":"\u2764\ufe0f","action":"react","mid":"m_1"}`)),
			Want: []oc.InboundEvent{{Type: oc.InboundReaction, ExternalAccountID: pageID, ExternalUserID: psid, Direction: oc.DirectionIn,
				ReactionTargetID: "m_1", Reaction: "❤️", Time: at}}},
		{Name: "unsend_acknowledged", Body: pageItem(in(`"message":{"mid":"m_1","is_deleted":true}`))},
		{Name: "edit_acknowledged", Body: pageItem(in(`"message_edit":{"mid":"m_1","text":"new","num_edit":1}`))},
		{Name: "dashboard_test_ignored", Body: []byte(`{"object":"page","entry":[{"id":"0","time":1527459824,"changes":[{"field":"messages","value":{"message":{"mid":"random_mid","text":"random_text"}}}]}]}`)},
		{Name: "instagram_object_ignored_here", Body: igItem(igIn(`"message":{"mid":"x","text":"hi"}`))},
		{Name: "timestamp_seconds_string", Body: pageItem(`{"sender":{"id":"` + psid + `"},"recipient":{"id":"` + pageID + `"},"timestamp":"1785312004","message":{"mid":"m_12","text":"s"}}`),
			Want: []oc.InboundEvent{func() oc.InboundEvent {
				e := msgEv(pageID, psid, oc.DirectionIn, "m_12", oc.MessageText, "s")
				e.Time = time.Unix(1785312004, 0).UTC()
				return e
			}()}},
		{Name: "batch_two_pages_standby", Body: []byte(`{"object":"page","entry":[` +
			`{"id":"` + pageID + `","time":1785312004871,"messaging":[` + in(`"message":{"mid":"m_a1","text":"m\u1ed9t"}`) + `,` + in(`"read":{"watermark":1785312004000}`) + `],` +
			`"standby":[` + in(`"message":{"mid":"m_a2","text":"hai"}`) + `]},` +
			`{"id":"104857600000002","time":1785312004871,"messaging":[{"sender":{"id":"7000000000000001"},"recipient":{"id":"104857600000002"},"timestamp":1785312004000,"message":{"mid":"m_b1","text":"trang hai"}},{"bad":` + `"item","sender":5}]}]}`),
			Want: []oc.InboundEvent{msgEv(pageID, psid, oc.DirectionIn, "m_a1", oc.MessageText, "một"),
				{Type: oc.InboundStatus, ExternalAccountID: pageID, ExternalUserID: psid, Status: oc.MessageSeen, UpTo: time.UnixMilli(1785312004000).UTC()},
				msgEv(pageID, psid, oc.DirectionIn, "m_a2", oc.MessageText, "hai"), second}},
	}
}

func instagramFixtures() []channeltest.Fixture {
	ig := func(mid string, mt oc.MessageType, text string, atts ...oc.Attachment) oc.InboundEvent {
		return msgEv(igID, igsid, oc.DirectionIn, mid, mt, text, atts...)
	}
	story := ig("aWdf1", oc.MessageText, "Đẹp quá\n↪ story: https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1&signature=x")
	return []channeltest.Fixture{
		{Name: "ig_text_17_digit_ids", Body: igItem(igIn(`"message":{"mid":"aWdf0","text":"Xin ch\u00e0o"}`)),
			Want: []oc.InboundEvent{ig("aWdf0", oc.MessageText, "Xin chào")}},
		{Name: "ig_story_reply", Body: igItem(igIn(`"message":{"mid":"aWdf1","text":"\u0110\u1eb9p qu\u00e1","reply_to":{"story":{"url":"https:\/\/lookaside.fbsbx.com\/ig_messaging_cdn\/?asset_id=1&signature=x","id":"18000000000000001"}}}`)),
			Want: []oc.InboundEvent{story}},
		{Name: "ig_post_share", Body: igItem(igIn(`"message":{"mid":"aWdf2","attachments":[{"type":"ig_post","payload":{"ig_post_media_id":"18000000000000002","title":"New in","url":"https://www.instagram.com/p/X"}}]}`)),
			Want: []oc.InboundEvent{ig("aWdf2", oc.MessageLink, "New in https://www.instagram.com/p/X")}},
		{Name: "ig_unsupported", Body: igItem(igIn(`"message":{"mid":"aWdf3","is_unsupported":true}`)),
			Want: []oc.InboundEvent{ig("aWdf3", oc.MessageOther, "[unsupported]")}},
		{Name: "ig_seen_mid", Body: igItem(igIn(`"read":{"mid":"aWdfOUR"}`)),
			Want: []oc.InboundEvent{{Type: oc.InboundStatus, ExternalAccountID: igID, ExternalUserID: igsid, Status: oc.MessageSeen, ProviderMessageIDs: []string{"aWdfOUR"}}}},
		{Name: "ig_ad_referral_in_message", Body: igItem(igIn(`"message":{"mid":"aWdf4","text":"Gi\u00e1?","referral":{"ref":"r1","ad_id":"123","source":"ADS","type":"OPEN_THREAD","ads_context_data":{"ad_title":"T\u00fai x\u00e1ch"}}}`)),
			Want: []oc.InboundEvent{ig("aWdf4", oc.MessageText, "Giá?"),
				{Type: oc.InboundReferral, ExternalAccountID: igID, ExternalUserID: igsid, Referral: "Instagram ad “Túi xách” (ad 123) ref=r1"}}},
		{Name: "ig_echo_entry_is_page_id", // uncertain §12.1: entry.id may be the Page id; ids route
			Body: []byte(`{"object":"instagram","entry":[{"id":"` + pageID + `","time":1785312004871,"messaging":[{"sender":{"id":"` + igID + `"},"recipient":{"id":"` + igsid + `"},"timestamp":1785312004523,"message":{"is_echo":true,"mid":"aWdf5","text":"C\u1ea3m \u01a1n"}}]}]}`),
			Want: []oc.InboundEvent{msgEv(igID, igsid, oc.DirectionOut, "aWdf5", oc.MessageText, "Cảm ơn")}},
		{Name: "ig_unreact", Body: igItem(igIn(`"reaction":{"mid":"aWdf0","action":"unreact"}`)),
			Want: []oc.InboundEvent{{Type: oc.InboundReaction, ExternalAccountID: igID, ExternalUserID: igsid, Direction: oc.DirectionIn,
				ReactionTargetID: "aWdf0", ReactionRemoved: true}}},
		{Name: "page_object_ignored_here", Body: pageItem(in(`"message":{"mid":"m_x","text":"hi"}`))},
	}
}

// malformed are signed deliveries that must be refused with ErrMalformed.
var malformed = [][]byte{
	[]byte(`{`), []byte(`[]`), []byte(`null`), []byte(`"page"`), []byte(`not json`),
	[]byte(`{"entry":[]}`),                          // no object
	[]byte(`{"object":"page","entry":{}}`),          // entry is not a list
	[]byte(`{"object":"page","entry":[]} {}`),       // data after the object
	[]byte(`{"object":5,"entry":[]}`),               // object is not a string
	[]byte(`{"object":"page","entry":[{"id":{}}]}`), // entry id is not a string or number
}
