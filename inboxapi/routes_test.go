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

func TestNewValidatesConfig(t *testing.T) {
	_, err := inboxapi.New(inboxapi.Config{MaxUploadBytes: -1, HeartbeatInterval: -1, EventBuffer: -1, UploadTTL: -1,
		UploadSecret: []byte("short"), AfterConnect: "javascript:alert(1)", PublicURL: "ftp://x"})
	require.Error(t, err)
	for _, want := range []string{"Engine is required", "Auth is required", "MaxUploadBytes", "HeartbeatInterval",
		"EventBuffer", "UploadTTL", "UploadSecret", "AfterConnect", "PublicURL"} {
		assert.Contains(t, err.Error(), want)
	}
	e := newEnv(t)
	_, err = inboxapi.New(inboxapi.Config{Engine: e.eng, Auth: inboxapi.AuthenticatorFunc(headerAuth),
		AfterConnect: "https://crm.example/settings", PublicURL: "https://crm.example/api/"})
	require.NoError(t, err)
}

// allRoutes lists one request of every route (ids of workspace A's fixture, bodies valid).
func allRoutes(e *env) []struct{ method, path string } {
	c, a := e.convA.ID, e.connA.ID
	return []struct{ method, path string }{
		{"GET", "/me"}, {"GET", "/conversations"}, {"GET", "/conversations/unread-count"},
		{"GET", "/conversations/" + c}, {"GET", "/conversations/" + c + "/messages"},
		{"POST", "/conversations/" + c + "/messages"}, {"POST", "/messages/x/retry"}, {"POST", "/messages/x/reactions"},
		{"POST", "/conversations/" + c + "/info-request"}, {"POST", "/attachments"},
		{"GET", "/attachments/m.0.x"}, {"POST", "/conversations/" + c + "/read"}, {"POST", "/conversations/" + c + "/done"},
		{"POST", "/conversations/" + c + "/reopen"}, {"POST", "/conversations/" + c + "/claim"},
		{"POST", "/conversations/" + c + "/assign"}, {"PATCH", "/conversations/" + c + "/details"},
		{"GET", "/conversations/" + c + "/customer"}, {"GET", "/conversations/" + c + "/templates"},
		{"POST", "/conversations/" + c + "/templates/tpl1/render"}, {"GET", "/categories"}, {"GET", "/classifications"},
		{"GET", "/users"}, {"GET", "/teams"}, {"GET", "/connections"}, {"POST", "/connections/fake/connect"},
		{"GET", "/connect/callback/fake?state=x&code=y"}, {"POST", "/connections/" + a + "/disconnect"},
		{"PUT", "/connections/" + a + "/permission"}, {"GET", "/rules"}, {"POST", "/rules"}, {"PUT", "/rules/r1"},
		{"DELETE", "/rules/r1"}, {"DELETE", "/conversations/" + c}, {"DELETE", "/contacts/" + e.convA.ContactID},
		{"DELETE", "/workspace"}, {"GET", "/events"}, {"GET", "/no-such-route"},
	}
}

func TestEveryRouteRequiresAuthentication(t *testing.T) {
	e := newEnv(t)
	for _, rt := range allRoutes(e) {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			for _, user := range []string{"", "bad-header", wsA + "/"} {
				r := e.call(rt.method, rt.path, user, `{}`)
				r.requireError(t, http.StatusUnauthorized, "unauthorized")
			}
		})
	}
	// Nothing happened on the way: the conversation is untouched, the rule still exists.
	assert.Equal(t, e.convA.Version, e.reload(e.convA).Version)
	assert.Equal(t, http.StatusOK, e.call("GET", "/rules", supA, nil).status)
	var rules inboxapi.RuleList
	e.call("GET", "/rules", supA, nil).decode(t, &rules)
	assert.Len(t, rules.Items, 1)
}

