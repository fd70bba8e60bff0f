package zalotest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/dakenh/dakenh/channels/zalooa"
)

// Event is a Zalo webhook body. The builders below fill it as Zalo does; tests may build their
// own. Field order follows Zalo's deliveries.
type Event struct {
	AppID       string        `json:"app_id"`
	OAID        string        `json:"oa_id,omitempty"`
	UserIDByApp string        `json:"user_id_by_app,omitempty"`
	EventName   string        `json:"event_name"`
	Timestamp   string        `json:"timestamp"`
	Sender      *Party        `json:"sender,omitempty"`
	Recipient   *Party        `json:"recipient,omitempty"`
	Follower    *Party        `json:"follower,omitempty"`
	Source      string        `json:"source,omitempty"`
	Message     *EventMessage `json:"message,omitempty"`
	Info        *SharedInfo   `json:"info,omitempty"`
}

// Party is a sender, recipient or follower.
type Party struct {
	ID string `json:"id"`
}

// EventMessage is the message of a message, status or reaction event.
type EventMessage struct {
	MsgID       string       `json:"msg_id,omitempty"`
	MsgIDs      []string     `json:"msg_ids,omitempty"`
	Text        string       `json:"text,omitempty"`
	QuoteMsgID  string       `json:"quote_msg_id,omitempty"`
	Attachments []Attachment `json:"attachments,omitempty"`
	// ConversationID is set on anonymous_send_* events.
	ConversationID string `json:"conversation_id,omitempty"`
	// ReactIcon is the reaction of user_reacted_message (MsgID is the message reacted to).
	ReactIcon *string `json:"react_icon,omitempty"`
}

// Attachment is an attachment of a message event; Payload holds its type's fields (url, name,
// size, thumbnail, id, coordinates, …).
type Attachment struct {
	Type    string         `json:"type"`
	Payload map[string]any `json:"payload"`
}

// SharedInfo is what a user shares with user_submit_info, in the official sample's shape: name, phone ("84912345678"), user_dob, gender and full_address{user_city, user_ward,
// user_address}. FlatAddress fills the older flat form (address, ward, district, city) instead,
// for tests of that form.
type SharedInfo struct {
	Name        string       `json:"name,omitempty"`
	Phone       string       `json:"phone,omitempty"`
	DOB         string       `json:"user_dob,omitempty"`
	Gender      string       `json:"gender,omitempty"`
	FullAddress *FullAddress `json:"full_address,omitempty"`
	FlatAddress
}

// FullAddress is user_submit_info's nested address.
type FullAddress struct {
	City    string `json:"user_city,omitempty"`
	Ward    string `json:"user_ward,omitempty"`
	Address string `json:"user_address,omitempty"`
}

// FlatAddress is the flat address form older code reads (UNCERTAIN whether Zalo still sends it).
type FlatAddress struct {
	Address  string `json:"address,omitempty"`
	Ward     string `json:"ward,omitempty"`
	District string `json:"district,omitempty"`
	City     string `json:"city,omitempty"`
}

