package zalotest

import (
	"encoding/json"
	"io"
	"net/http"
	"path"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Upload limits the emulator enforces, answering -210 beyond them.
const (
	MaxImageUpload = 1 << 20
	MaxGIFUpload   = 5 << 20
	MaxFileUpload  = 5 << 20
)

type csBody struct {
	Recipient struct {
		UserID         string `json:"user_id"`
		MessageID      string `json:"message_id"`
		AnonymousID    string `json:"anonymous_id"`
		ConversationID string `json:"conversation_id"`
	} `json:"recipient"`
	Message      csBodyMessage `json:"message"`
	SenderAction *struct {
		ReactIcon      string `json:"react_icon"`
		ReactMessageID string `json:"react_message_id"`
	} `json:"sender_action"`
}

type csBodyMessage struct {
	Text           string `json:"text"`
	QuoteMessageID string `json:"quote_message_id"`
	Attachment     *struct {
		Type    string `json:"type"`
		Payload struct {
			TemplateType string `json:"template_type"`
			Elements     []struct {
				MediaType    string `json:"media_type"`
				AttachmentID string `json:"attachment_id"`
				URL          string `json:"url"`
				Width        int    `json:"width"`
				Height       int    `json:"height"`
				Title        string `json:"title"`
				Subtitle     string `json:"subtitle"`
				ImageURL     string `json:"image_url"`
			} `json:"elements"`
			Token        string `json:"token"`
			AttachmentID string `json:"attachment_id"`
		} `json:"payload"`
	} `json:"attachment"`
}

// reactIcons are the react_icon codes the emulator takes ("/-remove" takes a reaction back).
var reactIcons = map[string]bool{"/-heart": true, "/-strong": true, ":>": true, ":o": true, ":-((": true, ":-h": true,
	"/-weak": true, "/-remove": true}

// handleSend is POST /v3.0/oa/message/cs. The codes for a body it cannot read (-201) and a text
// over 2,000 characters (-210) are the emulator's choice. An anonymous recipient is refused here
// (-201 "user_id is invalid"): anonymous users are answered on /v2.0/oa/message.
func (s *Server) handleSend(w http.ResponseWriter, r *http.Request) {
	b, ok := decodeSend(w, r)
	if !ok {
		return
	}
	if b.Recipient.UserID == "" {
		apiError(w, -201, "user_id is invalid")
		return
	}
	s.deliver(w, b.Recipient.UserID, "", b.Message)
}

// handleMessageV2 is POST /v2.0/oa/message: a reply to an anonymous user (recipient
// {anonymous_id, conversation_id}, which must be the conversation the user wrote in) or a
// reaction (sender_action {react_icon, react_message_id} to a message of the history). Other
// sends answer -240, as Zalo does since v2 sending was shut down.
func (s *Server) handleMessageV2(w http.ResponseWriter, r *http.Request) {
	b, ok := decodeSend(w, r)
	if !ok {
		return
	}
	rc := b.Recipient
	if rc.AnonymousID != "" {
		s.mu.Lock()
		conv := s.anonymous[rc.AnonymousID]
		s.mu.Unlock()
		if conv == "" || rc.ConversationID != conv {
			apiError(w, -201, "conversation_id is invalid")
			return
		}
	}
	to := rc.UserID
	if to == "" {
		to = rc.AnonymousID
	}
	switch {
	case to == "":
		apiError(w, -201, "recipient is invalid")
	case b.SenderAction != nil:
		s.react(w, to, rc.ConversationID, b.SenderAction.ReactIcon, b.SenderAction.ReactMessageID)
	case rc.AnonymousID == "":
		apiError(w, -240, "MessageV2 API has been shut down, please switch to MessageV3")
	default:
		s.deliver(w, rc.AnonymousID, rc.ConversationID, b.Message)
	}
}

func decodeSend(w http.ResponseWriter, r *http.Request) (csBody, bool) {
	var b csBody
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		apiError(w, -201, "Content-Type must be application/json")
		return b, false
	}
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
		apiError(w, -201, "body is invalid")
		return b, false
	}
	return b, true
}

