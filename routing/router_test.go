package routing_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	oc "github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/routing"
	"github.com/dakenh/dakenh/store/memory"
)

func seed(t *testing.T, s oc.Store, users ...string) {
	t.Helper()
	require.NoError(t, s.Update(context.Background(), func(tx oc.Tx) error {
		for _, u := range users {
			if err := tx.PutUser(&oc.User{WorkspaceID: "w", ID: u, Name: u, Role: oc.RoleAgent, Active: u != "inactive"}); err != nil {
				return err
			}
		}
		return nil
	}))
}

func route(t *testing.T, s oc.Store, r *routing.Router, req oc.RouteRequest) oc.RouteDecision {
	t.Helper()
	var d oc.RouteDecision
	require.NoError(t, s.Update(context.Background(), func(tx oc.Tx) (err error) {
		d, err = r.Route(context.Background(), tx, req)
		return err
	}))
	return d
}

func shared(m oc.AssignMethod, users ...string) oc.RouteRequest {
	return oc.RouteRequest{Reason: oc.RouteNew, Conversation: &oc.Conversation{WorkspaceID: "w"},
		Connection: &oc.Connection{WorkspaceID: "w", ID: "c", Permission: oc.PermissionShared, RuleID: "r"},
		Rule:       &oc.Rule{WorkspaceID: "w", ID: "r", Name: "R", UserIDs: users, Method: m}}
}

func TestRoundRobinIsEvenUnderConcurrencyAndSkipsInactiveAndExcluded(t *testing.T) {
	s := memory.New()
	seed(t, s, "a", "b", "c", "inactive")
	r, err := routing.New(routing.Config{})
	require.NoError(t, err)
	counts := map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := 0; i < 300; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := route(t, s, r, shared(oc.MethodRoundRobin, "a", "b", "inactive", "c", "ghost"))
			mu.Lock()
			counts[d.AssigneeID]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	assert.Equal(t, map[string]int{"a": 100, "b": 100, "c": 100}, counts)

	req := shared(oc.MethodRoundRobin, "a", "b")
	req.Exclude = []string{"a"}
	for i := 0; i < 3; i++ {
		assert.Equal(t, "b", route(t, s, r, req).AssigneeID)
	}
	req.Exclude = []string{"a", "b"}
	assert.Empty(t, route(t, s, r, req).AssigneeID, "nobody available")
}

func TestClaimLeavesConversationWaiting(t *testing.T) {
	s := memory.New()
	seed(t, s, "a")
	r, _ := routing.New(routing.Config{})
	d := route(t, s, r, shared(oc.MethodClaim, "a"))
	assert.True(t, d.AwaitingClaim)
	assert.Empty(t, d.AssigneeID)
}

func TestLeastLoadedPicksTheUserWithFewestOpenConversations(t *testing.T) {
	s := memory.New()
	seed(t, s, "a", "b", "c")
	require.NoError(t, s.Update(context.Background(), func(tx oc.Tx) error {
		for i, u := range []string{"a", "a", "b"} {
			if err := tx.InsertConversation(&oc.Conversation{WorkspaceID: "w", ID: fmt.Sprint(i), ConnectionID: "c",
				IdentityID: fmt.Sprint("i", i), AssigneeID: u, Status: oc.StatusOpen}); err != nil {
				return err
			}
		}
		return nil
	}))
	r, _ := routing.New(routing.Config{})
	assert.Equal(t, "c", route(t, s, r, shared(oc.MethodLeastLoaded, "a", "b", "c")).AssigneeID)
}

func TestOnlyMeAndTeamsAndCustomMethods(t *testing.T) {
	s := memory.New()
	seed(t, s, "owner", "t1", "t2")
	r, err := routing.New(routing.Config{Methods: map[oc.AssignMethod]routing.Strategy{"vip": fixed("t2")}})
	require.NoError(t, err)
	onlyMe := oc.RouteRequest{Reason: oc.RouteNew, Connection: &oc.Connection{WorkspaceID: "w", Permission: oc.PermissionOnlyMe, OwnerID: "owner"}}
	assert.Equal(t, "owner", route(t, s, r, onlyMe).AssigneeID)
	team := oc.RouteRequest{Reason: oc.RouteTeam, Connection: onlyMe.Connection,
		Team: &oc.Team{WorkspaceID: "w", ID: "T", Name: "T", MemberIDs: []string{"t1", "t2"}, Method: "vip"}}
	assert.Equal(t, "t2", route(t, s, r, team).AssigneeID, "a team uses its own method even on an only-me connection")
	_, err = routing.New(routing.Config{Methods: map[oc.AssignMethod]routing.Strategy{"x": nil}})
	assert.Error(t, err)
}

type fixed string

func (f fixed) Pick(context.Context, oc.RoutingTx, routing.Pool) (oc.RouteDecision, error) {
	return oc.RouteDecision{AssigneeID: string(f)}, nil
}

func ExampleNew() {
	r, _ := routing.New(routing.Config{})
	s := memory.New()
	ctx := context.Background()
	s.Update(ctx, func(tx oc.Tx) error {
		for _, u := range []string{"minh", "lan"} {
			tx.PutUser(&oc.User{WorkspaceID: "w", ID: u, Active: true})
		}
		req := oc.RouteRequest{Reason: oc.RouteNew,
			Connection: &oc.Connection{WorkspaceID: "w", Permission: oc.PermissionShared},
			Rule:       &oc.Rule{WorkspaceID: "w", ID: "sales", Name: "Sales", UserIDs: []string{"minh", "lan"}, Method: oc.MethodRoundRobin}}
		for i := 0; i < 3; i++ {
			d, _ := r.Route(ctx, tx, req)
			fmt.Println(d.AssigneeID)
		}
		return nil
	})
	// Output:
	// minh
	// lan
	// minh
}
