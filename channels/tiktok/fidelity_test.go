package tiktok_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/tiktok"
	"github.com/dakenh/dakenh/channels/tiktok/tiktoktest"
	oc "github.com/dakenh/dakenh/omnichannel"
)

// signInline is TikTok's documented signature, computed here with crypto/hmac, independently of
// the adapter and the emulator: t=<unix>,s=hex(HMAC-SHA256(secret, t + "." + body)).
func signInline(secret string, at time.Time, body string) http.Header {
	t := strconv.FormatInt(at.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(t + "." + body))
	return http.Header{"Tiktok-Signature": {"t=" + t + ",s=" + hex.EncodeToString(m.Sum(nil))}}
}

// The documented shapes, byte for byte: reactions, stickers and emoji with url.
func TestDocumentedSamples(t *testing.T) {
	const secret, business = "documented-client-secret", "biz-open-id-1"
	at := time.Unix(1764921600, 0)
	ch, err := tiktok.New(tiktok.Config{ClientKey: "k", ClientSecret: secret, Now: func() time.Time { return at.Add(time.Second) }})
	require.NoError(t, err)
	env := func(event, content string) string {
		return `{"client_key":"k","event":"` + event + `","create_time":1764921600,"user_openid":"` + business +
			`","content":` + strconv.Quote(content) + `}`
	}
	cases := []struct {
		name  string
		body  string
		check func(t *testing.T, evs []oc.InboundEvent)
	}{
		{"reaction ADD is a reaction on the original message",
			env("im_receive_msg", `{"conversation_id":"c-1","message_id":"r-1","timestamp":1764921600000,"type":"reaction",`+
				`"reaction":[{"operation":"ADD","type":"EMOJI","emoji":"😍","original_msg_id":"m-9"}]}`),
			func(t *testing.T, evs []oc.InboundEvent) {
				require.Len(t, evs, 1)
				ev := evs[0]
				assert.Equal(t, oc.InboundReaction, ev.Type)
				assert.Equal(t, "c-1", ev.ExternalUserID)
				assert.Equal(t, business, ev.ExternalAccountID)
				assert.Equal(t, oc.DirectionIn, ev.Direction)
				assert.Equal(t, "m-9", ev.ReactionTargetID)
				assert.Equal(t, "😍", ev.Reaction)
				assert.False(t, ev.ReactionRemoved)
			}},
		{"reaction REMOVE",
			env("im_receive_msg", `{"conversation_id":"c-1","message_id":"r-2","timestamp":1764921600000,"type":"reaction",`+
				`"reaction":[{"operation":"REMOVE","type":"EMOJI","emoji":"😍","original_msg_id":"m-9"}]}`),
			func(t *testing.T, evs []oc.InboundEvent) {
				require.Len(t, evs, 1)
				assert.True(t, evs[0].ReactionRemoved)
			}},
		{"sticker with url",
			env("im_receive_msg", `{"conversation_id":"c-1","message_id":"s-1","timestamp":1764921600000,"type":"sticker",`+
				`"sticker":{"url":"https://p16-sticker.tiktokcdn.com/s/a.webp"}}`),
			func(t *testing.T, evs []oc.InboundEvent) {
				require.Len(t, evs, 1)
				require.Len(t, evs[0].Attachments, 1)
				assert.Equal(t, oc.MessageSticker, evs[0].Attachments[0].Kind)
				assert.Equal(t, "https://p16-sticker.tiktokcdn.com/s/a.webp", evs[0].Attachments[0].RemoteURL)
				assert.Empty(t, evs[0].Text, "no \"[sticker]\" placeholder")
			}},
		{"emoji with url",
			env("im_receive_msg", `{"conversation_id":"c-1","message_id":"e-1","timestamp":1764921600000,"type":"emoji",`+
				`"emoji":{"url":"https://p16-sticker.tiktokcdn.com/e/b.png"}}`),
			func(t *testing.T, evs []oc.InboundEvent) {
				require.Len(t, evs, 1)
				require.Len(t, evs[0].Attachments, 1)
				assert.Equal(t, "https://p16-sticker.tiktokcdn.com/e/b.png", evs[0].Attachments[0].RemoteURL)
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, ch.VerifyWebhook(signInline(secret, at, tc.body), []byte(tc.body)))
			evs, err := ch.ParseWebhook(nil, []byte(tc.body))
			require.NoError(t, err)
			tc.check(t, evs)
		})
	}
}

// An outage longer than 5 minutes: TikTok retries with the original t (the uncertain case) and
// the default window still takes the retry 2 hours later; a host that chose a 5-minute window
// refuses it. The clock is injected.
func TestSignatureWindowKeepsRetriesAfterAnOutage(t *testing.T) {
	const secret = "outage-secret"
	sent := time.Unix(1764921600, 0)
	now := sent.Add(2 * time.Hour)
	body := `{"client_key":"k","event":"im_receive_msg","user_openid":"b","content":"{}"}`
	h := signInline(secret, sent, body)
	def, err := tiktok.New(tiktok.Config{ClientKey: "k", ClientSecret: secret, Now: func() time.Time { return now }})
	require.NoError(t, err)
	require.NoError(t, def.VerifyWebhook(h, []byte(body)), "the default keeps retries of up to 72 h")
	late := now.Add(tiktok.DefaultSignatureMaxAge)
	defLate, err := tiktok.New(tiktok.Config{ClientKey: "k", ClientSecret: secret, Now: func() time.Time { return late }})
	require.NoError(t, err)
	require.ErrorIs(t, defLate.VerifyWebhook(h, []byte(body)), oc.ErrBadSignature, "beyond TikTok's 72 h of retries")
	strict, err := tiktok.New(tiktok.Config{ClientKey: "k", ClientSecret: secret, SignatureMaxAge: 5 * time.Minute,
		Now: func() time.Time { return now }})
	require.NoError(t, err)
	require.ErrorIs(t, strict.VerifyWebhook(h, []byte(body)), oc.ErrBadSignature, "the strict choice refuses the retry")
	future := signInline(secret, now.Add(10*time.Minute), body)
	require.ErrorIs(t, def.VerifyWebhook(future, []byte(body)), oc.ErrBadSignature, "signed ahead of the tolerance")
}

