package inboxapi

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dakenh/dakenh/omnichannel"
)

// maxIdempotencyKeyLength caps SendRequest.IdempotencyKey, in bytes.
const maxIdempotencyKeyLength = 200

// idempotencyKey returns the trimmed key, noting in f when it is missing or too long (what names
// the thing sent once per key: "message", "request").
func idempotencyKey(raw, what string, f fieldErrors) string {
	key := strings.TrimSpace(raw)
	switch {
	case key == "":
		f.add("idempotencyKey", "required", "required: a unique value per "+what+" (e.g. a UUID), reused on retries")
	case len(key) > maxIdempotencyKeyLength:
		f.add("idempotencyKey", "too_long", fmt.Sprintf("must be at most %d bytes", maxIdempotencyKeyLength), "max", strconv.Itoa(maxIdempotencyKeyLength))
	}
	return key
}

func (h *handler) sendMessage(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	var req SendRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	f := fieldErrors{}
	key := idempotencyKey(req.IdempotencyKey, "message", f)
	if strings.TrimSpace(req.Text) == "" && len(req.AttachmentIDs) == 0 {
		f.add("text", "message_empty", "write a message or attach a file")
	}
	if utf8.RuneCountInString(req.Text) > 100_000 {
		f.add("text", "too_long", "is too long")
	}
	var atts []omnichannel.Attachment
	if len(req.AttachmentIDs) > 10 {
		// Refused before any id is checked: the work per request stays bounded.
		f.add("attachmentIds", "too_many", "at most 10 attachments", "max", "10")
	} else {
		unknown := false
		for _, id := range req.AttachmentIDs {
			a, err := h.uploads.verify(id, u, h.now())
			if err != nil {
				unknown = true
				continue
			}
			atts = append(atts, a)
		}
		if unknown {
			f.add("attachmentIds", "expired_upload", "unknown or expired attachment: upload the file again")
		}
	}
	if err := f.err(); err != nil {
		return err
	}
	m, err := h.eng.Send(r.Context(), omnichannel.SendParams{WorkspaceID: u.WorkspaceID, ConversationID: r.PathValue("id"),
		UserID: u.ID, Text: req.Text, TemplateID: req.TemplateID, Attachments: atts,
		QuoteMessageID: strings.TrimSpace(req.QuoteMessageID), IdempotencyKey: key})
	if err != nil {
		return withHints(err, hint{"quote", "quoteMessageId"}, hint{"attachment", "attachmentIds"},
			hint{"file", "attachmentIds"}, hint{"bytes", "attachmentIds"}, hint{"uploaded", "attachmentIds"},
			hint{"", "text"})
	}
	return h.writeMessage(w, r, u, http.StatusAccepted, m)
}

func (h *handler) retryMessage(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	m, err := h.eng.RetrySend(r.Context(), u.WorkspaceID, u.ID, r.PathValue("id"))
	if err != nil {
		return withHints(err, hint{"", "id"})
	}
	return h.writeMessage(w, r, u, http.StatusOK, m)
}

// react sends the agent's reaction to a message (POST /messages/{id}/reactions): 200 with the
// message, 422 "unsupported" on channels that cannot send reactions or for an emoji the channel
// does not take.
func (h *handler) react(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	var req ReactRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	f := fieldErrors{}
	if req.Emoji == "" || len(req.Emoji) > 64 {
		f.add("emoji", "required", "required: one of the conversation's reactionEmojis")
	}
	if err := f.err(); err != nil {
		return err
	}
	m, err := h.eng.React(r.Context(), omnichannel.ReactParams{WorkspaceID: u.WorkspaceID, MessageID: r.PathValue("id"),
		UserID: u.ID, Emoji: req.Emoji, Remove: req.Remove})
	if err != nil {
		return withHints(err, hint{"", "id"})
	}
	return h.writeMessage(w, r, u, http.StatusOK, m)
}

// requestInfo queues the channel's request for the customer's contact details (POST
// /conversations/{id}/info-request): 202 with the pending message, 422 "unsupported" on channels
// without it, "outside_window" or "no_reply_route" when the customer cannot be written to.
func (h *handler) requestInfo(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	var req InfoRequestRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	f := fieldErrors{}
	key := idempotencyKey(req.IdempotencyKey, "request", f)
	if err := f.err(); err != nil {
		return err
	}
	m, err := h.eng.RequestInfo(r.Context(), omnichannel.SendParams{WorkspaceID: u.WorkspaceID,
		ConversationID: r.PathValue("id"), UserID: u.ID, IdempotencyKey: key})
	if err != nil {
		return err
	}
	return h.writeMessage(w, r, u, http.StatusAccepted, m)
}

// writeMessage answers {message} for m, as u sees it, with status.
func (h *handler) writeMessage(w http.ResponseWriter, r *http.Request, u *omnichannel.User, status int, m *omnichannel.Message) error {
	wire, err := h.messageFor(r.Context(), u, m)
	if err != nil {
		return err
	}
	writeJSON(w, status, MessageResponse{Message: wire})
	return nil
}
