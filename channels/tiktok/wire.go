package tiktok

import (
	"encoding/json"
	"net/url"
	"strings"
	"time"

	"github.com/dakenh/dakenh/omnichannel"
)

// Webhook event names of Business Messaging.
const (
	EventReceive    = "im_receive_msg"
	EventSend       = "im_send_msg"
	EventMarkRead   = "im_mark_read_msg"
	EventReferral   = "im_referral_msg"
	EventReceiveEU  = "im_receive_msg_eu"
	roleBusiness    = "business_account"
	mediaTypeImage  = "IMAGE"
	mediaTypeVideo  = "VIDEO"
	mediaLocatorKey = "media"
)

// wireEnvelope is a webhook delivery: {client_key, event, create_time, user_openid, content}, where
// content is a JSON string (verified). An object in its place is accepted too.
type wireEnvelope struct {
	ClientKey  string          `json:"client_key"`
	Event      string          `json:"event"`
	CreateTime flexInt         `json:"create_time"`
	UserOpenID string          `json:"user_openid"`
	Content    json.RawMessage `json:"content"`
}

// wireUser is from_user / to_user.
type wireUser struct {
	ID   flexString `json:"id"`
	Role string     `json:"role"`
}

// wireMessage is the content of im_receive_msg / im_send_msg / im_mark_read_msg /
// im_referral_msg, and a message of content/list. Webhooks carry "type" in lower case, the REST
// list "message_type" in upper case (uncertain: both read, compared case-insensitively).
type wireMessage struct {
	ConversationID string  `json:"conversation_id"`
	MessageID      string  `json:"message_id"`
	Timestamp      flexInt `json:"timestamp"`
	Type           string  `json:"type"`
	MessageType    string  `json:"message_type"`
	Text           *struct {
		Body string `json:"body"`
	} `json:"text"`
	Image *struct {
		MediaID string `json:"media_id"`
	} `json:"image"`
	Video *struct {
		MediaID  string     `json:"media_id"`
		VideoID  flexString `json:"video_id"`
		EmbedURL string     `json:"embed_url"`
	} `json:"video"`
	SharePost *struct {
		EmbedURL string     `json:"embed_url"`
		VideoID  flexString `json:"video_id"`
		ItemID   flexString `json:"item_id"`
	} `json:"share_post"`
	// Sticker and Emoji carry an image URL that expires (30 days): the engine copies it.
	Sticker *struct {
		URL string `json:"url"`
	} `json:"sticker"`
	Emoji *struct {
		URL string `json:"url"`
	} `json:"emoji"`
	// Reaction is the content of a "reaction" message: reactions to earlier messages; Reactions are those content/list reports on the original message.
	Reaction  []wireReaction `json:"reaction"`
	Reactions []wireReaction `json:"reactions"`
	From      string         `json:"from"`
	To        string         `json:"to"`
	// Recipient is content/list's recipient: a username, like Sender.
	Recipient             flexID    `json:"recipient"`
	FromUser              *wireUser `json:"from_user"`
	ToUser                *wireUser `json:"to_user"`
	Sender                flexID    `json:"sender"`
	IsFollower            *bool     `json:"is_follower"`
	ReferencedMessageInfo *struct {
		ReferencedMessageID string `json:"referenced_message_id"`
	} `json:"referenced_message_info"`
	Read *struct {
		LastReadTimestamp flexInt `json:"last_read_timestamp"`
	} `json:"read"`
	Referral *wireReferral `json:"referral"`
}

// wireReaction is one reaction: {operation: ADD|REMOVE, type: EMOJI|AI_EMOJI, emoji,
// original_msg_id} (likely). Operations are compared case-insensitively; an entry
// without an operation is an addition.
type wireReaction struct {
	Operation     string `json:"operation"`
	Type          string `json:"type"`
	Emoji         string `json:"emoji"`
	OriginalMsgID string `json:"original_msg_id"`
	Sender        flexID `json:"sender"`
}

// wireReferral is referral.ad{…} or referral.short_link{ref, prefilled_message, …} (verified by
// the changelog mirror; field details beyond these are uncertain).
type wireReferral struct {
	Source string `json:"source"`
	Ad     *struct {
		AdID     flexString `json:"ad_id"`
		AdName   string     `json:"ad_name"`
		EmbedURL string     `json:"embed_url"`
	} `json:"ad"`
	ShortLink *struct {
		Ref              string `json:"ref"`
		PrefilledMessage string `json:"prefilled_message"`
	} `json:"short_link"`
}

