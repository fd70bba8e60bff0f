package metatest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// Customer is a person writing to the business, with what the profile APIs return.
type Customer struct {
	// Name is the display name; Username the Instagram handle.
	Name, Username string
	// Picture is served as profile_pic (empty: none).
	Picture []byte
	// NoProfile answers profile reads with 2018218 (a phone-only account); NoConsent with
	// Instagram's "User consent is required".
	NoProfile, NoConsent bool
}

// SetCustomer sets what the profile APIs say about user id.
func (s *Server) SetCustomer(id string, c Customer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := c
	s.customers[id] = &cp
	if len(c.Picture) > 0 {
		s.media["pic-"+id] = &blob{contentType: http.DetectContentType(c.Picture), data: c.Picture}
	}
}

// Entry is one entry of a delivery: the Page or Instagram account id and its items.
type Entry struct {
	ID        string
	Time      time.Time
	Messaging []map[string]any
	Standby   []map[string]any
}

// Body builds a delivery of object ("page" or "instagram") serialized as Meta does: non-ASCII as
// lowercase \uXXXX, "/" as "\/".
func (s *Server) Body(object string, entries ...Entry) []byte {
	list := make([]map[string]any, 0, len(entries))
	for _, e := range entries {
		m := map[string]any{"id": e.ID, "time": e.Time.UnixMilli()}
		if e.Messaging != nil {
			m["messaging"] = e.Messaging
		}
		if e.Standby != nil {
			m["standby"] = e.Standby
		}
		list = append(list, m)
	}
	return MetaJSON(map[string]any{"object": object, "entry": list})
}

// MetaJSON marshals v the way Meta writes webhook bodies: non-ASCII escaped as lowercase \uXXXX
// (UTF-16 surrogate pairs beyond the BMP) and "/" as "\/".
func MetaJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic("metatest: MetaJSON: " + err.Error())
	}
	src := bytes.TrimRight(buf.Bytes(), "\n")
	var out bytes.Buffer
	for _, r := range string(src) {
		switch {
		case r == '/':
			out.WriteString(`\/`)
		case r < 0x80:
			out.WriteRune(r)
		case r > 0xFFFF:
			a, b := utf16.EncodeRune(r)
			fmt.Fprintf(&out, `\u%04x\u%04x`, a, b)
		default:
			fmt.Fprintf(&out, `\u%04x`, r)
		}
	}
	return out.Bytes()
}

// Sign returns the X-Hub-Signature-256 value of body: "sha256=" + hex HMAC-SHA256(app secret).
func (s *Server) Sign(body []byte) string { return SignWith(s.opts.AppSecret, body) }

// SignWith is Sign with another secret (to test refusals).
func SignWith(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func signSHA1(secret string, body []byte) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write(body)
	return "sha1=" + hex.EncodeToString(m.Sum(nil))
}

// WebhookError is returned when the receiver does not answer 200.
type WebhookError struct {
	Status int
	Body   string
}

// Error gives the status and the start of the answer.
func (e *WebhookError) Error() string {
	return fmt.Sprintf("metatest: webhook answered %d: %s", e.Status, e.Body)
}

// PostRaw signs body (both headers) and POSTs it to webhookURL as Meta does.
func (s *Server) PostRaw(ctx context.Context, webhookURL string, body []byte) error {
	s.mu.Lock()
	s.last = append([]byte(nil), body...)
	s.mu.Unlock()
	return s.post(ctx, webhookURL, body)
}

func (s *Server) post(ctx context.Context, webhookURL string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, webhookURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "facebookexternalua")
	req.Header.Set("X-Hub-Signature-256", s.Sign(body))
	req.Header.Set("X-Hub-Signature", signSHA1(s.opts.AppSecret, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return &WebhookError{Status: resp.StatusCode, Body: string(answer)}
	}
	return nil
}

// Redeliver posts the last delivery again, byte for byte (Meta retries).
func (s *Server) Redeliver(ctx context.Context, webhookURL string) error {
	s.mu.Lock()
	body := append([]byte(nil), s.last...)
	s.mu.Unlock()
	return s.post(ctx, webhookURL, body)
}

