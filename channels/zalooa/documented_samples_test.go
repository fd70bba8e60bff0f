package zalooa_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/zalooa"
	"github.com/dakenh/dakenh/internal/testlog"
	oc "github.com/dakenh/dakenh/omnichannel"
)

// The documented samples, byte for byte, with a fixed timestamp: the adapter must
// verify the signature this test computes on its own (SHA-256 of app id + body + timestamp + OA
// secret key, inline here, not the adapter's or the emulator's code) and parse what the samples
// say. The adapter's clock is fixed at the samples' time.
func TestDocumentedSamples(t *testing.T) {
	const (
		app = "3108542377690321457"
		oa  = "4318402341099128374"
		key = "documented-sample-oa-secret"
		ts  = "1764921600000" // 2025-12-05 08:00:00 UTC
	)
	at := time.UnixMilli(1764921600000).UTC()
	body := func(event, sender, recipient, message string) string {
		return `{"app_id":"` + app + `","sender":{"id":"` + sender + `"},"recipient":{"id":"` + recipient +
			`"},"event_name":"` + event + `","message":` + message + `,"timestamp":"` + ts + `"}`
	}
	const user, anon = "2512523625412515", "8a1f0e77c2d94b63"
	cases := []struct {
		name  string
		body  string
		check func(t *testing.T, evs []oc.InboundEvent)
	}{
		{"anonymous_send_text keeps conversation_id",
			body("anonymous_send_text", anon, oa, `{"text":"shop ơi","msg_id":"a-1","conversation_id":"c0ffee42"}`),
			func(t *testing.T, evs []oc.InboundEvent) {
				require.Len(t, evs, 1)
				ev := evs[0]
				assert.Equal(t, oc.InboundMessage, ev.Type)
				assert.Equal(t, anon, ev.ExternalUserID)
				assert.True(t, ev.Anonymous)
				assert.Equal(t, "c0ffee42", ev.ProviderConversationID)
				assert.Equal(t, "shop ơi", ev.Text)
			}},
		{"user_reacted_message is a reaction, not a message",
			body("user_reacted_message", user, oa, `{"msg_id":"oa-msg-9","react_icon":"/-heart"}`),
			func(t *testing.T, evs []oc.InboundEvent) {
				require.Len(t, evs, 1)
				ev := evs[0]
				assert.Equal(t, oc.InboundReaction, ev.Type)
				assert.Equal(t, oc.DirectionIn, ev.Direction)
				assert.Equal(t, user, ev.ExternalUserID)
				assert.Equal(t, oa, ev.ExternalAccountID)
				assert.Equal(t, "oa-msg-9", ev.ReactionTargetID)
				assert.Equal(t, "❤️", ev.Reaction)
				assert.False(t, ev.ReactionRemoved)
			}},
		// UNCERTAIN: how Zalo reports a reaction taken back; "" and "/-remove" are both read so.
		{"an empty react_icon takes the reaction back",
			body("user_reacted_message", user, oa, `{"msg_id":"oa-msg-9","react_icon":""}`),
			func(t *testing.T, evs []oc.InboundEvent) {
				require.Len(t, evs, 1)
				assert.True(t, evs[0].ReactionRemoved)
			}},
		{"oa_reacted_message is the business's reaction",
			body("oa_reacted_message", oa, user, `{"msg_id":"u-msg-3","react_icon":"/-strong"}`),
			func(t *testing.T, evs []oc.InboundEvent) {
				require.Len(t, evs, 1)
				assert.Equal(t, oc.DirectionOut, evs[0].Direction)
				assert.Equal(t, user, evs[0].ExternalUserID)
				assert.Equal(t, "👍", evs[0].Reaction)
			}},
		{"user_submit_info with the official sample's full_address",
			`{"app_id":"` + app + `","sender":{"id":"` + user + `"},"recipient":{"id":"` + oa + `"},"event_name":"user_submit_info",` +
				`"info":{"name":"Nguyễn Thị Lan","phone":"84912345678","user_dob":"12/03/1995","gender":"2",` +
				`"full_address":{"user_city":"Hồ Chí Minh","user_ward":"Bến Nghé","user_address":"12 Lê Lợi"}},"timestamp":"` + ts + `"}`,
			func(t *testing.T, evs []oc.InboundEvent) {
				require.Len(t, evs, 1)
				p := evs[0].Profile
				require.NotNil(t, p)
				assert.Equal(t, "84912345678", p.Phone)
				assert.Equal(t, map[string]string{"shared_name": "Nguyễn Thị Lan", "address": "12 Lê Lợi", "ward": "Bến Nghé",
					"city": "Hồ Chí Minh", "dob": "12/03/1995", "gender": "2"}, p.Attributes)
			}},
		// The flat form earlier notes described (UNCERTAIN whether Zalo sends it): still read.
		{"user_submit_info with the flat address",
			`{"app_id":"` + app + `","sender":{"id":"` + user + `"},"recipient":{"id":"` + oa + `"},"event_name":"user_submit_info",` +
				`"info":{"phone":84912345678,"address":"5 Hàng Bài","ward":"Tràng Tiền","district":"Hoàn Kiếm","city":"Hà Nội"},"timestamp":"` + ts + `"}`,
			func(t *testing.T, evs []oc.InboundEvent) {
				require.Len(t, evs, 1)
				assert.Equal(t, map[string]string{"address": "5 Hàng Bài", "ward": "Tràng Tiền", "district": "Hoàn Kiếm",
					"city": "Hà Nội"}, evs[0].Profile.Attributes)
			}},
		{"user_send_sticker carries the sticker image",
			body("user_send_sticker", user, oa, `{"msg_id":"m-stk","attachments":[{"type":"sticker","payload":{"id":"5f2b","url":"https://zalo-api.zadn.vn/api/emoticon/sticker/webpc?eid=46991"}}]}`),
			func(t *testing.T, evs []oc.InboundEvent) {
				require.Len(t, evs, 1)
				require.Len(t, evs[0].Attachments, 1)
				a := evs[0].Attachments[0]
				assert.Equal(t, oc.MessageSticker, a.Kind)
				assert.Equal(t, "https://zalo-api.zadn.vn/api/emoticon/sticker/webpc?eid=46991", a.RemoteURL)
			}},
		{"user_send_group_text is acknowledged without an event",
			body("user_send_group_text", user, "group-77", `{"msg_id":"g-1","text":"tin nhắn trong nhóm"}`),
			func(t *testing.T, evs []oc.InboundEvent) { assert.Empty(t, evs) }},
	}
	logs := &testlog.Buffer{}
	ch, err := zalooa.New(zalooa.Config{AppID: app, AppSecret: "s", OASecretKey: key, Logger: logs.Logger(),
		Now: func() time.Time { return at.Add(time.Minute) }})
	require.NoError(t, err)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sum := sha256.Sum256([]byte(app + tc.body + ts + key))
			require.NoError(t, ch.VerifyWebhook(sigHeader("mac="+hex.EncodeToString(sum[:])), []byte(tc.body)))
			evs, err := ch.ParseWebhook(nil, []byte(tc.body))
			require.NoError(t, err)
			tc.check(t, evs)
		})
	}
	// The group event was logged once, without its text.
	out := logs.String()
	assert.Equal(t, 1, strings.Count(out, "event=user_send_group_text"))
	assert.NotContains(t, out, "tin nhắn trong nhóm")
	_, _ = ch.ParseWebhook(nil, []byte(cases[len(cases)-1].body))
	assert.Equal(t, 1, strings.Count(logs.String(), "event=user_send_group_text"), "logged once per OA and event")
}