// react records a reaction to a message of the history.
func (s *Server) react(w http.ResponseWriter, to, conv, icon, msgID string) {
	if !reactIcons[icon] {
		apiError(w, -201, "react_icon is invalid")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	known := false
	for _, m := range s.history {
		known = known || (m.ID == msgID && m.UserID == to)
	}
	if !known {
		apiError(w, -201, "react_message_id is invalid")
		return
	}
	s.reactions = append(s.reactions, SentReaction{UserID: to, ConversationID: conv, MessageID: msgID, Icon: icon, At: time.Now()})
	apiOK(w, map[string]any{"message_id": msgID, "user_id": to})
}

// deliver checks and records a message to userID (an anonymous id with conv).
func (s *Server) deliver(w http.ResponseWriter, userID, conv string, m csBodyMessage) {
	switch {
	case utf8.RuneCountInString(m.Text) > 2000:
		apiError(w, -210, "text exceeds 2000 characters")
		return
	case strings.TrimSpace(m.Text) == "" && m.Attachment == nil:
		apiError(w, -201, "message is empty")
		return
	}
	sent := SentMessage{UserID: userID, ConversationID: conv, Text: m.Text, QuoteMessageID: m.QuoteMessageID, At: time.Now()}
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[userID]; u != nil && conv == "" {
		if u.NotFollower {
			apiError(w, -213, "User has not followed OA")
			return
		}
		if !u.LastInteraction.IsZero() && time.Since(u.LastInteraction) > Window {
			apiError(w, -230, "User has not interacted with the OA in the past 7 days")
			return
		}
	}
	historyType, historyURL := "text", ""
	if a := m.Attachment; a != nil {
		switch {
		case a.Type == "template" && a.Payload.TemplateType == "request_user_info" && len(a.Payload.Elements) == 1:
			el := a.Payload.Elements[0]
			if strings.TrimSpace(el.Title) == "" {
				apiError(w, -201, "title is invalid")
				return
			}
			sent.InfoRequest = &InfoRequestCard{Title: el.Title, Subtitle: el.Subtitle, ImageURL: el.ImageURL}
			historyType = "template"
		case a.Type == "template" && a.Payload.TemplateType == "media" && len(a.Payload.Elements) == 1:
			el := a.Payload.Elements[0]
			sent.MediaType, sent.AttachmentID, sent.ImageURL = el.MediaType, el.AttachmentID, el.URL
			sent.Width, sent.Height = el.Width, el.Height
			switch {
			case el.AttachmentID != "" && el.URL != "":
				apiError(w, -201, "element takes attachment_id or url, not both")
				return
			case el.MediaType == "gif" && (el.Width <= 0 || el.Height <= 0):
				apiError(w, -201, "width and height are required for gif")
				return
			}
			if el.AttachmentID != "" {
				up := s.uploads[el.AttachmentID]
				if up == nil || up.Kind == "file" {
					apiError(w, -100, "attachment_id is invalid or expired")
					return
				}
				cp := *up
				sent.Upload, historyURL = &cp, up.URL
			} else if el.URL == "" {
				apiError(w, -201, "element needs attachment_id or url")
				return
			} else {
				historyURL = el.URL
			}
			historyType = "photo"
		case a.Type == "file":
			ref := a.Payload.Token
			if ref == "" {
				ref = a.Payload.AttachmentID
			}
			up := s.uploads[ref]
			if up == nil || up.Kind != "file" {
				apiError(w, -201, "token is invalid")
				return
			}
			cp := *up
			sent.FileToken, sent.Upload, historyType, historyURL = ref, &cp, "file", up.URL
		default:
			apiError(w, -233, "message type is not supported")
			return
		}
	}
	sent.ID = randomHex(16)
	s.sent = append(s.sent, sent)
	s.history = append(s.history, HistoryMessage{ID: sent.ID, UserID: sent.UserID, FromOA: true, Type: historyType,
		Text: sent.Text, URL: historyURL, At: sent.At})
	apiOK(w, map[string]any{"message_id": sent.ID, "user_id": sent.UserID})
}

// handleUpload is POST /v2.0/oa/upload/{image,gif,file} (multipart field "file").
func (s *Server) handleUpload(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseMultipartForm(16 << 20); err != nil {
			apiError(w, -201, "file is invalid")
			return
		}
		f, hdr, err := r.FormFile("file")
		if err != nil {
			apiError(w, -201, "file is required")
			return
		}
		defer f.Close()
		data, _ := io.ReadAll(f)
		ext := strings.ToLower(path.Ext(hdr.Filename))
		sniffed := http.DetectContentType(data)
		limit := map[string]int{"image": MaxImageUpload, "gif": MaxGIFUpload, "file": MaxFileUpload}[kind]
		switch {
		case len(data) > limit:
			apiError(w, -210, "file exceeds the size limit")
			return
		case kind == "image" && sniffed != "image/jpeg" && sniffed != "image/png":
			apiError(w, -201, "only JPG and PNG images are accepted")
			return
		case kind == "gif" && sniffed != "image/gif":
			apiError(w, -201, "only GIF images are accepted")
			return
		case kind == "file" && ext != ".pdf" && ext != ".doc" && ext != ".docx":
			apiError(w, -201, "only PDF, DOC and DOCX files are accepted")
			return
		}
		ctype := hdr.Header.Get("Content-Type")
		up := &Upload{Kind: kind, Name: hdr.Filename, ContentType: ctype, Data: data}
		s.mu.Lock()
		up.Ref = randomHex(16)
		key := randomHex(8) + "-" + safeSegment(hdr.Filename)
		s.media[key] = mediaItem{contentType: ctype, data: data}
		up.URL = s.srv.URL + PathMedia + key
		s.uploads[up.Ref] = up
		attachmentID := s.opt.FileUploadAttachmentID
		s.mu.Unlock()
		if kind == "file" && !attachmentID {
			apiOK(w, map[string]any{"token": up.Ref})
			return
		}
		apiOK(w, map[string]any{"attachment_id": up.Ref})
	}
}

