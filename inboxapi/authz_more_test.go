package inboxapi_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/channels/channeltest/fakechannel"
	"github.com/dakenh/dakenh/inboxapi"
	"github.com/dakenh/dakenh/internal/testlog"
)

// sendAs sends text (or an upload) as user and returns the message.
func (e *env) sendAs(user, convID, key, text string, uploads ...string) inboxapi.Message {
	e.t.Helper()
	r := e.call("POST", "/conversations/"+convID+"/messages", user, inboxapi.SendRequest{Text: text, AttachmentIDs: uploads, IdempotencyKey: key})
	require.Equal(e.t, http.StatusAccepted, r.status, "body: %s", r.body)
	var m inboxapi.MessageResponse
	r.decode(e.t, &m)
	return m.Message
}

// failedSend makes user send a message the provider refuses and returns it (status failed).
func (e *env) failedSend(user, convID, key string) inboxapi.Message {
	e.t.Helper()
	_, err := e.eng.RunDue(e.ctx) // earlier sends go first, so the failure is this message's
	require.NoError(e.t, err)
	e.prov.FailNext(http.StatusBadRequest, "bad_request", 1)
	m := e.sendAs(user, convID, key, "will fail")
	_, err = e.eng.RunDue(e.ctx)
	require.NoError(e.t, err)
	return m
}

// authzCase is one agent-API call and the answer expected.
type authzCase struct {
	method, path string
	body         any
	status       int
	code         string
}

// onlyMeCalls are every call on a1's "only me" conversation convA2, with a message and an
// attachment of it.
func onlyMeCalls(e *env, failedID, attachmentURL string) []authzCase {
	c := "/conversations/" + e.convA2.ID
	return []authzCase{
		{"GET", c, nil, 403, "forbidden"},
		{"GET", c + "/messages", nil, 403, "forbidden"},
		{"GET", c + "/customer", nil, 403, "forbidden"},
		{"GET", c + "/templates", nil, 403, "forbidden"},
		{"POST", c + "/templates/tpl1/render", nil, 403, "forbidden"},
		{"GET", attachmentURL, nil, 403, "forbidden"},
		{"POST", c + "/messages", inboxapi.SendRequest{Text: "chen ngang", IdempotencyKey: "x1"}, 403, "forbidden"},
		{"POST", "/messages/" + failedID + "/retry", nil, 403, "forbidden"},
		{"POST", c + "/read", nil, 403, "forbidden"},
		{"POST", c + "/claim", nil, 403, "forbidden"},
		{"POST", c + "/done", nil, 403, "forbidden"},
		{"POST", c + "/reopen", nil, 403, "forbidden"},
		{"POST", c + "/assign", inboxapi.AssignRequest{UserID: "a2"}, 403, "forbidden"},
		{"POST", c + "/assign", inboxapi.AssignRequest{TeamID: "t1"}, 403, "forbidden"},
		{"PATCH", c + "/details", map[string]string{"note": "x"}, 403, "forbidden"},
	}
}

// TestOnlyMeConnectionIsTheOwnersAlone: another agent can neither read nor act on a conversation of
// a1's "only me" account — every endpoint, reads and changes — nor see it in lists, counts or
// events; nothing of it changes.
func TestOnlyMeConnectionIsTheOwnersAlone(t *testing.T) {
	e := newEnv(t)
	up := e.upload(agent1, "mine.png", pngBytes(80))
	withFile := e.sendAs(agent1, e.convA2.ID, "f1", "", up.ID)
	failed := e.failedSend(agent1, e.convA2.ID, "f2")
	require.Len(t, withFile.Attachments, 1)
	before := e.reload(e.convA2)
	stream := e.openEvents(agent2)

	cases := onlyMeCalls(e, failed.ID, withFile.Attachments[0].URL)
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			d := e.call(c.method, c.path, agent2, c.body).requireError(t, c.status, c.code)
			assert.NotContains(t, d.Message, "Hello Minh", "no content of the conversation in the refusal")
		})
	}
	// Not in a2's list, count, nor stream.
	var l inboxapi.ConversationList
	e.call("GET", "/conversations?connection="+e.connA2.ID, agent2, nil).decode(t, &l)
	assert.Empty(t, l.Items)
	var n inboxapi.UnreadCount
	e.call("GET", "/conversations/unread-count?connection="+e.connA2.ID, agent2, nil).decode(t, &n)
	assert.Zero(t, n.Count)
	e.inbound(accountA2, "cust-a2", "m-a2-9", "only for Minh again")
	e.inbound(fakechannel.AccountID, "cust-a", "m-a-9", "marker")
	got := stream.until(2*time.Second, messageOf(e.convA.ID))
	assert.False(t, mentions(got, e.convA2.ID), "a1's only-me conversation reached a2's stream")

	after := e.reload(e.convA2)
	assert.Equal(t, before.AssigneeID, after.AssigneeID)
	assert.Equal(t, before.Status, after.Status)
	assert.Equal(t, before.LastSeq+1, after.LastSeq, "only the customer's new message was added")
	t.Logf("isolation cases: %d (only-me conversation, agent of the same workspace)", len(cases)+3)
}

