package omnichannel

import (
	"context"
	"fmt"
	"strings"
)

// The administration methods take the acting user; the Authorizer must allow ActionAdmin
// (supervisors, by default), and the workspace must not be suspended. A host that writes users and
// configuration itself (mirroring its CRM, creating the first supervisor of a workspace) passes a
// context made with AsHost: the methods then skip the acting user's check (actorID may be "", and
// the activity entries they record have the system as their actor) but validate the same way.

// admin runs fn in a transaction after checking that actorID may administer the workspace (or
// that ctx is the host's, see AsHost).
func (e *Engine) admin(ctx context.Context, workspaceID, actorID string, fn func(tx Tx, ch *change) error) error {
	if workspaceID == "" {
		return invalid("a workspace id is required", "workspaceId", ProblemRequired)
	}
	return e.update(ctx, func(tx Tx, ch *change) error {
		if err := e.checkAdmin(ctx, tx, workspaceID, actorID); err != nil {
			return err
		}
		return fn(tx, ch)
	})
}

// checkAdmin tells whether actorID may administer the workspace: always for the host (AsHost), else
// an active supervisor (by the Authorizer) of a workspace that is not suspended.
func (e *Engine) checkAdmin(ctx context.Context, tx Tx, workspaceID, actorID string) error {
	if isHost(ctx) {
		return nil
	}
	u, err := tx.GetUser(workspaceID, actorID)
	if err != nil {
		if isNotFound(err) {
			return &ForbiddenError{Action: ActionAdmin, UserID: actorID, Code: DenyUnknownUser, Reason: "unknown user in this workspace"}
		}
		return err
	}
	if err := e.cfg.Authorizer.Authorize(ctx, u, ActionAdmin, nil, nil); err != nil {
		return err
	}
	return checkNotSuspended(tx, workspaceID, ActionAdmin, actorID)
}

