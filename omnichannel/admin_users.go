package omnichannel

import (
	"context"
	"fmt"
	"strings"
)

// MaxAdminNameLength is the longest name of a user, team, template, category or classification,
// in characters.
const MaxAdminNameLength = 200

// SaveUser creates or replaces a user of the workspace (users mirror the host CRM's, so ID is the
// host's and required). Problems (no workspace, id or name, a role other than RoleAgent or
// RoleSupervisor, a name that is too long) are reported together. CreatedAt is kept from the stored
// user (set now for a new one); TeamIDs is not stored: team membership is Team.MemberIDs, and the
// engine's reads (Users, ReadAs) derive a user's TeamIDs from it. Saving an active user as inactive
// deactivates her as DeactivateUser does. It emits EventUserSaved.
func (e *Engine) SaveUser(ctx context.Context, actorID string, u User) (*User, error) {
	var p problems
	checkWorkspaceID(&p, "a user", u.WorkspaceID)
	if strings.TrimSpace(u.ID) == "" {
		p.add("a user needs an id", "id", ProblemRequired)
	}
	u.Name = strings.TrimSpace(u.Name)
	checkName(&p, "a user", u.Name)
	switch u.Role {
	case RoleAgent, RoleSupervisor:
	default:
		p.add(fmt.Sprintf("unknown role %q", u.Role), "role", ProblemNotAllowed, "allowed", "agent, supervisor")
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	u.TeamIDs = nil
	deactivated := false
	err := e.admin(ctx, u.WorkspaceID, actorID, func(tx Tx, ch *change) error {
		old, err := tx.GetUser(u.WorkspaceID, u.ID)
		switch {
		case err == nil:
			u.CreatedAt = old.CreatedAt
			deactivated = old.Active && !u.Active
		case isNotFound(err):
			u.CreatedAt = e.now()
		default:
			return err
		}
		ch.emit(Event{Kind: EventUserSaved, WorkspaceID: u.WorkspaceID, UserID: u.ID, RecordID: u.ID, At: e.now()})
		return tx.PutUser(&u)
	})
	if err != nil {
		return nil, err
	}
	if deactivated {
		// The actor was checked above (and may be the user herself, now inactive).
		if err := e.retireUser(ctx, u.WorkspaceID, actorID, u.ID, false, false); err != nil {
			return &u, err
		}
	}
	return &u, nil
}

// checkWorkspaceID adds a problem when a record (what: "a user") names no workspace.
func checkWorkspaceID(p *problems, what, workspaceID string) {
	if strings.TrimSpace(workspaceID) == "" {
		p.add(what+" needs a workspace", "workspaceId", ProblemRequired)
	}
}

// checkName adds a problem when name (trimmed) is empty or longer than MaxAdminNameLength.
func checkName(p *problems, what, name string) {
	switch {
	case name == "":
		p.add(what+" needs a name", "name", ProblemRequired)
	case len([]rune(name)) > MaxAdminNameLength:
		p.add(what+"'s name is too long", "name", ProblemTooLong, "max", fmt.Sprint(MaxAdminNameLength))
	}
}

// DeactivateUser deactivates a user (she keeps her history and may be saved active again later),
// takes her out of every team and assignment rule, and hands her open conversations on: those of a
// rule's sources lose their owner and are handled by the rule's old-conversation policy (
// as when a user leaves the rule in SaveRule), the others lose their owner. It emits
// EventUserDeactivated.
func (e *Engine) DeactivateUser(ctx context.Context, workspaceID, actorID, userID string) error {
	return e.retireUser(ctx, workspaceID, actorID, userID, false, true)
}

// RemoveUser removes a user's record, after taking her out of teams and rules and handing her open
// conversations on as DeactivateUser does; what she did (messages, activity entries) keeps her id.
// It emits EventUserRemoved.
func (e *Engine) RemoveUser(ctx context.Context, workspaceID, actorID, userID string) error {
	return e.retireUser(ctx, workspaceID, actorID, userID, true, true)
}

// retireUser deactivates (or removes) userID, takes her out of teams and rules, then hands her
// conversations on. checkActor false skips the acting user's check (the caller made it).
func (e *Engine) retireUser(ctx context.Context, workspaceID, actorID, userID string, remove, checkActor bool) error {
	if userID == "" {
		return invalid("a user id is required", "userId", ProblemRequired)
	}
	run := e.admin
	if !checkActor {
		run = func(ctx context.Context, _, _ string, fn func(tx Tx, ch *change) error) error {
			return e.update(ctx, fn)
		}
	}
	var rules []*Rule
	err := run(ctx, workspaceID, actorID, func(tx Tx, ch *change) error {
		rules = nil
		u, err := tx.GetUser(workspaceID, userID)
		if err != nil {
			return err
		}
		now := e.now()
		teams, err := tx.ListTeams(workspaceID)
		if err != nil {
			return err
		}
		for _, t := range teams {
			if contains(t.MemberIDs, userID) {
				t.MemberIDs = without(t.MemberIDs, userID)
				if err := tx.PutTeam(t); err != nil {
					return err
				}
				ch.emit(Event{Kind: EventTeamSaved, WorkspaceID: workspaceID, RecordID: t.ID, At: now})
			}
		}
		all, err := tx.ListRules(workspaceID)
		if err != nil {
			return err
		}
		for _, r := range all {
			if contains(r.UserIDs, userID) {
				r.UserIDs, r.UpdatedAt = without(r.UserIDs, userID), now
				if err := tx.PutRule(r); err != nil {
					return err
				}
				rules = append(rules, r)
				ch.emit(Event{Kind: EventRuleSaved, WorkspaceID: workspaceID, RecordID: r.ID, At: now})
			}
		}
		if remove {
			ch.emit(Event{Kind: EventUserRemoved, WorkspaceID: workspaceID, UserID: userID, RecordID: userID, At: now})
			return tx.DeleteUser(workspaceID, userID)
		}
		u.Active = false
		ch.emit(Event{Kind: EventUserDeactivated, WorkspaceID: workspaceID, UserID: userID, RecordID: userID, At: now})
		return tx.PutUser(u)
	})
	if err != nil {
		return err
	}
	return e.handOver(ctx, workspaceID, actorID, userID, rules)
}

// handOver hands on the open conversations of a user who left the given rules (and the
// workspace's service): through each rule's old-conversation policy for its sources' conversations,
// then by taking her off the rest.
func (e *Engine) handOver(ctx context.Context, workspaceID, actorID, userID string, rules []*Rule) error {
	if isHost(ctx) {
		actorID = ""
	}
	left := []string{userID}
	for _, r := range rules {
		if len(r.SourceIDs) == 0 {
			continue
		}
		if err := e.orphan(ctx, r, left, actorID); err != nil {
			return err
		}
		if err := e.applyOldPolicyBy(ctx, actorID, workspaceID, r.ID, r.SourceIDs, left); err != nil {
			return err
		}
	}
	return e.eachConversation(ctx, ConversationQuery{WorkspaceID: workspaceID, AssigneeIDs: left,
		Statuses: []ConversationStatus{StatusOpen}}, func(tx Tx, ch *change, conv *Conversation) error {
		if conv.AssigneeID != userID {
			return nil
		}
		if err := e.applyRoute(tx, ch, conv, RouteDecision{Detail: "user deactivated"}, "", actorID); err != nil {
			return err
		}
		return e.saveConversation(tx, ch, conv, EventConversationUpdated)
	})
}
