package routing

import (
	"context"
	"fmt"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store"
)

// Strategy picks an owner from a pool of users. It runs inside the store transaction of the
// assignment, so what it reads and writes through tx commits atomically with it.
type Strategy interface {
	Pick(ctx context.Context, tx omnichannel.RoutingTx, p Pool) (omnichannel.RouteDecision, error)
}

// Pool is the set of users a strategy chooses from.
type Pool struct {
	WorkspaceID string
	// Key names the pool's rotation in the store ("rule:<id>" or "team:<id>").
	Key string
	// UserIDs are the eligible users (active, not excluded), in the rule's order.
	UserIDs []string
	// Label describes the pool for the activity entry ("rule Sales", "team Support").
	Label string
}

// Config configures a Router. The zero value is ready to use.
type Config struct {
	// Methods adds or replaces strategies by method. The built-in ones are MethodRoundRobin,
	// MethodClaim and MethodLeastLoaded.
	Methods map[omnichannel.AssignMethod]Strategy
}

// Router is the standard omnichannel.Router.
type Router struct {
	methods map[omnichannel.AssignMethod]Strategy
}

// New returns a Router with the built-in methods plus cfg.Methods. It fails when a method is
// mapped to a nil strategy.
func New(cfg Config) (*Router, error) {
	r := &Router{methods: map[omnichannel.AssignMethod]Strategy{
		omnichannel.MethodRoundRobin:  RoundRobin{},
		omnichannel.MethodClaim:       Claim{},
		omnichannel.MethodLeastLoaded: LeastLoaded{},
	}}
	for m, s := range cfg.Methods {
		if s == nil {
			return nil, fmt.Errorf("routing: method %q has a nil strategy", m)
		}
		r.methods[m] = s
	}
	return r, nil
}

// Route implements omnichannel.Router.
func (r *Router) Route(ctx context.Context, tx omnichannel.RoutingTx, req omnichannel.RouteRequest) (omnichannel.RouteDecision, error) {
	conn := req.Connection
	switch {
	case req.Reason == omnichannel.RouteTeam && req.Team != nil:
		return r.pick(ctx, tx, req.Team.Method, conn.WorkspaceID, "team:"+req.Team.ID, "team "+req.Team.Name, req.Team.MemberIDs, req.Exclude)
	case conn.Permission == omnichannel.PermissionOnlyMe:
		return OnlyMe(ctx, tx, conn, req.Exclude)
	case req.Rule != nil:
		return r.pick(ctx, tx, req.Rule.Method, conn.WorkspaceID, "rule:"+req.Rule.ID, "rule "+req.Rule.Name, req.Rule.UserIDs, req.Exclude)
	}
	return omnichannel.RouteDecision{Detail: "no rule"}, nil
}

func (r *Router) pick(ctx context.Context, tx omnichannel.RoutingTx, m omnichannel.AssignMethod, ws, key, label string, users, exclude []string) (omnichannel.RouteDecision, error) {
	s := r.methods[m]
	if s == nil {
		return omnichannel.RouteDecision{}, fmt.Errorf("routing: unknown method %q", m)
	}
	eligible, err := activeUsers(ctx, tx, ws, users, exclude)
	if err != nil {
		return omnichannel.RouteDecision{}, err
	}
	return s.Pick(ctx, tx, Pool{WorkspaceID: ws, Key: key, UserIDs: eligible, Label: label})
}

// OnlyMe gives the conversation to the connection's owner ("Chỉ mình tôi"), unless the owner is
// deactivated or excluded.
func OnlyMe(ctx context.Context, tx omnichannel.RoutingTx, conn *omnichannel.Connection, exclude []string) (omnichannel.RouteDecision, error) {
	owners, err := activeUsers(ctx, tx, conn.WorkspaceID, []string{conn.OwnerID}, exclude)
	if err != nil || len(owners) == 0 {
		return omnichannel.RouteDecision{Detail: "only me: owner unavailable"}, err
	}
	return omnichannel.RouteDecision{AssigneeID: owners[0], Detail: "only me"}, nil
}

func activeUsers(ctx context.Context, tx omnichannel.RoutingTx, ws string, ids, exclude []string) ([]string, error) {
	var wanted []string
	for _, id := range ids {
		if !contains(exclude, id) && !contains(wanted, id) {
			wanted = append(wanted, id)
		}
	}
	if len(wanted) == 0 {
		return nil, nil
	}
	users := &store.UsersRead{WorkspaceID: ws, UserIDs: wanted}
	if err := tx.ReadBatch(ctx, users); err != nil {
		return nil, err
	}
	var out []string
	for _, u := range users.Users {
		if u.Active {
			out = append(out, u.ID)
		}
	}
	return out, nil
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
