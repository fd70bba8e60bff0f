package omnichannel_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	oc "github.com/dakenh/dakenh/omnichannel"
)

// codes returns the field:code pairs of a validation error's problems.
func codes(t *testing.T, err error) []string {
	t.Helper()
	require.ErrorIs(t, err, oc.ErrInvalid)
	var out []string
	for _, p := range oc.ProblemsOf(err) {
		out = append(out, p.Field+":"+p.Code)
	}
	return out
}

func requireDenied(t *testing.T, err error, code string) {
	t.Helper()
	var fe *oc.ForbiddenError
	require.True(t, errors.As(err, &fe), "want a ForbiddenError, got %v", err)
	assert.Equal(t, code, fe.Code)
	assert.ErrorIs(t, err, oc.ErrForbidden)
}

func TestSaveUserReportsEveryProblem(t *testing.T) {
	e := newEnv(t)
	_, err := e.eng.SaveUser(e.ctx, "sup", oc.User{Role: "admin"})
	assert.ElementsMatch(t, []string{"workspaceId:required", "id:required", "name:required", "role:not_allowed"}, codes(t, err))
}

func TestSaveUserByAgentIsForbidden(t *testing.T) {
	e := newEnv(t)
	_, err := e.eng.SaveUser(e.ctx, "a1", oc.User{WorkspaceID: ws, ID: "new", Name: "New", Role: oc.RoleAgent, Active: true})
	requireDenied(t, err, oc.DenySupervisorOnly)
}

func TestSaveUserAsHostWithoutActorAndEvent(t *testing.T) {
	e := newEnv(t)
	sub := e.eng.Subscribe(t.Context(), oc.SubscribeOptions{WorkspaceID: "ws-new", Buffer: 8})
	u, err := e.eng.SaveUser(oc.AsHost(e.ctx), "", oc.User{WorkspaceID: "ws-new", ID: "boss", Name: " Boss ",
		Role: oc.RoleSupervisor, Active: true, TeamIDs: []string{"ignored"}})
	require.NoError(t, err)
	assert.Equal(t, "Boss", u.Name)
	assert.Empty(t, u.TeamIDs, "membership is Team.MemberIDs")
	assert.False(t, u.CreatedAt.IsZero())
	ev := <-sub.C
	assert.Equal(t, oc.EventUserSaved, ev.Kind)
	assert.Equal(t, "boss", ev.UserID)
	// Without AsHost an empty actor is nobody.
	_, err = e.eng.SaveUser(e.ctx, "", oc.User{WorkspaceID: "ws-new", ID: "x", Name: "X", Role: oc.RoleAgent})
	requireDenied(t, err, oc.DenyUnknownUser)
}

func TestTeamMembershipIsDerivedOnRead(t *testing.T) {
	e := newEnv(t)
	_, err := e.eng.SaveTeam(e.ctx, "sup", oc.Team{WorkspaceID: ws, ID: "t2", Name: "Sales", MemberIDs: []string{"a1", "a4"}})
	require.NoError(t, err)
	require.NoError(t, e.eng.ReadAs(e.ctx, ws, "a1", func(r *oc.WorkspaceReader) error {
		u, err := r.User("a1")
		require.NoError(t, err)
		assert.Equal(t, []string{"t1", "t2"}, u.TeamIDs)
		users, err := r.Users()
		require.NoError(t, err)
		for _, u := range users {
			if u.ID == "a4" {
				assert.Equal(t, []string{"t2"}, u.TeamIDs)
			}
		}
		return nil
	}))
	require.NoError(t, e.eng.DeleteTeam(e.ctx, ws, "sup", "t2"))
	require.NoError(t, e.eng.ReadAs(e.ctx, ws, "a4", func(r *oc.WorkspaceReader) error {
		u, err := r.User("a4")
		require.NoError(t, err)
		assert.Empty(t, u.TeamIDs)
		return nil
	}))
	assert.ErrorIs(t, e.eng.DeleteTeam(e.ctx, ws, "sup", "t2"), oc.ErrNotFound)
}

func TestSaveTeamReportsEveryProblem(t *testing.T) {
	e := newEnv(t)
	_, err := e.eng.SaveTeam(e.ctx, "sup", oc.Team{WorkspaceID: ws, Method: "random"})
	assert.ElementsMatch(t, []string{"name:required", "method:not_allowed"}, codes(t, err))
	_, err = e.eng.SaveTeam(e.ctx, "sup", oc.Team{WorkspaceID: ws, Name: "T", MemberIDs: []string{"nobody", "ghost"}})
	assert.Equal(t, []string{"userIds:unknown", "userIds:unknown"}, codes(t, err))
}

