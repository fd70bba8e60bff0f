package tiktoktest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"time"
	"unicode/utf8"
)

// Limits the emulator enforces, as TikTok does.
const (
	MaxTextLength      = 6000
	MaxImageBytes      = 3 << 20
	ReplyWindow        = 48 * time.Hour
	MaxRepliesInWindow = 10
)

type sendRequest struct {
	BusinessID    string `json:"business_id"`
	RecipientType string `json:"recipient_type"`
	Recipient     string `json:"recipient"`
	MessageType   string `json:"message_type"`
	Text          *struct {
		Body string `json:"body"`
	} `json:"text"`
	Image *struct {
		MediaID string `json:"media_id"`
	} `json:"image"`
	ReferencedMessageInfo *struct {
		ReferencedMessageID string `json:"referenced_message_id"`
	} `json:"referenced_message_info"`
}

// handleSend accepts a TEXT or IMAGE message to a conversation inside its reply window.
func (s *Server) handleSend(w http.ResponseWriter, r *http.Request) {
	var req sendRequest
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeCode(w, CodeParamError, "The body is not a valid message")
		return
	}
	s.mu.Lock()
	cv := s.convs[req.Recipient]
	msg := SentMessage{ConversationID: req.Recipient, Type: req.MessageType}
	problem, code := "", CodeParamError
	switch {
	case req.BusinessID != s.opts.BusinessID:
		problem = "Unknown business_id"
	case req.RecipientType != "CONVERSATION":
		problem = "recipient_type must be CONVERSATION"
	case cv == nil:
		problem, code = "Param conversation_id is invalid", CodeNotFound
	case req.MessageType == "TEXT" && (req.Text == nil || req.Text.Body == "" || req.Image != nil):
		problem = "A TEXT message needs text.body and nothing else"
	case req.MessageType == "TEXT" && utf8.RuneCountInString(req.Text.Body) > MaxTextLength:
		problem = "text.body is longer than 6000 characters"
	case req.MessageType == "IMAGE" && (req.Image == nil || s.media[req.Image.MediaID] == nil || req.Text != nil):
		problem = "An IMAGE message needs an uploaded image.media_id and nothing else"
	case req.MessageType == "IMAGE" && req.ReferencedMessageInfo != nil:
		problem = "Only TEXT messages can quote"
	case req.MessageType != "TEXT" && req.MessageType != "IMAGE":
		problem = "Unsupported message_type"
	case !s.opts.NoReplyLimits && (s.opts.Now().Sub(cv.lastCustomerAt) > ReplyWindow || cv.repliesSinceCustomer >= MaxRepliesInWindow):
		problem, code = "The message cannot be sent: outside the 48-hour window or over the message limit", CodeDMRules
	}
	if problem != "" {
		s.mu.Unlock()
		writeCode(w, code, problem)
		return
	}
	s.seq++
	msg.ID = fmt.Sprintf("tt-msg-%06d", s.seq)
	msg.UserID, msg.At = cv.userID, s.opts.Now()
	stored := &storedMessage{id: msg.ID, typ: req.MessageType, at: msg.At}
	if req.Text != nil {
		msg.Text, stored.text = req.Text.Body, req.Text.Body
	}
	if req.Image != nil {
		m := s.media[req.Image.MediaID]
		msg.MediaID, msg.ContentType, msg.Image = req.Image.MediaID, m.contentType, append([]byte(nil), m.data...)
		stored.mediaID = req.Image.MediaID
	}
	if req.ReferencedMessageInfo != nil {
		msg.QuoteID = req.ReferencedMessageInfo.ReferencedMessageID
	}
	cv.messages = append(cv.messages, stored)
	cv.single, cv.updated = true, msg.At
	cv.repliesSinceCustomer++
	s.sent = append(s.sent, msg)
	echoURL := s.echoURL
	echo := s.messageContentLocked(cv, stored, "API")
	s.mu.Unlock()
	if echoURL != "" {
		// TikTok may deliver the echo before it answers the send call.
		_ = s.PostWebhook(r.Context(), echoURL, "im_send_msg", echo)
	}
	writeData(w, map[string]any{"message": map[string]any{"message_id": msg.ID}})
}

// handleCapabilities answers IMAGE_SEND (allowed unless SetImagesAllowed(false)). The
// conversation_type must be the conversation's: STRANGER while the business has not replied,
// SINGLE once it has; another one is refused with a param error (the emulator's
// choice of answer).
func (s *Server) handleCapabilities(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	cv, allowed := s.convs[q.Get("conversation_id")], !s.noImages
	single := cv != nil && cv.single
	s.mu.Unlock()
	if q.Get("business_id") != s.opts.BusinessID || cv == nil {
		writeCode(w, CodeParamError, "Param conversation_id is invalid")
		return
	}
	if want := map[bool]string{true: "SINGLE", false: "STRANGER"}[single]; q.Get("conversation_type") != want {
		writeCode(w, CodeParamError, "Param conversation_type is invalid: this conversation is "+want)
		return
	}
	writeData(w, map[string]any{"capability_infos": []map[string]any{{"capability_type": "IMAGE_SEND", "capability_result": allowed}}})
}

