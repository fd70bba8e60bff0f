package metatest

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// route dispatches the dialog, the CDN and the Graph endpoints.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	if id, ok := strings.CutPrefix(r.URL.Path, "/cdn/"); ok && r.Method == http.MethodGet {
		s.handleCDN(w, id)
		return
	}
	seg := s.segments(r.URL.Path)
	switch {
	case len(seg) == 2 && seg[0] == "dialog" && seg[1] == "oauth" && r.Method == http.MethodGet:
		s.handleDialog(w, r)
	case len(seg) == 2 && seg[0] == "dialog" && seg[1] == "oauth" && r.Method == http.MethodPost:
		s.handleDialogDecision(w, r)
	case len(seg) == 2 && seg[0] == "oauth" && seg[1] == "access_token":
		s.handleAccessToken(w, r)
	case len(seg) == 2 && seg[0] == "me" && seg[1] == "accounts":
		s.handleAccounts(w, r)
	case len(seg) == 2 && seg[1] == "subscribed_apps":
		s.handleSubscribe(w, r, seg[0])
	case len(seg) == 2 && seg[1] == "messages" && r.Method == http.MethodPost:
		s.handleSend(w, r, seg[0])
	case len(seg) == 2 && seg[1] == "messages":
		s.handleThreadMessages(w, r, seg[0])
	case len(seg) == 2 && seg[1] == "message_attachments" && r.Method == http.MethodPost:
		s.handleUpload(w, r, seg[0])
	case len(seg) == 2 && seg[1] == "conversations":
		s.handleConversations(w, r, seg[0])
	case len(seg) == 1 && r.Method == http.MethodGet:
		s.handleNode(w, r, seg[0])
	default:
		writeError(w, http.StatusBadRequest, 100, 0, "Unsupported request")
	}
}

// bearer is the request's token: Authorization: Bearer, or access_token in the query.
func bearer(r *http.Request) string {
	if t, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return strings.TrimSpace(t)
	}
	return r.URL.Query().Get("access_token")
}

func (s *Server) handleCDN(w http.ResponseWriter, id string) {
	s.mu.Lock()
	b := s.media[id]
	s.mu.Unlock()
	if b == nil {
		http.Error(w, "URL signature expired", http.StatusForbidden)
		return
	}
	w.Header().Set("Content-Type", b.contentType)
	_, _ = w.Write(b.data)
}

// handleAccessToken exchanges a single-use code bound to its redirect_uri for a short-lived user
// token, or a short-lived token for a long-lived one (fb_exchange_token).
func (s *Server) handleAccessToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != s.opts.AppID || q.Get("client_secret") != s.opts.AppSecret {
		writeError(w, http.StatusBadRequest, 101, 0, "Error validating client secret.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if q.Get("grant_type") == "fb_exchange_token" {
		ut := s.userTokens[q.Get("fb_exchange_token")]
		if ut == nil || ut.dead {
			writeError(w, http.StatusBadRequest, 190, 0, "Invalid OAuth access token.")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"access_token": s.issueUserLocked(true, ut.pages, ut.igs), "token_type": "bearer", "expires_in": 5183944})
		return
	}
	g := s.codes[q.Get("code")]
	switch {
	case g == nil || g.used:
		writeError(w, http.StatusBadRequest, 100, 36009, "This authorization code has been used.")
		return
	case q.Get("redirect_uri") != g.redirectURI:
		writeError(w, http.StatusBadRequest, 100, 36008, "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request")
		return
	}
	g.used = true
	writeJSON(w, http.StatusOK, map[string]any{"access_token": s.issueUserLocked(false, g.pages, g.igs), "token_type": "bearer", "expires_in": 3600})
}

// userLocked returns the live user token of r, or answers 190.
func (s *Server) userLocked(w http.ResponseWriter, r *http.Request) *userToken {
	ut := s.userTokens[bearer(r)]
	if ut == nil || ut.dead {
		writeError(w, http.StatusBadRequest, 190, 460, "Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.")
		return nil
	}
	return ut
}

