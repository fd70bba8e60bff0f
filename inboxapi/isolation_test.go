package inboxapi_test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/inboxapi"
	oc "github.com/dakenh/dakenh/omnichannel"
)

// withBAttachment makes supb send an image in convB and returns the message's attachment id and
// supb's own upload id.
func withBAttachment(e *env) (messageAttachmentID, uploadID string) {
	e.t.Helper()
	up := e.upload(supB, "b.png", pngBytes(100))
	r := e.call("POST", "/conversations/"+e.convB.ID+"/messages", supB,
		inboxapi.SendRequest{AttachmentIDs: []string{up.ID}, IdempotencyKey: "kb"})
	require.Equal(e.t, http.StatusAccepted, r.status, "body: %s", r.body)
	var m inboxapi.MessageResponse
	r.decode(e.t, &m)
	require.Len(e.t, m.Message.Attachments, 1)
	return m.Message.Attachments[0].ID, up.ID
}

// TestWorkspaceIsolation: a user of workspace A cannot read, send, claim, reassign, edit, retry,
// download, disconnect or administer anything of workspace B: B's ids are "not found" for them, and
// nothing of B changes.
func TestWorkspaceIsolation(t *testing.T) {
	e := newEnv(t)
	attB, uploadB := withBAttachment(e)
	_, err := e.eng.SaveRule(e.ctx, "supb", oc.Rule{WorkspaceID: wsB, ID: "rb", Name: "B rule", SourceIDs: []string{e.connB.ID},
		UserIDs: []string{"b1"}, Method: oc.MethodRoundRobin})
	require.NoError(t, err)
	// A failed message of B, to retry.
	e.prov.FailNext(http.StatusBadRequest, "bad_request", 1)
	r := e.call("POST", "/conversations/"+e.convB.ID+"/messages", supB, inboxapi.SendRequest{Text: "x", IdempotencyKey: "kb2"})
	require.Equal(t, http.StatusAccepted, r.status, "body: %s", r.body)
	var failed inboxapi.MessageResponse
	r.decode(t, &failed)
	_, err = e.eng.RunDue(e.ctx)
	require.NoError(t, err)
	before := e.reload(e.convB)

	cb := "/conversations/" + e.convB.ID
	cases := []struct {
		method, path string
		body         any
		// admin routes may answer 403 to agents before looking anything up (which reveals nothing).
		admin bool
	}{
		{"GET", cb, nil, false},
		{"GET", cb + "/messages", nil, false},
		{"POST", cb + "/messages", inboxapi.SendRequest{Text: "hi", IdempotencyKey: "k"}, false},
		{"POST", "/messages/" + failed.Message.ID + "/retry", nil, false},
		{"GET", "/attachments/" + attB, nil, false},
		{"GET", "/attachments/" + uploadB, nil, false},
		{"POST", cb + "/read", nil, false},
		{"POST", cb + "/done", nil, false},
		{"POST", cb + "/reopen", nil, false},
		{"POST", cb + "/claim", nil, false},
		{"POST", cb + "/assign", inboxapi.AssignRequest{UserID: "a1"}, false},
		{"POST", cb + "/assign", inboxapi.AssignRequest{TeamID: "t1"}, false},
		{"PATCH", cb + "/details", map[string]string{"note": "x"}, false},
		{"GET", cb + "/customer", nil, false},
		{"GET", cb + "/templates", nil, false},
		{"POST", cb + "/templates/tplb/render", nil, false},
		{"POST", "/conversations/" + e.convA.ID + "/templates/tplb/render", nil, false},
		{"POST", "/connections/" + e.connB.ID + "/disconnect", nil, true},
		{"PUT", "/connections/" + e.connB.ID + "/permission", inboxapi.PermissionRequest{Permission: "shared", RuleID: "r1"}, true},
		{"PUT", "/rules/rb", inboxapi.RuleRequest{Name: "x", UserIDs: []string{"a1"}, Method: "claim"}, true},
		{"DELETE", "/rules/rb", nil, true},
	}
	for _, user := range []string{supA, agent1} {
		for _, c := range cases {
			t.Run(user+" "+c.method+" "+c.path, func(t *testing.T) {
				r := e.call(c.method, c.path, user, c.body)
				if c.admin && user == agent1 {
					assert.Contains(t, []int{http.StatusForbidden, http.StatusNotFound}, r.status, "body: %s", r.body)
					return
				}
				d := r.requireError(t, http.StatusNotFound, "not_found")
				assert.NotContains(t, d.Message, wsB)
			})
		}
	}

	// Lists never show B's rows, even when asked by B's ids.
	var l inboxapi.ConversationList
	e.call("GET", "/conversations?connection="+e.connB.ID, supA, nil).decode(t, &l)
	assert.Empty(t, l.Items)
	for _, path := range []string{"/users", "/teams", "/categories", "/classifications", "/connections", "/rules", "/conversations"} {
		body := e.call("GET", path, supA, nil).body
		for _, id := range []string{"supb", "b1", "tb", "cb", "clb", e.connB.ID, "rb", e.convB.ID} {
			assert.NotContains(t, string(body), `"`+id+`"`, path)
		}
	}
	// B's upload cannot be sent by A.
	r = e.call("POST", "/conversations/"+e.convA.ID+"/messages", supA, inboxapi.SendRequest{AttachmentIDs: []string{uploadB}, IdempotencyKey: "k"})
	assert.Contains(t, r.requireError(t, http.StatusUnprocessableEntity, "invalid").Fields, "attachmentIds")

	// Nothing of B changed.
	after := e.reload(e.convB)
	assert.Equal(t, before.Version, after.Version)
	assert.Equal(t, before.LastSeq, after.LastSeq)
	var conns inboxapi.ConnectionList
	e.call("GET", "/connections", supB, nil).decode(t, &conns)
	require.Len(t, conns.Items, 1)
	assert.Equal(t, "connected", conns.Items[0].Status)
	assert.Equal(t, "shared", conns.Items[0].Permission)
	assert.Equal(t, "rb", conns.Items[0].RuleID)
	assert.Equal(t, http.StatusOK, e.call("GET", "/attachments/"+attB, supB, nil).status)
	var rules inboxapi.RuleList
	e.call("GET", "/rules", supB, nil).decode(t, &rules)
	require.Len(t, rules.Items, 1)
	assert.Equal(t, "B rule", rules.Items[0].Name)
}

// upload posts a file as user and returns the attachment.
func (e *env) upload(user, name string, data []byte) inboxapi.Attachment {
	e.t.Helper()
	r := e.do(e.uploadRequest(user, "file", name, data))
	require.Equal(e.t, http.StatusOK, r.status, "body: %s", r.body)
	var out inboxapi.AttachmentResponse
	r.decode(e.t, &out)
	return out.Attachment
}

func (e *env) uploadRequest(user, field, name string, data []byte) *http.Request {
	e.t.Helper()
	body, ct := multipartBody(e.t, field, name, data)
	req := e.request("POST", "/attachments", user, nil)
	req.Body = readCloser{bytes.NewReader(body)}
	req.ContentLength = int64(len(body))
	req.Header.Set("Content-Type", ct)
	return req
}