// Post builds, signs and posts a delivery.
func (s *Server) Post(ctx context.Context, webhookURL, object string, entries ...Entry) error {
	return s.PostRaw(ctx, webhookURL, s.Body(object, entries...))
}

// stamp writes t as Options.Timestamps says.
func (s *Server) stamp(t time.Time) any {
	switch s.opts.Timestamps {
	case "seconds":
		return t.Unix()
	case "string":
		return strconv.FormatInt(t.Unix(), 10)
	}
	return t.UnixMilli()
}

// objectOf returns the webhook object of accountID and its Page, or "" when unknown.
func (s *Server) objectOf(accountID string) (object string, page *Page) {
	for i := range s.opts.Pages {
		p := &s.opts.Pages[i]
		if p.ID == accountID {
			return "page", p
		}
		if p.Instagram != nil && p.Instagram.ID == accountID {
			return "instagram", p
		}
	}
	return "", nil
}

// threadForLocked returns (creating) the thread of user with accountID.
func (s *Server) threadForLocked(accountID, user string) (*thread, error) {
	object, page := s.objectOf(accountID)
	if page == nil {
		return nil, fmt.Errorf("metatest: unknown account %q", accountID)
	}
	k := threadKey{accountID, user}
	t := s.threads[k]
	if t == nil {
		s.seq++
		prefix := "t_"
		if object == "instagram" {
			prefix = "aWdf"
		}
		t = &thread{id: prefix + strconv.Itoa(100000+s.seq), object: object, account: accountID, page: page.ID, user: user}
		s.threads[k] = t
	}
	return t, nil
}

// CustomerMessage plays user (named name) sending message (a Send-API-like "message" object:
// text, attachments, reply_to, quick_reply, referral, …) to accountID: the message is stored,
// given a mid, and posted as one delivery. It returns the mid.
func (s *Server) CustomerMessage(ctx context.Context, webhookURL, accountID, user, name string, message map[string]any) (string, error) {
	s.mu.Lock()
	t, err := s.threadForLocked(accountID, user)
	if err != nil {
		s.mu.Unlock()
		return "", err
	}
	if s.customers[user] == nil {
		s.customers[user] = &Customer{Name: name}
	}
	now := s.opts.Now()
	mid := "m_" + randomHex(18)
	if t.object == "instagram" {
		mid = "aWdfZAG1fa" + randomHex(18)
	}
	msg := map[string]any{"mid": mid}
	for k, v := range message {
		msg[k] = v
	}
	text, _ := msg["text"].(string)
	t.msgs = append(t.msgs, &storedMessage{mid: mid, fromCustomer: true, text: text, at: now})
	t.lastCustomerAt, t.updated = now, now
	body := s.Body(t.object, Entry{ID: accountID, Time: now, Messaging: []map[string]any{{
		"sender": map[string]any{"id": user}, "recipient": map[string]any{"id": accountID}, "timestamp": s.stamp(now), "message": msg}}})
	s.mu.Unlock()
	return mid, s.PostRaw(ctx, webhookURL, body)
}

// CustomerSays plays user writing text to accountID (a Page id or an Instagram id).
func (s *Server) CustomerSays(ctx context.Context, webhookURL, accountID, user, name, text string) (string, error) {
	return s.CustomerMessage(ctx, webhookURL, accountID, user, name, map[string]any{"text": text})
}

// CustomerSendsFile plays user sending a file: its bytes are served on the emulator's CDN and the
// message carries the URL (type image, video, audio or file from contentType).
func (s *Server) CustomerSendsFile(ctx context.Context, webhookURL, accountID, user, name string, data []byte, contentType string) (string, error) {
	typ := "file"
	for _, t := range []string{"image", "video", "audio"} {
		if strings.HasPrefix(contentType, t+"/") {
			typ = t
		}
	}
	return s.CustomerMessage(ctx, webhookURL, accountID, user, name, map[string]any{
		"attachments": []map[string]any{{"type": typ, "payload": map[string]any{"url": s.serve(data, contentType)}}}})
}