// handleUpload accepts a multipart JPG or PNG of at most 3 MB.
func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		writeCode(w, CodeParamError, "The body must be multipart/form-data")
		return
	}
	if r.FormValue("business_id") != s.opts.BusinessID || r.FormValue("media_type") != "IMAGE" {
		writeCode(w, CodeParamError, "business_id and media_type=IMAGE are required")
		return
	}
	f, _, err := r.FormFile("file")
	if err != nil {
		writeCode(w, CodeParamError, "file is required")
		return
	}
	defer f.Close()
	data, _ := io.ReadAll(io.LimitReader(f, MaxImageBytes+1))
	ct := http.DetectContentType(data)
	if len(data) == 0 || len(data) > MaxImageBytes || (ct != "image/jpeg" && ct != "image/png") {
		writeCode(w, CodeBadMedia, "Only JPG or PNG images up to 3 MB are supported")
		return
	}
	s.mu.Lock()
	s.seq++
	id := fmt.Sprintf("tt-media-%06d", s.seq)
	s.media[id] = &medium{contentType: ct, data: data}
	s.mu.Unlock()
	writeData(w, map[string]any{"media_id": id})
}

// handleDownload returns a download_url for a medium of a message (valid 24 h on TikTok).
func (s *Server) handleDownload(w http.ResponseWriter, r *http.Request) {
	var req struct {
		BusinessID     string `json:"business_id"`
		ConversationID string `json:"conversation_id"`
		MessageID      string `json:"message_id"`
		MediaID        string `json:"media_id"`
		MediaType      string `json:"media_type"`
	}
	if json.NewDecoder(r.Body).Decode(&req) != nil {
		writeCode(w, CodeParamError, "The body must be JSON")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cv := s.convs[req.ConversationID]
	if req.BusinessID != s.opts.BusinessID || cv == nil || s.media[req.MediaID] == nil || cv.find(req.MessageID) == nil {
		writeCode(w, CodeNotFound, "Media not found")
		return
	}
	token := randomHex(16)
	s.links[token] = req.MediaID
	writeData(w, map[string]any{"download_url": s.srv.URL + "/media/" + token})
}

// handleMediaFile serves a download link to a request carrying "x-user: <valid access token>".
func (s *Server) handleMediaFile(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	expired, known := s.access[r.Header.Get("x-user")]
	m := s.media[s.links[r.PathValue("token")]]
	s.mu.Unlock()
	switch {
	case !known || expired:
		http.Error(w, "x-user header missing or invalid", http.StatusForbidden)
	case m == nil:
		http.NotFound(w, r)
	default:
		w.Header().Set("Content-Type", m.contentType)
		w.Header().Set("Content-Length", strconv.Itoa(len(m.data)))
		_, _ = w.Write(m.data)
	}
}

// handleConversationList pages conversations of one type, newest first, with a numeric cursor.
func (s *Server) handleConversationList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ctype := q.Get("conversation_type")
	limit, err := strconv.Atoi(q.Get("limit"))
	if q.Get("limit") == "" {
		limit, err = 100, nil
	}
	offset, cerr := strconv.Atoi(q.Get("cursor"))
	if q.Get("cursor") == "" {
		offset, cerr = 0, nil
	}
	if q.Get("business_id") != s.opts.BusinessID || (ctype != "SINGLE" && ctype != "STRANGER") ||
		err != nil || limit < 1 || limit > 100 || cerr != nil || offset < 0 {
		writeCode(w, CodeParamError, "Param error")
		return
	}
	s.mu.Lock()
	var list []*conversation
	for _, cv := range s.convs {
		if cv.single == (ctype == "SINGLE") {
			list = append(list, cv)
		}
	}
	sort.Slice(list, func(i, j int) bool {
		if !list[i].updated.Equal(list[j].updated) {
			return list[i].updated.After(list[j].updated)
		}
		return list[i].id < list[j].id
	})
	out := []map[string]any{}
	for i := offset; i < len(list) && i < offset+limit; i++ {
		out = append(out, map[string]any{"conversation_id": list[i].id, "update_time": list[i].updated.UnixMilli()})
	}
	more := offset+limit < len(list)
	s.mu.Unlock()
	writeData(w, map[string]any{"conversations": out, "has_more": more, "cursor": strconv.Itoa(offset + len(out))})
}

