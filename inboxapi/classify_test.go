package inboxapi

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/dakenh/dakenh/omnichannel"
)

// TestClassifyMapsEngineErrors: every engine error class gets its stable status and code, through
// wrapping, and messages never carry the engine's internals.
func TestClassifyMapsEngineErrors(t *testing.T) {
	h := &handler{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	wrap := func(err error) error { return fmt.Errorf("conversation c1: %w", err) }
	cases := []struct {
		err    error
		status int
		code   string
	}{
		{wrap(omnichannel.ErrNotFound), 404, "not_found"},
		{wrap(&omnichannel.ForbiddenError{Action: omnichannel.ActionSend, UserID: "a2", Reason: "another user claimed the conversation"}), 403, "forbidden"},
		{wrap(omnichannel.ErrForbidden), 403, "forbidden"},
		{wrap(&omnichannel.ClaimedError{ConversationID: "c1", ClaimedBy: "a1"}), 409, "already_claimed"},
		{wrap(omnichannel.ErrAlreadyClaimed), 409, "already_claimed"},
		{wrap(&omnichannel.ValidationError{Problems: []string{"the message is empty"}}), 422, "invalid"},
		{wrap(&omnichannel.ValidationError{Problems: []string{"this channel cannot send file attachments"}, Unsupported: true}), 422, "unsupported"},
		{wrap(omnichannel.ErrInvalid), 422, "invalid"},
		{fmt.Errorf("%w: the reply window closed at 2026-01-01T00:00:00Z", omnichannel.ErrOutsideWindow), 422, "outside_window"},
		{fmt.Errorf("%w: channel \"x\" cannot connect by OAuth", omnichannel.ErrUnsupported), 422, "unsupported"},
		{wrap(omnichannel.ErrConflict), 409, "conflict"},
		{wrap(omnichannel.ErrNeedsReconnect), 409, "needs_reconnect"},
		{wrap(&omnichannel.ProviderError{Provider: "fake", Code: "429", Message: "slow down", Class: omnichannel.ErrRateLimited}), 429, "rate_limited"},
		{wrap(omnichannel.ErrBadState), 400, "bad_request"},
		{wrap(&http.MaxBytesError{Limit: 1}), 413, "too_large"},
		{wrap(errUploadTooLarge), 413, "too_large"},
		{errors.New("pq: password authentication failed for user app"), 500, "internal"},
	}
	for _, c := range cases {
		t.Run(c.code+" "+c.err.Error(), func(t *testing.T) {
			status, d := h.classify(c.err)
			assert.Equal(t, c.status, status)
			assert.Equal(t, c.code, d.Code)
			assert.NotEmpty(t, d.Message)
			assert.NotContains(t, d.Message, "omnichannel:")
			assert.NotContains(t, d.Message, "password")
		})
	}
	_, d := h.classify(fmt.Errorf("%w: the reply window closed at 2026-01-01T00:00:00Z", omnichannel.ErrOutsideWindow))
	assert.Equal(t, "the reply window closed at 2026-01-01T00:00:00Z", d.Message)
	_, d = h.classify(&omnichannel.ClaimedError{ConversationID: "c1", ClaimedBy: "a1"})
	assert.Equal(t, "a1", d.ClaimedBy)
	_, d = h.classify(withHints(&omnichannel.ValidationError{Problems: []string{"unknown or inactive category", "the note is too long"}},
		hint{"categor", "categoryId"}, hint{"note", "note"}))
	assert.Equal(t, map[string]string{"categoryId": "unknown or inactive category", "note": "the note is too long"}, d.Fields)
}
