package zalooa

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/dakenh/dakenh/omnichannel"
)

// TestFailureReasons: the Zalo codes an agent can act on carry the engine's stable failure reason
// (the interface translates it), with Zalo's own code kept; a missing token says token_missing.
func TestFailureReasons(t *testing.T) {
	for code, want := range map[int64]string{
		codeNotFollower:     omnichannel.FailureNotFollower,
		codeQuota:           omnichannel.FailureQuota,
		codeUserRestricted:  omnichannel.FailureUnreachable,
		codeAttachmentGone:  omnichannel.FailureAttachmentExpired,
		codeNoInteraction7d: omnichannel.FailureOutsideWindow,
		codeRateLimited:     omnichannel.FailureRateLimited,
	} {
		pe := classify(http.StatusOK, http.Header{}, &envelope{Error: flexInt(code)})
		assert.Equal(t, want, omnichannel.FailureReasonOf(pe), "code %d", code)
		assert.NotEmpty(t, pe.Code)
	}
	_, err := accessToken(&omnichannel.Connection{})
	assert.Equal(t, omnichannel.FailureTokenMissing, omnichannel.FailureReasonOf(err))
}
