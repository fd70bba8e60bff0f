package inboxapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/inboxapi"
	oc "github.com/dakenh/dakenh/omnichannel"
)

func TestDeleteConversationRoute(t *testing.T) {
	e := newEnv(t)
	stream := e.openEvents(agent2)
	path := "/conversations/" + e.convA.ID
	e.call("DELETE", path, agent1, nil).requireError(t, http.StatusForbidden, "forbidden")
	e.call("DELETE", "/conversations/"+e.convB.ID, supA, nil).requireError(t, http.StatusNotFound, "not_found")
	assert.Equal(t, e.convB.ID, e.reload(e.convB).ID, "workspace B's conversation stays")

	r := e.call("DELETE", path, supA, nil)
	require.Equal(t, http.StatusNoContent, r.status, "body: %s", r.body)
	e.call("GET", path, supA, nil).requireError(t, http.StatusNotFound, "not_found")
	e.call("DELETE", path, supA, nil).requireError(t, http.StatusNotFound, "not_found")
	assert.Equal(t, e.convA2.ID, e.reload(e.convA2).ID, "another conversation stays")

	got := stream.until(5*time.Second, func(ev sse) bool { return ev.Event == "conversation.deleted" })
	assert.Equal(t, inboxapi.Event{Kind: "conversation.deleted", ConversationID: e.convA.ID}, got[len(got)-1].decode(t),
		"the agent's stream learns the id, nothing else")
}

func TestDeleteContactRoute(t *testing.T) {
	e := newEnv(t)
	path := "/contacts/" + e.convA.ContactID
	e.call("DELETE", path, agent1, nil).requireError(t, http.StatusForbidden, "forbidden")
	e.call("DELETE", "/contacts/"+e.convB.ContactID, supA, nil).requireError(t, http.StatusNotFound, "not_found")

	r := e.call("DELETE", path, supA, nil)
	require.Equal(t, http.StatusNoContent, r.status, "body: %s", r.body)
	e.call("GET", "/conversations/"+e.convA.ID, supA, nil).requireError(t, http.StatusNotFound, "not_found")
	require.NoError(t, e.store.View(e.ctx, func(tx oc.Tx) error {
		_, err := tx.GetContact(wsA, e.convA.ContactID)
		assert.ErrorIs(t, err, oc.ErrNotFound)
		_, err = tx.GetContact(wsB, e.convB.ContactID)
		return err
	}))
}

func TestDeleteWorkspaceRoute(t *testing.T) {
	e := newEnv(t)
	e.call("DELETE", "/workspace", agent1, nil).requireError(t, http.StatusForbidden, "forbidden")
	r := e.call("DELETE", "/workspace", supA, nil)
	require.Equal(t, http.StatusNoContent, r.status, "body: %s", r.body)
	e.call("GET", "/me", supA, nil).requireError(t, http.StatusForbidden, "forbidden")
	require.NoError(t, e.store.View(e.ctx, func(tx oc.Tx) error {
		conns, err := tx.ListConnections(wsA)
		assert.Empty(t, conns)
		users, _ := tx.ListUsers(wsB)
		assert.Len(t, users, 2, "workspace B is whole")
		return err
	}))
	assert.Equal(t, e.convB.ID, e.reload(e.convB).ID)
	assert.Equal(t, http.StatusOK, e.call("GET", "/conversations/"+e.convB.ID, supB, nil).status)
}
