package zalooa

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/dakenh/dakenh/omnichannel"
)

// webhookEvent is one Zalo webhook delivery (one event per POST). Ids may come as strings or
// numbers (flexString keeps every digit); timestamp likewise.
type webhookEvent struct {
	AppID       flexString `json:"app_id"`
	EventName   string     `json:"event_name"`
	Timestamp   flexString `json:"timestamp"`
	OAID        flexString `json:"oa_id"`
	UserIDByApp flexString `json:"user_id_by_app"`
	Sender      party      `json:"sender"`
	Recipient   party      `json:"recipient"`
	Follower    party      `json:"follower"`
	Message     struct {
		MsgID       flexString          `json:"msg_id"`
		MsgIDs      []flexString        `json:"msg_ids"`
		Text        string              `json:"text"`
		QuoteMsgID  flexString          `json:"quote_msg_id"`
		Attachments []webhookAttachment `json:"attachments"`
		// ConversationID is carried by anonymous_send_* events: replies to an anonymous user
		// name it.
		ConversationID flexString `json:"conversation_id"`
		// ReactIcon is the reaction of user_reacted_message / oa_reacted_message, whose msg_id is
		// the message reacted to.
		ReactIcon string `json:"react_icon"`
	} `json:"message"`
	// Info is what the user shared through a request_user_info message (user_submit_info).
	Info sharedInfo `json:"info"`
}

// sharedInfo is the info of user_submit_info. The official sample nests the address in
// full_address{user_city, user_ward, user_address} and adds user_dob and gender (likely: two independent quotes of the sample); earlier notes, and this adapter until then, read
// flat city / district / ward / address. Which one Zalo sends today is not settled, so both are
// read and full_address wins where both are given.
type sharedInfo struct {
	Name        string     `json:"name"`
	Phone       flexString `json:"phone"`
	DOB         flexString `json:"user_dob"`
	Gender      flexString `json:"gender"`
	FullAddress struct {
		City     string `json:"user_city"`
		District string `json:"user_district"`
		Ward     string `json:"user_ward"`
		Address  string `json:"user_address"`
	} `json:"full_address"`
	// The flat form.
	Address  string `json:"address"`
	Ward     string `json:"ward"`
	District string `json:"district"`
	City     string `json:"city"`
}

// attributes returns the shared fields as contact attributes (address, ward, district, city,
// shared_name, dob, gender), cleaned, without the empty ones.
func (i *sharedInfo) attributes() map[string]string {
	fa := i.FullAddress
	attrs := map[string]string{}
	for k, v := range map[string]string{"shared_name": i.Name, "address": first(fa.Address, i.Address),
		"ward": first(fa.Ward, i.Ward), "district": first(fa.District, i.District), "city": first(fa.City, i.City),
		"dob": string(i.DOB), "gender": string(i.Gender)} {
		if v = clean(v, 200, nil); v != "" {
			attrs[k] = v
		}
	}
	return attrs
}

type party struct {
	ID flexString `json:"id"`
	// AdminID is set on some oa_send_* echoes typed by a human in OA Manager (uncertain).
	AdminID flexString `json:"admin_id"`
}

type webhookAttachment struct {
	Type    string         `json:"type"`
	Payload attachmentBody `json:"payload"`
}

// attachmentBody holds the payload fields of every attachment type.
type attachmentBody struct {
	URL         string     `json:"url"`
	Thumbnail   string     `json:"thumbnail"`
	Name        string     `json:"name"`
	Size        flexInt    `json:"size"`
	Type        string     `json:"type"`
	ID          flexString `json:"id"`
	Title       string     `json:"title"`
	Description string     `json:"description"`
	Coordinates struct {
		// latitude/longitude (Chatwoot) and lat/long (other code) are both seen.
		Latitude  json.Number `json:"latitude"`
		Longitude json.Number `json:"longitude"`
		Lat       json.Number `json:"lat"`
		Long      json.Number `json:"long"`
	} `json:"coordinates"`
}

// messageKinds maps the suffix of user_send_*, anonymous_send_* and oa_send_* events.
var messageKinds = map[string]omnichannel.MessageType{
	"text":          omnichannel.MessageText,
	"image":         omnichannel.MessageImage,
	"gif":           omnichannel.MessageImage,
	"link":          omnichannel.MessageLink,
	"audio":         omnichannel.MessageAudio,
	"video":         omnichannel.MessageVideo,
	"sticker":       omnichannel.MessageSticker,
	"location":      omnichannel.MessageLocation,
	"file":          omnichannel.MessageFile,
	"business_card": omnichannel.MessageContact,
	// Only seen on OA echoes: structured messages sent from OA Manager or templates.
	"list":     omnichannel.MessageOther,
	"template": omnichannel.MessageOther,
}

