// Package routing decides who owns a conversation: the standard omnichannel.Router.
//
// A connection set to "only me" gives every conversation to its owner (OnlyMe). A shared connection
// follows its rule's method: RoundRobin spreads conversations evenly over the rule's users in turn,
// with the position kept in the store so several engine processes stay fair together; Claim leaves
// conversations waiting for a user to claim them (the engine's compare-and-set lets exactly one
// win); LeastLoaded gives each conversation to the user with the fewest open ones. Handing a
// conversation to a team uses the team's own method over its members. Deactivated users and users
// being removed are never picked.
//
// Hosts can add or replace methods through Config.Methods.
package routing