// flexID reads an id given as a string, a number or an object {"id": …}; REST's "sender" is not
// documented precisely (uncertain).
type flexID string

// UnmarshalJSON accepts "x", 12 or {"id":"x"}.
func (f *flexID) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if strings.HasPrefix(s, "{") {
		var u wireUser
		if err := json.Unmarshal(b, &u); err != nil {
			return err
		}
		*f = flexID(u.ID)
		return nil
	}
	var v flexString
	if err := v.UnmarshalJSON(b); err != nil {
		return err
	}
	*f = flexID(v)
	return nil
}

// kindOf returns the message's type in lower case, whichever field carried it.
func (m *wireMessage) kindOf() string {
	t := m.Type
	if t == "" {
		t = m.MessageType
	}
	return strings.ToLower(strings.TrimSpace(t))
}

// fromBusiness says whether the business wrote m. Webhooks say it with from_user (id, or a role
// in lower case); content/list with sender, a username, which is
// compared with the business's username from the participants (businessName, "" when unknown),
// or with recipient, the customer's username (customerName). Roles are compared ignoring case:
// webhooks write them in lower case, REST in upper case.
func (m *wireMessage) fromBusiness(businessID, businessName, customerName string) bool {
	if m.FromUser != nil {
		if string(m.FromUser.ID) != "" {
			return string(m.FromUser.ID) == businessID
		}
		return strings.EqualFold(m.FromUser.Role, roleBusiness)
	}
	sender, recipient := string(m.Sender), string(m.Recipient)
	switch {
	case sender != "" && (sender == businessID || (businessName != "" && strings.EqualFold(sender, businessName))):
		return true
	case sender != "" && customerName != "" && strings.EqualFold(sender, customerName):
		return false
	case recipient != "" && customerName != "" && strings.EqualFold(recipient, customerName):
		return true
	}
	return false
}

// msTime converts TikTok's millisecond timestamps.
func msTime(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// mediaLocator is the Attachment.RemoteURL of an inbound TikTok medium: an opaque
// "tiktok:media?…" URI holding what media/download needs. It is not fetchable by a browser; the
// engine copies the content into its BlobStore through DownloadMedia.
func mediaLocator(conversationID, messageID, mediaID, mediaType string) string {
	q := url.Values{}
	q.Set("conversation_id", conversationID)
	q.Set("message_id", messageID)
	q.Set("media_id", mediaID)
	q.Set("media_type", mediaType)
	return (&url.URL{Scheme: string(Kind), Opaque: mediaLocatorKey, RawQuery: q.Encode()}).String()
}

// parseMediaLocator reverses mediaLocator.
func parseMediaLocator(raw string) (conversationID, messageID, mediaID, mediaType string, ok bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != string(Kind) || u.Opaque != mediaLocatorKey {
		return "", "", "", "", false
	}
	q := u.Query()
	conversationID, messageID, mediaID, mediaType = q.Get("conversation_id"), q.Get("message_id"), q.Get("media_id"), q.Get("media_type")
	if mediaType == "" {
		mediaType = mediaTypeImage
	}
	return conversationID, messageID, mediaID, mediaType, conversationID != "" && mediaID != ""
}

// toMessageEvent maps a message (webhook content or content/list entry) of conversationID. The
// customer is identified by the TikTok conversation id: Send addresses conversations
// (recipient_type CONVERSATION), and a conversation is one business ↔ one user.
func toMessageEvent(businessID, conversationID string, m *wireMessage, dir omnichannel.Direction) omnichannel.InboundEvent {
	ev := omnichannel.InboundEvent{
		Type:              omnichannel.InboundMessage,
		ExternalAccountID: businessID,
		ExternalUserID:    conversationID,
		Direction:         dir,
		ProviderMessageID: m.MessageID,
		Time:              msTime(int64(m.Timestamp)),
	}
	if m.ReferencedMessageInfo != nil {
		ev.QuoteProviderMessageID = m.ReferencedMessageInfo.ReferencedMessageID
	}
	customerName, customer := m.From, m.FromUser
	if dir == omnichannel.DirectionOut {
		customerName, customer = m.To, m.ToUser
	}
	if p := profileOf(customerName, customer, m.IsFollower); p != nil {
		p.ExternalUserID = conversationID
		ev.Profile = p
	}
	switch kind := m.kindOf(); kind {
	case "text":
		ev.MessageType = omnichannel.MessageText
		if m.Text != nil {
			ev.Text = m.Text.Body
		}
	case "image":
		ev.MessageType = omnichannel.MessageImage
		if m.Image != nil && m.Image.MediaID != "" {
			ev.Attachments = []omnichannel.Attachment{{Kind: omnichannel.MessageImage, ProviderRef: m.Image.MediaID,
				RemoteURL: mediaLocator(conversationID, m.MessageID, m.Image.MediaID, mediaTypeImage)}}
		}
	case "video":
		ev.MessageType = omnichannel.MessageVideo
		if m.Video != nil {
			ev.Text = m.Video.EmbedURL
			if m.Video.MediaID != "" {
				ev.Attachments = []omnichannel.Attachment{{Kind: omnichannel.MessageVideo, ProviderRef: m.Video.MediaID,
					RemoteURL: mediaLocator(conversationID, m.MessageID, m.Video.MediaID, mediaTypeVideo)}}
			}
		}
	case "share_post":
		ev.MessageType = omnichannel.MessageLink
		if m.SharePost != nil {
			ev.Text = m.SharePost.EmbedURL
		}
		if ev.Text == "" {
			ev.Text = "[shared post]"
		}
	case "sticker", "emoji":
		// {url}: shown as an image, copied into the blob store (the URL expires).
		ev.MessageType = omnichannel.MessageSticker
		u := ""
		if kind == "sticker" && m.Sticker != nil {
			u = m.Sticker.URL
		} else if kind == "emoji" && m.Emoji != nil {
			u = m.Emoji.URL
		}
		if strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") {
			ev.Attachments = []omnichannel.Attachment{{Kind: omnichannel.MessageSticker, RemoteURL: u}}
		} else {
			ev.Text = "[" + kind + "]"
		}
	default:
		ev.MessageType = omnichannel.MessageOther
		ev.Text = "[" + safeWord(kind) + "]"
		if m.Text != nil && m.Text.Body != "" {
			ev.Text = m.Text.Body
		}
	}
	return ev
}