// TestSupervisorActsOnClaimedAndOnlyMeConversations: where an agent is refused — a conversation
// claimed by another agent, another agent's "only me" account — a supervisor of the workspace may
// read and act.
func TestSupervisorActsOnClaimedAndOnlyMeConversations(t *testing.T) {
	e := newEnv(t)
	e.claim("a1", e.convA)
	failedA := e.failedSend(agent1, e.convA.ID, "fa")
	up := e.upload(agent1, "mine.png", pngBytes(80))
	withFile := e.sendAs(agent1, e.convA2.ID, "f1", "", up.ID)
	failedA2 := e.failedSend(agent1, e.convA2.ID, "f2")

	var cases []authzCase
	for _, conv := range []struct{ id, failed, file string }{{e.convA.ID, failedA.ID, ""}, {e.convA2.ID, failedA2.ID, withFile.Attachments[0].URL}} {
		c := "/conversations/" + conv.id
		cases = append(cases,
			authzCase{"GET", c, nil, 200, ""},
			authzCase{"GET", c + "/messages", nil, 200, ""},
			authzCase{"GET", c + "/customer", nil, 200, ""},
			authzCase{"POST", c + "/templates/tpl1/render", nil, 200, ""},
			authzCase{"POST", c + "/messages", inboxapi.SendRequest{Text: "Dạ, chị chờ em chút", IdempotencyKey: "sup-" + conv.id}, 202, ""},
			authzCase{"POST", "/messages/" + conv.failed + "/retry", nil, 200, ""},
			authzCase{"POST", c + "/read", nil, 204, ""},
			authzCase{"PATCH", c + "/details", map[string]string{"note": "giám sát ghi chú"}, 200, ""},
			authzCase{"POST", c + "/done", nil, 200, ""},
			authzCase{"POST", c + "/reopen", nil, 200, ""},
			authzCase{"POST", c + "/assign", inboxapi.AssignRequest{UserID: "a2"}, 200, ""},
		)
		if conv.file != "" {
			cases = append(cases, authzCase{"GET", conv.file, nil, 200, ""})
		}
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			r := e.call(c.method, c.path, supA, c.body)
			require.Equal(t, c.status, r.status, "body: %s", r.body)
		})
	}
	assert.Equal(t, "a2", e.reload(e.convA).AssigneeID, "the supervisor reassigned the claimed conversation")
	assert.Equal(t, "a2", e.reload(e.convA2).AssigneeID)
	t.Logf("isolation cases: %d (supervisor overrides)", len(cases))
}

// TestEventsOfAnotherWorkspaceNeverStream: every kind of event workspace B produces — a new
// conversation, messages, a reply and its delivery states, a read state, done/reopen, a
// reassignment, a connection change — reaches B's supervisor and never A's supervisor or agent,
// whatever the query of their stream says.
func TestEventsOfAnotherWorkspaceNeverStream(t *testing.T) {
	e := newEnv(t)
	streams := map[string]*stream{supA: e.openEvents(supA), agent1: e.openEvents(agent1)}
	// agent2 asks for workspace B in the query of its stream: the stream is A's all the same.
	sneaky := e.request("GET", "/events?workspace="+wsB+"&workspaceId="+wsB, agent2, nil)
	resp, err := http.DefaultClient.Do(sneaky)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	sneakyGot := &testlog.Buffer{}
	go func() { _, _ = io.Copy(sneakyGot, resp.Body) }()
	b := e.openEvents(supB)

	// Everything B can make happen.
	e.inbound(accountB, "cust-b2", "m-b2-1", "B: new customer")
	e.inbound(accountB, "cust-b", "m-b-2", "B: again")
	convB2 := e.conversation(wsB, e.connB.ID, "cust-b2")
	sent := e.sendAs(supB, e.convB.ID, "kb", "B reply")
	_, err = e.eng.RunDue(e.ctx)
	require.NoError(t, err)
	for _, step := range []struct{ method, path string }{
		{"POST", "/conversations/" + e.convB.ID + "/read"},
		{"POST", "/conversations/" + e.convB.ID + "/done"},
		{"POST", "/conversations/" + e.convB.ID + "/reopen"},
	} {
		r := e.call(step.method, step.path, supB, nil)
		require.Less(t, r.status, 300, "%s %s: %s", step.method, step.path, r.body)
	}
	r := e.call("POST", "/conversations/"+convB2.ID+"/assign", supB, inboxapi.AssignRequest{UserID: "b1"})
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	require.Equal(t, http.StatusNoContent, e.call("POST", "/connections/"+e.connB.ID+"/disconnect", supB, nil).status)
	e.inbound(accountB, "cust-b", "m-b-3", "B: after disconnect (ignored)")

	// B saw its own events of every kind.
	kinds := map[string]bool{}
	got := b.until(3*time.Second, func(s sse) bool {
		kinds[s.Event] = true
		return s.Event == "connection.updated"
	})
	assert.True(t, mentions(got, sent.ID))
	for _, k := range []string{"message.created", "conversation.updated", "message.updated", "read.updated", "connection.updated"} {
		assert.True(t, kinds[k], "B's own stream lacks %s (got %v)", k, kinds)
	}

	// A marker of A's: each A stream delivers in commit order, so what it has not shown by the
	// marker it never shows.
	e.inbound(fakechannel.AccountID, "cust-a", "m-a-marker", "A marker")
	for user, s := range streams {
		got := s.until(15*time.Second, messageOf(e.convA.ID))
		for _, id := range []string{e.convB.ID, convB2.ID, sent.ID, e.connB.ID, "B: ", wsB} {
			assert.False(t, mentions(got, id), "%s's stream got %q of workspace B", user, id)
		}
	}
	for deadline := time.Now().Add(15 * time.Second); !strings.Contains(sneakyGot.String(), "A marker"); {
		require.True(t, time.Now().Before(deadline), "agent2's stream never showed A's marker")
		time.Sleep(10 * time.Millisecond)
	}
	for _, id := range []string{e.convB.ID, convB2.ID, sent.ID, e.connB.ID, "B: ", wsB} {
		assert.NotContains(t, sneakyGot.String(), id, "agent2's stream with a forged query")
	}
	t.Logf("isolation cases: %d (SSE of another workspace: 5 event kinds × 2 roles + a forged query)", 5*2+1)
}
