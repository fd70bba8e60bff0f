package inboxapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/inboxapi"
	oc "github.com/dakenh/dakenh/omnichannel"
)

// TestValidationErrorsNameTheirFields: 422 answers carry the problem of each request field.
func TestValidationErrorsNameTheirFields(t *testing.T) {
	e := newEnv(t)
	e.claim("a1", e.convA)
	gif := e.upload(agent1, "anim.gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"))
	require.Equal(t, "image/gif", gif.ContentType)
	require.NoError(t, e.store.Update(e.ctx, func(tx oc.Tx) error {
		return tx.PutTemplate(&oc.Template{WorkspaceID: wsA, ID: "tpl-bad", Name: "bad", Body: "Hi {{nope}}"})
	}))
	ca := "/conversations/" + e.convA.ID
	cases := []struct {
		name, method, path, user string
		body                     any
		code                     string
		fields                   []string
	}{
		{"send without key", "POST", ca + "/messages", agent1, map[string]string{"text": "hi"}, "invalid", []string{"idempotencyKey"}},
		{"send nothing", "POST", ca + "/messages", agent1, map[string]string{"idempotencyKey": "k"}, "invalid", []string{"text"}},
		{"send too long", "POST", ca + "/messages", agent1, inboxapi.SendRequest{Text: strings.Repeat("á", 1001), IdempotencyKey: "k"}, "invalid", []string{"text"}},
		{"send unknown attachment", "POST", ca + "/messages", agent1, inboxapi.SendRequest{AttachmentIDs: []string{"u.forged.mac"}, IdempotencyKey: "k"}, "invalid", []string{"attachmentIds"}},
		{"send unsupported image type", "POST", ca + "/messages", agent1, inboxapi.SendRequest{AttachmentIDs: []string{gif.ID}, IdempotencyKey: "k"}, "unsupported", []string{"attachmentIds"}},
		{"send foreign quote", "POST", ca + "/messages", agent1, inboxapi.SendRequest{Text: "x", QuoteMessageID: "nope", IdempotencyKey: "k"}, "invalid", []string{"quoteMessageId"}},
		{"assign neither", "POST", ca + "/assign", supA, map[string]string{}, "invalid", []string{"userId", "teamId"}},
		{"assign both", "POST", ca + "/assign", supA, inboxapi.AssignRequest{UserID: "a1", TeamID: "t1"}, "invalid", []string{"userId", "teamId"}},
		{"assign unknown user", "POST", ca + "/assign", supA, inboxapi.AssignRequest{UserID: "ghost"}, "invalid", []string{"userId"}},
		{"assign unknown team", "POST", ca + "/assign", supA, inboxapi.AssignRequest{TeamID: "ghost"}, "invalid", []string{"teamId"}},
		{"details unknown category", "PATCH", ca + "/details", supA, map[string]string{"categoryId": "ghost"}, "invalid", []string{"categoryId"}},
		{"details category not a leaf", "PATCH", ca + "/details", supA, map[string]string{"categoryId": "c1"}, "invalid", []string{"categoryId"}},
		{"details unknown classification", "PATCH", ca + "/details", supA, map[string]string{"classificationId": "ghost"}, "invalid", []string{"classificationId"}},
		{"details note too long", "PATCH", ca + "/details", supA, map[string]string{"note": strings.Repeat("x", oc.MaxNoteLength+1)}, "invalid", []string{"note"}},
		{"list bad filters", "GET", "/conversations?status=closed&read=maybe&limit=0&awaiting=yes&cursor=!!!", supA, nil, "invalid", []string{"status", "read", "limit", "awaiting", "cursor"}},
		{"list damaged cursor", "GET", "/conversations?cursor=bm9ucw", supA, nil, "invalid", []string{"cursor"}},
		{"unread count bad filter", "GET", "/conversations/unread-count?status=x", supA, nil, "invalid", []string{"status"}},
		{"messages bad paging", "GET", ca + "/messages?before=-1&limit=abc", supA, nil, "invalid", []string{"before", "limit"}},
		{"rule without anything", "POST", "/rules", supA, map[string]any{"method": "random", "oldConversations": "some"}, "invalid", []string{"name", "method", "oldConversations", "userIds"}},
		{"rule unknown team", "POST", "/rules", supA, inboxapi.RuleRequest{Name: "x", TeamID: "ghost", Method: "claim"}, "invalid", []string{"teamId"}},
		{"rule foreign source", "POST", "/rules", supA, inboxapi.RuleRequest{Name: "x", SourceIDs: []string{"ghost"}, UserIDs: []string{"a1"}, Method: "claim"}, "invalid", []string{"sourceIds"}},
		{"rule deactivated user", "POST", "/rules", supA, inboxapi.RuleRequest{Name: "x", UserIDs: []string{"ghost"}, Method: "claim"}, "invalid", []string{"userIds"}},
		{"permission unknown", "PUT", "/connections/" + e.connA2.ID + "/permission", supA, inboxapi.PermissionRequest{Permission: "everyone"}, "invalid", []string{"permission"}},
		{"permission shared without rule", "PUT", "/connections/" + e.connA2.ID + "/permission", supA, inboxapi.PermissionRequest{Permission: "shared"}, "invalid", []string{"ruleId"}},
		{"permission unknown rule", "PUT", "/connections/" + e.connA2.ID + "/permission", supA, inboxapi.PermissionRequest{Permission: "shared", RuleID: "ghost"}, "invalid", []string{"ruleId"}},
		{"connect to another site", "POST", "/connections/fake/connect", supA, inboxapi.ConnectRequest{RedirectPath: "//evil.example/x"}, "invalid", []string{"redirectPath"}},
		{"connect with a bad permission", "POST", "/connections/fake/connect", supA, inboxapi.ConnectRequest{Permission: "all"}, "invalid", []string{"permission"}},
		{"connect with an unknown rule", "POST", "/connections/fake/connect", supA, inboxapi.ConnectRequest{Permission: "shared", RuleID: "ghost"}, "invalid", []string{"ruleId"}},
		{"render with an unknown variable", "POST", ca + "/templates/tpl-bad/render", agent1, nil, "invalid", []string{"templateId"}},
		{"retry a message that did not fail", "POST", "/messages/" + inboundMessageID(e, e.convA) + "/retry", agent1, nil, "invalid", []string{"id"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.call(c.method, c.path, c.user, c.body)
			d := r.requireError(t, http.StatusUnprocessableEntity, c.code)
			var got []string
			for f, problem := range d.Fields {
				assert.NotEmpty(t, problem, f)
				got = append(got, f)
			}
			assert.ElementsMatch(t, c.fields, got, "body: %s", r.body)
			// Every problem is coded for translation, with the field it is about.
			require.NotEmpty(t, d.Problems)
			var coded []string
			for _, p := range d.Problems {
				assert.NotEmpty(t, p.Code, "body: %s", r.body)
				assert.NotEqual(t, "invalid", p.Code, "an uncoded problem: %s", r.body)
				assert.NotEmpty(t, p.Message)
				coded = append(coded, p.Field)
			}
			assert.Subset(t, coded, c.fields)
		})
	}
}

