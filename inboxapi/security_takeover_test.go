package inboxapi_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/inboxapi"
	oc "github.com/dakenh/dakenh/omnichannel"
)

// TestNoRouteTakesWhatAClaimRefuses is the table of every role × every route that changes who owns
// a conversation (claim; assign to oneself, to a rule member, to an agent outside the rule, to a
// team), on a conversation of the self-claim rule r1 (a1 and a2) in each ownership state: waiting
// in the claim queue, unowned outside the queue, and claimed by a1. Agent "bao" is outside the
// rule. A refusal must leave the conversation as it was; no route may let an agent take what the
// claim rule would refuse him (the bypass seen: claim 403, then assign {"userId":"bao"} 200 and a
// reply 202).
func TestNoRouteTakesWhatAClaimRefuses(t *testing.T) {
	type route struct {
		name string
		path string // relative to the conversation
		body func(actor string) any
	}
	routes := []route{
		{"claim", "/claim", func(string) any { return nil }},
		{"assign self", "/assign", func(actor string) any { return inboxapi.AssignRequest{UserID: actor} }},
		{"assign member", "/assign", func(string) any { return inboxapi.AssignRequest{UserID: "a2"} }},
		{"assign outsider", "/assign", func(string) any { return inboxapi.AssignRequest{UserID: "bao"} }},
		{"assign team", "/assign", func(string) any { return inboxapi.AssignRequest{TeamID: "t1"} }},
	}
	states := []string{"awaiting claim", "unowned", "claimed by a1"}
	actors := []string{"sup", "a1", "bao"}
	// want[state][actor][route] is the status; every other answer is a failure.
	want := map[string]map[string][]int{
		"awaiting claim": {
			"sup": {200, 200, 200, 200, 200},
			"a1":  {200, 403, 403, 403, 403},
			"bao": {403, 403, 403, 403, 403},
		},
		"unowned": {
			"sup": {200, 200, 200, 200, 200},
			"a1":  {200, 200, 200, 403, 200},
			"bao": {403, 403, 403, 403, 403},
		},
		"claimed by a1": {
			"sup": {409, 200, 200, 200, 200},
			"a1":  {200, 200, 200, 200, 200}, // the owner hands it on as they choose
			"bao": {409, 403, 403, 403, 403},
		},
	}
	refusals := 0
	for _, state := range states {
		for _, actor := range actors {
			for i, r := range routes {
				t.Run(fmt.Sprintf("%s/%s/%s", state, actor, r.name), func(t *testing.T) {
					e := newEnv(t)
					require.NoError(t, e.store.Update(e.ctx, func(tx oc.Tx) error {
						return tx.PutUser(&oc.User{WorkspaceID: wsA, ID: "bao", Name: "Phạm Quốc Bảo", Role: oc.RoleAgent, Active: true})
					}))
					switch state {
					case "unowned":
						require.NoError(t, e.store.Update(e.ctx, func(tx oc.Tx) error {
							c, err := tx.GetConversation(wsA, e.convA.ID)
							if err != nil {
								return err
							}
							c.AwaitingClaim = false
							return tx.UpdateConversation(c)
						}))
					case "claimed by a1":
						e.claim("a1", e.convA)
					}
					before := e.reload(e.convA)
					res := e.call(http.MethodPost, "/conversations/"+e.convA.ID+r.path, wsA+"/"+actor, r.body(actor))
					require.Equal(t, want[state][actor][i], res.status, "body: %s", res.body)
					if res.status >= 400 {
						after := e.reload(e.convA)
						assert.Equal(t, before.Version, after.Version, "a refusal changed the conversation")
						assert.Equal(t, before.AssigneeID, after.AssigneeID)
						if actor == "bao" {
							// And bao still cannot reply.
							send := e.call(http.MethodPost, "/conversations/"+e.convA.ID+"/messages", wsA+"/bao",
								inboxapi.SendRequest{Text: "để em", IdempotencyKey: "bao-1"})
							assert.Equal(t, http.StatusForbidden, send.status)
						}
					}
				})
				if want[state][actor][i] >= 400 {
					refusals++
				}
			}
		}
	}
	t.Logf("ownership routes: %d cases (%d refusals)", len(states)*len(actors)*len(routes), refusals)
}
