package routing

import (
	"context"

	"github.com/dakenh/dakenh/omnichannel"
)

// RoundRobin ("Chia xoay vòng") hands conversations to the pool's users in turn. The position is
// Tx.NextRotation, kept in the store: concurrent assignments, even from several engine processes,
// each get the next user, so n conversations over k users give every user ⌊n/k⌋ or ⌈n/k⌉.
type RoundRobin struct{}

// Pick implements Strategy.
func (RoundRobin) Pick(_ context.Context, tx omnichannel.RoutingTx, p Pool) (omnichannel.RouteDecision, error) {
	if len(p.UserIDs) == 0 {
		return omnichannel.RouteDecision{Detail: p.Label + ": nobody available"}, nil
	}
	n, err := tx.NextRotation(p.WorkspaceID, p.Key)
	if err != nil {
		return omnichannel.RouteDecision{}, err
	}
	return omnichannel.RouteDecision{AssigneeID: p.UserIDs[int(n%int64(len(p.UserIDs)))], Detail: "round-robin, " + p.Label}, nil
}

// Claim ("Tự nhận hội thoại") assigns nobody: the conversation waits until a user of the pool claims
// it with Engine.Claim.
type Claim struct{}

// Pick implements Strategy.
func (Claim) Pick(context.Context, omnichannel.RoutingTx, Pool) (omnichannel.RouteDecision, error) {
	return omnichannel.RouteDecision{AwaitingClaim: true, Detail: "waiting for a claim"}, nil
}

// LeastLoaded gives the conversation to the user with the fewest open conversations; ties go round
// the pool in turn.
type LeastLoaded struct{}

// Pick implements Strategy.
func (LeastLoaded) Pick(_ context.Context, tx omnichannel.RoutingTx, p Pool) (omnichannel.RouteDecision, error) {
	if len(p.UserIDs) == 0 {
		return omnichannel.RouteDecision{Detail: p.Label + ": nobody available"}, nil
	}
	load, err := tx.CountOpenAssigned(p.WorkspaceID, p.UserIDs)
	if err != nil {
		return omnichannel.RouteDecision{}, err
	}
	least := -1
	var tied []string
	for _, u := range p.UserIDs {
		switch n := load[u]; {
		case least < 0 || n < least:
			least, tied = n, []string{u}
		case n == least:
			tied = append(tied, u)
		}
	}
	n, err := tx.NextRotation(p.WorkspaceID, p.Key)
	if err != nil {
		return omnichannel.RouteDecision{}, err
	}
	return omnichannel.RouteDecision{AssigneeID: tied[int(n%int64(len(tied)))], Detail: "least loaded, " + p.Label}, nil
}
