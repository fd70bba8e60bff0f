package tiktoktest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// SignatureHeader is the header TikTok signs webhooks in.
const SignatureHeader = "TikTok-Signature"

// SignWebhook returns the TikTok-Signature value for body sent at time at:
// "t=<unix seconds>,s=<hex HMAC-SHA256(app secret, t + "." + body)>".
func (s *Server) SignWebhook(body []byte, at time.Time) string {
	return SignWith(s.opts.ClientSecret, body, at)
}

// SignWith is SignWebhook with another secret (to test refusals).
func SignWith(secret string, body []byte, at time.Time) string {
	t := strconv.FormatInt(at.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(t + "."))
	m.Write(body)
	return "t=" + t + ",s=" + hex.EncodeToString(m.Sum(nil))
}

// WebhookBody builds a delivery envelope as TikTok does: {client_key, event, create_time,
// user_openid, content}, with content marshalled to JSON and sent as a JSON string.
func (s *Server) WebhookBody(event string, content any) []byte {
	c, err := json.Marshal(content)
	if err != nil {
		panic("tiktoktest: WebhookBody: " + err.Error())
	}
	body, _ := json.Marshal(map[string]any{"client_key": s.opts.ClientKey, "event": event,
		"create_time": s.opts.Now().Unix(), "user_openid": s.opts.BusinessID, "content": string(c)})
	return body
}

// WebhookError is returned by PostWebhook when the receiver does not answer 200.
type WebhookError struct {
	Status int
	Body   string
}

// Error gives the status and the start of the answer.
func (e *WebhookError) Error() string {
	return fmt.Sprintf("tiktoktest: webhook answered %d: %s", e.Status, e.Body)
}

// PostWebhook signs and POSTs the delivery of event with content to webhookURL exactly as TikTok
// does (Content-Type application/json, TikTok-Signature signed now). A non-200 answer is a
// *WebhookError.
func (s *Server) PostWebhook(ctx context.Context, webhookURL, event string, content any) error {
	return s.PostRaw(ctx, webhookURL, s.WebhookBody(event, content), s.opts.Now())
}

// PostRaw signs body as sent at time at and POSTs it to webhookURL.
func (s *Server) PostRaw(ctx context.Context, webhookURL string, body []byte, at time.Time) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, webhookURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "TikTok-Webhook (tiktoktest)")
	req.Header.Set(SignatureHeader, s.SignWebhook(body, at))
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

// messageContentLocked is the webhook content of a stored message of cv (im_receive_msg /
// im_send_msg shape: type in lower case).
func (s *Server) messageContentLocked(cv *conversation, m *storedMessage, source string) map[string]any {
	from, to := s.parties(cv, m.fromCustomer)
	fromName, toName := s.opts.BusinessUsername, cv.name
	if m.fromCustomer {
		fromName, toName = cv.name, s.opts.BusinessUsername
	}
	c := map[string]any{"conversation_id": cv.id, "message_id": m.id, "timestamp": m.at.UnixMilli(),
		"from": fromName, "to": toName, "from_user": from, "to_user": to, "is_follower": cv.follower,
		"message_tag": map[string]any{"source": source}}
	switch m.typ {
	case "TEXT":
		c["type"] = "text"
		c["text"] = map[string]any{"body": m.text}
	case "IMAGE":
		c["type"] = "image"
		c["image"] = map[string]any{"media_id": m.mediaID}
	case "STICKER":
		c["type"] = "sticker"
		c["sticker"] = map[string]any{"url": m.url}
	case "EMOJI":
		c["type"] = "emoji"
		c["emoji"] = map[string]any{"url": m.url}
	}
	return c
}

// CustomerSendsSticker plays customer userID sending a sticker (kind "sticker") or an emoji
// (kind "emoji"): an image served by the emulator at a URL without token, as TikTok's {url}, delivered as im_receive_msg of that type. It returns TikTok's message id.
func (s *Server) CustomerSendsSticker(ctx context.Context, webhookURL, userID, name, kind string, data []byte, contentType string) (string, error) {
	typ := "STICKER"
	if kind == "emoji" {
		typ = "EMOJI"
	}
	s.mu.Lock()
	id := s.serveMediaLocked(contentType, data)
	u := s.srv.URL + "/cdn/" + id
	s.mu.Unlock()
	c, _ := s.customerMessage(userID, name, &storedMessage{typ: typ, url: u})
	return c["message_id"].(string), s.PostWebhook(ctx, webhookURL, "im_receive_msg", c)
}

// CustomerReacts plays customer userID reacting with emoji to the message messageID (remove takes
// the reaction back): an im_receive_msg of type "reaction" with reaction [{operation ADD|REMOVE,
// type EMOJI, emoji, original_msg_id}], which is not a new message: the
// conversation's window and reply count do not change. content/list reports the reaction on the
// original message.
func (s *Server) CustomerReacts(ctx context.Context, webhookURL, userID, messageID, emoji string, remove bool) error {
	s.mu.Lock()
	cv := s.conversationLocked(userID, "")
	if m := cv.find(messageID); m != nil {
		kept := m.reactions[:0:0]
		for _, e := range m.reactions {
			if e != emoji {
				kept = append(kept, e)
			}
		}
		if !remove {
			kept = append(kept, emoji)
		}
		m.reactions = kept
	}
	s.seq++
	op := "ADD"
	if remove {
		op = "REMOVE"
	}
	from, to := s.parties(cv, true)
	c := map[string]any{"conversation_id": cv.id, "message_id": fmt.Sprintf("tt-msg-%06d", s.seq),
		"timestamp": s.opts.Now().UnixMilli(), "type": "reaction", "from": cv.name, "to": s.opts.BusinessUsername,
		"from_user": from, "to_user": to,
		"reaction": []map[string]any{{"operation": op, "type": "EMOJI", "emoji": emoji, "original_msg_id": messageID}}}
	s.mu.Unlock()
	return s.PostWebhook(ctx, webhookURL, "im_receive_msg", c)
}