func TestUnsupportedAndOutsideWindowAndReconnect(t *testing.T) {
	e := newEnv(t)
	e.claim("a1", e.convA)
	// A channel kind without OAuth support does not exist here; an unknown kind is not found.
	e.call("POST", "/connections/nope/connect", supA, inboxapi.ConnectRequest{}).requireError(t, http.StatusNotFound, "not_found")
	// A disconnected account cannot send.
	require.Equal(t, http.StatusNoContent, e.call("POST", "/connections/"+e.connA.ID+"/disconnect", supA, nil).status)
	e.call("POST", "/conversations/"+e.convA.ID+"/messages", agent1, inboxapi.SendRequest{Text: "x", IdempotencyKey: "k"}).
		requireError(t, http.StatusConflict, "needs_reconnect")
}

// TestRefusalsAreCoded: a claim outside the rule is refused with its reason code, the detail says
// who may claim, and a failed send keeps the provider's code beside its stable reason.
func TestRefusalsAreCoded(t *testing.T) {
	e := newEnv(t)
	require.NoError(t, e.store.Update(e.ctx, func(tx oc.Tx) error {
		return tx.PutUser(&oc.User{WorkspaceID: wsA, ID: "a3", Name: "Ngoài Quy Tắc", Role: oc.RoleAgent, Active: true})
	}))
	ca := "/conversations/" + e.convA.ID
	var d inboxapi.ConversationDetail
	e.call("GET", ca, wsA+"/a3", nil).decode(t, &d)
	assert.False(t, d.CanClaim, "a3 is not a user of the rule")
	e.call("GET", ca, agent1, nil).decode(t, &d)
	assert.True(t, d.CanClaim, "a1 is a user of the rule")
	e.call("GET", ca, supA, nil).decode(t, &d)
	assert.True(t, d.CanClaim, "supervisors may claim")
	ed := e.call("POST", ca+"/claim", wsA+"/a3", nil).requireError(t, http.StatusForbidden, "forbidden")
	assert.Equal(t, oc.DenyNotInRule, ed.Reason)
	e.claim("a1", e.convA)
	e.call("GET", ca, agent1, nil).decode(t, &d)
	assert.False(t, d.CanClaim, "claimed: nothing left to claim")
	ed = e.call("POST", ca+"/messages", agent2, inboxapi.SendRequest{Text: "x", IdempotencyKey: "k"}).requireError(t, http.StatusForbidden, "forbidden")
	assert.Equal(t, oc.DenyClaimedByOther, ed.Reason)
}