// CustomerSendsSticker plays user sending a sticker the way Meta does during the dual period:
// a sticker attachment and its image twin, both with sticker_id.
func (s *Server) CustomerSendsSticker(ctx context.Context, webhookURL, accountID, user, name string, png []byte) (string, error) {
	u := s.serve(png, "image/png")
	return s.CustomerMessage(ctx, webhookURL, accountID, user, name, map[string]any{"attachments": []map[string]any{
		{"type": "image", "payload": map[string]any{"url": u, "sticker_id": json.Number("369239263222822")}},
		{"type": "sticker", "payload": map[string]any{"url": u, "sticker_id": json.Number("369239263222822")}}}})
}

// serve puts data on the CDN and returns its signed-looking URL.
func (s *Server) serve(data []byte, contentType string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := "asset-" + randomHex(8)
	s.media[id] = &blob{contentType: contentType, data: append([]byte(nil), data...)}
	return s.srv.URL + "/cdn/" + id + "?oh=" + randomHex(8) + "&oe=" + strconv.FormatInt(s.opts.Now().Add(72*time.Hour).Unix(), 16)
}

// CustomerReacts plays user reacting with emoji to mid ("" emoji: unreact).
func (s *Server) CustomerReacts(ctx context.Context, webhookURL, accountID, user, mid, emoji string) error {
	object, _ := s.objectOf(accountID)
	r := map[string]any{"mid": mid, "action": "react", "reaction": "love", "emoji": emoji}
	if emoji == "" {
		r = map[string]any{"mid": mid, "action": "unreact"}
	}
	now := s.opts.Now()
	return s.Post(ctx, webhookURL, object, Entry{ID: accountID, Time: now, Messaging: []map[string]any{{
		"sender": map[string]any{"id": user}, "recipient": map[string]any{"id": accountID}, "timestamp": s.stamp(now), "reaction": r}}})
}

// CustomerReads plays user opening the thread: Messenger posts a read watermark (now), Instagram
// messaging_seen with the mid of the business's last message.
func (s *Server) CustomerReads(ctx context.Context, webhookURL, accountID, user string) error {
	s.mu.Lock()
	t := s.threads[threadKey{accountID, user}]
	if t == nil {
		s.mu.Unlock()
		return nil
	}
	now := s.opts.Now()
	read := map[string]any{"watermark": now.UnixMilli()}
	if t.object == "instagram" {
		read = nil
		for i := len(t.msgs) - 1; i >= 0; i-- {
			if !t.msgs[i].fromCustomer {
				read = map[string]any{"mid": t.msgs[i].mid}
				break
			}
		}
	}
	object := t.object
	s.mu.Unlock()
	if read == nil {
		return nil
	}
	return s.Post(ctx, webhookURL, object, Entry{ID: accountID, Time: now, Messaging: []map[string]any{{
		"sender": map[string]any{"id": user}, "recipient": map[string]any{"id": accountID}, "timestamp": s.stamp(now), "read": read}}})
}

// Delivered posts a Messenger delivery (watermark now, with the mids of the business's messages
// since the customer last wrote). Instagram has no delivery event: nothing is posted.
func (s *Server) Delivered(ctx context.Context, webhookURL, accountID, user string) error {
	s.mu.Lock()
	t := s.threads[threadKey{accountID, user}]
	if t == nil || t.object != "page" {
		s.mu.Unlock()
		return nil
	}
	var mids []string
	for i := len(t.msgs) - 1; i >= 0 && !t.msgs[i].fromCustomer; i-- {
		mids = append(mids, t.msgs[i].mid)
	}
	now := s.opts.Now()
	s.mu.Unlock()
	d := map[string]any{"watermark": now.UnixMilli()}
	if len(mids) > 0 {
		d["mids"] = mids
	}
	return s.Post(ctx, webhookURL, "page", Entry{ID: accountID, Time: now, Messaging: []map[string]any{{
		"sender": map[string]any{"id": user}, "recipient": map[string]any{"id": accountID}, "timestamp": s.stamp(now), "delivery": d}}})
}

