package zalooa

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/dakenh/dakenh/omnichannel"
)

// Open API paths for sending.
const (
	sendPath          = "/v3.0/oa/message/cs"
	anonymousSendPath = "/v2.0/oa/message"
	uploadImagePath   = "/v2.0/oa/upload/image"
	uploadGIFPath     = "/v2.0/oa/upload/gif"
	uploadFilePath    = "/v2.0/oa/upload/file"
)

// csRequest is the body of POST /v3.0/oa/message/cs (a customer-service message), and of POST
// /v2.0/oa/message for anonymous customers.
type csRequest struct {
	Recipient recipient `json:"recipient"`
	Message   csMessage `json:"message"`
}

// recipient addresses a customer: user_id, or anonymous_id with conversation_id.
type recipient struct {
	UserID         string `json:"user_id,omitempty"`
	AnonymousID    string `json:"anonymous_id,omitempty"`
	ConversationID string `json:"conversation_id,omitempty"`
}

// recipientOf addresses userID; an anonymous customer needs conversationID (omnichannel.Identity
// keeps it from their messages), and without it the send is refused with
// omnichannel.ErrNoReplyRoute before any network call.
func recipientOf(userID string, anonymous bool, conversationID string) (recipient, error) {
	if !anonymous {
		return recipient{UserID: userID}, nil
	}
	if conversationID == "" {
		return recipient{}, fmt.Errorf("zalooa: %w: an anonymous user is answered with their conversation id, which is not known",
			omnichannel.ErrNoReplyRoute)
	}
	return recipient{AnonymousID: userID, ConversationID: conversationID}, nil
}

type csMessage struct {
	Text           string        `json:"text,omitempty"`
	QuoteMessageID string        `json:"quote_message_id,omitempty"`
	Attachment     *csAttachment `json:"attachment,omitempty"`
}

type csAttachment struct {
	Type    string    `json:"type"`
	Payload csPayload `json:"payload"`
}

type csPayload struct {
	TemplateType string      `json:"template_type,omitempty"`
	Elements     []csElement `json:"elements,omitempty"`
	Token        string      `json:"token,omitempty"`
}

type csElement struct {
	MediaType    string `json:"media_type,omitempty"`
	AttachmentID string `json:"attachment_id,omitempty"`
	URL          string `json:"url,omitempty"`
	// Width and Height are required with media_type "gif".
	Width  int `json:"width,omitempty"`
	Height int `json:"height,omitempty"`
	// Title, Subtitle and ImageURL are the request_user_info card's.
	Title    string `json:"title,omitempty"`
	Subtitle string `json:"subtitle,omitempty"`
	ImageURL string `json:"image_url,omitempty"`
}

