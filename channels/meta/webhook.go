package meta

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/dakenh/dakenh/omnichannel"
)

// Meta's own inbox apps: replies typed in the Page inbox or the Instagram app come back as echoes
// with these app_id values (likely). Any app_id other than Config.AppID marks a
// foreign echo; these two are only named for readers.
const (
	PageInboxAppID      = "263902037430900"
	InstagramInboxAppID = "1217981644879628"
)

// metadataPrefix marks the Send API metadata the adapter sets: "dakenh:" + the engine message id.
// The echo returns it, so our sends are matched by id even before the send call returns.
const metadataPrefix = "dakenh:"

// ParseWebhook turns a verified delivery into events. Every entry (several Pages or accounts) and
// every messaging[] and standby[] item is handled, each routed by its own ids (recipient for
// inbound, sender for echoes, entry.id only as a fallback; never entry[0]); one bad item is
// skipped and logged, never losing the others. Only an envelope that is not JSON, not an object,
// or lacks "object" is malformed. Deliveries of the other object ("page" at the Instagram adapter
// and the reverse) and dashboard test events (entry.id "0", changes[]) yield nothing.
//
// Mapping: message → EventMessage in (text, image, video, audio, file, sticker, location, shared
// links and posts, quick replies by their title, reply_to as the quote, unknown types as
// "[type]"); echo → EventMessage out (EchoOf from our metadata; ForeignEcho when another app_id,
// such as the Page inbox, sent it); delivery → EventStatus delivered (mids and watermark); read →
// EventStatus seen (Messenger watermark, Instagram mid); postback → EventMessage in with the
// button's title (and its referral); referral (also inside an Instagram message) → EventReferral;
// reaction → EventReaction on the message reacted to (react or unreact; never a new message).
// Unsend (is_deleted) and message_edit are acknowledged without an event (the engine cannot retract
// or edit a message yet).
func (c *Channel) ParseWebhook(_ http.Header, body []byte) ([]omnichannel.InboundEvent, error) {
	var env envelope
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&env); err != nil {
		return nil, fmt.Errorf("meta: %w: %v", omnichannel.ErrMalformed, safeJSONError(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("meta: %w: data after the JSON object", omnichannel.ErrMalformed)
	}
	if env.Object == "" {
		return nil, fmt.Errorf("meta: %w: no object field", omnichannel.ErrMalformed)
	}
	if env.Object != c.object() {
		c.log.Info("meta: delivery of another object ignored: point its callback at its own kind", "object", safeWord(env.Object), "kind", string(c.kind))
		return nil, nil
	}
	var out []omnichannel.InboundEvent
	for _, en := range env.Entry {
		if en.ID == "0" {
			continue // an App Dashboard test delivery: fake ids
		}
		for _, raw := range append(append([]json.RawMessage(nil), en.Messaging...), en.Standby...) {
			var ev event
			if err := json.Unmarshal(raw, &ev); err != nil {
				c.log.Warn("meta: webhook item skipped: undecodable", "kind", string(c.kind), "err", safeJSONError(err))
				continue
			}
			out = append(out, c.convert(string(en.ID), ev)...)
		}
	}
	return out, nil
}

// object is the webhook object of this adapter's kind.
func (c *Channel) object() string {
	if c.instagram() {
		return "instagram"
	}
	return "page"
}

// convert maps one messaging item.
func (c *Channel) convert(entryID string, ev event) []omnichannel.InboundEvent {
	account, user := string(ev.Recipient.ID), string(ev.Sender.ID)
	echo := ev.Message != nil && ev.Message.IsEcho
	if echo {
		account, user = user, account
	}
	if account == "" {
		// Uncertain: on Instagram entry.id may be the IGID or the Page id, so
		// the item's own ids come first and entry.id is only the fallback.
		account = entryID
	}
	if user == "" || account == "" {
		c.log.Warn("meta: webhook item skipped: no sender or recipient", "kind", string(c.kind))
		return nil
	}
	base := omnichannel.InboundEvent{ExternalAccountID: account, ExternalUserID: user, Time: metaTime(ev.Timestamp)}
	switch {
	case ev.Message != nil:
		return c.messageEvents(base, ev.Message, echo)
	case ev.Delivery != nil:
		e := base
		e.Type, e.Status, e.UpTo = omnichannel.InboundStatus, omnichannel.MessageDelivered, metaTime(ev.Delivery.Watermark)
		e.ProviderMessageIDs = nonEmpty(ev.Delivery.Mids)
		return []omnichannel.InboundEvent{e}
	case ev.Read != nil:
		e := base
		e.Type, e.Status = omnichannel.InboundStatus, omnichannel.MessageSeen
		if ev.Read.Mid != "" {
			e.ProviderMessageIDs = []string{ev.Read.Mid}
		} else {
			e.UpTo = metaTime(ev.Read.Watermark)
		}
		return []omnichannel.InboundEvent{e}
	case ev.Postback != nil:
		return c.postbackEvents(base, ev.Postback, ev.Timestamp)
	case ev.Referral != nil:
		return []omnichannel.InboundEvent{c.referralEvent(base, ev.Referral)}
	case ev.Reaction != nil:
		r, ok := parseReaction(base, ev.Reaction)
		if !ok {
			return nil
		}
		e := base
		e.Type, e.Direction = omnichannel.InboundReaction, omnichannel.DirectionIn
		e.ReactionTargetID, e.Reaction, e.ReactionRemoved = r.MessageID, r.Emoji, r.Action == "unreact"
		return []omnichannel.InboundEvent{e}
	}
	return nil // message_edit, optin, handover and unknown keys: acknowledged, nothing to do
}

func (c *Channel) messageEvents(base omnichannel.InboundEvent, m *message, echo bool) []omnichannel.InboundEvent {
	if m.IsDeleted {
		return nil // unsend: the engine cannot retract a message yet; acknowledged
	}
	if m.Mid == "" {
		c.log.Warn("meta: message without mid skipped", "kind", string(c.kind))
		return nil
	}
	e := base
	e.Type, e.ProviderMessageID, e.Text = omnichannel.InboundMessage, m.Mid, m.Text
	e.Direction = omnichannel.DirectionIn
	if echo {
		e.Direction = omnichannel.DirectionOut
		if id, ok := strings.CutPrefix(m.Metadata, metadataPrefix); ok && id != "" {
			e.EchoOf = id
		}
		if string(m.AppID) != "" && string(m.AppID) != c.cfg.AppID {
			e.ForeignEcho = true
		}
	}
	if m.ReplyTo != nil {
		e.QuoteProviderMessageID = m.ReplyTo.Mid
		if s := m.ReplyTo.Story; s != nil && s.URL != "" {
			e.Text = strings.TrimSpace(e.Text + "\n↪ story: " + s.URL)
		}
	}
	if m.IsUnsupported && e.Text == "" && len(m.Attachments) == 0 {
		e.MessageType, e.Text = omnichannel.MessageOther, "[unsupported]"
	}
	c.addAttachments(&e, m.Attachments)
	out := []omnichannel.InboundEvent{e}
	if m.Referral != nil && !echo {
		out = append(out, c.referralEvent(base, m.Referral))
	}
	return out
}

// addAttachments maps attachments onto e: media keep their CDN URL (the engine copies them
// through DownloadMedia); a sticker sent as the sticker/image pair becomes one sticker; links,
// posts and locations become text; unknown types "[type]".
func (c *Channel) addAttachments(e *omnichannel.InboundEvent, atts []attachment) {
	stickerURL := ""
	for _, a := range atts {
		if a.Payload != nil && a.Payload.StickerID != "" && a.Payload.URL != "" {
			stickerURL = a.Payload.URL
		}
	}
	var texts []string
	sticker := false
	for _, a := range atts {
		p := a.Payload
		if p == nil {
			p = &payload{}
		}
		typ := strings.ToLower(a.Type)
		if typ == "image" && p.StickerID != "" || typ == "sticker" {
			if !sticker {
				sticker = true
				e.MessageType = omnichannel.MessageSticker
				if stickerURL == "" && p.StickerID == "" {
					texts = append(texts, "[sticker]")
					continue
				}
				e.Attachments = append(e.Attachments, omnichannel.Attachment{Kind: omnichannel.MessageSticker,
					RemoteURL: stickerURL, ProviderRef: string(p.StickerID)})
			}
			continue
		}
		switch typ {
		case "image", "video", "audio", "file":
			if p.URL == "" { // view-once media and expired shares come without a URL
				texts = append(texts, "["+typ+"]")
				continue
			}
			kind := map[string]omnichannel.MessageType{"image": omnichannel.MessageImage, "video": omnichannel.MessageVideo,
				"audio": omnichannel.MessageAudio, "file": omnichannel.MessageFile}[typ]
			e.Attachments = append(e.Attachments, omnichannel.Attachment{Kind: kind, RemoteURL: p.URL})
		case "location":
			if p.Coordinates != nil {
				texts = append(texts, strconv.FormatFloat(p.Coordinates.Lat, 'f', -1, 64)+","+strconv.FormatFloat(p.Coordinates.Long, 'f', -1, 64))
				e.MessageType = omnichannel.MessageLocation
			}
		case "fallback", "share", "ig_post", "post", "reel", "ig_reel", "story_mention", "template":
			link := strings.TrimSpace(strings.TrimSpace(firstNonEmpty(a.Title, p.Title)) + " " + firstNonEmpty(a.URL, p.URL))
			if link == "" {
				link = "[" + typ + "]"
			}
			texts = append(texts, link)
			if e.MessageType == "" {
				e.MessageType = omnichannel.MessageLink
			}
		default:
			texts = append(texts, "["+safeWord(typ)+"]")
			if e.MessageType == "" {
				e.MessageType = omnichannel.MessageOther
			}
		}
	}
	if len(texts) > 0 {
		e.Text = strings.TrimSpace(strings.Join(append([]string{e.Text}, texts...), "\n"))
	}
	if e.MessageType == "" && len(e.Attachments) > 0 {
		e.MessageType = e.Attachments[0].Kind
	}
	if e.MessageType == "" {
		e.MessageType = omnichannel.MessageText
	}
}

// postbackEvents maps a button tap: the customer's message is the button's title. Before v11 a
// postback had no mid; one is derived from the sender and the time so a redelivery is still a
// duplicate.
func (c *Channel) postbackEvents(base omnichannel.InboundEvent, p *postback, ts flexInt) []omnichannel.InboundEvent {
	e := base
	e.Type, e.Direction, e.MessageType = omnichannel.InboundMessage, omnichannel.DirectionIn, omnichannel.MessageText
	e.ProviderMessageID = p.Mid
	if e.ProviderMessageID == "" {
		e.ProviderMessageID = "postback:" + base.ExternalUserID + ":" + strconv.FormatInt(int64(ts), 10)
	}
	e.Text = firstNonEmpty(p.Title, "["+safeWord(p.Payload)+"]")
	out := []omnichannel.InboundEvent{e}
	if p.Referral != nil {
		out = append(out, c.referralEvent(base, p.Referral))
	}
	return out
}

// referralEvent describes where the conversation came from: an ad (its title and id), an
// m.me / ig.me link (its ref) or another source.
func (c *Channel) referralEvent(base omnichannel.InboundEvent, r *referral) omnichannel.InboundEvent {
	e := base
	e.Type = omnichannel.InboundReferral
	net := "Facebook"
	link := "m.me"
	if c.instagram() {
		net, link = "Instagram", "ig.me"
	}
	var parts []string
	switch strings.ToUpper(r.Source) {
	case "ADS":
		s := net + " ad"
		if d := r.AdsContextData; d != nil && d.AdTitle != "" {
			s += " “" + d.AdTitle + "”"
		}
		if r.AdID != "" {
			s += " (ad " + string(r.AdID) + ")"
		}
		parts = append(parts, s)
	case "SHORTLINK", "":
		parts = append(parts, link+" link")
	default:
		parts = append(parts, net+" "+strings.ToLower(safeWord(r.Source)))
	}
	if r.Ref != "" {
		parts = append(parts, "ref="+r.Ref)
	}
	e.Referral = strings.Join(parts, " ")
	return e
}

// Reaction is a customer's reaction to a message, as Meta reports it;
// ParseWebhook turns it into an omnichannel.InboundReaction.
type Reaction struct {
	// AccountID is the Page or Instagram account, UserID the customer.
	AccountID, UserID string
	// MessageID is the mid reacted to.
	MessageID string
	// Action is "react" or "unreact"; Emoji is empty on unreact.
	Action string
	Emoji  string
}

// parseReaction reads a reaction item; ok is false when it names no message.
func parseReaction(base omnichannel.InboundEvent, r *reaction) (Reaction, bool) {
	out := Reaction{AccountID: base.ExternalAccountID, UserID: base.ExternalUserID, MessageID: r.Mid,
		Action: strings.ToLower(r.Action), Emoji: r.Emoji}
	if out.Action == "" {
		out.Action = "react"
	}
	if out.Action == "unreact" {
		out.Emoji = ""
	} else if out.Emoji == "" && r.Reaction != "" {
		out.Emoji = map[string]string{"love": "❤️", "like": "👍", "smile": "😆", "wow": "😮", "sad": "😢", "angry": "😠",
			"dislike": "👎"}[strings.ToLower(r.Reaction)]
	}
	return out, out.MessageID != ""
}

func nonEmpty(ids []string) []string {
	var out []string
	for _, id := range ids {
		if id != "" {
			out = append(out, id)
		}
	}
	return out
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

// safeWord keeps letters, digits, '_' and '-' of an untrusted word (for logs and "[type]" texts),
// at most 40 bytes.
func safeWord(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			b.WriteRune(r)
		}
		if b.Len() >= 40 {
			break
		}
	}
	return b.String()
}

// safeJSONError describes a decoding error without quoting the body.
func safeJSONError(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %s has the wrong type", safeWord(te.Field))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated JSON"
	}
	return "undecodable JSON"
}