// A delivery retried after a 2-hour outage is stored once, however often it arrives.
func TestEngineRetryAfterOutageStoredOnce(t *testing.T) {
	e := newEngineEnv(t, nil)
	_, body := e.srv.PrepareCustomerText("u-out", "Lan", "gửi lúc mạng hỏng")
	signedAt := time.Now().Add(-2 * time.Hour)
	require.NoError(t, e.srv.PostRaw(e.ctx, e.hookTo, body, signedAt))
	require.NoError(t, e.srv.PostRaw(e.ctx, e.hookTo, body, signedAt))
	assert.Len(t, e.thread("u-out"), 1)
}

// A reaction is shown on its message and is no customer message: nothing unread, the window and
// the reply count stay as they were.
func TestEngineReactionIsNotAMessage(t *testing.T) {
	e := newEngineEnv(t, nil)
	e.says("u1", "Lan", "Shop ơi")
	_, err := e.send("u1", "Dạ shop đây")
	require.NoError(t, err)
	_, err = e.send("u1", "Chị cần gì ạ?")
	require.NoError(t, err)
	e.runDue()
	th := e.thread("u1")
	require.Len(t, th, 3)
	target := th[1]
	require.NotEmpty(t, target.ProviderMessageID)
	before := e.conversation("u1")
	wBefore := e.eng.Window(before)
	require.Equal(t, 8, wBefore.RemainingReplies)

	require.NoError(t, e.srv.CustomerReacts(e.ctx, e.hookTo, "u1", target.ProviderMessageID, "❤️", false))
	th = e.thread("u1")
	require.Len(t, th, 3, "no new entry")
	require.Len(t, th[1].Reactions, 1)
	assert.Equal(t, "❤️", th[1].Reactions[0].Emoji)
	after := e.conversation("u1")
	assert.Equal(t, before.InboundCount, after.InboundCount, "nothing unread")
	assert.Equal(t, before.RepliesSinceInbound, after.RepliesSinceInbound, "the reply count stays")
	assert.Equal(t, before.LastInboundAt, after.LastInboundAt, "the 48-hour window stays")
	assert.Equal(t, before.LastMessageAt, after.LastMessageAt)
	assert.Equal(t, wBefore.RemainingReplies, e.eng.Window(after).RemainingReplies)

	require.NoError(t, e.srv.CustomerReacts(e.ctx, e.hookTo, "u1", target.ProviderMessageID, "❤️", true))
	assert.Empty(t, e.thread("u1")[1].Reactions)

	// TikTok has no way to send reactions: refused with a stable error before any call.
	n := e.srv.RequestCount()
	_, err = e.eng.React(e.ctx, oc.ReactParams{WorkspaceID: ws, MessageID: th[0].ID, UserID: "sup", Emoji: "❤️"})
	require.ErrorIs(t, err, oc.ErrUnsupported)
	assert.Equal(t, n, e.srv.RequestCount())
}

// Stickers and emoji arrive as images and are copied into the blob store (their URLs expire).
func TestEngineStickerAndEmojiCopied(t *testing.T) {
	e := newEngineEnv(t, nil)
	for i, kind := range []string{"sticker", "emoji"} {
		_, err := e.srv.CustomerSendsSticker(e.ctx, e.hookTo, "u1", "Lan", kind, pngBytes, "image/png")
		require.NoError(t, err)
		e.runDue()
		m := e.thread("u1")[i]
		assert.Equal(t, oc.MessageSticker, m.Type)
		assert.Empty(t, m.Text)
		require.Len(t, m.Attachments, 1)
		require.NotEmpty(t, m.Attachments[0].BlobKey, kind)
		rc, err := e.eng.Blobs().Open(e.ctx, m.Attachments[0].BlobKey)
		require.NoError(t, err)
		got, _ := io.ReadAll(rc)
		rc.Close()
		assert.Equal(t, pngBytes, got)
	}
}

// The first image reply asks the capability check for a STRANGER conversation, later ones SINGLE.
func TestEngineImageCapabilityConversationType(t *testing.T) {
	e := newEngineEnv(t, nil)
	e.says("u1", "Lan", "Cho xem ảnh mẫu")
	img, err := e.eng.UploadAttachment(e.ctx, ws, "sup", "mau.png", strings.NewReader(string(pngBytes)))
	require.NoError(t, err)
	for _, want := range []string{"STRANGER", "SINGLE"} {
		m, err := e.send("u1", "", img)
		require.NoError(t, err)
		e.runDue()
		caps := e.requestsTo(tiktoktest.EndpointCapabilities)
		require.NotEmpty(t, caps)
		assert.Contains(t, caps[len(caps)-1].RawQuery, "conversation_type="+want)
		var got *oc.Message
		for _, x := range e.thread("u1") {
			if x.ID == m.ID {
				got = x
			}
		}
		require.NotNil(t, got)
		assert.Equal(t, oc.MessageSent, got.Status, got.FailureReason)
	}
}
