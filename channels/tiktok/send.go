package tiktok

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/dakenh/dakenh/omnichannel"
)

// sendBody is the JSON of /business/message/send/ (documented by the provider).
type sendBody struct {
	BusinessID            string         `json:"business_id"`
	RecipientType         string         `json:"recipient_type"`
	Recipient             string         `json:"recipient"`
	MessageType           string         `json:"message_type"`
	Text                  *sendText      `json:"text,omitempty"`
	Image                 *sendImage     `json:"image,omitempty"`
	ReferencedMessageInfo *sendReference `json:"referenced_message_info,omitempty"`
}

type sendText struct {
	Body string `json:"body"`
}

type sendImage struct {
	MediaID string `json:"media_id"`
}

type sendReference struct {
	ReferencedMessageID string `json:"referenced_message_id"`
}

// Send delivers msg to the TikTok conversation msg.RecipientID (the customer's identity on a
// TikTok connection is the conversation id) and returns TikTok's message id.
//
// A text goes out as message_type TEXT (quoting QuoteProviderMessageID when set). An image goes
// through capabilities/get (IMAGE_SEND must be allowed for this conversation's country pair;
// asked as a STRANGER conversation for msg.FirstReply, SINGLE otherwise),
// media/upload (multipart, JPG/PNG ≤ 3 MB), then message_type IMAGE. TikTok sends text XOR an
// image and no files: such requests, and anything over the limits, return an
// *omnichannel.ValidationError (matching ErrUnsupported) before any network call.
//
// Failures are *omnichannel.ProviderError values: code 40100 → ErrRateLimited (retryable); token
// codes 40102/40104/40105 or HTTP 401 → ErrTokenExpired (the engine refreshes and retries once);
// 40064 → ErrOutsideWindow (final, readable: window closed, quota used, or DM rules); 5xx and codes
// ≥ 50000 → retryable; others final with TikTok's message. A code-0 answer without a message id
// is final (the message may have gone out; it must not be repeated). No error carries a token.
func (c *Channel) Send(ctx context.Context, conn *omnichannel.Connection, msg *omnichannel.OutboundMessage) (omnichannel.SendResult, error) {
	token, err := accessToken(conn)
	if err != nil {
		return omnichannel.SendResult{}, err
	}
	if err := c.checkOutbound(msg); err != nil {
		return omnichannel.SendResult{}, err
	}
	body := sendBody{BusinessID: conn.ExternalID, RecipientType: "CONVERSATION", Recipient: msg.RecipientID}
	if len(msg.Attachments) == 1 {
		mediaID, err := c.uploadImage(ctx, conn.ExternalID, token, msg.RecipientID, msg.FirstReply, msg.Attachments[0])
		if err != nil {
			return omnichannel.SendResult{}, err
		}
		body.MessageType, body.Image = "IMAGE", &sendImage{MediaID: mediaID}
	} else {
		body.MessageType, body.Text = "TEXT", &sendText{Body: msg.Text}
		if msg.QuoteProviderMessageID != "" {
			body.ReferencedMessageInfo = &sendReference{ReferencedMessageID: msg.QuoteProviderMessageID}
		}
	}
	data, err := c.call(ctx, apiRequest{method: http.MethodPost, path: "/business/message/send/", token: token, json: body})
	if err != nil {
		return omnichannel.SendResult{}, err
	}
	var out struct {
		Message struct {
			MessageID string `json:"message_id"`
		} `json:"message"`
	}
	if err := json.Unmarshal(data, &out); err != nil || out.Message.MessageID == "" {
		return omnichannel.SendResult{}, &omnichannel.ProviderError{Provider: Kind, Code: "bad_response",
			Message: "TikTok accepted the message but returned no message id"}
	}
	return omnichannel.SendResult{ProviderMessageID: out.Message.MessageID, Status: omnichannel.MessageSent}, nil
}

