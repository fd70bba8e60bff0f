package omnichannel_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	oc "github.com/dakenh/dakenh/omnichannel"
)

// CanView and Connections apply the list's scope: another user's "only me" account is hidden from
// agents, and connection credentials never leave the engine.
func TestCanViewAndConnectionsFollowTheListScope(t *testing.T) {
	e := newEnv(t)
	e.inbound("u1", "m1", "xin chào")
	conv := e.conversationOf("u1")
	for _, u := range []string{"sup", "a1", "a2"} {
		assert.NoError(t, e.eng.CanView(e.ctx, ws, u, conv.ID), u)
	}
	require.NoError(t, e.eng.SetChatPermission(e.ctx, oc.ChatPermissionChange{WorkspaceID: ws, ActorID: "sup", ConnectionID: e.conn.ID, Permission: oc.PermissionOnlyMe, RuleID: ""}))

	assert.NoError(t, e.eng.CanView(e.ctx, ws, "sup", conv.ID), "the owner")
	assert.ErrorIs(t, e.eng.CanView(e.ctx, ws, "a1", conv.ID), oc.ErrForbidden)
	assert.ErrorIs(t, e.eng.CanView(e.ctx, ws, "ghost", conv.ID), oc.ErrForbidden)
	assert.ErrorIs(t, e.eng.CanView(e.ctx, ws, "sup", "nope"), oc.ErrNotFound)
	assert.ErrorIs(t, e.eng.CanView(e.ctx, "other-ws", "sup", conv.ID), oc.ErrForbidden)

	conns, err := e.eng.Connections(e.ctx, ws, "sup")
	require.NoError(t, err)
	require.Len(t, conns, 1)
	assert.Equal(t, e.conn.ID, conns[0].ID)
	assert.Empty(t, conns[0].Credentials.AccessToken)
	assert.Empty(t, conns[0].Credentials.RefreshToken)
	conns, err = e.eng.Connections(e.ctx, ws, "a1")
	require.NoError(t, err)
	assert.Empty(t, conns)
	_, err = e.eng.Connections(e.ctx, ws, "ghost")
	assert.ErrorIs(t, err, oc.ErrForbidden)
	// The stored connection keeps its tokens.
	require.NoError(t, e.store.View(e.ctx, func(tx oc.Tx) error {
		c, err := tx.GetConnection(ws, e.conn.ID)
		require.NoError(t, err)
		assert.NotEmpty(t, c.Credentials.AccessToken)
		return nil
	}))
}
