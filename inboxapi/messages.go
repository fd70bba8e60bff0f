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

func (h *handler) sendMessage(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	var req SendRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	f := fieldErrors{}
	key := strings.TrimSpace(req.IdempotencyKey)
	switch {
	case key == "":
		f.add("idempotencyKey", "required", "required: a unique value per message (e.g. a UUID), reused on retries")
	case len(key) > maxIdempotencyKeyLength:
		f.add("idempotencyKey", "too_long", fmt.Sprintf("must be at most %d bytes", maxIdempotencyKeyLength), "max", strconv.Itoa(maxIdempotencyKeyLength))
	}
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
	wire, err := h.messageFor(r.Context(), u, m)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, MessageResponse{Message: wire})
	return nil
}

func (h *handler) retryMessage(w http.ResponseWriter, r *http.Request, u *omnichannel.User) error {
	m, err := h.eng.RetrySend(r.Context(), u.WorkspaceID, r.PathValue("id"), u.ID)
	if err != nil {
		return withHints(err, hint{"", "id"})
	}
	wire, err := h.messageFor(r.Context(), u, m)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, MessageResponse{Message: wire})
	return nil
}