func TestSaveTemplateReportsEveryProblem(t *testing.T) {
	e := newEnv(t)
	_, err := e.eng.SaveTemplate(e.ctx, "sup", oc.Template{WorkspaceID: ws, Body: "Chào {{nickname}}", ChannelKinds: []oc.Kind{"pigeon"}})
	assert.ElementsMatch(t, []string{"name:required", "body:template_variables", "channelKinds:unknown"}, codes(t, err))

	tp, err := e.eng.SaveTemplate(e.ctx, "sup", oc.Template{WorkspaceID: ws, Name: "Chào", Body: "Chào {{customer_name}}"})
	require.NoError(t, err)
	require.NotEmpty(t, tp.ID)
	require.NoError(t, e.eng.DeleteTemplate(e.ctx, ws, "sup", tp.ID))
	assert.ErrorIs(t, e.eng.DeleteTemplate(e.ctx, ws, "sup", tp.ID), oc.ErrNotFound)
	_, err = e.eng.SaveTemplate(e.ctx, "a1", oc.Template{WorkspaceID: ws, Name: "x", Body: "y"})
	requireDenied(t, err, oc.DenySupervisorOnly)
}

func TestSaveCategoryKeepsTheTreeValid(t *testing.T) {
	e := newEnv(t)
	save := func(c oc.Category) (*oc.Category, error) {
		c.WorkspaceID, c.Active = ws, true
		return e.eng.SaveCategory(e.ctx, "sup", c)
	}
	top, err := save(oc.Category{ID: "top", Name: "Đơn hàng"})
	require.NoError(t, err)
	mid, err := save(oc.Category{ID: "mid", Name: "Giao hàng", ParentID: top.ID})
	require.NoError(t, err)
	_, err = save(oc.Category{ID: "leaf", Name: "Trễ", ParentID: mid.ID})
	require.NoError(t, err)

	_, err = save(oc.Category{Name: "Quá sâu", ParentID: "leaf"})
	assert.Equal(t, []string{"parentId:category_too_deep"}, codes(t, err))
	_, err = save(oc.Category{Name: " giao HÀNG ", ParentID: "top"})
	assert.Equal(t, []string{"name:duplicate_name"}, codes(t, err))
	_, err = save(oc.Category{Name: "Mồ côi", ParentID: "nowhere"})
	assert.Equal(t, []string{"parentId:unknown"}, codes(t, err))
	_, err = save(oc.Category{ID: "top", Name: "Đơn hàng", ParentID: "leaf"})
	assert.Contains(t, codes(t, err), "parentId:category_cycle")
	_, err = save(oc.Category{ID: "self", Name: "Tự thân", ParentID: "self"})
	assert.Equal(t, []string{"parentId:category_cycle"}, codes(t, err))
	// Moving "mid" (with its child) under another level-2 node would make a fourth level.
	_, err = save(oc.Category{ID: "other", Name: "Khác", ParentID: "top"})
	require.NoError(t, err)
	_, err = save(oc.Category{ID: "mid", Name: "Giao hàng", ParentID: "other"})
	assert.Equal(t, []string{"parentId:category_too_deep"}, codes(t, err))
	// Renaming a node in place is no duplicate of itself.
	_, err = save(oc.Category{ID: "mid", Name: "Giao hàng nhanh", ParentID: "top"})
	require.NoError(t, err)
	_, err = e.eng.SaveCategory(e.ctx, "sup", oc.Category{})
	assert.ElementsMatch(t, []string{"workspaceId:required", "name:required"}, codes(t, err))
}

func TestSaveClassificationRefusesDuplicateNames(t *testing.T) {
	e := newEnv(t)
	c, err := e.eng.SaveClassification(e.ctx, "sup", oc.Classification{WorkspaceID: ws, Name: "Spam", Active: true})
	require.NoError(t, err)
	_, err = e.eng.SaveClassification(e.ctx, "sup", oc.Classification{WorkspaceID: ws, Name: "spam"})
	assert.Equal(t, []string{"name:duplicate_name"}, codes(t, err))
	c.Active = false
	_, err = e.eng.SaveClassification(e.ctx, "sup", *c)
	require.NoError(t, err)
}

// assignees returns the assignee of each given customer's conversation.
func assignees(e *env, customers ...string) map[string]string {
	out := map[string]string{}
	for _, c := range customers {
		out[c] = e.conversationOf(c).AssigneeID
	}
	return out
}

