package meta

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"unicode/utf8"

	"github.com/dakenh/dakenh/omnichannel"
)

// sendRequest is the Send API body (documented by the provider).
type sendRequest struct {
	Recipient     struct{ ID string } `json:"recipient"`
	MessagingType string              `json:"messaging_type"`
	Tag           string              `json:"tag,omitempty"`
	Message       sendMessage         `json:"message"`
}

type sendMessage struct {
	Text       string          `json:"text,omitempty"`
	Attachment *sendAttachment `json:"attachment,omitempty"`
	// Attachments carries 2 to 10 images in one Instagram message.
	Attachments []*sendAttachment `json:"attachments,omitempty"`
	Metadata    string            `json:"metadata,omitempty"`
}

type sendAttachment struct {
	Type    string         `json:"type"`
	Payload map[string]any `json:"payload"`
}

// MarshalJSON writes recipient as {"id": …}.
func (s sendRequest) MarshalJSON() ([]byte, error) {
	type alias struct {
		Recipient     map[string]string `json:"recipient"`
		MessagingType string            `json:"messaging_type"`
		Tag           string            `json:"tag,omitempty"`
		Message       sendMessage       `json:"message"`
	}
	return json.Marshal(alias{Recipient: map[string]string{"id": s.Recipient.ID}, MessagingType: s.MessagingType, Tag: s.Tag, Message: s.Message})
}

// Send posts one message to {page-id}/messages (Instagram: through the linked Page) with the
// Page token in the Authorization header and returns Meta's message_id.
//
// Inside 24 hours of the customer's last message it goes as messaging_type RESPONSE; later (when
// Config.HumanAgent) as MESSAGE_TAG with tag HUMAN_AGENT, up to 7 days; beyond that, or later
// than 24 hours without Human Agent, it is refused with ErrOutsideWindow before any call (the
// engine refuses earlier still). Dead tags are never sent. A text goes as message.text (limit:
// 2,000 characters on Messenger, 1,000 bytes on Instagram); an attachment goes alone, uploaded
// to message_attachments once and reused by its attachment_id; Instagram takes up to 10 images
// in one message (message.attachments) (cached by content for 80 days;
// Meta keeps them 90). The engine message id rides along as metadata, so the echo is matched to
// it even when it arrives before this call returns.
//
// Errors are *omnichannel.ProviderError values with Meta's "code/subcode" and a readable reason
// (see the package doc for the table); a 2xx answer without message_id is final.
func (c *Channel) Send(ctx context.Context, conn *omnichannel.Connection, msg *omnichannel.OutboundMessage) (omnichannel.SendResult, error) {
	token, err := c.pageToken(conn)
	if err != nil {
		return omnichannel.SendResult{}, err
	}
	if err := c.checkOutbound(msg); err != nil {
		return omnichannel.SendResult{}, err
	}
	req := sendRequest{MessagingType: "RESPONSE", Message: sendMessage{Metadata: metadataPrefix + msg.MessageID}}
	req.Recipient.ID = msg.RecipientID
	if !msg.LastInboundAt.IsZero() {
		age := c.now().Sub(msg.LastInboundAt)
		switch {
		case age < ReplyWindow:
		case c.cfg.HumanAgent && age < HumanAgentWindow:
			req.MessagingType, req.Tag = "MESSAGE_TAG", "HUMAN_AGENT"
		default:
			return omnichannel.SendResult{}, &omnichannel.ProviderError{Provider: c.kind, Code: "outside_window",
				Class: omnichannel.ErrOutsideWindow, Message: "outside the reply window: wait for the customer to write again"}
		}
	}
	if len(msg.Attachments) > 0 {
		for _, a := range msg.Attachments {
			att, err := c.attachmentPayload(ctx, conn, token, a)
			if err != nil {
				return omnichannel.SendResult{}, err
			}
			req.Message.Attachments = append(req.Message.Attachments, att)
		}
		if len(req.Message.Attachments) == 1 {
			req.Message.Attachment, req.Message.Attachments = req.Message.Attachments[0], nil
		}
	} else {
		req.Message.Text = msg.Text
	}
	data, err := c.call(ctx, graphRequest{method: http.MethodPost, path: "/" + c.pageID(conn) + "/messages", token: token, json: req})
	if err != nil {
		return omnichannel.SendResult{}, err
	}
	var out struct {
		RecipientID flexString `json:"recipient_id"`
		MessageID   string     `json:"message_id"`
	}
	if err := json.Unmarshal(data, &out); err != nil || out.MessageID == "" {
		return omnichannel.SendResult{}, &omnichannel.ProviderError{Provider: c.kind, Code: "no_message_id",
			Message: "Meta answered without a message id; the message may or may not have gone out, so it is not repeated"}
	}
	return omnichannel.SendResult{ProviderMessageID: out.MessageID, Status: omnichannel.MessageSent}, nil
}