// ParseWebhook decodes a verified delivery into at most one event:
//
//   - user_send_<kind> and anonymous_send_<kind> (text, image, gif, link, audio, video, sticker,
//     location, file, business_card): a customer message; the OA is recipient.id, the user sender.id.
//   - oa_send_<kind> and oa_send_anonymous_<kind>: an OA message echoed back, Direction out; the OA
//     is sender.id. The engine matches echoes of its own sends by message id (or text while the
//     send is in flight) and stores the others — typed in Zalo's OA Manager — as agent messages.
//   - user_received_message (message.msg_id) → delivered; user_seen_message (message.msg_ids) →
//     seen; the OA is sender.id.
//   - follow / unfollow: oa_id and follower.id.
//   - user_submit_info: the phone (and name, address, birthday, gender) the user shared →
//     EventInfoShared, which makes the engine record it in the customer's conversation (opening
//     one if needed) and link the CRM customer with that phone. The address is read from
//     info.full_address (the official sample) or from the flat fields (see sharedInfo).
//   - anonymous_send_<kind> also carries message.conversation_id, kept as
//     InboundEvent.ProviderConversationID with Anonymous set: replies to anonymous users need it.
//   - user_reacted_message / oa_reacted_message → EventReaction on message.msg_id, the
//     customer's (Direction in) or the OA's (out); react_icon codes become emoji.
//   - user_send_group_* and oa_send_group_* (GMF group chats, not supported): no event, no error;
//     logged once per OA and event name.
//
// Media arrive as Zalo CDN URLs in RemoteURL; the engine copies them into its BlobStore (see
// DownloadMedia). Any other event name yields no event and no error; each unknown name is logged
// once. A body that is not a JSON object, or an event missing the ids it needs, wraps
// omnichannel.ErrMalformed.
func (c *Channel) ParseWebhook(_ http.Header, body []byte) ([]omnichannel.InboundEvent, error) {
	var w webhookEvent
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("zalooa: %w: %s", omnichannel.ErrMalformed, decodeProblem(err))
	}
	if dec.More() {
		return nil, fmt.Errorf("zalooa: %w: data after the JSON object", omnichannel.ErrMalformed)
	}
	if w.EventName == "" {
		return nil, fmt.Errorf("zalooa: %w: missing event_name", omnichannel.ErrMalformed)
	}
	ev, ok, err := c.convert(&w)
	if err != nil {
		return nil, fmt.Errorf("zalooa: %w: %s: %s", omnichannel.ErrMalformed, safeName(w.EventName), err)
	}
	if !ok {
		if !isGroupEvent(w.EventName) { // group events are logged by logGroup
			c.logUnknown(w.EventName)
		}
		return []omnichannel.InboundEvent{}, nil
	}
	return []omnichannel.InboundEvent{ev}, nil
}

// decodeProblem describes a JSON error without quoting the body (customer text is untrusted).
func decodeProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q has the wrong type", typ.Field)
	}
	return "undecodable body"
}