// handleContentList returns the 20 most recent messages (REST shape: message_type in upper case)
// and the participants.
func (s *Server) handleContentList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	cv := s.convs[q.Get("conversation_id")]
	if q.Get("business_id") != s.opts.BusinessID || cv == nil {
		writeCode(w, CodeParamError, "Param conversation_id is invalid")
		return
	}
	msgs := cv.messages
	if len(msgs) > 20 {
		msgs = msgs[len(msgs)-20:]
	}
	out := []map[string]any{}
	for i := len(msgs) - 1; i >= 0; i-- { // newest first
		m := msgs[i]
		// REST: sender and recipient are usernames, not ids.
		sender, recipient := s.opts.BusinessUsername, cv.username
		if m.fromCustomer {
			sender, recipient = recipient, sender
		}
		item := map[string]any{"message_id": m.id, "conversation_id": cv.id, "timestamp": m.at.UnixMilli(),
			"message_type": m.typ, "sender": sender, "recipient": recipient}
		switch m.typ {
		case "TEXT":
			item["text"] = map[string]any{"body": m.text}
		case "IMAGE":
			item["image"] = map[string]any{"media_id": m.mediaID}
		case "STICKER":
			item["sticker"] = map[string]any{"url": m.url}
		case "EMOJI":
			item["emoji"] = map[string]any{"url": m.url}
		}
		if len(m.reactions) > 0 {
			var rs []map[string]any
			for _, e := range m.reactions {
				rs = append(rs, map[string]any{"type": "EMOJI", "emoji": e, "sender": cv.username})
			}
			item["reactions"] = rs
		}
		out = append(out, item)
	}
	// REST roles are UPPERCASE (the webhooks' are lower case).
	participants := []map[string]any{
		{"role": "BUSINESS_ACCOUNT", "id": s.opts.BusinessID, "display_name": s.opts.BusinessName, "username": s.opts.BusinessUsername},
		{"role": "PERSONAL_ACCOUNT", "id": cv.userID, "display_name": cv.name, "username": cv.username,
			"profile_image": cv.avatar, "is_follower": cv.follower},
	}
	writeData(w, map[string]any{"messages": out, "participants": participants})
}

func (s *Server) parties(cv *conversation, fromCustomer bool) (from, to map[string]any) {
	customer := map[string]any{"id": cv.userID, "role": "personal_account"}
	business := map[string]any{"id": s.opts.BusinessID, "role": "business_account"}
	if fromCustomer {
		return customer, business
	}
	return business, customer
}

func (cv *conversation) find(messageID string) *storedMessage {
	for _, m := range cv.messages {
		if m.id == messageID {
			return m
		}
	}
	return nil
}

// SeedMessage is an old message for SeedConversation.
type SeedMessage struct {
	// FromCustomer says who wrote it; Text is its text; At its time.
	FromCustomer bool
	Text         string
	At           time.Time
	// Reactions are the customer's emoji on it (content/list reports them on the message).
	Reactions []string
}

// SeedConversation creates (or extends) the conversation of userID with messages from before the
// connection, without any webhook, as history sync finds them. It returns the conversation id.
func (s *Server) SeedConversation(userID, name string, msgs ...SeedMessage) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	cv := s.conversationLocked(userID, name)
	for _, m := range msgs {
		s.seq++
		cv.messages = append(cv.messages, &storedMessage{id: fmt.Sprintf("tt-msg-%06d", s.seq), fromCustomer: m.FromCustomer,
			typ: "TEXT", text: m.Text, at: m.At, reactions: append([]string(nil), m.Reactions...)})
		if m.At.After(cv.updated) {
			cv.updated = m.At
		}
		if m.FromCustomer {
			cv.lastCustomerAt, cv.repliesSinceCustomer = m.At, 0
		} else {
			cv.single = true
		}
	}
	return cv.id
}

// conversationLocked finds or creates the conversation of userID.
func (s *Server) conversationLocked(userID, name string) *conversation {
	if id, ok := s.byUser[userID]; ok {
		cv := s.convs[id]
		if name != "" {
			cv.name = name
		}
		return cv
	}
	cv := &conversation{id: conversationIDFor(userID), userID: userID, name: name, username: usernameFor(userID),
		avatar: s.srv.URL + "/avatar/" + userID + ".png", updated: s.opts.Now()}
	s.convs[cv.id] = cv
	s.byUser[userID] = cv.id
	return cv
}

// usernameFor is the emulator's TikTok username of a customer: lower-case letters and digits of
// the user id, prefixed.
func usernameFor(userID string) string {
	b := []byte("user.")
	for _, c := range []byte(userID) {
		switch {
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			b = append(b, c)
		case c >= 'A' && c <= 'Z':
			b = append(b, c+'a'-'A')
		}
	}
	return string(b)
}

// handleCDN serves sticker and emoji images; like a CDN it needs no token.
func (s *Server) handleCDN(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	m := s.media[r.PathValue("id")]
	s.mu.Unlock()
	if m == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", m.contentType)
	_, _ = w.Write(m.data)
}

// ConversationID returns the conversation id of the customer userID ("" if they never wrote).
func (s *Server) ConversationID(userID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byUser[userID]
}

// serveMediaLocked stores a medium a customer sent and returns its media id.
func (s *Server) serveMediaLocked(contentType string, data []byte) string {
	s.seq++
	id := fmt.Sprintf("tt-media-%06d", s.seq)
	s.media[id] = &medium{contentType: contentType, data: append([]byte(nil), data...)}
	return id
}