// dataParam decodes the data query parameter (URL-encoded JSON) of the GET APIs.
func dataParam(r *http.Request) map[string]any {
	out := map[string]any{}
	dec := json.NewDecoder(strings.NewReader(r.URL.Query().Get("data")))
	dec.UseNumber()
	_ = dec.Decode(&out)
	return out
}

// idParam reads an id given as a JSON string or number (both are seen).
func idParam(p map[string]any, key string) string {
	switch v := p[key].(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	}
	return ""
}

func intParam(p map[string]any, key string, def int) int {
	if n, ok := p[key].(json.Number); ok {
		if i, err := n.Int64(); err == nil {
			return int(i)
		}
	}
	return def
}

// handleUserDetail is GET /v3.0/oa/user/detail?data={"user_id":…}. An unknown user answers -201
// (the emulator's choice).
func (s *Server) handleUserDetail(w http.ResponseWriter, r *http.Request) {
	id := idParam(dataParam(r), "user_id")
	u, ok := s.UserByID(id)
	if !ok {
		apiError(w, -201, "user_id is invalid")
		return
	}
	data := map[string]any{
		"user_id": u.ID, "user_id_by_app": "app-" + u.ID, "display_name": u.Name, "user_alias": "",
		"is_sensitive": false, "user_is_follower": !u.NotFollower, "avatar": u.Avatar,
		"avatars": map[string]string{"120": u.Avatar, "240": u.Avatar},
	}
	if !u.LastInteraction.IsZero() {
		data["user_last_interaction_date"] = u.LastInteraction.Format("02/01/2006")
	}
	if u.Phone != "" {
		data["shared_info"] = map[string]any{"name": u.Name, "phone": u.Phone, "address": "", "city": "", "district": ""}
	}
	apiOK(w, data)
}