func TestDeactivatingAnAgentHandsHerConversationsOn(t *testing.T) {
	for _, tc := range []struct {
		policy oc.OldConversationPolicy
		remove bool
	}{{oc.PolicyAll, false}, {oc.PolicyNone, false}, {oc.PolicyAll, true}, {oc.PolicyNone, true}} {
		t.Run(fmt.Sprintf("%s/remove=%v", tc.policy, tc.remove), func(t *testing.T) {
			e := newEnv(t)
			e.setRule(oc.MethodRoundRobin, tc.policy, "a1", "a2")
			customers := []string{"c1", "c2", "c3", "c4"}
			for i, c := range customers {
				e.inbound(c, fmt.Sprintf("m%d", i), "xin chào")
			}
			before := assignees(e, customers...)
			var hers []string
			for c, a := range before {
				if a == "a1" {
					hers = append(hers, c)
				}
			}
			require.NotEmpty(t, hers, "round robin gave a1 conversations: %v", before)

			if tc.remove {
				require.NoError(t, e.eng.RemoveUser(e.ctx, ws, "sup", "a1"))
			} else {
				require.NoError(t, e.eng.DeactivateUser(e.ctx, ws, "sup", "a1"))
			}
			after := assignees(e, customers...)
			for c, a := range after {
				assert.NotEqual(t, "a1", a, "customer %s", c)
			}
			for _, c := range hers {
				if tc.policy == oc.PolicyAll {
					assert.Equal(t, "a2", after[c], "policy all hands %s to the remaining user", c)
				} else {
					assert.Empty(t, after[c], "policy none leaves %s without an owner", c)
				}
			}
			require.NoError(t, e.eng.ReadWorkspace(e.ctx, ws, func(r *oc.WorkspaceReader) error {
				rule, err := r.Rule("r1")
				require.NoError(t, err)
				assert.Equal(t, []string{"a2"}, rule.UserIDs)
				team, err := r.Team("t1")
				require.NoError(t, err)
				assert.Equal(t, []string{"a2", "a3"}, team.MemberIDs)
				u, err := r.User("a1")
				if tc.remove {
					assert.ErrorIs(t, err, oc.ErrNotFound)
				} else {
					require.NoError(t, err)
					assert.False(t, u.Active)
				}
				return nil
			}))
		})
	}
}

func TestSuspendedWorkspaceIngestsButRefusesAgents(t *testing.T) {
	e := newEnv(t)
	e.inbound("c1", "m1", "xin chào")
	conv := e.conversationOf("c1")
	w, err := e.eng.SuspendWorkspace(e.ctx, ws)
	require.NoError(t, err)
	assert.Equal(t, oc.WorkspaceSuspended, w.Status)

	// A customer message still arrives (none is lost) and is routed.
	e.inbound("c2", "m2", "còn ai không?")
	require.NotNil(t, e.conversationOf("c2"))

	_, err = e.eng.Send(e.ctx, oc.SendParams{WorkspaceID: ws, ConversationID: conv.ID, UserID: conv.AssigneeID, Text: "hi"})
	requireDenied(t, err, oc.DenyWorkspaceSuspended)
	err = e.eng.ReadAs(e.ctx, ws, "sup", func(*oc.WorkspaceReader) error { return nil })
	requireDenied(t, err, oc.DenyWorkspaceSuspended)
	_, err = e.eng.SaveTeam(e.ctx, "sup", oc.Team{WorkspaceID: ws, Name: "X"})
	requireDenied(t, err, oc.DenyWorkspaceSuspended)
	// The host still administers it.
	_, err = e.eng.SaveTeam(oc.AsHost(e.ctx), "", oc.Team{WorkspaceID: ws, Name: "X"})
	require.NoError(t, err)

	_, err = e.eng.ResumeWorkspace(e.ctx, ws)
	require.NoError(t, err)
	_, err = e.eng.Send(e.ctx, oc.SendParams{WorkspaceID: ws, ConversationID: conv.ID, UserID: conv.AssigneeID, Text: "hi"})
	require.NoError(t, err)
}

func TestWorkspaceRecords(t *testing.T) {
	e := newEnv(t)
	_, err := e.eng.CreateWorkspace(e.ctx, oc.Workspace{})
	assert.Equal(t, []string{"name:required"}, codes(t, err))
	w, err := e.eng.CreateWorkspace(e.ctx, oc.Workspace{ID: "ws-9", Name: "Chi nhánh 9"})
	require.NoError(t, err)
	assert.Equal(t, oc.WorkspaceActive, w.Status)
	_, err = e.eng.CreateWorkspace(e.ctx, oc.Workspace{ID: "ws-9", Name: "again"})
	assert.ErrorIs(t, err, oc.ErrDuplicate)

	// A workspace used without a record gets one when renamed by its supervisor.
	_, err = e.eng.RenameWorkspace(e.ctx, ws, "a1", "Shop")
	requireDenied(t, err, oc.DenySupervisorOnly)
	r, err := e.eng.RenameWorkspace(e.ctx, ws, "sup", " Shop ")
	require.NoError(t, err)
	assert.Equal(t, "Shop", r.Name)
	all, err := e.eng.Workspaces(e.ctx)
	require.NoError(t, err)
	require.Len(t, all, 2)
	assert.Equal(t, []string{ws, "ws-9"}, []string{all[0].ID, all[1].ID})
	got, err := e.eng.Workspace(e.ctx, "ws-9")
	require.NoError(t, err)
	assert.Equal(t, "Chi nhánh 9", got.Name)
}