// SaveTeam creates or replaces a team (an empty ID gets a new one). Team.MemberIDs is the one
// source of team membership: a user's TeamIDs are derived from it when the engine reads users.
// Problems (no name, an unknown method, members that do not exist or are deactivated) are reported
// together. It emits EventTeamSaved.
func (e *Engine) SaveTeam(ctx context.Context, actorID string, t Team) (*Team, error) {
	var p problems
	checkWorkspaceID(&p, "a team", t.WorkspaceID)
	if strings.TrimSpace(t.Name) == "" {
		p.add("a team needs a name", "name", ProblemRequired)
	}
	switch t.Method {
	case "":
		t.Method = MethodRoundRobin
	case MethodRoundRobin, MethodClaim, MethodLeastLoaded:
	default:
		p.add(fmt.Sprintf("unknown method %q", t.Method), "method", ProblemNotAllowed, "allowed", "round_robin, claim, least_loaded")
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	t.Name = strings.TrimSpace(t.Name)
	t.MemberIDs = dedupe(t.MemberIDs)
	if t.ID == "" {
		t.ID = newID()
	}
	err := e.admin(ctx, t.WorkspaceID, actorID, func(tx Tx, ch *change) error {
		if err := checkUsers(tx, t.WorkspaceID, t.MemberIDs); err != nil {
			return err
		}
		ch.emit(Event{Kind: EventTeamSaved, WorkspaceID: t.WorkspaceID, RecordID: t.ID, At: e.now()})
		return tx.PutTeam(&t)
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// DeleteTeam removes a team. Conversations handed to it keep its id in their history. It emits
// EventTeamDeleted; an unknown team is ErrNotFound.
func (e *Engine) DeleteTeam(ctx context.Context, workspaceID, actorID, teamID string) error {
	return e.admin(ctx, workspaceID, actorID, func(tx Tx, ch *change) error {
		ch.emit(Event{Kind: EventTeamDeleted, WorkspaceID: workspaceID, RecordID: teamID, At: e.now()})
		return tx.DeleteTeam(workspaceID, teamID)
	})
}

// dedupe returns xs without repeated or empty values, in first-seen order.
func dedupe(xs []string) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		if x != "" && !contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func checkUsers(tx Tx, workspaceID string, ids []string) error {
	var p problems
	for _, id := range ids {
		if u, err := tx.GetUser(workspaceID, id); err != nil || !u.Active {
			p.add(fmt.Sprintf("user %q does not exist or is deactivated", id), "userIds", ProblemUnknown, "id", id)
		}
	}
	return p.err()
}

// SaveRule creates or replaces an assignment rule and attaches its sources to it (their
// chat permission becomes "share"). When a source joins the rule, its conversations without an
// owner are handled by the rule's old-conversation policy; when a user leaves the rule, their open
// conversations of the rule lose their owner and are handled by the same policy.
func (e *Engine) SaveRule(ctx context.Context, actorID string, r Rule) (*Rule, error) {
	var p problems
	if strings.TrimSpace(r.Name) == "" {
		p.add("a rule needs a name", "name", ProblemRequired)
	}
	switch r.Method {
	case MethodRoundRobin, MethodClaim, MethodLeastLoaded:
	default:
		p.add(fmt.Sprintf("unknown method %q", r.Method), "method", ProblemNotAllowed, "allowed", "round_robin, claim, least_loaded")
	}
	switch r.OldPolicy {
	case PolicyNone, PolicyAvailable, PolicyAll:
	case "":
		r.OldPolicy = PolicyNone
	default:
		p.add(fmt.Sprintf("unknown old-conversation policy %q", r.OldPolicy), "oldConversations", ProblemNotAllowed, "allowed", "none, available, all")
	}
	if len(r.UserIDs) == 0 {
		p.add("a rule needs at least one user", "userIds", ProblemRequired)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	if r.ID == "" {
		r.ID = newID()
	}
	var added, removedUsers []string
	err := e.admin(ctx, r.WorkspaceID, actorID, func(tx Tx, ch *change) error {
		added, removedUsers = nil, nil
		if err := checkUsers(tx, r.WorkspaceID, r.UserIDs); err != nil {
			return err
		}
		old, err := tx.GetRule(r.WorkspaceID, r.ID)
		if err != nil && !isNotFound(err) {
			return err
		}
		now := e.now()
		if old == nil {
			old = &Rule{}
			r.CreatedAt = now
		} else {
			r.CreatedAt = old.CreatedAt
		}
		r.UpdatedAt = now
		for _, id := range r.SourceIDs {
			c, err := tx.GetConnection(r.WorkspaceID, id)
			if err != nil {
				return invalid(fmt.Sprintf("source %q is not a connection of this workspace", id), "sourceIds", ProblemUnknown, "id", id)
			}
			if c.Permission != PermissionShared || c.RuleID != r.ID {
				c.Permission, c.RuleID, c.UpdatedAt = PermissionShared, r.ID, now
				if err := tx.UpdateConnection(c); err != nil {
					return err
				}
				ch.emit(Event{Kind: EventConnectionUpdated, WorkspaceID: c.WorkspaceID, ConnectionID: c.ID, At: now})
			}
			if !contains(old.SourceIDs, id) {
				added = append(added, id)
			}
		}
		for _, u := range old.UserIDs {
			if !contains(r.UserIDs, u) {
				removedUsers = append(removedUsers, u)
			}
		}
		ch.emit(Event{Kind: EventRuleSaved, WorkspaceID: r.WorkspaceID, RecordID: r.ID, At: now})
		return tx.PutRule(&r)
	})
	if err != nil {
		return nil, err
	}
	if len(removedUsers) > 0 {
		if err := e.orphan(ctx, &r, removedUsers, actorID); err != nil {
			return &r, err
		}
	}
	if len(added) > 0 || len(removedUsers) > 0 {
		if err := e.applyOldPolicyBy(ctx, actorID, r.WorkspaceID, r.ID, r.SourceIDs, removedUsers); err != nil {
			return &r, err
		}
	}
	return &r, nil
}

// orphan takes the open conversations of the rule's sources away from users who left the rule.
func (e *Engine) orphan(ctx context.Context, r *Rule, users []string, actorID string) error {
	return e.eachConversation(ctx, ConversationQuery{WorkspaceID: r.WorkspaceID, ConnectionIDs: r.SourceIDs,
		AssigneeIDs: users, Statuses: []ConversationStatus{StatusOpen}}, func(tx Tx, ch *change, conv *Conversation) error {
		if !contains(users, conv.AssigneeID) {
			return nil
		}
		if err := e.applyRoute(tx, ch, conv, RouteDecision{Detail: "user left the rule " + r.Name}, "", actorID); err != nil {
			return err
		}
		return e.saveConversation(tx, ch, conv, EventConversationUpdated)
	})
}

// applyOldPolicy distributes the conversations of the given connections that have no owner, as the
// rule's old-conversation policy says: none, the available ones (open, reply window still
// open), or all of them. Distribution uses the rule's method, excluding the given users. The
// entries it records have the system as their actor.
func (e *Engine) applyOldPolicy(ctx context.Context, workspaceID, ruleID string, connectionIDs, exclude []string) error {
	return e.applyOldPolicyBy(ctx, "", workspaceID, ruleID, connectionIDs, exclude)
}

// applyOldPolicyBy is applyOldPolicy on behalf of actorID, the user whose change of the rule or of
// a connection's chat permission set the policy off ("" for the system).
func (e *Engine) applyOldPolicyBy(ctx context.Context, actorID, workspaceID, ruleID string, connectionIDs, exclude []string) error {
	var rule *Rule
	if err := e.view(ctx, func(tx Tx) (err error) {
		rule, err = tx.GetRule(workspaceID, ruleID)
		return err
	}); err != nil {
		return err
	}
	if rule.OldPolicy == PolicyNone || rule.OldPolicy == "" || len(connectionIDs) == 0 {
		return nil
	}
	q := ConversationQuery{WorkspaceID: workspaceID, ConnectionIDs: connectionIDs, AssigneeIDs: []string{Unassigned}}
	if rule.OldPolicy == PolicyAvailable {
		q.Statuses = []ConversationStatus{StatusOpen}
	}
	return e.eachConversation(ctx, q, func(tx Tx, ch *change, conv *Conversation) error {
		if conv.AssigneeID != "" || conv.AwaitingClaim {
			return nil
		}
		conn, err := tx.GetConnection(workspaceID, conv.ConnectionID)
		if err != nil {
			return err
		}
		if conn.RuleID != rule.ID {
			return nil
		}
		if rule.OldPolicy == PolicyAvailable {
			if a := e.channels[conn.Kind]; a == nil || !windowOf(a.Capabilities(), conv, e.now()).Open {
				return nil
			}
		}
		if err := e.route(ctx, tx, ch, conv, conn, RouteRequest{Reason: RouteOld, Rule: rule, Exclude: exclude}, actorID); err != nil {
			return err
		}
		return e.saveConversation(tx, ch, conv, EventConversationUpdated)
	})
}

// eachConversation runs fn on every conversation matching q, one transaction per conversation
// (re-read inside it), paging by keyset so changes made by fn do not disturb the walk.
func (e *Engine) eachConversation(ctx context.Context, q ConversationQuery, fn func(tx Tx, ch *change, conv *Conversation) error) error {
	q.Limit = 100
	for {
		var page []*Conversation
		if err := e.view(ctx, func(tx Tx) (err error) {
			page, err = tx.ListConversations(q)
			return err
		}); err != nil {
			return err
		}
		for _, c := range page {
			if err := e.update(ctx, func(tx Tx, ch *change) error {
				conv, err := tx.GetConversation(c.WorkspaceID, c.ID)
				if err != nil {
					return err
				}
				return fn(tx, ch, conv)
			}); err != nil {
				return err
			}
		}
		if len(page) < q.Limit {
			return nil
		}
		last := page[len(page)-1]
		q.After = &Cursor{LastMessageAt: last.LastMessageAt, ConversationID: last.ID}
	}
}

// DeleteRule removes a rule; its sources fall back to "only me" for their owners.
func (e *Engine) DeleteRule(ctx context.Context, workspaceID, actorID, ruleID string) error {
	return e.admin(ctx, workspaceID, actorID, func(tx Tx, ch *change) error {
		conns, err := tx.ListConnections(workspaceID)
		if err != nil {
			return err
		}
		for _, c := range conns {
			if c.RuleID == ruleID {
				c.RuleID, c.Permission, c.UpdatedAt = "", PermissionOnlyMe, e.now()
				if err := tx.UpdateConnection(c); err != nil {
					return err
				}
			}
		}
		ch.emit(Event{Kind: EventRuleDeleted, WorkspaceID: workspaceID, RecordID: ruleID, At: e.now()})
		return tx.DeleteRule(workspaceID, ruleID)
	})
}

// ChatPermissionChange says what SetChatPermission does: the connection of the workspace gets
// the permission, sharing through the rule RuleID ("" for only me), on the acting user's authority.
type ChatPermissionChange struct {
	WorkspaceID  string
	ActorID      string
	ConnectionID string
	Permission   ChatPermission
	RuleID       string
}

// SetChatPermission sets a connection to "only me" (its owner gets every conversation) or to
// "share" through an existing rule. Joining a rule applies its old-conversation policy.
func (e *Engine) SetChatPermission(ctx context.Context, c ChatPermissionChange) error {
	workspaceID, actorID, connectionID, p, ruleID := c.WorkspaceID, c.ActorID, c.ConnectionID, c.Permission, c.RuleID
	if p != PermissionOnlyMe && p != PermissionShared {
		return invalid(fmt.Sprintf("unknown chat permission %q", p), "permission", ProblemNotAllowed, "allowed", "only_me, shared")
	}
	if p == PermissionShared && ruleID == "" {
		return invalid("sharing needs a rule", "ruleId", ProblemRequired)
	}
	var rule *Rule
	err := e.admin(ctx, workspaceID, actorID, func(tx Tx, ch *change) error {
		c, err := tx.GetConnection(workspaceID, connectionID)
		if err != nil {
			return err
		}
		if old := c.RuleID; old != "" && old != ruleID {
			if r, err := tx.GetRule(workspaceID, old); err == nil {
				r.SourceIDs = without(r.SourceIDs, c.ID)
				if err := tx.PutRule(r); err != nil {
					return err
				}
			}
		}
		c.Permission, c.RuleID, c.UpdatedAt = p, "", e.now()
		if p == PermissionShared {
			if rule, err = tx.GetRule(workspaceID, ruleID); err != nil {
				return invalid("unknown rule", "ruleId", ProblemUnknown)
			}
			c.RuleID = ruleID
			if !contains(rule.SourceIDs, c.ID) {
				rule.SourceIDs = append(rule.SourceIDs, c.ID)
				if err := tx.PutRule(rule); err != nil {
					return err
				}
			}
		}
		if err := tx.UpdateConnection(c); err != nil {
			return err
		}
		ch.emit(Event{Kind: EventConnectionUpdated, WorkspaceID: workspaceID, ConnectionID: c.ID, At: e.now()})
		return nil
	})
	if err != nil || rule == nil {
		return err
	}
	return e.applyOldPolicyBy(ctx, actorID, workspaceID, rule.ID, []string{connectionID}, nil)
}

func without(xs []string, x string) []string {
	out := xs[:0:0]
	for _, v := range xs {
		if v != x {
			out = append(out, v)
		}
	}
	return out
}