// reactionEvents maps the reactions of m (a "reaction" message, or the reactions content/list
// reports on an original message, whose own id is then the target) to EventReaction events of
// conversationID, by the customer (dir in) or the business (dir out).
func reactionEvents(businessID, conversationID string, m *wireMessage, list []wireReaction, dir omnichannel.Direction) []omnichannel.InboundEvent {
	var out []omnichannel.InboundEvent
	for _, r := range list {
		target := r.OriginalMsgID
		if target == "" && m.kindOf() != "reaction" {
			target = m.MessageID
		}
		if target == "" {
			continue
		}
		out = append(out, omnichannel.InboundEvent{Type: omnichannel.InboundReaction, ExternalAccountID: businessID,
			ExternalUserID: conversationID, Direction: dir, ReactionTargetID: target, Reaction: r.Emoji,
			ReactionRemoved: strings.EqualFold(r.Operation, "REMOVE"), Time: msTime(int64(m.Timestamp))})
	}
	return out
}

// profileOf returns the customer data a message carries, or nil.
func profileOf(name string, u *wireUser, follower *bool) *omnichannel.Profile {
	if name == "" && (u == nil || u.ID == "") && follower == nil {
		return nil
	}
	p := &omnichannel.Profile{DisplayName: strings.TrimSpace(name), Follower: follower}
	p.Attributes = map[string]string{}
	if u != nil && u.ID != "" {
		p.Attributes["tiktok_user_id"] = string(u.ID)
	}
	if name != "" {
		p.Attributes["tiktok_username"] = name
	}
	return p
}

// safeWord keeps a provider type name readable and harmless: [a-z0-9_], at most 32 bytes.
func safeWord(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if b.Len() >= 32 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "message"
	}
	return b.String()
}

// referralText says, readably, where the customer came from.
func referralText(r *wireReferral) string {
	if r == nil {
		return ""
	}
	var parts []string
	if r.Ad != nil {
		s := "TikTok ad"
		if r.Ad.AdName != "" {
			s += " “" + r.Ad.AdName + "”"
		}
		if r.Ad.AdID != "" {
			s += " (ad " + string(r.Ad.AdID) + ")"
		}
		if r.Ad.EmbedURL != "" {
			s += " " + r.Ad.EmbedURL
		}
		parts = append(parts, s)
	}
	if r.ShortLink != nil {
		s := "tiktok.me link"
		if r.ShortLink.Ref != "" {
			s += " ref=" + r.ShortLink.Ref
		}
		if r.ShortLink.PrefilledMessage != "" {
			s += " prefilled “" + r.ShortLink.PrefilledMessage + "”"
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 && r.Source != "" {
		parts = append(parts, "TikTok "+safeWord(r.Source))
	}
	return strings.Join(parts, "; ")
}