// convert maps one event; ok is false for events the adapter does not know.
func (c *Channel) convert(w *webhookEvent) (omnichannel.InboundEvent, bool, error) {
	ev := omnichannel.InboundEvent{}
	if at, ok := parseTimestamp(string(w.Timestamp)); ok {
		ev.Time = at
	}
	name := w.EventName
	switch {
	case isGroupEvent(name):
		c.logGroup(first(string(w.Recipient.ID), string(w.OAID), string(w.Sender.ID)), name)
		return ev, false, nil
	case name == "user_reacted_message" || name == "oa_reacted_message":
		return reactionEvent(w, ev, name == "oa_reacted_message")
	case strings.HasPrefix(name, "user_send_") || strings.HasPrefix(name, "anonymous_send_"):
		kind := name[strings.Index(name, "_send_")+len("_send_"):]
		ev, ok, err := messageEvent(w, ev, kind, omnichannel.DirectionIn, string(w.Recipient.ID), string(w.Sender.ID))
		if strings.HasPrefix(name, "anonymous_send_") {
			ev.Anonymous, ev.ProviderConversationID = true, string(w.Message.ConversationID)
		}
		return ev, ok, err
	case strings.HasPrefix(name, "oa_send_"):
		kind := strings.TrimPrefix(strings.TrimPrefix(name, "oa_send_"), "anonymous_")
		ev, ok, err := messageEvent(w, ev, kind, omnichannel.DirectionOut, string(w.Sender.ID), string(w.Recipient.ID))
		if strings.HasPrefix(name, "oa_send_anonymous_") {
			ev.Anonymous, ev.ProviderConversationID = true, string(w.Message.ConversationID)
		}
		return ev, ok, err
	case name == "user_received_message" || name == "user_seen_message":
		ev.Type = omnichannel.InboundStatus
		ev.ExternalAccountID, ev.ExternalUserID = first(string(w.Sender.ID), string(w.OAID)), string(w.Recipient.ID)
		ev.Status = omnichannel.MessageDelivered
		if name == "user_seen_message" {
			ev.Status = omnichannel.MessageSeen
		}
		for _, id := range w.Message.MsgIDs {
			if id != "" {
				ev.ProviderMessageIDs = append(ev.ProviderMessageIDs, string(id))
			}
		}
		if len(ev.ProviderMessageIDs) == 0 && w.Message.MsgID != "" {
			ev.ProviderMessageIDs = []string{string(w.Message.MsgID)}
		}
		if len(ev.ProviderMessageIDs) == 0 {
			return ev, false, errors.New("no message id")
		}
		return ev, true, needAccount(ev)
	case name == "follow" || name == "unfollow":
		follower := name == "follow"
		ev.Type = omnichannel.InboundFollow
		if !follower {
			ev.Type = omnichannel.InboundUnfollow
		}
		ev.ExternalAccountID = first(string(w.OAID), string(w.Recipient.ID))
		ev.ExternalUserID = first(string(w.Follower.ID), string(w.Sender.ID))
		ev.Profile = &omnichannel.Profile{ExternalUserID: ev.ExternalUserID, Follower: &follower}
		return ev, true, needUser(ev)
	case name == "user_submit_info":
		ev.Type = omnichannel.InboundInfoShared
		ev.ExternalAccountID = first(string(w.Recipient.ID), string(w.OAID))
		ev.ExternalUserID = string(w.Sender.ID)
		if w.Timestamp != "" && ev.ExternalUserID != "" {
			// The event has no id of its own; a redelivery repeats the body, so the user and the
			// event time identify it (the engine then records it once).
			ev.ProviderMessageID = "submit_info:" + ev.ExternalUserID + ":" + string(w.Timestamp)
		}
		p := &omnichannel.Profile{ExternalUserID: ev.ExternalUserID, Phone: strings.TrimSpace(string(w.Info.Phone))}
		if attrs := w.Info.attributes(); len(attrs) > 0 {
			p.Attributes = attrs
		}
		ev.Profile = p
		return ev, true, needUser(ev)
	}
	return ev, false, nil
}

// messageEvent maps a message event of the given kind (the event name's suffix).
func messageEvent(w *webhookEvent, ev omnichannel.InboundEvent, kind string, dir omnichannel.Direction, account, user string) (omnichannel.InboundEvent, bool, error) {
	mt, known := messageKinds[kind]
	if !known {
		return ev, false, nil
	}
	ev.Type, ev.Direction, ev.MessageType = omnichannel.InboundMessage, dir, mt
	ev.ExternalAccountID, ev.ExternalUserID = first(account, string(w.OAID)), user
	ev.ProviderMessageID = string(w.Message.MsgID)
	ev.QuoteProviderMessageID = string(w.Message.QuoteMsgID)
	ev.Text = w.Message.Text
	if ev.ProviderMessageID == "" {
		return ev, false, errors.New("missing message.msg_id")
	}
	var extra []string
	for _, a := range w.Message.Attachments {
		att, text := mapAttachment(a)
		if att != nil {
			ev.Attachments = append(ev.Attachments, *att)
		}
		if text != "" && !strings.Contains(ev.Text, text) {
			extra = append(extra, text)
		}
	}
	if len(extra) > 0 {
		ev.Text = strings.TrimSpace(strings.Join(append([]string{ev.Text}, extra...), "\n"))
	}
	if ev.Text == "" && len(ev.Attachments) == 0 && mt != omnichannel.MessageText {
		ev.Text = "[" + kind + "]"
	}
	if err := needUser(ev); err != nil {
		return ev, false, err
	}
	return ev, true, needAccount(ev)
}

