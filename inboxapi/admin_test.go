package inboxapi_test

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/inboxapi"
	oc "github.com/dakenh/dakenh/omnichannel"
)

// adminWrite is one write of the administration routes with a valid body.
type adminWrite struct {
	method, path string
	body         any
}

func adminWrites() []adminWrite {
	return []adminWrite{
		{"POST", "/users", inboxapi.UserRequest{ID: "a3", Name: "Phạm Ba", Role: "agent"}},
		{"PUT", "/users/a2", inboxapi.UserRequest{Name: "Lê Thị Hoa", Role: "agent"}},
		{"POST", "/teams", inboxapi.TeamRequest{Name: "Bán hàng", MemberIDs: []string{"a1"}}},
		{"PUT", "/teams/t1", inboxapi.TeamRequest{Name: "Hỗ trợ", MemberIDs: []string{"a1", "a2"}, Method: "least_loaded"}},
		{"POST", "/templates", inboxapi.TemplateRequest{Name: "Chào", Body: "Chào {{customer_name}}"}},
		{"PUT", "/templates/tpl1", inboxapi.TemplateRequest{Name: "Cảm ơn", Body: "Cảm ơn {{customer_name}} nhiều!"}},
		{"POST", "/categories", inboxapi.CategoryRequest{Name: "Đổi trả", ParentID: "c1"}},
		{"PUT", "/categories/c11", inboxapi.CategoryRequest{Name: "Sai sản phẩm (đã sửa)", ParentID: "c1"}},
		{"POST", "/classifications", inboxapi.ClassificationRequest{Name: "Sale"}},
		{"PUT", "/classifications/spam", inboxapi.ClassificationRequest{Name: "Spam", Active: new(bool)}},
		{"PUT", "/workspace", inboxapi.WorkspaceRequest{Name: "Cửa hàng A"}},
		{"POST", "/users/a2/deactivate", nil},
		{"DELETE", "/templates/tpl1", nil},
		{"DELETE", "/teams/t1", nil},
		{"DELETE", "/users/a2", nil},
	}
}

func TestAdminRoutesSucceedForASupervisor(t *testing.T) {
	e := newEnv(t)
	for _, w := range adminWrites() {
		res := e.call(w.method, w.path, supA, w.body)
		assert.Contains(t, []int{http.StatusOK, http.StatusNoContent}, res.status, "%s %s: %s", w.method, w.path, res.body)
	}
	var teams inboxapi.TeamList
	e.call("GET", "/teams", supA, nil).decode(t, &teams)
	require.Len(t, teams.Items, 1)
	assert.Equal(t, "Bán hàng", teams.Items[0].Name)
	var tpls inboxapi.TemplateList
	e.call("GET", "/templates", supA, nil).decode(t, &tpls)
	require.Len(t, tpls.Items, 1)
	assert.Equal(t, "Chào {{customer_name}}", tpls.Items[0].Body)
	var ws inboxapi.Workspace
	e.call("GET", "/workspace", agent1, nil).decode(t, &ws)
	assert.Equal(t, inboxapi.Workspace{ID: wsA, Name: "Cửa hàng A", Status: "active"}, ws)
	var users inboxapi.UserList
	e.call("GET", "/users", supA, nil).decode(t, &users)
	ids := []string{}
	for _, u := range users.Items {
		ids = append(ids, u.ID)
	}
	assert.ElementsMatch(t, []string{"sup", "a1", "a3"}, ids, "a2 removed, a3 created")
}

func TestAdminRoutesListEveryProblem(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		path string
		body any
		want []string
	}{
		{"/users", inboxapi.UserRequest{Role: "admin"}, []string{"id:required", "name:required", "role:not_allowed"}},
		{"/teams", inboxapi.TeamRequest{Method: "random"}, []string{"method:not_allowed", "name:required"}},
		{"/templates", inboxapi.TemplateRequest{Body: "Chào {{nick}}", ChannelKinds: []string{"pigeon"}},
			[]string{"body:template_variables", "channelKinds:unknown", "name:required"}},
		{"/categories", inboxapi.CategoryRequest{Name: "Quá sâu", ParentID: "c111"}, []string{"parentId:category_too_deep"}},
		{"/categories", inboxapi.CategoryRequest{Name: "sai sản phẩm", ParentID: "c1"}, []string{"name:duplicate_name"}},
		{"/classifications", inboxapi.ClassificationRequest{Name: "cskh"}, []string{"name:duplicate_name"}},
	} {
		d := e.call("POST", tc.path, supA, tc.body).requireError(t, http.StatusUnprocessableEntity, "invalid")
		var got []string
		for _, p := range d.Problems {
			got = append(got, p.Field+":"+p.Code)
		}
		assert.ElementsMatch(t, tc.want, got, "%s", tc.path)
	}
	d := e.call("PUT", "/workspace", supA, inboxapi.WorkspaceRequest{}).requireError(t, http.StatusUnprocessableEntity, "invalid")
	require.Len(t, d.Problems, 1)
	assert.Equal(t, "required", d.Problems[0].Code)
}

func TestAdminRoutesAreForbiddenToAgents(t *testing.T) {
	e := newEnv(t)
	for _, w := range adminWrites() {
		d := e.call(w.method, w.path, agent1, w.body).requireError(t, http.StatusForbidden, "forbidden")
		assert.Equal(t, oc.DenySupervisorOnly, d.Reason, "%s %s", w.method, w.path)
	}
}