// pageLocked returns the Page of r's live Page token, or answers 190/463.
func (s *Server) pageLocked(w http.ResponseWriter, r *http.Request) *Page {
	pt := s.pageTokens[bearer(r)]
	if pt == nil || pt.dead {
		writeError(w, http.StatusBadRequest, 190, 463, "Error validating access token: Session has expired.")
		return nil
	}
	return s.pageByID(pt.pageID)
}

// pageOfPathLocked returns the Page of r's live Page token when the path names it (or "me"), or
// answers the refusal.
func (s *Server) pageOfPathLocked(w http.ResponseWriter, r *http.Request, pageID string) *Page {
	p := s.pageLocked(w, r)
	if p == nil {
		return nil
	}
	if pageID != "me" && pageID != p.ID {
		writeError(w, http.StatusForbidden, 10, 0, "(#10) The Page token is for another Page")
		return nil
	}
	return p
}

func (s *Server) pageByID(id string) *Page {
	for i := range s.opts.Pages {
		if s.opts.Pages[i].ID == id {
			return &s.opts.Pages[i]
		}
	}
	return nil
}

func (s *Server) handleAccounts(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ut := s.userLocked(w, r)
	if ut == nil {
		return
	}
	data := []map[string]any{}
	for _, id := range ut.pages {
		p := s.pageByID(id)
		row := map[string]any{"id": p.ID, "name": p.Name, "tasks": p.Tasks, "category": "Shopping & Retail"}
		if ut.long {
			row["access_token"] = s.issuePageLocked(p.ID)
		} else {
			row["access_token"] = s.issuePageLocked(p.ID) // short-lived in reality; the emulator does not expire it
		}
		if p.Instagram != nil && slices.Contains(ut.igs, p.Instagram.ID) {
			row["instagram_business_account"] = map[string]any{"id": p.Instagram.ID, "username": p.Instagram.Username, "name": p.Instagram.Name}
		}
		data = append(data, row)
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "paging": map[string]any{"cursors": map[string]any{"before": "QVFI", "after": "QVFJ"}}})
}