// mapAttachment turns one attachment into a media Attachment, or into text for attachments that
// are not media (links, locations, business cards).
func mapAttachment(a webhookAttachment) (*omnichannel.Attachment, string) {
	p := a.Payload
	media := func(kind omnichannel.MessageType, ctype string) *omnichannel.Attachment {
		if p.URL == "" {
			return nil
		}
		return &omnichannel.Attachment{Kind: kind, RemoteURL: p.URL, ContentType: ctype, ProviderRef: string(p.ID)}
	}
	switch a.Type {
	case "image", "photo":
		return media(omnichannel.MessageImage, ""), ""
	case "gif":
		return media(omnichannel.MessageImage, "image/gif"), ""
	case "audio", "voice":
		return media(omnichannel.MessageAudio, ""), ""
	case "video":
		return media(omnichannel.MessageVideo, ""), ""
	case "sticker":
		return media(omnichannel.MessageSticker, ""), ""
	case "file":
		att := media(omnichannel.MessageFile, fileContentType(p.Type, p.Name))
		if att != nil {
			att.Name = omnichannel.SafeDisplayName(p.Name)
			if p.Name == "" {
				att.Name = ""
			}
			// A size the provider cannot mean (negative, or a float beyond int64) stays unknown.
			if p.Size > 0 {
				att.Size = int64(p.Size)
			}
		}
		return att, ""
	case "link":
		return nil, strings.TrimSpace(strings.Join(nonEmpty(p.Title, p.URL), " "))
	case "location":
		lat, long := first(p.Coordinates.Latitude.String(), p.Coordinates.Lat.String()),
			first(p.Coordinates.Longitude.String(), p.Coordinates.Long.String())
		if lat == "" || long == "" {
			return nil, ""
		}
		return nil, "📍 " + lat + "," + long
	case "business_card", "contact":
		return nil, strings.TrimSpace(strings.Join(nonEmpty(p.Title, p.Description), " "))
	}
	return nil, ""
}

// fileContentType derives a media type from Zalo's file "type" (an extension such as "pdf") or
// the file name; "" when unknown.
func fileContentType(typ, name string) string {
	ext := strings.ToLower(strings.TrimPrefix(typ, "."))
	if ext == "" || strings.Contains(ext, "/") {
		if strings.Contains(ext, "/") {
			return ext
		}
		if i := strings.LastIndex(name, "."); i >= 0 {
			ext = strings.ToLower(name[i+1:])
		}
	}
	switch ext {
	case "pdf":
		return "application/pdf"
	case "doc":
		return "application/msword"
	case "docx":
		return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	case "xls":
		return "application/vnd.ms-excel"
	case "xlsx":
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case "zip":
		return "application/zip"
	case "txt":
		return "text/plain"
	}
	return ""
}

func needUser(ev omnichannel.InboundEvent) error {
	if ev.ExternalUserID == "" {
		return errors.New("missing the user id")
	}
	return nil
}

func needAccount(ev omnichannel.InboundEvent) error {
	if ev.ExternalAccountID == "" {
		return errors.New("missing the OA id")
	}
	return nil
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func nonEmpty(vals ...string) []string {
	var out []string
	for _, v := range vals {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// safeName keeps an untrusted event name fit for logs and errors: [a-z0-9_] only, 64 bytes at most.
func safeName(s string) string {
	b := make([]byte, 0, min(len(s), 64))
	for i := 0; i < len(s) && len(b) < 64; i++ {
		ch := s[i]
		if ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '_' {
			b = append(b, ch)
		} else if ch >= 'A' && ch <= 'Z' {
			b = append(b, ch+('a'-'A'))
		} else {
			b = append(b, '?')
		}
	}
	return string(b)
}

// isGroupEvent says whether name is an event of a GMF group chat (user_send_group_*,
// oa_send_group_*), which the adapter does not map.
func isGroupEvent(name string) bool {
	return strings.HasPrefix(name, "user_send_group_") || strings.HasPrefix(name, "oa_send_group_") ||
		strings.HasPrefix(name, "group_")
}

// logGroup logs a group chat event the adapter acknowledges without mapping, once per OA and
// event name (no message text, no user id).
func (c *Channel) logGroup(oaID, name string) {
	if c.firstTime("group:" + safeName(oaID) + ":" + safeName(name)) {
		c.log.Warn("zalooa: group chat event acknowledged but not supported: group chats are not in the inbox (logged once per OA and event)",
			"oa", safeName(oaID), "event", safeName(name))
	}
}

// firstTime reports whether key is seen for the first time (at most maxUnknownNames keys are
// remembered; past that nothing is logged any more).
func (c *Channel) firstTime(key string) bool {
	c.unknownMu.Lock()
	defer c.unknownMu.Unlock()
	if c.unknownSeen[key] || len(c.unknownSeen) >= maxUnknownNames {
		return false
	}
	c.unknownSeen[key] = true
	return true
}

// maxUnknownNames bounds the set of unknown event names remembered for logging once.
const maxUnknownNames = 256

// logUnknown logs an event name the adapter ignores, once per name.
func (c *Channel) logUnknown(name string) {
	name = safeName(name)
	if c.firstTime(name) {
		c.log.Info("zalooa: webhook event ignored: unknown event name (logged once)", "event", name)
	}
}