// Send sends msg to the customer as a customer-service message, POST
// {APIBaseURL}/v3.0/oa/message/cs with the access_token header and the JSON body
// {"recipient":{"user_id"},"message":{"text","quote_message_id","attachment"}}. An anonymous
// customer (msg.RecipientAnonymous) is answered through POST /v2.0/oa/message with
// "recipient":{"anonymous_id","conversation_id"}; without the conversation id the
// send is refused with omnichannel.ErrNoReplyRoute before any network call.
//
//   - text up to MaxTextLength characters; a longer text is refused (never split);
//   - an image is uploaded first (/v2.0/oa/upload/image, or /upload/gif for GIFs) and sent by its
//     attachment_id as a "media" template, with the text as caption; a GIF element carries its
//     width and height, read from the file (500×280 when unreadable, the SDK's default);
//   - msg.InfoRequest sends the request_user_info card (Config.InfoRequestTitle, …) instead;
//   - a PDF/DOC/DOCX file is uploaded (/v2.0/oa/upload/file) and sent by its token; Zalo's file
//     message has no caption, so a file with text is refused;
//   - QuoteProviderMessageID becomes quote_message_id.
//
// Requests Zalo would refuse are returned as *omnichannel.ValidationError without any network
// call. Provider refusals are *omnichannel.ProviderError (error ≠ 0 in an HTTP 200, or an HTTP
// error): -216/-220 wrap ErrTokenExpired (the engine refreshes and retries once); -230/-232 wrap
// ErrOutsideWindow and -213 is final, both with a message an agent understands; -32, 429 and 5xx
// are retryable (ErrRateLimited for throttling); every other code is final with Zalo's code and
// text. Network failures are plain errors. No error contains the access token.
func (c *Channel) Send(ctx context.Context, conn *omnichannel.Connection, msg *omnichannel.OutboundMessage) (omnichannel.SendResult, error) {
	token, err := accessToken(conn)
	if err != nil {
		return omnichannel.SendResult{}, err
	}
	if err := c.validate(msg); err != nil {
		return omnichannel.SendResult{}, err
	}
	if err := ctx.Err(); err != nil {
		return omnichannel.SendResult{}, fmt.Errorf("zalooa: send: %w", err)
	}
	to, err := recipientOf(msg.RecipientID, msg.RecipientAnonymous, msg.RecipientConversationID)
	if err != nil {
		return omnichannel.SendResult{}, err
	}
	body := csRequest{Recipient: to, Message: csMessage{Text: msg.Text, QuoteMessageID: msg.QuoteProviderMessageID}}
	if msg.InfoRequest {
		body.Message = csMessage{Attachment: c.infoRequestCard(msg.ConnectionAvatarURL)}
	}
	for _, a := range msg.Attachments {
		att, err := c.uploadAttachment(ctx, token, a)
		if err != nil {
			return omnichannel.SendResult{}, err
		}
		body.Message.Attachment = att
	}
	return c.sendCS(ctx, token, &body)
}

// infoRequestCard is the request_user_info template: a card asking the customer to share name,
// phone and address (answered by user_submit_info). Its image is Config.InfoRequestImageURL, or
// the OA's avatar.
func (c *Channel) infoRequestCard(avatarURL string) *csAttachment {
	img := c.cfg.InfoRequestImageURL
	if img == "" {
		img = avatarURL
	}
	return &csAttachment{Type: "template", Payload: csPayload{TemplateType: "request_user_info",
		Elements: []csElement{{Title: c.cfg.InfoRequestTitle, Subtitle: c.cfg.InfoRequestSubtitle, ImageURL: img}}}}
}

// SendImageURL sends the image at imageURL (a public http(s) URL Zalo fetches itself) to
// recipientID, with an optional caption, as a "media" template. It is for hosts whose images are
// already public; Send uploads instead. Errors are classified like Send's.
func (c *Channel) SendImageURL(ctx context.Context, conn *omnichannel.Connection, recipientID, imageURL, caption string) (omnichannel.SendResult, error) {
	token, err := accessToken(conn)
	if err != nil {
		return omnichannel.SendResult{}, err
	}
	var problems []string
	if recipientID == "" {
		problems = append(problems, "zalooa: recipient is required")
	}
	if !strings.HasPrefix(imageURL, "https://") && !strings.HasPrefix(imageURL, "http://") {
		problems = append(problems, "zalooa: the image URL must be an absolute http(s) URL")
	}
	if n := utf8.RuneCountInString(caption); n > MaxTextLength {
		problems = append(problems, fmt.Sprintf("zalooa: the caption has %d characters; Zalo takes at most %d", n, MaxTextLength))
	}
	if len(problems) > 0 {
		return omnichannel.SendResult{}, &omnichannel.ValidationError{Problems: problems}
	}
	body := csRequest{Recipient: recipient{UserID: recipientID},
		Message: csMessage{Text: caption, Attachment: mediaTemplate(csElement{MediaType: "image", URL: imageURL})}}
	return c.sendCS(ctx, token, &body)
}

