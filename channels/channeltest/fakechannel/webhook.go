package fakechannel

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// SignatureHeader carries the webhook signature: "sha256=" followed by the lower-case hex
// HMAC-SHA256 of the raw body, keyed with the webhook secret.
const SignatureHeader = "X-Fake-Signature"

// signaturePrefix starts every signature header value.
const signaturePrefix = "sha256="

// Sign returns the SignatureHeader value the fake provider sends for body when its webhook secret is
// secret. Provider.Sign is the same function bound to the emulator's secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return signaturePrefix + hex.EncodeToString(m.Sum(nil))
}

// Webhook is the body of one webhook delivery of the fake provider. It is both the wire format the
// adapter parses and a builder for tests:
//
//	body := fakechannel.Webhook{AccountID: "acc1", Events: []fakechannel.WebhookEvent{
//		{Type: "message", Direction: "in", UserID: "u1", MessageID: "m1", Text: "hi"},
//	}}.JSON()
type Webhook struct {
	// AccountID is the business account the events belong to; it becomes
	// InboundEvent.ExternalAccountID. Required.
	AccountID string `json:"account_id"`
	// Events are applied in order.
	Events []WebhookEvent `json:"events"`
}

// WebhookEvent is one event of a delivery. Which fields matter depends on Type:
//
//   - "message": Direction ("in" from the customer, the default; "out" an echo of a business
//     message), UserID (the customer, required), UserName/Avatar/Phone (optional profile),
//     MessageID (required), Text, Attachments, QuoteID, Time.
//   - "status": Status ("delivered" or "seen"; other values are ignored), MessageIDs (required),
//     UserID (optional), Time.
//   - "profile": UserID (required), UserName, Avatar, Phone.
//   - "follow", "unfollow": UserID (required).
//   - "referral": UserID (required), Referral.
//   - "reaction": UserID (required), Direction, QuoteID (the message reacted to, required),
//     Emoji, Removed (the reaction is taken back).
//
// Other types are ignored by the adapter.
type WebhookEvent struct {
	Type        string              `json:"type"`
	Direction   string              `json:"direction,omitempty"`
	UserID      string              `json:"user_id,omitempty"`
	UserName    string              `json:"user_name,omitempty"`
	Avatar      string              `json:"avatar,omitempty"`
	Phone       string              `json:"phone,omitempty"`
	MessageID   string              `json:"message_id,omitempty"`
	Text        string              `json:"text,omitempty"`
	Attachments []WebhookAttachment `json:"attachments,omitempty"`
	QuoteID     string              `json:"quote_id,omitempty"`
	Status      string              `json:"status,omitempty"`
	MessageIDs  []string            `json:"message_ids,omitempty"`
	Referral    string              `json:"referral,omitempty"`
	Emoji       string              `json:"emoji,omitempty"`
	Removed     bool                `json:"removed,omitempty"`
	// Time is the event time in Unix milliseconds (0: unknown).
	Time int64 `json:"time,omitempty"`
}

// WebhookAttachment is a file carried by a message event. Type is "image", "file", "audio",
// "video" or "sticker" (anything else is treated as a file). URL is served by the provider and needs
// the connection's bearer token (see Channel.DownloadMedia).
type WebhookAttachment struct {
	Type        string `json:"type"`
	URL         string `json:"url"`
	Name        string `json:"name,omitempty"`
	ContentType string `json:"content_type,omitempty"`
	Size        int64  `json:"size,omitempty"`
}

// JSON encodes w as the provider does. It cannot fail.
func (w Webhook) JSON() []byte {
	if w.Events == nil {
		w.Events = []WebhookEvent{}
	}
	b, err := json.Marshal(w)
	if err != nil {
		panic("fakechannel: encoding a Webhook: " + err.Error()) // only strings and numbers: unreachable
	}
	return b
}