// checkOutbound refuses, without a network call, what TikTok would refuse.
func (c *Channel) checkOutbound(msg *omnichannel.OutboundMessage) error {
	if msg == nil {
		return &omnichannel.ValidationError{Problems: []string{"tiktok: nil message"}}
	}
	var problems []string
	unsupported := false
	if msg.RecipientID == "" {
		problems = append(problems, "tiktok: the conversation id (recipient) is required")
	}
	if strings.TrimSpace(msg.Text) == "" && len(msg.Attachments) == 0 {
		problems = append(problems, "tiktok: a message needs text or an image")
	}
	if n := utf8.RuneCountInString(msg.Text); n > MaxTextLength {
		problems = append(problems, fmt.Sprintf("tiktok: the text has %d characters; TikTok takes at most %d", n, MaxTextLength))
		unsupported = true
	}
	if len(msg.Attachments) > 1 {
		problems = append(problems, "tiktok: TikTok sends one image per message")
		unsupported = true
	}
	if len(msg.Attachments) > 0 && strings.TrimSpace(msg.Text) != "" {
		problems = append(problems, "tiktok: TikTok sends text or an image, not both in one message; send them separately")
		unsupported = true
	}
	for _, a := range msg.Attachments {
		switch {
		case a.Kind != omnichannel.MessageImage:
			problems = append(problems, fmt.Sprintf("tiktok: TikTok cannot send %s attachments (only JPG or PNG images)", safeWord(string(a.Kind))))
			unsupported = true
		case !containsFold([]string{"image/jpeg", "image/png"}, a.ContentType):
			problems = append(problems, "tiktok: TikTok accepts JPG or PNG images only")
			unsupported = true
		case a.Size > MaxImageBytes:
			problems = append(problems, fmt.Sprintf("tiktok: the image is %d bytes; TikTok accepts at most %d", a.Size, MaxImageBytes))
			unsupported = true
		case a.Open == nil:
			problems = append(problems, "tiktok: the attachment has no content")
		}
	}
	if len(problems) > 0 {
		return &omnichannel.ValidationError{Problems: problems, Unsupported: unsupported}
	}
	return nil
}

// uploadImage checks IMAGE_SEND for the conversation, then uploads the image and returns its
// media_id.
func (c *Channel) uploadImage(ctx context.Context, businessID, token, conversationID string, firstReply bool, a omnichannel.OutboundAttachment) (string, error) {
	allowed, err := c.imageAllowed(ctx, businessID, token, conversationID, firstReply)
	if err != nil {
		return "", err
	}
	if !allowed {
		return "", &omnichannel.ProviderError{Provider: Kind, Code: "image_not_allowed", Class: omnichannel.ErrUnsupported,
			Message: "TikTok does not allow images in this conversation (image exchange is limited for some countries); send text instead"}
	}
	rc, err := a.Open(ctx)
	if err != nil {
		return "", fmt.Errorf("tiktok: opening the image: %w", err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, MaxImageBytes+1))
	if err != nil {
		return "", fmt.Errorf("tiktok: reading the image: %w", err)
	}
	if len(data) > MaxImageBytes {
		return "", &omnichannel.ValidationError{Unsupported: true,
			Problems: []string{fmt.Sprintf("tiktok: the image is larger than %d bytes", MaxImageBytes)}}
	}
	name := a.Name
	if name == "" {
		name = "image"
	}
	out, err := c.call(ctx, apiRequest{method: http.MethodPost, path: "/business/message/media/upload/", token: token,
		form: map[string]string{"business_id": businessID, "media_type": mediaTypeImage},
		file: &multipartFile{field: "file", name: name, contentType: a.ContentType, data: data}})
	if err != nil {
		return "", err
	}
	var up struct {
		MediaID string `json:"media_id"`
	}
	if err := json.Unmarshal(out, &up); err != nil || up.MediaID == "" {
		return "", &omnichannel.ProviderError{Provider: Kind, Code: "bad_response", Message: "TikTok's upload answer has no media_id"}
	}
	return up.MediaID, nil
}

// imageAllowed asks capabilities/get whether IMAGE_SEND is allowed in the conversation, with
// conversation_type STRANGER while the business has not answered yet (firstReply) and SINGLE once
// it has. The capability_result is read as a boolean or as a string such as
// "true" / "ENABLE" (uncertain).
func (c *Channel) imageAllowed(ctx context.Context, businessID, token, conversationID string, firstReply bool) (bool, error) {
	ctype := "SINGLE"
	if firstReply {
		ctype = "STRANGER"
	}
	q := url.Values{}
	q.Set("business_id", businessID)
	q.Set("conversation_id", conversationID)
	q.Set("conversation_type", ctype)
	q.Set("capability_types", `["IMAGE_SEND"]`)
	data, err := c.call(ctx, apiRequest{method: http.MethodGet, path: "/business/message/capabilities/get/", token: token, query: q})
	if err != nil {
		return false, err
	}
	var caps struct {
		CapabilityInfos []struct {
			CapabilityType   string          `json:"capability_type"`
			CapabilityResult json.RawMessage `json:"capability_result"`
		} `json:"capability_infos"`
	}
	if err := json.Unmarshal(data, &caps); err != nil {
		return false, &omnichannel.ProviderError{Provider: Kind, Code: "bad_response", Message: "undecodable capabilities"}
	}
	for _, ci := range caps.CapabilityInfos {
		if strings.EqualFold(ci.CapabilityType, "IMAGE_SEND") {
			return truthy(ci.CapabilityResult), nil
		}
	}
	return false, nil
}

func truthy(raw json.RawMessage) bool {
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return b
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		switch strings.ToUpper(strings.TrimSpace(s)) {
		case "TRUE", "ENABLE", "ENABLED", "ALLOW", "ALLOWED", "AVAILABLE", "SUPPORTED", "1":
			return true
		}
	}
	return false
}