func (s *Server) handleGetOA(w http.ResponseWriter, _ *http.Request) {
	apiOK(w, map[string]any{"oaid": s.opt.OAID, "name": s.opt.OAName, "avatar": s.opt.OAAvatar,
		"description": "Zalo OA emulated by zalotest", "is_verified": true, "oa_type": 2})
}

// handleRecentChat is GET /v2.0/oa/listrecentchat: the latest message of each user, newest first.
func (s *Server) handleRecentChat(w http.ResponseWriter, r *http.Request) {
	p := dataParam(r)
	offset, count := intParam(p, "offset", 0), intParam(p, "count", 5)
	if count > 10 || count <= 0 || offset < 0 {
		apiError(w, -210, "count must be between 1 and 10")
		return
	}
	s.mu.Lock()
	latest := map[string]HistoryMessage{}
	for _, m := range s.history {
		if cur, ok := latest[m.UserID]; !ok || !m.At.Before(cur.At) {
			latest[m.UserID] = m
		}
	}
	rows := make([]HistoryMessage, 0, len(latest))
	for _, m := range latest {
		rows = append(rows, m)
	}
	s.mu.Unlock()
	s.writeRows(w, rows, offset, count)
}

// handleConversation is GET /v2.0/oa/conversation: one user's messages, newest first.
func (s *Server) handleConversation(w http.ResponseWriter, r *http.Request) {
	p := dataParam(r)
	user := idParam(p, "user_id")
	offset, count := intParam(p, "offset", 0), intParam(p, "count", 5)
	if count > 10 || count <= 0 || offset < 0 {
		apiError(w, -210, "count must be between 1 and 10")
		return
	}
	if user == "" {
		apiError(w, -201, "user_id is invalid")
		return
	}
	s.mu.Lock()
	var rows []HistoryMessage
	for _, m := range s.history {
		if m.UserID == user {
			rows = append(rows, m)
		}
	}
	s.mu.Unlock()
	s.writeRows(w, rows, offset, count)
}

func (s *Server) writeRows(w http.ResponseWriter, rows []HistoryMessage, offset, count int) {
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].At.After(rows[j].At) })
	if offset > len(rows) {
		offset = len(rows)
	}
	rows = rows[offset:min(offset+count, len(rows))]
	out := make([]map[string]any, 0, len(rows))
	for _, m := range rows {
		u, _ := s.UserByID(m.UserID)
		userName, userAvatar := u.Name, u.Avatar
		from, fromName, fromAvatar := m.UserID, userName, userAvatar
		to, toName, toAvatar := s.opt.OAID, s.opt.OAName, s.opt.OAAvatar
		src := 1
		if m.FromOA {
			from, fromName, fromAvatar, to, toName, toAvatar = to, toName, toAvatar, from, fromName, fromAvatar
			src = 0
		}
		row := map[string]any{
			"message_id": m.ID, "src": src, "time": m.At.UnixMilli(), "type": m.Type, "message": m.Text,
			"from_id": from, "from_display_name": fromName, "from_avatar": fromAvatar,
			"to_id": to, "to_display_name": toName, "to_avatar": toAvatar,
		}
		if m.URL != "" {
			row["url"], row["thumb"] = m.URL, m.URL
		}
		out = append(out, row)
	}
	apiOK(w, out)
}

// handleMedia serves CDN content; like Zalo's CDN it needs no token.
func (s *Server) handleMedia(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	m, ok := s.media[r.PathValue("name")]
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	if m.contentType != "" {
		w.Header().Set("Content-Type", m.contentType)
	}
	w.Write(m.data)
}
