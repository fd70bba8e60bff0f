package inboxapi_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/inboxapi"
)

// TestAgentOnConversationClaimedByAnother: a1 claimed convA; a2 may read it but not act on it.
func TestAgentOnConversationClaimedByAnother(t *testing.T) {
	e := newEnv(t)
	e.claim("a1", e.convA)
	// A failed message of a1, which a2 must not retry.
	e.prov.FailNext(http.StatusBadRequest, "bad_request", 1)
	r := e.call("POST", "/conversations/"+e.convA.ID+"/messages", agent1, inboxapi.SendRequest{Text: "x", IdempotencyKey: "k1"})
	require.Equal(t, http.StatusAccepted, r.status)
	var failed inboxapi.MessageResponse
	r.decode(t, &failed)
	_, err := e.eng.RunDue(e.ctx)
	require.NoError(t, err)
	before := e.reload(e.convA)

	ca := "/conversations/" + e.convA.ID
	cases := []struct {
		method, path string
		body         any
		status       int
		code         string
	}{
		{"POST", ca + "/messages", inboxapi.SendRequest{Text: "tranh chat", IdempotencyKey: "k2"}, 403, "forbidden"},
		{"POST", "/messages/" + failed.Message.ID + "/retry", nil, 403, "forbidden"},
		{"POST", ca + "/claim", nil, 409, "already_claimed"},
		{"POST", ca + "/done", nil, 403, "forbidden"},
		{"POST", ca + "/reopen", nil, 403, "forbidden"},
		{"POST", ca + "/assign", inboxapi.AssignRequest{UserID: "a2"}, 403, "forbidden"},
		{"POST", ca + "/assign", inboxapi.AssignRequest{TeamID: "t1"}, 403, "forbidden"},
		{"PATCH", ca + "/details", map[string]string{"note": "mine"}, 403, "forbidden"},
		// Workspace administration is for supervisors.
		{"POST", "/rules", inboxapi.RuleRequest{Name: "x", UserIDs: []string{"a2"}, Method: "claim"}, 403, "forbidden"},
		{"PUT", "/rules/r1", inboxapi.RuleRequest{Name: "x", UserIDs: []string{"a2"}, Method: "claim"}, 403, "forbidden"},
		{"DELETE", "/rules/r1", nil, 403, "forbidden"},
		{"POST", "/connections/" + e.connA.ID + "/disconnect", nil, 403, "forbidden"},
		{"PUT", "/connections/" + e.connA.ID + "/permission", inboxapi.PermissionRequest{Permission: "only_me"}, 403, "forbidden"},
		{"POST", "/connections/fake/connect", inboxapi.ConnectRequest{}, 403, "forbidden"},
		// a1's "only me" account is a1's alone.
		{"GET", "/conversations/" + e.convA2.ID, nil, 403, "forbidden"},
		{"GET", "/conversations/" + e.convA2.ID + "/messages", nil, 403, "forbidden"},
		{"GET", "/conversations/" + e.convA2.ID + "/customer", nil, 403, "forbidden"},
		{"POST", "/conversations/" + e.convA2.ID + "/claim", nil, 403, "forbidden"},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			d := e.call(c.method, c.path, agent2, c.body).requireError(t, c.status, c.code)
			if c.code == "already_claimed" {
				assert.Equal(t, "a1", d.ClaimedBy)
			}
		})
	}
	after := e.reload(e.convA)
	assert.Equal(t, before.Version, after.Version)
	assert.Equal(t, "a1", after.AssigneeID)
	// a2 may still read it.
	assert.Equal(t, http.StatusOK, e.call("GET", ca, agent2, nil).status)
	assert.Equal(t, http.StatusOK, e.call("GET", ca+"/messages", agent2, nil).status)
}