func TestAdminRoutesStayInTheCallersWorkspace(t *testing.T) {
	e := newEnv(t)
	for _, w := range []adminWrite{
		{"PUT", "/users/b1", inboxapi.UserRequest{Name: "Taken", Role: "supervisor"}},
		{"POST", "/users/b1/deactivate", nil},
		{"DELETE", "/users/b1", nil},
		{"PUT", "/teams/tb", inboxapi.TeamRequest{Name: "Taken"}},
		{"DELETE", "/teams/tb", nil},
		{"PUT", "/templates/tplb", inboxapi.TemplateRequest{Name: "Taken", Body: "x"}},
		{"DELETE", "/templates/tplb", nil},
		{"PUT", "/categories/cb", inboxapi.CategoryRequest{Name: "Taken"}},
		{"PUT", "/classifications/clb", inboxapi.ClassificationRequest{Name: "Taken"}},
	} {
		e.call(w.method, w.path, supA, w.body).requireError(t, http.StatusNotFound, "not_found")
	}
	// A parent of another workspace is unknown here.
	d := e.call("POST", "/categories", supA, inboxapi.CategoryRequest{Name: "x", ParentID: "cb"}).
		requireError(t, http.StatusUnprocessableEntity, "invalid")
	assert.Equal(t, "unknown", d.Problems[0].Code)
	// Workspace B is untouched.
	require.NoError(t, e.eng.ReadWorkspace(e.ctx, wsB, func(rd *oc.WorkspaceReader) error {
		u, err := rd.User("b1")
		require.NoError(t, err)
		assert.Equal(t, "B Agent", u.Name)
		assert.True(t, u.Active)
		tm, err := rd.Team("tb")
		require.NoError(t, err)
		assert.Equal(t, "B team", tm.Name)
		_, err = rd.Template("tplb")
		require.NoError(t, err)
		c, err := rd.Category("cb")
		require.NoError(t, err)
		assert.Equal(t, "B cat", c.Name)
		return nil
	}))
}

func TestMeListsTheTeamsSavedForAMember(t *testing.T) {
	e := newEnv(t)
	var team inboxapi.TeamResponse
	res := e.call("POST", "/teams", supA, inboxapi.TeamRequest{Name: "Bán hàng", MemberIDs: []string{"a2"}})
	res.decode(t, &team)
	var me inboxapi.Me
	e.call("GET", "/me", agent2, nil).decode(t, &me)
	assert.ElementsMatch(t, []string{"t1", team.Team.ID}, me.User.TeamIDs)
	e.call("PUT", "/teams/t1", supA, inboxapi.TeamRequest{Name: "Support", MemberIDs: []string{"a1"}})
	e.call("GET", "/me", agent2, nil).decode(t, &me)
	assert.Equal(t, []string{team.Team.ID}, me.User.TeamIDs)
}

func TestSuspendedWorkspaceRefusesSignIn(t *testing.T) {
	e := newEnv(t)
	_, err := e.eng.SuspendWorkspace(e.ctx, wsA)
	require.NoError(t, err)
	d := e.call("GET", "/me", supA, nil).requireError(t, http.StatusForbidden, "forbidden")
	assert.Equal(t, oc.DenyWorkspaceSuspended, d.Reason)
	e.call("GET", "/me", supB, nil)
	require.Equal(t, http.StatusOK, e.call("GET", "/me", supB, nil).status, "another workspace is not affected")
}

func TestShutdownEndsEventStreams(t *testing.T) {
	e := newEnv(t)
	e.api.Config.RegisterOnShutdown(e.handler.CloseStreams)
	req := e.request("GET", "/events", supA, nil)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(line, "retry:"), "the stream is open: %q", line)

	ctx, cancel := context.WithTimeout(e.ctx, 30*time.Second)
	defer cancel()
	require.NoError(t, e.api.Config.Shutdown(ctx), "Shutdown returned because the stream ended, not at its timeout")
	select {
	case <-e.eventsDone:
	default:
		t.Fatal("Shutdown returned while the stream was still being served")
	}

	// A stream opened after CloseStreams is refused at once.
	rec := httptestRecorder(t, e, "GET", "/events", supA)
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.Contains(t, rec.Body.String(), "shutting_down")
}

// httptestRecorder serves one request straight through the handler (no server) as user.
func httptestRecorder(t *testing.T, e *env, method, path, user string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	req.Header.Set(userHeader, user)
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, req)
	return rec
}

func TestSuspendingAWorkspaceEndsItsStreams(t *testing.T) {
	e := newEnv(t)
	e.openEvents(agent1)

	_, err := e.eng.SuspendWorkspace(e.ctx, wsA)
	require.NoError(t, err)
	select {
	case <-e.eventsDone:
	case <-time.After(30 * time.Second):
		t.Fatal("the stream of a suspended workspace stayed open")
	}
	d := e.call("GET", "/events", agent1, nil).requireError(t, http.StatusForbidden, "forbidden")
	assert.Equal(t, oc.DenyWorkspaceSuspended, d.Reason)
}

// Deleting a workspace ends the streams of its users still connected (the supervisor who deleted
// it is gone too); another workspace's stream goes on.
func TestDeletingAWorkspaceEndsItsStreams(t *testing.T) {
	e := newEnv(t)
	e.openEvents(agent1)
	other := e.openEvents(agentB)

	require.NoError(t, e.eng.DeleteWorkspace(e.ctx, wsA, "sup"))
	select {
	case <-e.eventsDone:
	case <-time.After(30 * time.Second):
		t.Fatal("the stream of a deleted workspace stayed open")
	}
	select {
	case _, open := <-other.c:
		assert.True(t, open, "the other workspace's stream is still open")
	default:
	}
}
