package omnichannel

import "context"

// Router decides who owns a conversation. The routing package provides the standard one
// (round-robin, self-claim, least-loaded, only-me); hosts may write their own.
//
// Route is called inside the store transaction that opens or re-distributes the conversation, so
// what it reads and writes through tx (a RoutingTx: users in a batch, rotations, open counts)
// commits atomically with the assignment. The conversation is RouteRequest.Conversation; a Router
// never reads it from the store.
type Router interface {
	Route(ctx context.Context, tx RoutingTx, req RouteRequest) (RouteDecision, error)
}

// RouteReason says why routing runs.
type RouteReason string

// Route reasons.
const (
	// RouteNew: a new conversation arrived.
	RouteNew RouteReason = "new"
	// RouteTeam: a user handed the conversation to a team.
	RouteTeam RouteReason = "team"
	// RouteOld: the old-conversation policy redistributes a conversation without an owner.
	RouteOld RouteReason = "old"
)

// RouteRequest is one routing question.
type RouteRequest struct {
	Reason       RouteReason
	Conversation *Conversation
	Connection   *Connection
	// Rule is the connection's rule (Shared permission), nil otherwise.
	Rule *Rule
	// Team is set for RouteTeam.
	Team *Team
	// Exclude lists users who must not be picked (e.g. a user being removed from the rule).
	Exclude []string
}

// RouteDecision is a Router's answer.
type RouteDecision struct {
	// AssigneeID is the chosen user, "" for none.
	AssigneeID string
	// AwaitingClaim leaves the conversation waiting for a self-claim.
	AwaitingClaim bool
	// Detail explains the choice for the activity entry (e.g. "round-robin, rule Sales").
	Detail string
}
