package omnichannel_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	oc "github.com/dakenh/dakenh/omnichannel"
)

// TestVisibleDecidesLikeCanView: Visible applies the Authorizer and the list scope to records the
// caller holds: supervisors see everything, agents all but other users' "only me" connections,
// deactivated users nothing, and records of another workspace are refused.
func TestVisibleDecidesLikeCanView(t *testing.T) {
	eng, ctx := newEnv(t).eng, context.Background()
	sup := &oc.User{WorkspaceID: "w", ID: "sup", Role: oc.RoleSupervisor, Active: true}
	owner := &oc.User{WorkspaceID: "w", ID: "owner", Role: oc.RoleAgent, Active: true}
	agent := &oc.User{WorkspaceID: "w", ID: "agent", Role: oc.RoleAgent, Active: true}
	gone := &oc.User{WorkspaceID: "w", ID: "gone", Role: oc.RoleSupervisor}
	shared := &oc.Connection{WorkspaceID: "w", ID: "shared", Permission: oc.PermissionShared}
	onlyMe := &oc.Connection{WorkspaceID: "w", ID: "mine", OwnerID: "owner", Permission: oc.PermissionOnlyMe}
	convShared := &oc.Conversation{WorkspaceID: "w", ID: "c1", ConnectionID: "shared"}
	convMine := &oc.Conversation{WorkspaceID: "w", ID: "c2", ConnectionID: "mine"}
	foreign := &oc.Conversation{WorkspaceID: "other", ID: "c3", ConnectionID: "shared"}

	cases := []struct {
		name    string
		u       *oc.User
		conv    *oc.Conversation
		conn    *oc.Connection
		visible bool
	}{
		{"supervisor, only-me conversation", sup, convMine, onlyMe, true},
		{"owner, only-me conversation", owner, convMine, onlyMe, true},
		{"agent, only-me conversation", agent, convMine, onlyMe, false},
		{"agent, shared conversation", agent, convShared, shared, true},
		{"agent, only-me connection", agent, nil, onlyMe, false},
		{"owner, only-me connection", owner, nil, onlyMe, true},
		{"agent, shared connection", agent, nil, shared, true},
		{"deactivated supervisor", gone, convShared, shared, false},
		{"conversation of another workspace", sup, foreign, shared, false},
		{"conversation on another connection", sup, convShared, onlyMe, false},
		{"no user", nil, convShared, shared, false},
	}
	for _, c := range cases {
		err := eng.Visible(ctx, c.u, c.conv, c.conn)
		if c.visible {
			assert.NoError(t, err, c.name)
		} else {
			assert.True(t, errors.Is(err, oc.ErrForbidden), "%s: %v", c.name, err)
		}
	}
}