// Build encodes ev as Zalo posts it, filling app_id and the timestamp (now, epoch ms as a string)
// when empty.
func (s *Server) Build(ev Event) []byte {
	if ev.AppID == "" {
		ev.AppID = s.opt.AppID
	}
	if ev.Timestamp == "" {
		ev.Timestamp = strconv.FormatInt(time.Now().UnixMilli(), 10)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(ev); err != nil {
		panic("zalotest: encoding an Event: " + err.Error()) // strings and maps of JSON values only
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// UserSend builds user_send_<kind> (text, image, gif, link, audio, video, sticker, location, file,
// business_card): the user is the sender, the OA the recipient.
func (s *Server) UserSend(kind, userID, msgID, text string, atts ...Attachment) []byte {
	return s.Build(Event{EventName: "user_send_" + kind, UserIDByApp: "app-" + userID,
		Sender: &Party{ID: userID}, Recipient: &Party{ID: s.opt.OAID},
		Message: &EventMessage{MsgID: msgID, Text: text, Attachments: atts}})
}

// AnonymousSend builds anonymous_send_<kind>, from an anonymous user (no Zalo identity the OA can
// address by user id): sender.id is their anonymous id and message.conversation_id the
// conversation replies must name.
func (s *Server) AnonymousSend(kind, anonymousID, conversationID, msgID, text string, atts ...Attachment) []byte {
	return s.Build(Event{EventName: "anonymous_send_" + kind, Sender: &Party{ID: anonymousID}, Recipient: &Party{ID: s.opt.OAID},
		Message: &EventMessage{MsgID: msgID, Text: text, Attachments: atts, ConversationID: conversationID}})
}

// UserReacted builds user_reacted_message: the user reacted with icon (a Zalo react_icon code such
// as "/-heart"; "" takes the reaction back) to the message msgID.
func (s *Server) UserReacted(userID, msgID, icon string) []byte {
	return s.Build(Event{EventName: "user_reacted_message", UserIDByApp: "app-" + userID,
		Sender: &Party{ID: userID}, Recipient: &Party{ID: s.opt.OAID}, Message: &EventMessage{MsgID: msgID, ReactIcon: &icon}})
}

// UserSendGroup builds user_send_group_<kind>: a message in a GMF group chat of the OA, which the
// adapter acknowledges without mapping.
func (s *Server) UserSendGroup(kind, userID, groupID, msgID, text string) []byte {
	return s.Build(Event{EventName: "user_send_group_" + kind, Sender: &Party{ID: userID},
		Recipient: &Party{ID: groupID}, OAID: s.opt.OAID, Message: &EventMessage{MsgID: msgID, Text: text}})
}

// OASend builds oa_send_<kind>: the echo of a message the OA sent (through the API or typed in OA
// Manager); the OA is the sender.
func (s *Server) OASend(kind, userID, msgID, text string, atts ...Attachment) []byte {
	return s.Build(Event{EventName: "oa_send_" + kind, UserIDByApp: "app-" + userID,
		Sender: &Party{ID: s.opt.OAID}, Recipient: &Party{ID: userID},
		Message: &EventMessage{MsgID: msgID, Text: text, Attachments: atts}})
}

// UserReceived builds user_received_message for one OA message.
func (s *Server) UserReceived(userID, msgID string) []byte {
	return s.Build(Event{EventName: "user_received_message", Sender: &Party{ID: s.opt.OAID}, Recipient: &Party{ID: userID},
		Message: &EventMessage{MsgID: msgID}})
}

// UserSeen builds user_seen_message for OA messages.
func (s *Server) UserSeen(userID string, msgIDs ...string) []byte {
	return s.Build(Event{EventName: "user_seen_message", Sender: &Party{ID: s.opt.OAID}, Recipient: &Party{ID: userID},
		Message: &EventMessage{MsgIDs: msgIDs}})
}

// FollowEvent builds follow; UnfollowEvent builds unfollow.
func (s *Server) FollowEvent(userID string) []byte {
	return s.Build(Event{EventName: "follow", OAID: s.opt.OAID, Follower: &Party{ID: userID}, UserIDByApp: "app-" + userID, Source: "oa_profile"})
}

// UnfollowEvent builds unfollow.
func (s *Server) UnfollowEvent(userID string) []byte {
	return s.Build(Event{EventName: "unfollow", OAID: s.opt.OAID, Follower: &Party{ID: userID}, UserIDByApp: "app-" + userID, Source: "oa_profile"})
}

// UserSubmitInfo builds user_submit_info: the user shared info through a request_user_info message.
func (s *Server) UserSubmitInfo(userID string, info SharedInfo) []byte {
	return s.Build(Event{EventName: "user_submit_info", Sender: &Party{ID: userID}, Recipient: &Party{ID: s.opt.OAID},
		UserIDByApp: "app-" + userID, Info: &info})
}

// Sign returns the X-ZEvent-Signature value Zalo sends with body: "mac=" + hex SHA-256 of
// app_id + body + timestamp + OA secret key (bare hex with Options.BareSignature). The emulator
// computes it with its own code, never the adapter's.
func (s *Server) Sign(body []byte) string { return s.SignWithKey(s.opt.OASecretKey, body) }

// SignWithKey signs body as Sign does, with another OA secret key (for wrong-key tests).
func (s *Server) SignWithKey(key string, body []byte) string {
	sum := sha256.Sum256([]byte(s.opt.AppID + string(body) + Timestamp(body) + key))
	sig := hex.EncodeToString(sum[:])
	if s.opt.BareSignature {
		return sig
	}
	return "mac=" + sig
}

// Timestamp returns body's top-level timestamp as sent ("" when absent).
func Timestamp(body []byte) string {
	var probe map[string]json.RawMessage
	if json.Unmarshal(body, &probe) != nil {
		return ""
	}
	raw := probe["timestamp"]
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(bytes.TrimSpace(raw))
}

// WithTimestamp returns a copy of body whose top-level timestamp is at (epoch ms, as a string).
func WithTimestamp(body []byte, at time.Time) []byte {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return append([]byte(nil), body...)
	}
	m["timestamp"], _ = json.Marshal(strconv.FormatInt(at.UnixMilli(), 10))
	out, _ := json.Marshal(m)
	return out
}

// WebhookRequest builds the POST of body to webhookURL as Zalo delivers it: Content-Type
// application/json and X-ZEvent-Signature.
func (s *Server) WebhookRequest(ctx context.Context, webhookURL string, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, webhookURL, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(zalooa.SignatureHeader, s.Sign(body))
	return req, nil
}

// Post delivers body to webhookURL, signed, and returns an error unless the answer is HTTP 200.
func (s *Server) Post(ctx context.Context, webhookURL string, body []byte) error {
	req, err := s.WebhookRequest(ctx, webhookURL, body)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("zalotest: webhook answered HTTP %d", resp.StatusCode)
	}
	return nil
}

// customer registers or updates a user who is writing now (name, follower, last interaction).
func (s *Server) customer(userID, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[userID]
	if u == nil {
		u = &User{ID: userID}
		s.users[userID] = u
	}
	if name != "" {
		u.Name = name
	}
	u.LastInteraction = time.Now()
}

func (s *Server) remember(m HistoryMessage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m.At = time.Now()
	s.history = append(s.history, m)
}

// CustomerSays plays userID (named name, as user/detail will report) sending text to the OA: it
// posts a signed user_send_text to webhookURL and returns the message id.
func (s *Server) CustomerSays(ctx context.Context, webhookURL, userID, name, text string) (string, error) {
	s.customer(userID, name)
	id := randomHex(16)
	s.remember(HistoryMessage{ID: id, UserID: userID, Type: "text", Text: text})
	return id, s.Post(ctx, webhookURL, s.UserSend("text", userID, id, text))
}

// PrepareCustomerText registers userID's text message as CustomerSays does, but returns the
// user_send_text body instead of posting it, with its message id. Deliver it with Post as often and
// in whatever order a test needs: Zalo resends an event it could not deliver, so repeated and
// reordered deliveries are what a receiver must survive.
func (s *Server) PrepareCustomerText(userID, name, text string) (messageID string, body []byte) {
	s.customer(userID, name)
	id := randomHex(16)
	s.remember(HistoryMessage{ID: id, UserID: userID, Type: "text", Text: text})
	return id, s.UserSend("text", userID, id, text)
}

// CustomerSendsImage plays userID sending an image (served by the emulator's CDN) with an
// optional caption; it returns the message id.
func (s *Server) CustomerSendsImage(ctx context.Context, webhookURL, userID, name string, image []byte, caption string) (string, error) {
	s.customer(userID, name)
	ctype := http.DetectContentType(image)
	u := s.ServeMedia("photo"+extFor(ctype), ctype, image)
	id := randomHex(16)
	s.remember(HistoryMessage{ID: id, UserID: userID, Type: "photo", Text: caption, URL: u})
	return id, s.Post(ctx, webhookURL, s.UserSend("image", userID, id, caption,
		Attachment{Type: "image", Payload: map[string]any{"thumbnail": u, "url": u}}))
}

// CustomerSendsFile plays userID sending a file named fileName; it returns the message id.
func (s *Server) CustomerSendsFile(ctx context.Context, webhookURL, userID, name, fileName string, data []byte) (string, error) {
	s.customer(userID, name)
	u := s.ServeMedia(fileName, http.DetectContentType(data), data)
	id := randomHex(16)
	s.remember(HistoryMessage{ID: id, UserID: userID, Type: "file", URL: u})
	ext := ""
	if i := bytes.LastIndexByte([]byte(fileName), '.'); i >= 0 {
		ext = fileName[i+1:]
	}
	return id, s.Post(ctx, webhookURL, s.UserSend("file", userID, id, "",
		Attachment{Type: "file", Payload: map[string]any{"url": u, "name": fileName, "size": strconv.Itoa(len(data)),
			"checksum": randomHex(16), "type": ext}}))
}

// CustomerSharesPhone plays userID answering a request_user_info message with their name and
// phone: it posts user_submit_info, and user/detail reports the phone from then on.
func (s *Server) CustomerSharesPhone(ctx context.Context, webhookURL, userID, name, phone string) error {
	return s.CustomerSharesInfo(ctx, webhookURL, userID, SharedInfo{Name: name, Phone: phone})
}

// CustomerSharesInfo plays userID answering a request_user_info card with info (name, phone,
// birthday, gender, full_address): it posts user_submit_info, and user/detail reports the phone
// from then on.
func (s *Server) CustomerSharesInfo(ctx context.Context, webhookURL, userID string, info SharedInfo) error {
	s.customer(userID, info.Name)
	s.mu.Lock()
	if info.Phone != "" {
		s.users[userID].Phone = info.Phone
	}
	s.mu.Unlock()
	return s.Post(ctx, webhookURL, s.UserSubmitInfo(userID, info))
}

// CustomerSaysAnonymously plays an anonymous user (anonymousID, no Zalo account the OA can address
// by user id) writing text from a web entry point: it posts anonymous_send_text carrying the
// conversation id the emulator gave that user, and returns the message id. Replies must go to
// /v2.0/oa/message with that anonymous_id and conversation_id.
func (s *Server) CustomerSaysAnonymously(ctx context.Context, webhookURL, anonymousID, text string) (string, error) {
	conv := s.anonymousConversation(anonymousID)
	id := randomHex(16)
	s.remember(HistoryMessage{ID: id, UserID: anonymousID, Type: "text", Text: text})
	return id, s.Post(ctx, webhookURL, s.AnonymousSend("text", anonymousID, conv, id, text))
}

// AnonymousConversationID returns the conversation id the emulator gave anonymousID ("" before
// they wrote).
func (s *Server) AnonymousConversationID(anonymousID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.anonymous[anonymousID]
}

func (s *Server) anonymousConversation(anonymousID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	conv := s.anonymous[anonymousID]
	if conv == "" {
		conv = randomHex(12)
		s.anonymous[anonymousID] = conv
	}
	return conv
}

// CustomerReacts plays userID reacting with icon (a Zalo code: "/-heart", "/-strong", ":>", ":o",
// ":-((", ":-h"; "" takes it back) to the message msgID; it posts user_reacted_message.
func (s *Server) CustomerReacts(ctx context.Context, webhookURL, userID, msgID, icon string) error {
	s.customer(userID, "")
	return s.Post(ctx, webhookURL, s.UserReacted(userID, msgID, icon))
}

// CustomerSendsSticker plays userID sending a sticker: the image is served by the emulator's CDN
// and posted as user_send_sticker with attachments[{type:"sticker", payload:{id, url}}]; it
// returns the message id.
func (s *Server) CustomerSendsSticker(ctx context.Context, webhookURL, userID, name string, image []byte) (string, error) {
	s.customer(userID, name)
	ctype := http.DetectContentType(image)
	u := s.ServeMedia("sticker"+extFor(ctype), ctype, image)
	id := randomHex(16)
	s.remember(HistoryMessage{ID: id, UserID: userID, Type: "sticker", URL: u})
	return id, s.Post(ctx, webhookURL, s.UserSend("sticker", userID, id, "",
		Attachment{Type: "sticker", Payload: map[string]any{"id": randomHex(6), "url": u}}))
}

// CustomerFollows plays userID following the OA (follow); follow=false unfollows.
func (s *Server) CustomerFollows(ctx context.Context, webhookURL, userID string, follow bool) error {
	s.mu.Lock()
	if u := s.users[userID]; u != nil {
		u.NotFollower = !follow
	}
	s.mu.Unlock()
	if follow {
		return s.Post(ctx, webhookURL, s.FollowEvent(userID))
	}
	return s.Post(ctx, webhookURL, s.UnfollowEvent(userID))
}

// OAManagerSays plays a staff member typing text to userID in Zalo's own OA Manager: the message
// joins the history and its oa_send_text echo is posted; it returns the message id.
func (s *Server) OAManagerSays(ctx context.Context, webhookURL, userID, text string) (string, error) {
	id := randomHex(16)
	s.remember(HistoryMessage{ID: id, UserID: userID, FromOA: true, Type: "text", Text: text})
	return id, s.Post(ctx, webhookURL, s.OASend("text", userID, id, text))
}

// EchoSent posts the oa_send_* echo Zalo sends for a message the OA sent through the API.
func (s *Server) EchoSent(ctx context.Context, webhookURL string, m SentMessage) error {
	switch {
	case m.FileToken != "" && m.Upload != nil:
		return s.Post(ctx, webhookURL, s.OASend("file", m.UserID, m.ID, "",
			Attachment{Type: "file", Payload: map[string]any{"url": m.Upload.URL, "name": m.Upload.Name, "size": strconv.Itoa(len(m.Upload.Data))}}))
	case m.MediaType != "":
		u := m.ImageURL
		if m.Upload != nil {
			u = m.Upload.URL
		}
		return s.Post(ctx, webhookURL, s.OASend("image", m.UserID, m.ID, m.Text,
			Attachment{Type: "image", Payload: map[string]any{"url": u, "thumbnail": u}}))
	}
	return s.Post(ctx, webhookURL, s.OASend("text", m.UserID, m.ID, m.Text))
}

// MarkDelivered posts user_received_message for an OA message.
func (s *Server) MarkDelivered(ctx context.Context, webhookURL, userID, msgID string) error {
	return s.Post(ctx, webhookURL, s.UserReceived(userID, msgID))
}

// MarkSeen posts user_seen_message for OA messages.
func (s *Server) MarkSeen(ctx context.Context, webhookURL, userID string, msgIDs ...string) error {
	return s.Post(ctx, webhookURL, s.UserSeen(userID, msgIDs...))
}

func extFor(ctype string) string {
	switch ctype {
	case "image/png":
		return ".png"
	case "image/gif":
		return ".gif"
	}
	return ".jpg"
}