// PageInboxReplies plays a person answering in Meta's own inbox: the reply is stored and its echo
// posted with the inbox's app_id (not this app's). It returns the mid.
func (s *Server) PageInboxReplies(ctx context.Context, webhookURL, accountID, user, text string) (string, error) {
	s.mu.Lock()
	t, err := s.threadForLocked(accountID, user)
	if err != nil {
		s.mu.Unlock()
		return "", err
	}
	appID := "263902037430900"
	if t.object == "instagram" {
		appID = "1217981644879628"
	}
	sm := SentMessage{MessageID: "m_" + randomHex(16), AccountID: accountID, UserID: user, Text: text, At: s.opts.Now()}
	t.msgs = append(t.msgs, &storedMessage{mid: sm.MessageID, text: text, at: sm.At})
	body := s.echoWithAppLocked(t, sm, appID)
	s.mu.Unlock()
	return sm.MessageID, s.PostRaw(ctx, webhookURL, body)
}

// echoBodyLocked is the echo of an API send (this app's app_id, metadata returned).
func (s *Server) echoBodyLocked(t *thread, sm SentMessage) []byte {
	return s.echoWithAppLocked(t, sm, s.opts.AppID)
}

func (s *Server) echoWithAppLocked(t *thread, sm SentMessage, appID string) []byte {
	msg := map[string]any{"is_echo": true, "app_id": json.Number(appID), "mid": sm.MessageID}
	if sm.Text != "" {
		msg["text"] = sm.Text
	}
	if sm.Metadata != "" {
		msg["metadata"] = sm.Metadata
	}
	if sm.AttachmentType != "" {
		msg["attachments"] = []map[string]any{{"type": sm.AttachmentType, "payload": map[string]any{"url": s.srv.URL + "/cdn/sent-" + sm.MessageID}}}
	}
	return s.Body(t.object, Entry{ID: t.account, Time: sm.At, Messaging: []map[string]any{{
		"sender": map[string]any{"id": t.account}, "recipient": map[string]any{"id": t.user}, "timestamp": s.stamp(sm.At), "message": msg}}})
}

// HistoryMessage is an earlier message for SeedHistory.
type HistoryMessage struct {
	FromCustomer bool
	Text         string
	At           time.Time
}

// SeedHistory stores an earlier conversation of user with accountID without any webhook (what the
// Conversations API returns) and returns the mids, oldest first.
func (s *Server) SeedHistory(accountID, user, name string, msgs []HistoryMessage) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.threadForLocked(accountID, user)
	if err != nil {
		return nil, err
	}
	if s.customers[user] == nil {
		s.customers[user] = &Customer{Name: name}
	}
	var mids []string
	for _, m := range msgs {
		mid := "m_h" + randomHex(16)
		t.msgs = append(t.msgs, &storedMessage{mid: mid, fromCustomer: m.FromCustomer, text: m.Text, at: m.At})
		if m.FromCustomer && m.At.After(t.lastCustomerAt) {
			t.lastCustomerAt = m.At
		}
		if m.At.After(t.updated) {
			t.updated = m.At
		}
		mids = append(mids, mid)
	}
	return mids, nil
}

// DashboardTest returns a delivery like the App Dashboard's "Test" button: entry.id "0" and a
// changes[] item, to be ignored.
func (s *Server) DashboardTest(object string) []byte {
	return MetaJSON(map[string]any{"object": object, "entry": []map[string]any{{"id": "0", "time": s.opts.Now().Unix(),
		"changes": []map[string]any{{"field": "messages", "value": map[string]any{"sender": map[string]any{"id": "12334"},
			"recipient": map[string]any{"id": "23245"}, "timestamp": "1527459824", "message": map[string]any{"mid": "random_mid", "text": "random_text"}}}}}}})
}