func TestUnknownUserOfTheWorkspaceIsForbidden(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/me", "/users", "/conversations", "/conversations/" + e.convA.ID, "/events"} {
		e.call("GET", path, wsA+"/ghost", nil).requireError(t, http.StatusForbidden, "forbidden")
	}
	e.do(e.uploadRequest(wsA+"/ghost", "file", "a.png", pngBytes(10))).requireError(t, http.StatusForbidden, "forbidden")
}

// TestRoutesSucceed checks the success answer and its shape for every route.
func TestRoutesSucceed(t *testing.T) {
	type tc struct {
		name   string
		setup  func(e *env)
		method string
		path   func(e *env) string
		user   string
		body   func(e *env) any
		status int
		check  func(t *testing.T, e *env, r response)
	}
	conv := func(sub string) func(e *env) string {
		return func(e *env) string { return "/conversations/" + e.convA.ID + sub }
	}
	fixed := func(p string) func(*env) string { return func(*env) string { return p } }
	decodeConv := func(t *testing.T, r response) inboxapi.Conversation {
		var out inboxapi.ConversationResponse
		r.decode(t, &out)
		return out.Conversation
	}
	claimA1 := func(e *env) { e.claim("a1", e.convA) }
	cases := []tc{
		{name: "me", method: "GET", path: fixed("/me"), user: agent1, status: 200, check: func(t *testing.T, e *env, r response) {
			var me inboxapi.Me
			r.decode(t, &me)
			assert.Equal(t, inboxapi.Me{WorkspaceID: wsA, User: inboxapi.User{ID: "a1", Name: "Nguyễn Minh",
				AvatarURL: "https://img.example/a1.png", Role: "agent", TeamIDs: []string{"t1"}, Active: true}}, me)
		}},
		{name: "list as supervisor", method: "GET", path: fixed("/conversations"), user: supA, status: 200, check: func(t *testing.T, e *env, r response) {
			var l inboxapi.ConversationList
			r.decode(t, &l)
			require.Len(t, l.Items, 2)
			assert.Equal(t, 2, l.Unread)
			assert.Empty(t, l.Next)
			assert.Equal(t, e.convA2.ID, l.Items[0].ID, "newest activity first")
			c := l.Items[1]
			assert.Equal(t, e.convA.ID, c.ID)
			assert.Equal(t, "fake", c.Channel)
			assert.Equal(t, e.connA.ID, c.ConnectionID)
			assert.Equal(t, "Khách cust-a", c.ContactName)
			assert.Equal(t, "Shop ơi, áo còn size M không?", c.LastMessageText)
			assert.Equal(t, "in", c.LastMessageDirection)
			assert.Equal(t, "open", c.Status)
			assert.True(t, c.AwaitingClaim)
			assert.Equal(t, int64(1), c.Unread)
			assert.Equal(t, "r1", c.RuleID)
			assert.NotEmpty(t, c.LastMessageAt)
			assert.Equal(t, c.LastMessageAt, c.LastInboundAt)
			assert.NotNil(t, c.CategoryPath)
		}},
		{name: "list as agent hides another agent's only-me account", method: "GET", path: fixed("/conversations"), user: agent2, status: 200,
			check: func(t *testing.T, e *env, r response) {
				var l inboxapi.ConversationList
				r.decode(t, &l)
				require.Len(t, l.Items, 1)
				assert.Equal(t, e.convA.ID, l.Items[0].ID)
				assert.Equal(t, 1, l.Unread)
			}},
		{name: "list filters", method: "GET", user: supA, status: 200,
			path: func(e *env) string {
				return "/conversations?status=open&read=unread&assignee=unassigned&assignee=a1&connection=" + e.connA2.ID + "&q=cust-a2&channel=fake"
			},
			check: func(t *testing.T, e *env, r response) {
				var l inboxapi.ConversationList
				r.decode(t, &l)
				require.Len(t, l.Items, 1)
				assert.Equal(t, e.convA2.ID, l.Items[0].ID)
			}},
		{name: "list awaiting claim, comma-separated statuses", method: "GET", path: fixed("/conversations?awaiting=1&status=open,done"), user: supA, status: 200,
			check: func(t *testing.T, e *env, r response) {
				var l inboxapi.ConversationList
				r.decode(t, &l)
				require.Len(t, l.Items, 1)
				assert.Equal(t, e.convA.ID, l.Items[0].ID)
			}},
		{name: "list done is empty", method: "GET", path: fixed("/conversations?status=done"), user: supA, status: 200,
			check: func(t *testing.T, e *env, r response) {
				assert.JSONEq(t, `{"items":[],"next":"","unread":0}`, string(r.body))
			}},
		{name: "list pages by cursor", method: "GET", path: fixed("/conversations?limit=1"), user: supA, status: 200,
			check: func(t *testing.T, e *env, r response) {
				var first, second inboxapi.ConversationList
				r.decode(t, &first)
				require.Len(t, first.Items, 1)
				require.NotEmpty(t, first.Next)
				// A new message on the row already seen moves it to the top again; the cursor still
				// continues with the rows after it, without repeating it.
				e.inbound(accountA2, "cust-a2", "m-a2-2", "còn không?")
				e.call("GET", "/conversations?limit=1&cursor="+first.Next, supA, nil).decode(t, &second)
				require.Len(t, second.Items, 1)
				assert.Equal(t, e.convA.ID, second.Items[0].ID)
				assert.NotEqual(t, first.Items[0].ID, second.Items[0].ID)
			}},
		{name: "unread count", method: "GET", path: fixed("/conversations/unread-count?channel=fake"), user: supA, status: 200,
			check: func(t *testing.T, e *env, r response) { assert.JSONEq(t, `{"count":2}`, string(r.body)) }},
		{name: "conversation detail", method: "GET", path: conv(""), user: agent2, status: 200, check: func(t *testing.T, e *env, r response) {
			var d inboxapi.ConversationDetail
			r.decode(t, &d)
			assert.Equal(t, e.convA.ID, d.Conversation.ID)
			assert.Equal(t, int64(1), d.Conversation.Unread)
			assert.True(t, d.Window.Open)
			assert.Empty(t, d.Window.ClosesAt)
			assert.Nil(t, d.Window.RemainingReplies)
			assert.Equal(t, inboxapi.Capabilities{MaxTextLength: 1000, Images: true, ImageTypes: []string{"image/png", "image/jpeg"},
				MaxImageBytes: 5 << 20, Files: true, FileTypes: []string{"application/pdf"}, MaxFileBytes: 10 << 20, Quotes: true,
				MaxAttachments: 1, NoCaption: []string{}, ReactionEmojis: []string{}}, d.Capabilities)
			assert.Empty(t, d.ReplyBlocked)
		}},
		{name: "messages oldest first", method: "GET", path: conv("/messages"), user: supA, status: 200, check: func(t *testing.T, e *env, r response) {
			var l inboxapi.MessageList
			r.decode(t, &l)
			require.NotEmpty(t, l.Items)
			for i := 1; i < len(l.Items); i++ {
				assert.Less(t, l.Items[i-1].Seq, l.Items[i].Seq)
			}
			var texts []string
			for _, m := range l.Items {
				if m.Direction == "in" {
					texts = append(texts, m.Text)
					assert.Equal(t, "received", m.Status)
					assert.Equal(t, "Khách cust-a", m.SenderName)
					assert.NotEmpty(t, m.CreatedAt)
				}
				if m.Direction == "system" {
					require.NotNil(t, m.Activity)
				}
			}
			assert.Equal(t, []string{"Shop ơi, áo còn size M không?"}, texts)
			assert.False(t, l.More)
		}},
		{name: "messages before seq with limit", method: "GET", user: supA, status: 200,
			path: func(e *env) string { return "/conversations/" + e.convA.ID + "/messages?before=3&limit=1" },
			check: func(t *testing.T, e *env, r response) {
				var l inboxapi.MessageList
				r.decode(t, &l)
				require.Len(t, l.Items, 1)
				assert.Equal(t, int64(2), l.Items[0].Seq)
				assert.True(t, l.More)
			}},
		{name: "send", setup: claimA1, method: "POST", path: conv("/messages"), user: agent1, status: 202,
			body: func(*env) any { return map[string]any{"text": "Dạ còn ạ", "idempotencyKey": "k-1"} },
			check: func(t *testing.T, e *env, r response) {
				var out inboxapi.MessageResponse
				r.decode(t, &out)
				m := out.Message
				assert.Equal(t, "out", m.Direction)
				assert.Equal(t, "pending", m.Status)
				assert.Equal(t, "Dạ còn ạ", m.Text)
				assert.Equal(t, "a1", m.SenderID)
				assert.Equal(t, "Nguyễn Minh", m.SenderName)
				assert.Equal(t, e.convA.ID, m.ConversationID)
				assert.Empty(t, m.SentAt)
				// The same idempotency key answers the same message.
				var again inboxapi.MessageResponse
				e.call("POST", "/conversations/"+e.convA.ID+"/messages", agent1, map[string]any{"text": "Dạ còn ạ", "idempotencyKey": "k-1"}).decode(t, &again)
				assert.Equal(t, m.ID, again.Message.ID)
				// The worker delivers it.
				_, err := e.eng.RunDue(e.ctx)
				require.NoError(t, err)
				var l inboxapi.MessageList
				e.call("GET", "/conversations/"+e.convA.ID+"/messages", agent1, nil).decode(t, &l)
				last := l.Items[len(l.Items)-1]
				assert.Equal(t, m.ID, last.ID)
				assert.Equal(t, "sent", last.Status)
				assert.NotEmpty(t, last.SentAt)
			}},
		{name: "send quoting a customer message", setup: claimA1, method: "POST", path: conv("/messages"), user: agent1, status: 202,
			body: func(e *env) any {
				return map[string]any{"text": "Dạ", "idempotencyKey": "k-q", "quoteMessageId": inboundMessageID(e, e.convA)}
			},
			check: func(t *testing.T, e *env, r response) {
				var out inboxapi.MessageResponse
				r.decode(t, &out)
				assert.Equal(t, inboundMessageID(e, e.convA), out.Message.QuoteMessageID)
			}},
		{name: "read", method: "POST", path: conv("/read"), user: supA, status: 204, check: func(t *testing.T, e *env, r response) {
			assert.Empty(t, r.body)
			var d inboxapi.ConversationDetail
			e.call("GET", "/conversations/"+e.convA.ID, supA, nil).decode(t, &d)
			assert.Equal(t, int64(0), d.Conversation.Unread)
			var n inboxapi.UnreadCount
			e.call("GET", "/conversations/unread-count", supA, nil).decode(t, &n)
			assert.Equal(t, 1, n.Count)
		}},
		{name: "done", method: "POST", path: conv("/done"), user: supA, status: 200, check: func(t *testing.T, e *env, r response) {
			assert.Equal(t, "done", decodeConv(t, r).Status)
			assert.Equal(t, oc.StatusDone, e.reload(e.convA).Status)
		}},
		{name: "reopen", setup: func(e *env) {
			_, err := e.eng.MarkDone(e.ctx, wsA, "sup", e.convA.ID)
			require.NoError(e.t, err)
		}, method: "POST", path: conv("/reopen"), user: supA, status: 200, check: func(t *testing.T, e *env, r response) {
			assert.Equal(t, "open", decodeConv(t, r).Status)
		}},
		{name: "claim", method: "POST", path: conv("/claim"), user: agent2, status: 200, check: func(t *testing.T, e *env, r response) {
			c := decodeConv(t, r)
			assert.Equal(t, "a2", c.AssigneeID)
			assert.True(t, c.Claimed)
			assert.False(t, c.AwaitingClaim)
		}},
		{name: "assign to a user", method: "POST", path: conv("/assign"), user: supA, status: 200,
			body: func(*env) any { return inboxapi.AssignRequest{UserID: "a2"} },
			check: func(t *testing.T, e *env, r response) {
				assert.Equal(t, "a2", decodeConv(t, r).AssigneeID)
				var l inboxapi.MessageList
				e.call("GET", "/conversations/"+e.convA.ID+"/messages", supA, nil).decode(t, &l)
				act := l.Items[len(l.Items)-1].Activity
				require.NotNil(t, act)
				assert.Equal(t, inboxapi.Activity{Kind: "assigned", ActorID: "sup", ToUserID: "a2", To: "a2", Detail: "reassigned"}, *act)
			}},
		{name: "assign to a team", method: "POST", path: conv("/assign"), user: supA, status: 200,
			body: func(*env) any { return map[string]string{"teamId": "t1"} },
			check: func(t *testing.T, e *env, r response) {
				c := decodeConv(t, r)
				assert.Equal(t, "t1", c.TeamID)
				assert.Contains(t, []string{"a1", "a2"}, c.AssigneeID)
			}},
		{name: "details", method: "PATCH", path: conv("/details"), user: supA, status: 200,
			body: func(*env) any {
				return map[string]any{"categoryId": "c111", "classificationId": "cskh", "note": "Khách cần đổi màu"}
			},
			check: func(t *testing.T, e *env, r response) {
				c := decodeConv(t, r)
				assert.Equal(t, "c111", c.CategoryID)
				assert.Equal(t, []string{"c1", "c11", "c111"}, c.CategoryPath)
				assert.Equal(t, "cskh", c.ClassificationID)
				assert.Equal(t, "Khách cần đổi màu", c.Note)
				// Absent fields stay; "" clears.
				c2 := decodeConv(t, e.call("PATCH", "/conversations/"+e.convA.ID+"/details", supA, `{"note":""}`))
				assert.Equal(t, "c111", c2.CategoryID)
				assert.Empty(t, c2.Note)
			}},
		{name: "customer", method: "GET", path: conv("/customer"), user: supA, status: 200, check: func(t *testing.T, e *env, r response) {
			var c inboxapi.Customer
			r.decode(t, &c)
			assert.Equal(t, e.convA.ContactID, c.Contact.ID)
			assert.Equal(t, "Khách cust-a", c.Contact.Name)
			require.Len(t, c.Contact.Identities, 1)
			assert.Equal(t, inboxapi.Identity{Channel: "fake", ConnectionID: e.connA.ID, ExternalUserID: "cust-a", DisplayName: "Khách cust-a"},
				c.Contact.Identities[0])
			require.Len(t, c.History, 1)
			assert.Equal(t, "conversation", c.History[0].Type)
			assert.Equal(t, e.convA.ID, c.History[0].ConversationID)
			assert.Equal(t, "fake", c.History[0].Channel)
			assert.NotNil(t, c.Contact.Attributes)
		}},
		{name: "templates", method: "GET", path: conv("/templates"), user: agent1, status: 200, check: func(t *testing.T, e *env, r response) {
			assert.JSONEq(t, `{"items":[{"id":"tpl1","name":"Cảm ơn khách hàng","body":"Cảm ơn {{customer_name}}!","channelKinds":[]}]}`, string(r.body))
		}},
		{name: "render template", method: "POST", path: conv("/templates/tpl1/render"), user: agent1, status: 200,
			check: func(t *testing.T, e *env, r response) {
				assert.JSONEq(t, `{"text":"Cảm ơn Khách cust-a!","unknown":[]}`, string(r.body))
			}},
		{name: "categories", method: "GET", path: fixed("/categories"), user: agent1, status: 200, check: func(t *testing.T, e *env, r response) {
			assert.JSONEq(t, `{"items":[
				{"id":"c1","name":"Khiếu nại","parentId":"","level":1,"active":true},
				{"id":"c11","name":"Sai sản phẩm","parentId":"c1","level":2,"active":true},
				{"id":"c111","name":"Sai màu sản phẩm","parentId":"c11","level":3,"active":true}]}`, string(r.body))
		}},
		{name: "classifications", method: "GET", path: fixed("/classifications"), user: agent1, status: 200, check: func(t *testing.T, e *env, r response) {
			assert.JSONEq(t, `{"items":[{"id":"cskh","name":"CSKH","active":true},{"id":"spam","name":"Spam","active":true}]}`, string(r.body))
		}},
		{name: "users", method: "GET", path: fixed("/users"), user: agent1, status: 200, check: func(t *testing.T, e *env, r response) {
			var l inboxapi.UserList
			r.decode(t, &l)
			var ids []string
			for _, u := range l.Items {
				ids = append(ids, u.ID)
			}
			assert.ElementsMatch(t, []string{"sup", "a1", "a2"}, ids)
		}},
		{name: "teams", method: "GET", path: fixed("/teams"), user: agent1, status: 200, check: func(t *testing.T, e *env, r response) {
			assert.JSONEq(t, `{"items":[{"id":"t1","name":"Support","ruleId":"r1","memberIds":["a1","a2"],"method":"round_robin"}]}`, string(r.body))
		}},
		{name: "connections as supervisor", method: "GET", path: fixed("/connections"), user: supA, status: 200,
			check: func(t *testing.T, e *env, r response) {
				var l inboxapi.ConnectionList
				r.decode(t, &l)
				assert.ElementsMatch(t, []inboxapi.Connection{
					{ID: e.connA.ID, Channel: "fake", ExternalID: "acc1", DisplayName: "Fake Shop", Status: "connected", OwnerID: "sup", Permission: "shared", RuleID: "r1"},
					{ID: e.connA2.ID, Channel: "fake", ExternalID: accountA2, DisplayName: "Minh's shop", Status: "connected", OwnerID: "a1", Permission: "only_me"},
				}, l.Items)
				assert.NotContains(t, string(r.body), e.connA.Credentials.AccessToken)
			}},
		{name: "connections as agent hide another's only-me account", method: "GET", path: fixed("/connections"), user: agent2, status: 200,
			check: func(t *testing.T, e *env, r response) {
				var l inboxapi.ConnectionList
				r.decode(t, &l)
				require.Len(t, l.Items, 1)
				assert.Equal(t, e.connA.ID, l.Items[0].ID)
			}},
		{name: "disconnect", method: "POST", user: supA, status: 204,
			path: func(e *env) string { return "/connections/" + e.connA2.ID + "/disconnect" },
			check: func(t *testing.T, e *env, r response) {
				var l inboxapi.ConnectionList
				e.call("GET", "/connections", supA, nil).decode(t, &l)
				for _, c := range l.Items {
					if c.ID == e.connA2.ID {
						assert.Equal(t, "disconnected", c.Status)
					}
				}
			}},
		{name: "permission", method: "PUT", user: supA, status: 200,
			path: func(e *env) string { return "/connections/" + e.connA2.ID + "/permission" },
			body: func(*env) any { return inboxapi.PermissionRequest{Permission: "shared", RuleID: "r1"} },
			check: func(t *testing.T, e *env, r response) {
				var out inboxapi.ConnectionResponse
				r.decode(t, &out)
				assert.Equal(t, "shared", out.Connection.Permission)
				assert.Equal(t, "r1", out.Connection.RuleID)
			}},
		{name: "rules", method: "GET", path: fixed("/rules"), user: agent1, status: 200, check: func(t *testing.T, e *env, r response) {
			var l inboxapi.RuleList
			r.decode(t, &l)
			require.Len(t, l.Items, 1)
			x := l.Items[0]
			assert.Equal(t, "r1", x.ID)
			assert.Equal(t, "Tự nhận", x.Name)
			assert.Equal(t, []string{e.connA.ID}, x.SourceIDs)
			assert.Equal(t, []string{"a1", "a2"}, x.UserIDs)
			assert.Equal(t, "t1", x.TeamID)
			assert.Equal(t, "claim", x.Method)
			assert.Equal(t, "none", x.OldConversations)
			assert.NotEmpty(t, x.CreatedAt)
		}},
		{name: "create rule from a team", method: "POST", path: fixed("/rules"), user: supA, status: 200,
			body: func(e *env) any {
				return inboxapi.RuleRequest{Name: "Chia xoay vòng", SourceIDs: []string{e.connA2.ID}, TeamID: "t1",
					Method: "round_robin", OldConversations: "all"}
			},
			check: func(t *testing.T, e *env, r response) {
				var out inboxapi.RuleResponse
				r.decode(t, &out)
				assert.NotEmpty(t, out.Rule.ID)
				assert.Equal(t, []string{"a1", "a2"}, out.Rule.UserIDs)
				assert.Equal(t, "round_robin", out.Rule.Method)
				assert.Equal(t, "all", out.Rule.OldConversations)
				// The only-me account joined the rule, and its old conversation was distributed.
				var l inboxapi.ConnectionList
				e.call("GET", "/connections", supA, nil).decode(t, &l)
				for _, c := range l.Items {
					if c.ID == e.connA2.ID {
						assert.Equal(t, "shared", c.Permission)
						assert.Equal(t, out.Rule.ID, c.RuleID)
					}
				}
				assert.NotEmpty(t, e.reload(e.convA2).AssigneeID)
			}},
		{name: "update rule", method: "PUT", path: fixed("/rules/r1"), user: supA, status: 200,
			body: func(e *env) any {
				return inboxapi.RuleRequest{Name: "Renamed", SourceIDs: []string{e.connA.ID}, UserIDs: []string{"a1"}, Method: "claim"}
			},
			check: func(t *testing.T, e *env, r response) {
				var out inboxapi.RuleResponse
				r.decode(t, &out)
				assert.Equal(t, "r1", out.Rule.ID)
				assert.Equal(t, "Renamed", out.Rule.Name)
				assert.Equal(t, []string{"a1"}, out.Rule.UserIDs)
				assert.Empty(t, out.Rule.TeamID)
			}},
		{name: "delete rule", method: "DELETE", path: fixed("/rules/r1"), user: supA, status: 204, check: func(t *testing.T, e *env, r response) {
			assert.JSONEq(t, `{"items":[]}`, string(e.call("GET", "/rules", supA, nil).body))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			if c.setup != nil {
				c.setup(e)
			}
			var body any
			if c.body != nil {
				body = c.body(e)
			} else if c.method != "GET" && c.method != "DELETE" {
				body = nil
			}
			r := e.call(c.method, c.path(e), c.user, body)
			require.Equal(t, c.status, r.status, "body: %s", r.body)
			if r.status != http.StatusNoContent {
				assert.Contains(t, r.header.Get("Content-Type"), "application/json")
			}
			assert.Equal(t, "nosniff", r.header.Get("X-Content-Type-Options"))
			c.check(t, e, r)
		})
	}
}

// inboundMessageID returns the id of the first customer message of conv.
func inboundMessageID(e *env, conv *oc.Conversation) string {
	msgs, err := e.eng.Messages(e.ctx, conv.WorkspaceID, "sup", conv.ID, 0, 100)
	require.NoError(e.t, err)
	for _, m := range msgs {
		if m.Direction == oc.DirectionIn {
			return m.ID
		}
	}
	e.t.Fatal("no inbound message")
	return ""
}

func TestUnknownRouteIsJSONNotFound(t *testing.T) {
	e := newEnv(t)
	d := e.call("GET", "/nope", supA, nil).requireError(t, http.StatusNotFound, "not_found")
	assert.False(t, strings.Contains(d.Message, "nope"))
}
