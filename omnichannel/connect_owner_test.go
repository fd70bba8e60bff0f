package omnichannel_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	oc "github.com/dakenh/dakenh/omnichannel"
)

// Another signed-in user (or a user of another workspace) who opens the admin's callback URL is
// refused without consuming the state: the admin's own callback still completes, once.
func TestConnectCallbackOfAnotherUserLeavesTheState(t *testing.T) {
	e := newEnv(t)
	u, err := e.eng.StartConnect(e.ctx, oc.ConnectParams{WorkspaceID: ws, UserID: "sup", Kind: fakechannel.Kind,
		RedirectURI: "http://127.0.0.1/callback"})
	require.NoError(t, err)
	q, err := e.prov.Consent(e.ctx, u)
	require.NoError(t, err)

	for _, who := range []struct{ ws, user string }{{ws, "a1"}, {ws, "a2"}, {"other-ws", "sup"}} {
		_, err = e.eng.CompleteConnect(e.ctx, who.ws, who.user, q)
		assert.ErrorIs(t, err, oc.ErrBadState, "%s/%s", who.ws, who.user)
	}
	c, err := e.eng.CompleteConnect(e.ctx, ws, "sup", q)
	require.NoError(t, err, "the owner's flow survives the other users' attempts")
	assert.Equal(t, oc.ConnectionConnected, c.Status)
	assert.Equal(t, "sup", c.OwnerID)
	_, err = e.eng.CompleteConnect(e.ctx, ws, "sup", q)
	assert.ErrorIs(t, err, oc.ErrBadState, "still single use")
}