// handleNode answers GET /{id}: a Page's fields (access_token with a user token) or a customer's
// profile (with a Page token).
func (s *Server) handleNode(w http.ResponseWriter, r *http.Request, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.pageByID(id); p != nil {
		if _, isPage := s.pageTokens[bearer(r)]; isPage {
			if s.pageLocked(w, r) == nil {
				return
			}
			writeJSON(w, http.StatusOK, map[string]any{"id": p.ID, "name": p.Name})
			return
		}
		ut := s.userLocked(w, r)
		if ut == nil {
			return
		}
		if !slices.Contains(ut.pages, p.ID) {
			writeError(w, http.StatusForbidden, 10, 0, "(#10) The user does not manage this Page")
			return
		}
		out := map[string]any{"id": p.ID}
		if strings.Contains(r.URL.Query().Get("fields"), "access_token") {
			out["access_token"] = s.issuePageLocked(p.ID)
		}
		if p.Instagram != nil && strings.Contains(r.URL.Query().Get("fields"), "instagram_business_account") {
			out["instagram_business_account"] = map[string]any{"id": p.Instagram.ID}
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	page := s.pageLocked(w, r)
	if page == nil {
		return
	}
	c := s.customers[id]
	if c == nil || !s.knowsLocked(page, id) {
		writeError(w, http.StatusBadRequest, 100, 33, "Unsupported get request. Object with ID '"+id+"' does not exist")
		return
	}
	switch {
	case c.NoProfile:
		writeError(w, http.StatusBadRequest, 100, 2018218, "No profile available for this user.")
		return
	case c.NoConsent:
		writeError(w, http.StatusBadRequest, 230, 0, "User consent is required to access user profile")
		return
	}
	out := map[string]any{"id": id, "name": c.Name}
	if f := strings.Fields(c.Name); len(f) > 0 {
		out["first_name"], out["last_name"] = f[len(f)-1], strings.Join(f[:len(f)-1], " ")
	}
	if c.Username != "" {
		out["username"] = c.Username
	}
	if len(c.Picture) > 0 {
		out["profile_pic"] = s.srv.URL + "/cdn/pic-" + id + "?oh=" + randomHex(6)
	}
	writeJSON(w, http.StatusOK, out)
}

// knowsLocked reports whether user has a thread with page (on Messenger or its Instagram).
func (s *Server) knowsLocked(page *Page, user string) bool {
	if s.threads[threadKey{page.ID, user}] != nil {
		return true
	}
	return page.Instagram != nil && s.threads[threadKey{page.Instagram.ID, user}] != nil
}

func (s *Server) handleSubscribe(w http.ResponseWriter, r *http.Request, pageID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pageOfPathLocked(w, r, pageID)
	if p == nil {
		return
	}
	if r.Method == http.MethodGet {
		data := []map[string]any{}
		if f, ok := s.subscribed[p.ID]; ok {
			data = append(data, map[string]any{"id": s.opts.AppID, "name": "dakenh inbox", "subscribed_fields": strings.Split(f, ",")})
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": data})
		return
	}
	fields := r.URL.Query().Get("subscribed_fields")
	if fields == "" {
		_ = r.ParseForm()
		fields = r.PostForm.Get("subscribed_fields")
	}
	for _, f := range strings.Split(fields, ",") {
		if !slices.Contains(pageFields, f) {
			writeError(w, http.StatusBadRequest, 100, 0, "(#100) Param subscribed_fields["+strconv.Quote(f)+"] must be one of the valid fields")
			return
		}
	}
	s.subscribed[p.ID] = fields
	writeJSON(w, http.StatusOK, map[string]any{"success": true})
}

// pageFields are the Messenger webhook fields a Page subscription accepts.
var pageFields = []string{"messages", "message_echoes", "message_deliveries", "message_reads", "messaging_postbacks",
	"messaging_referrals", "message_reactions", "message_edits", "standby", "messaging_handovers", "feed"}

// threadLocked finds the thread of page's user: Messenger first, then the Page's Instagram.
func (s *Server) threadLocked(page *Page, user string) *thread {
	if t := s.threads[threadKey{page.ID, user}]; t != nil {
		return t
	}
	if page.Instagram != nil {
		return s.threads[threadKey{page.Instagram.ID, user}]
	}
	return nil
}

// sendAttachment is a Send API attachment.
type sendAttachment struct {
	Type    string `json:"type"`
	Payload struct {
		AttachmentID string `json:"attachment_id"`
		URL          string `json:"url"`
	} `json:"payload"`
}

func allImages(atts []*sendAttachment) bool {
	for _, a := range atts {
		if a == nil || a.Type != "image" {
			return false
		}
	}
	return true
}

// deadTags return error 100 since 2026-04-27.
var deadTags = []string{"ACCOUNT_UPDATE", "CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE"}

// handleSend is the Send API: window, tag and limit checks, then message_id (the echo first, when
// an echo URL is set).
func (s *Server) handleSend(w http.ResponseWriter, r *http.Request, pageID string) {
	var req struct {
		Recipient struct {
			ID string `json:"id"`
		} `json:"recipient"`
		MessagingType string `json:"messaging_type"`
		Tag           string `json:"tag"`
		Message       struct {
			Text        string            `json:"text"`
			Metadata    string            `json:"metadata"`
			Attachment  *sendAttachment   `json:"attachment"`
			Attachments []*sendAttachment `json:"attachments"`
		} `json:"message"`
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || json.NewDecoder(r.Body).Decode(&req) != nil {
		writeError(w, http.StatusBadRequest, 100, 0, "(#100) The request body must be JSON")
		return
	}
	s.mu.Lock()
	page := s.pageOfPathLocked(w, r, pageID)
	if page == nil {
		s.mu.Unlock()
		return
	}
	t := s.threadLocked(page, req.Recipient.ID)
	problem := func() (int, int, int, string) {
		now := s.opts.Now()
		switch {
		case t == nil:
			return http.StatusBadRequest, 100, 2018001, "(#100) No matching user found"
		case req.MessagingType == "MESSAGE_TAG" && slices.Contains(deadTags, req.Tag):
			return http.StatusBadRequest, 100, 0, "(#100) Param tag must be one of {HUMAN_AGENT, …}"
		case req.MessagingType != "RESPONSE" && req.MessagingType != "UPDATE" && !(req.MessagingType == "MESSAGE_TAG" && req.Tag == "HUMAN_AGENT"):
			return http.StatusBadRequest, 100, 0, "(#100) Param messaging_type is invalid"
		case (req.Message.Text == "") == (req.Message.Attachment == nil && req.Message.Attachments == nil),
			req.Message.Attachment != nil && req.Message.Attachments != nil:
			return http.StatusBadRequest, 100, 0, "(#100) Exactly one of text, attachment or attachments must be set"
		case req.Message.Attachments != nil && (t.object != "instagram" || len(req.Message.Attachments) > 10 || !allImages(req.Message.Attachments)):
			return http.StatusBadRequest, 100, 0, "(#100) attachments takes up to 10 images, on Instagram only"
		case t.object == "page" && utf8.RuneCountInString(req.Message.Text) > 2000:
			return http.StatusBadRequest, 100, 0, "(#100) Length of param message[text] must be less than or equal to 2000"
		case t.object == "instagram" && len(req.Message.Text) > 1000:
			return http.StatusBadRequest, 100, 0, "(#100) The message text is longer than 1000 bytes"
		case !s.opts.NoWindow && req.Tag != "HUMAN_AGENT" && now.Sub(t.lastCustomerAt) >= 24*time.Hour,
			!s.opts.NoWindow && now.Sub(t.lastCustomerAt) >= 7*24*time.Hour:
			sub := 2018278
			if t.object == "instagram" {
				sub = 2534022
			}
			return http.StatusBadRequest, 10, sub, "(#10) This message is sent outside of allowed window."
		}
		for _, a := range append(req.Message.Attachments, req.Message.Attachment) {
			if a != nil && a.Payload.AttachmentID != "" && s.uploads[page.ID+"/"+a.Payload.AttachmentID] == nil {
				return http.StatusBadRequest, 100, 0, "(#100) Invalid attachment_id"
			}
		}
		return 0, 0, 0, ""
	}
	if status, code, sub, msg := problem(); status != 0 {
		s.mu.Unlock()
		writeError(w, status, code, sub, msg)
		return
	}
	now := s.opts.Now()
	sm := SentMessage{MessageID: "m_" + randomHex(16), AccountID: t.account, UserID: t.user, MessagingType: req.MessagingType,
		Tag: req.Tag, Text: req.Message.Text, Metadata: req.Message.Metadata, At: now}
	atts := req.Message.Attachments
	if req.Message.Attachment != nil {
		atts = []*sendAttachment{req.Message.Attachment}
	}
	for i, a := range atts {
		b := s.uploads[page.ID+"/"+a.Payload.AttachmentID]
		if i == 0 {
			sm.AttachmentType, sm.AttachmentID = a.Type, a.Payload.AttachmentID
			if b != nil {
				sm.ContentType, sm.Attachment = b.contentType, append([]byte(nil), b.data...)
			}
		}
		sm.AttachmentCount++
	}
	s.sent = append(s.sent, sm)
	t.msgs = append(t.msgs, &storedMessage{mid: sm.MessageID, text: sm.Text, at: now})
	t.updated = now
	hook := s.echoHooks[t.object]
	var echo []byte
	if hook != "" {
		echo = s.echoBodyLocked(t, sm)
	}
	s.mu.Unlock()
	if hook != "" {
		// Meta may deliver the echo before the send call returns.
		_ = s.post(r.Context(), hook, echo)
	}
	writeJSON(w, http.StatusOK, map[string]any{"recipient_id": t.user, "message_id": sm.MessageID})
}

// handleUpload stores a multipart upload (message + filedata) and returns its attachment_id.
func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request, pageID string) {
	if err := r.ParseMultipartForm(32 << 20); err != nil {
		writeError(w, http.StatusBadRequest, 100, 0, "(#100) Upload must be multipart/form-data")
		return
	}
	var msg struct {
		Attachment struct {
			Type    string `json:"type"`
			Payload struct {
				IsReusable bool `json:"is_reusable"`
			} `json:"payload"`
		} `json:"attachment"`
	}
	f, fh, err := r.FormFile("filedata")
	if json.Unmarshal([]byte(r.FormValue("message")), &msg) != nil || err != nil {
		writeError(w, http.StatusBadRequest, 100, 0, "(#100) message and filedata are required")
		return
	}
	data, _ := io.ReadAll(f)
	f.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	page := s.pageOfPathLocked(w, r, pageID)
	if page == nil {
		return
	}
	if msg.Attachment.Type == "image" && len(data) > 8<<20 {
		writeError(w, http.StatusBadRequest, 100, 0, "(#100) The image is too large")
		return
	}
	id := strconv.FormatInt(int64(1000000000000000+len(s.uploads)+1), 10)
	s.uploads[page.ID+"/"+id] = &blob{contentType: fh.Header.Get("Content-Type"), data: data}
	writeJSON(w, http.StatusOK, map[string]any{"attachment_id": id})
}

// UploadCount returns how many attachments were uploaded (to check reuse).
func (s *Server) UploadCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.uploads)
}

// handleConversations pages the Page's threads of one platform, newest first, 25 (or limit) per
// page, with an after cursor.
func (s *Server) handleConversations(w http.ResponseWriter, r *http.Request, pageID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	page := s.pageOfPathLocked(w, r, pageID)
	if page == nil {
		return
	}
	q := r.URL.Query()
	object := "page"
	account := page.ID
	if q.Get("platform") == "instagram" {
		if page.Instagram == nil {
			writeJSON(w, http.StatusOK, map[string]any{"data": []any{}})
			return
		}
		object, account = "instagram", page.Instagram.ID
	}
	var list []*thread
	for _, t := range s.threads {
		if t.object == object && t.account == account {
			list = append(list, t)
		}
	}
	sort.Slice(list, func(i, j int) bool {
		return list[i].updated.After(list[j].updated) || list[i].updated.Equal(list[j].updated) && list[i].id < list[j].id
	})
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 || limit > 100 {
		limit = 25
	}
	start := 0
	if a := q.Get("after"); a != "" {
		b, _ := base64.RawURLEncoding.DecodeString(a)
		start, _ = strconv.Atoi(string(b))
	}
	end := min(start+limit, len(list))
	data := []map[string]any{}
	for _, t := range list[min(start, end):end] {
		data = append(data, map[string]any{"id": t.id, "updated_time": graphTime(t.updated)})
	}
	paging := map[string]any{"cursors": map[string]any{"after": base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end)))}}
	if end < len(list) {
		next := url.Values{"platform": {q.Get("platform")}, "after": {base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end)))}}
		paging["next"] = s.srv.URL + "/" + s.opts.GraphVersion + "/" + pageID + "/conversations?" + next.Encode()
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "paging": paging})
}

// handleThreadMessages returns a thread's 20 most recent messages, newest first.
func (s *Server) handleThreadMessages(w http.ResponseWriter, r *http.Request, threadID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	page := s.pageLocked(w, r)
	if page == nil {
		return
	}
	var t *thread
	for _, th := range s.threads {
		if th.id == threadID && th.page == page.ID {
			t = th
		}
	}
	if t == nil {
		writeError(w, http.StatusBadRequest, 100, 33, "Unsupported get request.")
		return
	}
	data := []map[string]any{}
	for i := len(t.msgs) - 1; i >= 0 && len(data) < 20; i-- {
		m := t.msgs[i]
		from, to := t.account, t.user
		if m.fromCustomer {
			from, to = t.user, t.account
		}
		data = append(data, map[string]any{"id": m.mid, "created_time": graphTime(m.at), "message": m.text,
			"from": map[string]any{"id": from}, "to": map[string]any{"data": []map[string]any{{"id": to}}}})
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data})
}

func graphTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05-0700") }