// checkOutbound refuses, without a call, what Meta would refuse.
func (c *Channel) checkOutbound(msg *omnichannel.OutboundMessage) error {
	if msg == nil {
		return &omnichannel.ValidationError{Problems: []string{"meta: nil message"}}
	}
	var problems []string
	unsupported := false
	text := strings.TrimSpace(msg.Text)
	switch {
	case msg.RecipientID == "":
		problems = append(problems, "meta: the recipient id is required")
	case text == "" && len(msg.Attachments) == 0:
		problems = append(problems, "meta: a message needs text or an attachment")
	case len(msg.Attachments) > 1 && !c.multiImage(msg.Attachments):
		problems, unsupported = append(problems, fmt.Sprintf("meta: one attachment per message (Instagram: up to %d images)", InstagramMaxImages)), true
	case len(msg.Attachments) == 1 && text != "":
		problems, unsupported = append(problems, "meta: text and an attachment go as separate messages"), true
	}
	if c.instagram() && len(msg.Text) > InstagramMaxTextBytes {
		problems, unsupported = append(problems, fmt.Sprintf("meta: the text has %d bytes; Instagram takes at most %d", len(msg.Text), InstagramMaxTextBytes)), true
	}
	if !c.instagram() && utf8.RuneCountInString(msg.Text) > MessengerMaxText {
		problems, unsupported = append(problems, fmt.Sprintf("meta: the text has more than %d characters", MessengerMaxText)), true
	}
	for _, a := range msg.Attachments {
		if a.Open == nil {
			problems = append(problems, "meta: the attachment has no content")
		}
	}
	if len(problems) > 0 {
		return &omnichannel.ValidationError{Problems: problems, Unsupported: unsupported}
	}
	return nil
}

// multiImage reports whether atts can go as one Instagram message: 2 to 10 images.
func (c *Channel) multiImage(atts []omnichannel.OutboundAttachment) bool {
	if !c.instagram() || len(atts) > InstagramMaxImages {
		return false
	}
	for _, a := range atts {
		if a.Kind != omnichannel.MessageImage {
			return false
		}
	}
	return true
}

// attachmentType is the Send API type of an attachment kind.
func attachmentType(a omnichannel.OutboundAttachment) string {
	switch a.Kind {
	case omnichannel.MessageImage:
		return "image"
	case omnichannel.MessageVideo:
		return "video"
	case omnichannel.MessageAudio:
		return "audio"
	}
	return "file"
}

// attachmentPayload uploads a (or reuses its earlier upload) and returns the payload naming its
// attachment_id.
func (c *Channel) attachmentPayload(ctx context.Context, conn *omnichannel.Connection, token string, a omnichannel.OutboundAttachment) (*sendAttachment, error) {
	rc, err := a.Open(ctx)
	if err != nil {
		return nil, fmt.Errorf("meta: opening the attachment: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(rc, MessengerMaxBytes+1))
	rc.Close()
	if err != nil {
		return nil, fmt.Errorf("meta: reading the attachment: %w", err)
	}
	if len(data) > MessengerMaxBytes {
		return nil, &omnichannel.ValidationError{Unsupported: true, Problems: []string{"meta: the attachment is larger than 25 MB"}}
	}
	typ := attachmentType(a)
	sum := sha256.Sum256(data)
	key := c.pageID(conn) + "|" + typ + "|" + hex.EncodeToString(sum[:])
	id := c.uploads.get(key, c.now())
	if id == "" {
		if id, err = c.upload(ctx, conn, token, typ, a, data); err != nil {
			return nil, err
		}
		c.uploads.put(key, id, c.now())
	}
	return &sendAttachment{Type: typ, Payload: map[string]any{"attachment_id": id}}, nil
}

// upload posts the file to {page-id}/message_attachments (multipart: message + filedata) and
// returns its attachment_id (the field and key names are uncertain there and
// follow Meta's attachment-upload reference).
func (c *Channel) upload(ctx context.Context, conn *omnichannel.Connection, token, typ string, a omnichannel.OutboundAttachment, data []byte) (string, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("message", `{"attachment":{"type":"`+typ+`","payload":{"is_reusable":true}}}`)
	name := strings.Map(func(r rune) rune {
		if r < 32 || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, a.Name)
	if name == "" {
		name = typ
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="filedata"; filename="`+name+`"`)
	ct := a.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	h.Set("Content-Type", ct)
	part, err := w.CreatePart(h)
	if err != nil {
		return "", err
	}
	if _, err := part.Write(data); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	out, err := c.call(ctx, graphRequest{method: http.MethodPost, path: "/" + c.pageID(conn) + "/message_attachments", token: token,
		body: &buf, ctype: w.FormDataContentType()})
	if err != nil {
		return "", err
	}
	var up struct {
		AttachmentID flexString `json:"attachment_id"`
	}
	if err := json.Unmarshal(out, &up); err != nil || up.AttachmentID == "" {
		return "", &omnichannel.ProviderError{Provider: c.kind, Code: "no_attachment_id", Message: "Meta's upload answer has no attachment_id"}
	}
	return string(up.AttachmentID), nil
}