func (c *Channel) sendCS(ctx context.Context, token string, body *csRequest) (omnichannel.SendResult, error) {
	raw, err := marshal(body)
	if err != nil {
		return omnichannel.SendResult{}, err
	}
	path := sendPath
	if body.Recipient.AnonymousID != "" {
		path = anonymousSendPath
	}
	data, err := c.apiCall(ctx, request{method: http.MethodPost, url: c.apiBase + path, op: "send", token: token, jsonBody: raw})
	if err != nil {
		return omnichannel.SendResult{}, err
	}
	var out struct {
		MessageID flexString `json:"message_id"`
	}
	if err := json.Unmarshal(data, &out); err != nil || out.MessageID == "" {
		pe := badResponse("send", http.StatusOK)
		pe.Message = "Zalo accepted the message but returned no message id"
		return omnichannel.SendResult{}, pe
	}
	return omnichannel.SendResult{ProviderMessageID: string(out.MessageID), Status: omnichannel.MessageSent}, nil
}

func mediaTemplate(el csElement) *csAttachment {
	return &csAttachment{Type: "template", Payload: csPayload{TemplateType: "media", Elements: []csElement{el}}}
}

// marshal encodes v as JSON without escaping <, > and & (customer text is sent as typed).
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("zalooa: encoding the request: %w", err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// validate refuses what Zalo would refuse, before any network call.
func (c *Channel) validate(msg *omnichannel.OutboundMessage) error {
	if msg == nil {
		return &omnichannel.ValidationError{Problems: []string{"zalooa: nil message"}}
	}
	var problems []string
	unsupported := false
	if msg.RecipientID == "" {
		problems = append(problems, "recipient is required")
	}
	if msg.InfoRequest && (msg.Text != "" || len(msg.Attachments) > 0) {
		problems = append(problems, "an information request carries no text or attachment")
	}
	if strings.TrimSpace(msg.Text) == "" && len(msg.Attachments) == 0 && !msg.InfoRequest {
		problems = append(problems, "a message needs text or an attachment")
	}
	if !utf8.ValidString(msg.Text) {
		problems = append(problems, "the text is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(msg.Text); n > MaxTextLength {
		unsupported = true
		problems = append(problems, fmt.Sprintf("the text has %d characters; Zalo takes at most %d per message (shorten it or send it in parts)", n, MaxTextLength))
	}
	if len(msg.Attachments) > 1 {
		unsupported = true
		problems = append(problems, fmt.Sprintf("%d attachments; Zalo takes one per message", len(msg.Attachments)))
	}
	caps := c.Capabilities()
	for _, a := range msg.Attachments {
		var types []string
		var limit int64
		switch a.Kind {
		case omnichannel.MessageImage:
			types, limit = caps.ImageTypes, caps.MaxImageBytes
		case omnichannel.MessageFile:
			types, limit = caps.FileTypes, caps.MaxFileBytes
			if strings.TrimSpace(msg.Text) != "" {
				unsupported = true
				problems = append(problems, "Zalo cannot send text with a file; send the text as its own message")
			}
		default:
			unsupported = true
			problems = append(problems, fmt.Sprintf("Zalo OA cannot send %q attachments", a.Kind))
			continue
		}
		if !containsFold(types, a.ContentType) {
			unsupported = true
			problems = append(problems, fmt.Sprintf("Zalo does not take %s %q files (allowed: %s)", a.Kind, a.ContentType, strings.Join(types, ", ")))
		}
		if a.Size > limit {
			unsupported = true
			problems = append(problems, fmt.Sprintf("the %s is %d bytes; Zalo takes at most %d", a.Kind, a.Size, limit))
		}
		if a.Open == nil {
			problems = append(problems, "the attachment has no content")
		}
	}
	if len(problems) == 0 {
		return nil
	}
	for i, p := range problems {
		problems[i] = "zalooa: " + p
	}
	return &omnichannel.ValidationError{Problems: problems, Unsupported: unsupported}
}

// accessToken returns conn's access token, or an error asking for a reconnect.
func accessToken(conn *omnichannel.Connection) (string, error) {
	if conn == nil || conn.Credentials.AccessToken == "" {
		return "", &omnichannel.ProviderError{Provider: Kind, Code: "no_token", Reason: omnichannel.FailureTokenMissing,
			Message: "the connection has no access token; an OA admin must reconnect it", Class: omnichannel.ErrNeedsReconnect}
	}
	return conn.Credentials.AccessToken, nil
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
