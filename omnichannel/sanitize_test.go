package omnichannel_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	oc "github.com/dakenh/dakenh/omnichannel"
)

// TestInboundNULAndBrokenUTF8AreStoredReplaced: a customer message with a NUL (which PostgreSQL text
// cannot hold) or invalid UTF-8 is acknowledged and stored with U+FFFD in their place, once, so the
// provider does not retry it forever and nothing is dropped.
func TestInboundNULAndBrokenUTF8AreStoredReplaced(t *testing.T) {
	e := newEnv(t)
	e.inbound("u-nul", "m-nul", "a\x00b \xff end")
	e.inbound("u-nul", "m-nul", "a\x00b \xff end") // the provider's retry changes nothing
	conv := e.conversationOf("u-nul")
	msgs := e.thread(conv.ID)
	var texts []string
	for _, m := range msgs {
		if m.Direction == oc.DirectionIn {
			texts = append(texts, m.Text)
		}
	}
	require.Len(t, texts, 1)
	assert.Equal(t, "a\uFFFDb \uFFFD end", texts[0])
}

// TestSendRefusesNUL: an agent's text with a NUL is refused before anything is stored.
func TestSendRefusesNUL(t *testing.T) {
	e := newEnv(t)
	e.inbound("u-send", "m-1", "xin chào")
	conv := e.conversationOf("u-send")
	_, err := e.eng.Send(e.ctx, oc.SendParams{WorkspaceID: ws, UserID: conv.AssigneeID, ConversationID: conv.ID, Text: "x\x00y"})
	var verr *oc.ValidationError
	require.ErrorAs(t, err, &verr)
	assert.Contains(t, verr.Error(), "NUL")
}