// customerMessage stores a customer message and returns its webhook content.
func (s *Server) customerMessage(userID, name string, m *storedMessage) (map[string]any, *conversation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cv := s.conversationLocked(userID, name)
	s.seq++
	m.id, m.fromCustomer, m.at = fmt.Sprintf("tt-msg-%06d", s.seq), true, s.opts.Now()
	cv.messages = append(cv.messages, m)
	cv.updated, cv.lastCustomerAt, cv.repliesSinceCustomer = m.at, m.at, 0
	return s.messageContentLocked(cv, m, "APP"), cv
}

// CustomerSays plays customer userID (display name name) writing text to the business: the
// message is stored (content/list returns it) and delivered as a signed im_receive_msg to
// webhookURL. It returns TikTok's message id.
func (s *Server) CustomerSays(ctx context.Context, webhookURL, userID, name, text string) (string, error) {
	c, _ := s.customerMessage(userID, name, &storedMessage{typ: "TEXT", text: text})
	return c["message_id"].(string), s.PostWebhook(ctx, webhookURL, "im_receive_msg", c)
}

// PrepareCustomerText stores customer userID's text message as CustomerSays does, but returns
// the im_receive_msg delivery body instead of posting it, with TikTok's message id. Post it with
// PostRaw as often and in whatever order a test needs: TikTok delivers at least once, so repeated
// and reordered deliveries are what a receiver must survive.
func (s *Server) PrepareCustomerText(userID, name, text string) (messageID string, body []byte) {
	c, _ := s.customerMessage(userID, name, &storedMessage{typ: "TEXT", text: text})
	return c["message_id"].(string), s.WebhookBody("im_receive_msg", c)
}

// CustomerSendsImage plays customer userID sending an image (its bytes and content type): the
// image is kept for media/download and delivered as im_receive_msg of type image.
func (s *Server) CustomerSendsImage(ctx context.Context, webhookURL, userID, name string, data []byte, contentType string) (string, error) {
	s.mu.Lock()
	mediaID := s.serveMediaLocked(contentType, data)
	s.mu.Unlock()
	c, _ := s.customerMessage(userID, name, &storedMessage{typ: "IMAGE", mediaID: mediaID})
	return c["message_id"].(string), s.PostWebhook(ctx, webhookURL, "im_receive_msg", c)
}

// CustomerSaysEU plays an EEA/UK/CH customer: the message is stored, but the webhook is the
// stripped im_receive_msg_eu (receiver and timestamp only), so the inbox must fetch it.
func (s *Server) CustomerSaysEU(ctx context.Context, webhookURL, userID, name, text string) (string, error) {
	c, _ := s.customerMessage(userID, name, &storedMessage{typ: "TEXT", text: text})
	eu := map[string]any{"to": s.opts.BusinessUsername, "to_user": map[string]any{"id": s.opts.BusinessID, "role": "business_account"},
		"timestamp": c["timestamp"]}
	return c["message_id"].(string), s.PostWebhook(ctx, webhookURL, "im_receive_msg_eu", eu)
}

// CustomerReads plays customer userID reading the conversation now (im_mark_read_msg).
func (s *Server) CustomerReads(ctx context.Context, webhookURL, userID string) error {
	s.mu.Lock()
	cv := s.conversationLocked(userID, "")
	now := s.opts.Now().UnixMilli()
	c := map[string]any{"conversation_id": cv.id, "timestamp": now, "from": cv.name, "to": s.opts.BusinessUsername,
		"from_user": map[string]any{"id": cv.userID, "role": "personal_account"},
		"to_user":   map[string]any{"id": s.opts.BusinessID, "role": "business_account"},
		"read":      map[string]any{"last_read_timestamp": now}}
	s.mu.Unlock()
	return s.PostWebhook(ctx, webhookURL, "im_mark_read_msg", c)
}

// CustomerArrivesFromAd plays customer userID opening the chat from a Click-to-Message ad
// (im_referral_msg with referral.ad).
func (s *Server) CustomerArrivesFromAd(ctx context.Context, webhookURL, userID, name, adID, adName string) error {
	s.mu.Lock()
	cv := s.conversationLocked(userID, name)
	c := map[string]any{"conversation_id": cv.id, "timestamp": s.opts.Now().UnixMilli(), "from": cv.name,
		"from_user": map[string]any{"id": cv.userID, "role": "personal_account"},
		"referral":  map[string]any{"source": "ad", "ad": map[string]any{"ad_id": adID, "ad_name": adName}}}
	s.mu.Unlock()
	return s.PostWebhook(ctx, webhookURL, "im_referral_msg", c)
}

// BusinessSaysInApp plays someone of the business answering userID from the TikTok app: the
// message is stored and delivered as im_send_msg (message_tag.source APP).
func (s *Server) BusinessSaysInApp(ctx context.Context, webhookURL, userID, text string) (string, error) {
	s.mu.Lock()
	cv := s.conversationLocked(userID, "")
	s.seq++
	m := &storedMessage{id: fmt.Sprintf("tt-msg-%06d", s.seq), typ: "TEXT", text: text, at: s.opts.Now()}
	cv.messages = append(cv.messages, m)
	cv.single, cv.updated = true, m.at
	c := s.messageContentLocked(cv, m, "APP")
	s.mu.Unlock()
	return m.id, s.PostWebhook(ctx, webhookURL, "im_send_msg", c)
}
