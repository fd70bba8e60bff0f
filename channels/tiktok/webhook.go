package tiktok

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/dakenh/dakenh/omnichannel"
)

// ParseWebhook decodes a verified delivery: the envelope, then its content (a JSON string, decoded
// a second time; an object is accepted too). It makes no network call.
//
//   - im_receive_msg → a customer message; im_send_msg → a business message (an echo of our own
//     send, matched by the engine to the pending message, or one typed in the TikTok app). Text,
//     image (attachment to download), video, share_post (link), sticker and emoji (their url,
//     an image the engine copies) are mapped; other types become MessageOther with a readable
//     "[type]" text. A "reaction" message is no message: each of its reactions becomes an
//     EventReaction on original_msg_id (ADD, or REMOVE with ReactionRemoved), by the customer on
//     im_receive_msg and by the business on im_send_msg.
//   - im_mark_read_msg → EventStatus seen up to content.read.last_read_timestamp (the business
//     reading its own thread is ignored).
//   - im_referral_msg → EventReferral with a readable summary of the ad or tiktok.me link.
//   - im_receive_msg_eu → EventMessage with NeedsFetch: the engine calls FetchContent.
//   - any other event → no event, no error.
//
// ExternalAccountID is user_openid (the business_id); ExternalUserID is the TikTok conversation
// id. A body that is not the envelope, lacks user_openid, has a content that does not decode, or
// a message without conversation_id / message_id returns an error wrapping
// omnichannel.ErrMalformed.
func (c *Channel) ParseWebhook(_ http.Header, body []byte) ([]omnichannel.InboundEvent, error) {
	var env wireEnvelope
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&env); err != nil {
		return nil, fmt.Errorf("tiktok: %w: %v", omnichannel.ErrMalformed, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("tiktok: %w: data after the JSON object", omnichannel.ErrMalformed)
	}
	if env.Event == "" {
		return nil, fmt.Errorf("tiktok: %w: missing event", omnichannel.ErrMalformed)
	}
	switch env.Event {
	case EventReceive, EventSend, EventMarkRead, EventReferral, EventReceiveEU:
	default:
		c.log.Debug("tiktok: webhook event ignored", "event", safeWord(env.Event))
		return nil, nil
	}
	if env.UserOpenID == "" {
		return nil, fmt.Errorf("tiktok: %w: %s without user_openid", omnichannel.ErrMalformed, env.Event)
	}
	m, err := decodeContent(env.Content)
	if err != nil {
		return nil, fmt.Errorf("tiktok: %w: %s content: %v", omnichannel.ErrMalformed, env.Event, err)
	}
	if m.kindOf() == "reaction" && (env.Event == EventReceive || env.Event == EventSend) {
		// A reaction to an earlier message, not a new message.
		if m.ConversationID == "" {
			return nil, fmt.Errorf("tiktok: %w: %s: missing conversation_id", omnichannel.ErrMalformed, env.Event)
		}
		dir := omnichannel.DirectionIn
		if env.Event == EventSend {
			dir = omnichannel.DirectionOut
		}
		evs := reactionEvents(env.UserOpenID, m.ConversationID, m, m.Reaction, dir)
		for i := range evs {
			if evs[i].Time.IsZero() && env.CreateTime > 0 {
				evs[i].Time = msTime(int64(env.CreateTime) * 1000)
			}
		}
		return evs, nil
	}
	ev, ok, err := c.convert(&env, m)
	if err != nil {
		return nil, fmt.Errorf("tiktok: %w: %s: %v", omnichannel.ErrMalformed, env.Event, err)
	}
	if !ok {
		return nil, nil
	}
	if ev.Time.IsZero() && env.CreateTime > 0 {
		ev.Time = msTime(int64(env.CreateTime) * 1000)
	}
	return []omnichannel.InboundEvent{ev}, nil
}

// decodeContent reads content as a JSON string holding an object (documented), or as an object.
func decodeContent(raw json.RawMessage) (*wireMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, errors.New("missing")
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		raw = []byte(strings.TrimSpace(s))
	}
	if len(raw) == 0 || raw[0] != '{' {
		return nil, errors.New("not a JSON object")
	}
	var m wireMessage
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("data after the JSON object")
	}
	return &m, nil
}

func (c *Channel) convert(env *wireEnvelope, m *wireMessage) (omnichannel.InboundEvent, bool, error) {
	business := env.UserOpenID
	switch env.Event {
	case EventReceive, EventSend:
		if m.ConversationID == "" || m.MessageID == "" {
			return omnichannel.InboundEvent{}, false, errors.New("missing conversation_id or message_id")
		}
		dir := omnichannel.DirectionIn
		if env.Event == EventSend {
			dir = omnichannel.DirectionOut
		}
		return toMessageEvent(business, m.ConversationID, m, dir), true, nil
	case EventMarkRead:
		if m.ConversationID == "" {
			return omnichannel.InboundEvent{}, false, errors.New("missing conversation_id")
		}
		if m.FromUser != nil && string(m.FromUser.ID) == business {
			return omnichannel.InboundEvent{}, false, nil // the business read its own thread
		}
		ev := omnichannel.InboundEvent{Type: omnichannel.InboundStatus, ExternalAccountID: business,
			ExternalUserID: m.ConversationID, Status: omnichannel.MessageSeen, Time: msTime(int64(m.Timestamp))}
		if m.Read != nil {
			ev.UpTo = msTime(int64(m.Read.LastReadTimestamp))
		}
		if ev.UpTo.IsZero() {
			ev.UpTo = ev.Time
		}
		return ev, true, nil
	case EventReferral:
		if m.ConversationID == "" {
			return omnichannel.InboundEvent{}, false, errors.New("missing conversation_id")
		}
		ev := omnichannel.InboundEvent{Type: omnichannel.InboundReferral, ExternalAccountID: business,
			ExternalUserID: m.ConversationID, Referral: referralText(m.Referral), Time: msTime(int64(m.Timestamp))}
		if p := profileOf(m.From, m.FromUser, m.IsFollower); p != nil {
			p.ExternalUserID = m.ConversationID
			ev.Profile = p
		}
		if ev.Referral == "" {
			ev.Referral = "TikTok referral"
		}
		return ev, true, nil
	case EventReceiveEU:
		// The EU payload is stripped (uncertain: receiver and timestamp only). Whatever ids it does
		// carry are kept to narrow FetchContent's search.
		ev := omnichannel.InboundEvent{Type: omnichannel.InboundMessage, ExternalAccountID: business,
			ExternalUserID: m.ConversationID, Direction: omnichannel.DirectionIn, ProviderMessageID: m.MessageID,
			NeedsFetch: true, Time: msTime(int64(m.Timestamp))}
		return ev, true, nil
	}
	return omnichannel.InboundEvent{}, false, nil
}