func TestASupervisorSavingHerselfInactiveHandsHerConversationsOn(t *testing.T) {
	e := newEnv(t)
	e.setRule(oc.MethodRoundRobin, oc.PolicyAll, "sup", "a2")
	for i, c := range []string{"c1", "c2", "c3"} {
		e.inbound(c, fmt.Sprintf("m%d", i), "xin chào")
	}
	_, err := e.eng.SaveUser(e.ctx, "sup", oc.User{WorkspaceID: ws, ID: "sup", Name: "Trần Giám Sát", Role: oc.RoleSupervisor})
	require.NoError(t, err)
	for c, a := range assignees(e, "c1", "c2", "c3") {
		assert.Equal(t, "a2", a, "customer %s", c)
	}
}

func TestEveryAdminWriteEmitsItsEvent(t *testing.T) {
	e := newEnv(t)
	sub := e.eng.Subscribe(t.Context(), oc.SubscribeOptions{WorkspaceID: ws, Buffer: 64})
	next := func(kind oc.EventKind, record string) {
		t.Helper()
		for {
			select {
			case ev := <-sub.C:
				if ev.Kind == kind {
					assert.Equal(t, record, ev.RecordID, "%s", kind)
					return
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("no %s event", kind)
			}
		}
	}
	_, err := e.eng.SaveUser(e.ctx, "sup", oc.User{WorkspaceID: ws, ID: "a8", Name: "Agent 8", Role: oc.RoleAgent, Active: true})
	require.NoError(t, err)
	next(oc.EventUserSaved, "a8")
	_, err = e.eng.SaveTeam(e.ctx, "sup", oc.Team{WorkspaceID: ws, ID: "t9", Name: "Nine", MemberIDs: []string{"a8"}})
	require.NoError(t, err)
	next(oc.EventTeamSaved, "t9")
	_, err = e.eng.SaveTemplate(e.ctx, "sup", oc.Template{WorkspaceID: ws, ID: "tp", Name: "Hi", Body: "Hi"})
	require.NoError(t, err)
	next(oc.EventTemplateSaved, "tp")
	_, err = e.eng.SaveCategory(e.ctx, "sup", oc.Category{WorkspaceID: ws, ID: "cat", Name: "Cat", Active: true})
	require.NoError(t, err)
	next(oc.EventCategorySaved, "cat")
	_, err = e.eng.SaveClassification(e.ctx, "sup", oc.Classification{WorkspaceID: ws, ID: "cl", Name: "Cl", Active: true})
	require.NoError(t, err)
	next(oc.EventClassificationSaved, "cl")
	require.NoError(t, e.eng.DeleteTemplate(e.ctx, ws, "sup", "tp"))
	next(oc.EventTemplateDeleted, "tp")
	require.NoError(t, e.eng.DeactivateUser(e.ctx, ws, "sup", "a8"))
	next(oc.EventTeamSaved, "t9") // she left the team
	next(oc.EventUserDeactivated, "a8")
	require.NoError(t, e.eng.RemoveUser(e.ctx, ws, "sup", "a8"))
	next(oc.EventUserRemoved, "a8")
	require.NoError(t, e.eng.DeleteTeam(e.ctx, ws, "sup", "t9"))
	next(oc.EventTeamDeleted, "t9")
	_, err = e.eng.RenameWorkspace(e.ctx, ws, "sup", "Shop")
	require.NoError(t, err)
	next(oc.EventWorkspaceSaved, ws)
	_, err = e.eng.SuspendWorkspace(e.ctx, ws)
	require.NoError(t, err)
	next(oc.EventWorkspaceSuspended, ws)
	_, err = e.eng.ResumeWorkspace(e.ctx, ws)
	require.NoError(t, err)
	next(oc.EventWorkspaceResumed, ws)
	require.NoError(t, e.eng.DeleteRule(e.ctx, ws, "sup", "r1"))
	next(oc.EventRuleDeleted, "r1")
}
