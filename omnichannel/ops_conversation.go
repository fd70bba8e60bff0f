package omnichannel

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// MarkRead records that the user has read the conversation up to its newest entry.
func (e *Engine) MarkRead(ctx context.Context, workspaceID, userID, conversationID string) error {
	return e.update(ctx, func(tx Tx, ch *change) error {
		conv, _, _, err := e.loadForAction(ctx, tx, workspaceID, conversationID, userID, ActionView)
		if err != nil {
			return err
		}
		rs := &ReadState{WorkspaceID: workspaceID, UserID: userID, ConversationID: conv.ID,
			InboundCount: conv.InboundCount, Seq: conv.LastSeq, ReadAt: e.now()}
		if err := tx.PutReadState(rs); err != nil {
			return err
		}
		ch.emit(Event{Kind: EventReadUpdated, WorkspaceID: workspaceID, ConversationID: conv.ID, UserID: userID, At: e.now()})
		return nil
	})
}

// MarkDone moves the conversation to the done filter ("Đánh dấu đã Xong"). The next
// customer message reopens it.
func (e *Engine) MarkDone(ctx context.Context, workspaceID, userID, conversationID string) (*Conversation, error) {
	return e.setStatus(ctx, workspaceID, userID, conversationID, StatusDone, ActivityDone)
}

// Reopen puts a done conversation back into the open list.
func (e *Engine) Reopen(ctx context.Context, workspaceID, userID, conversationID string) (*Conversation, error) {
	return e.setStatus(ctx, workspaceID, userID, conversationID, StatusOpen, ActivityReopened)
}

func (e *Engine) setStatus(ctx context.Context, workspaceID, userID, conversationID string, to ConversationStatus, a ActivityAction) (*Conversation, error) {
	return e.mutate(ctx, workspaceID, userID, conversationID, ActionDone, func(tx Tx, ch *change, conv *Conversation, _ *User) error {
		if conv.Status == to {
			return nil
		}
		from := conv.Status
		conv.Status = to
		return e.record(tx, ch, conv, Activity{Action: a, ActorID: userID, From: string(from), To: string(to)})
	})
}

// Claim gives the conversation to the user who presses "Nhận chat". Exactly one of any
// number of concurrent claimers wins; the others get a *ClaimedError (errors.Is ErrAlreadyClaimed)
// naming the winner. Claiming a conversation one already holds succeeds without change. On a rule,
// only the rule's users (and supervisors) may claim.
func (e *Engine) Claim(ctx context.Context, workspaceID, userID, conversationID string) (*Conversation, error) {
	var out *Conversation
	err := e.updateGrouped(ctx, func(tx Tx, ch *change) error {
		conv, u, notInRule, err := e.loadForClaim(ctx, tx, workspaceID, conversationID, userID)
		if err != nil {
			return err
		}
		out = conv
		if conv.AssigneeID == userID {
			return nil // already ours: nothing changes
		}
		if conv.AssigneeID != "" {
			return &ClaimedError{ConversationID: conv.ID, ClaimedBy: conv.AssigneeID}
		}
		if notInRule && u.Role != RoleSupervisor {
			return &ForbiddenError{Action: ActionClaim, UserID: userID, Code: DenyNotInRule, Reason: "you are not a member of the conversation's rule"}
		}
		from := conv.AssigneeID
		conv.AssigneeID, conv.AwaitingClaim, conv.Claimed = userID, false, true
		if err := e.record(tx, ch, conv, Activity{Action: ActivityClaimed, ActorID: userID, From: from, To: userID}); err != nil {
			return err
		}
		return e.saveConversation(tx, ch, conv, EventConversationUpdated)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ReassignParams says who takes a conversation ("Phụ trách"): a user, or a team whose
// assignment method picks the member. Exactly one of ToUserID and ToTeamID is set.
type ReassignParams struct {
	WorkspaceID    string
	ConversationID string
	// ActorID is the user making the change (recorded in the history).
	ActorID  string
	ToUserID string
	ToTeamID string
}

// Reassign hands the conversation to a user or a team and records who moved it, from whom, to
// whom and when. Beyond the Authorizer, a user who does not own the conversation (and is not a
// supervisor) can never use it to take what a claim would refuse them: a conversation waiting to
// be claimed must be claimed, and an unowned conversation of a rule is handed out only by and to
// members of that rule (an error wrapping ErrForbidden otherwise).
func (e *Engine) Reassign(ctx context.Context, p ReassignParams) (*Conversation, error) {
	if (p.ToUserID == "") == (p.ToTeamID == "") {
		return nil, invalid("choose either a user or a team", "", ProblemChooseOne)
	}
	return e.mutate(ctx, p.WorkspaceID, p.ActorID, p.ConversationID, ActionReassign, func(tx Tx, ch *change, conv *Conversation, actor *User) error {
		if err := e.checkTakeover(tx, conv, actor, p.ToUserID); err != nil {
			return err
		}
		if p.ToUserID != "" {
			to, err := tx.GetUser(p.WorkspaceID, p.ToUserID)
			if err != nil || !to.Active {
				return invalid("the chosen user does not exist or is deactivated", "userId", ProblemUnknown)
			}
			return e.applyRoute(tx, ch, conv, RouteDecision{AssigneeID: to.ID, Detail: "reassigned"}, "", p.ActorID)
		}
		team, err := tx.GetTeam(p.WorkspaceID, p.ToTeamID)
		if err != nil {
			return invalid("the chosen team does not exist", "teamId", ProblemUnknown)
		}
		conn, err := tx.GetConnection(p.WorkspaceID, conv.ConnectionID)
		if err != nil {
			return err
		}
		if conv.TeamID != team.ID {
			if err := e.record(tx, ch, conv, Activity{Action: ActivityTeam, ActorID: p.ActorID, From: conv.TeamID, To: team.ID}); err != nil {
				return err
			}
			conv.TeamID = team.ID
		}
		d, err := e.cfg.Router.Route(ctx, tx, RouteRequest{Reason: RouteTeam, Conversation: conv, Connection: conn, Team: team})
		if err != nil {
			return err
		}
		return e.applyRoute(tx, ch, conv, d, "", p.ActorID)
	})
}

// checkTakeover refuses a reassignment that would let a user who does not own the conversation
// take it where a claim would refuse them (supervisors are never refused; an owner may hand the
// conversation to anyone):
//   - a conversation waiting in a self-claim queue is taken only by claiming it (Claim checks the
//     rule's users and the race);
//   - an unowned conversation of a rule is handed out only by a member of that rule, and only to a
//     member of that rule (or to a team, whose method picks the member).
func (e *Engine) checkTakeover(tx Tx, conv *Conversation, actor *User, toUserID string) error {
	if actor.Role == RoleSupervisor || (conv.AssigneeID != "" && conv.AssigneeID == actor.ID) {
		return nil
	}
	deny := func(code, reason string) error {
		return &ForbiddenError{Action: ActionReassign, UserID: actor.ID, Code: code, Reason: reason}
	}
	if conv.AwaitingClaim {
		return deny(DenyAwaitingClaim, "the conversation is waiting to be claimed: claim it instead")
	}
	if conv.RuleID == "" {
		return nil
	}
	rule, err := tx.GetRule(conv.WorkspaceID, conv.RuleID)
	if isNotFound(err) {
		return nil // the rule is gone: nothing to bypass
	}
	if err != nil {
		return err
	}
	if !contains(rule.UserIDs, actor.ID) {
		return deny(DenyNotInRule, "you are not a member of the conversation's rule")
	}
	if toUserID != "" && !contains(rule.UserIDs, toUserID) {
		return deny(DenyTargetNotInRule, "the chosen user is not a member of the conversation's rule")
	}
	return nil
}

// DetailsParams edits the extended information of a conversation. Nil fields are left
// unchanged; a pointer to "" clears the field.
type DetailsParams struct {
	WorkspaceID      string
	ConversationID   string
	ActorID          string
	CategoryID       *string
	ClassificationID *string
	Note             *string
}

// MaxNoteLength is the longest conversation note, in characters.
const MaxNoteLength = 4000

// UpdateDetails sets the category (a leaf of the three-level tree), classification and note, and
// records each change in the conversation.
func (e *Engine) UpdateDetails(ctx context.Context, p DetailsParams) (*Conversation, error) {
	return e.mutate(ctx, p.WorkspaceID, p.ActorID, p.ConversationID, ActionEdit, func(tx Tx, ch *change, conv *Conversation, _ *User) error {
		if p.CategoryID != nil && *p.CategoryID != conv.CategoryID {
			path, err := categoryPath(tx, p.WorkspaceID, *p.CategoryID)
			if err != nil {
				return err
			}
			from := conv.CategoryID
			conv.CategoryID, conv.CategoryPath = *p.CategoryID, path
			if err := e.record(tx, ch, conv, Activity{Action: ActivityCategory, ActorID: p.ActorID, From: from, To: *p.CategoryID}); err != nil {
				return err
			}
		}
		if p.ClassificationID != nil && *p.ClassificationID != conv.ClassificationID {
			if *p.ClassificationID != "" {
				c, err := tx.GetClassification(p.WorkspaceID, *p.ClassificationID)
				if err != nil || !c.Active {
					return invalid("unknown or inactive classification", "classificationId", ProblemUnknown)
				}
			}
			from := conv.ClassificationID
			conv.ClassificationID = *p.ClassificationID
			if err := e.record(tx, ch, conv, Activity{Action: ActivityClassification, ActorID: p.ActorID, From: from, To: *p.ClassificationID}); err != nil {
				return err
			}
		}
		if p.Note != nil && strings.TrimSpace(*p.Note) != conv.Note {
			note := strings.TrimSpace(*p.Note)
			if len([]rune(note)) > MaxNoteLength {
				return invalid(fmt.Sprintf("the note is longer than %d characters", MaxNoteLength), "note", ProblemTooLong, "max", strconv.Itoa(MaxNoteLength))
			}
			from := conv.Note
			conv.Note = note
			if err := e.record(tx, ch, conv, Activity{Action: ActivityNote, ActorID: p.ActorID, From: from, To: note}); err != nil {
				return err
			}
		}
		return nil
	})
}

// categoryPath validates a category choice and returns the ids from the root. The node must be
// active, a leaf (no active children), and at most three levels deep; "" clears the category.
func categoryPath(tx Tx, workspaceID, id string) ([]string, error) {
	if id == "" {
		return nil, nil
	}
	all, err := tx.ListCategories(workspaceID)
	if err != nil {
		return nil, err
	}
	byID := map[string]*Category{}
	for _, c := range all {
		byID[c.ID] = c
	}
	node := byID[id]
	if node == nil || !node.Active {
		return nil, invalid("unknown or inactive category", "categoryId", ProblemUnknown)
	}
	for _, c := range all {
		if c.ParentID == id && c.Active {
			return nil, invalid(fmt.Sprintf("choose a detailed category under %q", node.Name), "categoryId", ProblemCategoryLeaf, "name", node.Name)
		}
	}
	var path []string
	for n := node; n != nil; n = byID[n.ParentID] {
		path = append([]string{n.ID}, path...)
		if len(path) > 3 {
			return nil, invalid("the category tree is deeper than three levels", "categoryId", ProblemCategoryDeep)
		}
		if n.ParentID == "" {
			break
		}
	}
	return path, nil
}

// mutate loads and authorizes a conversation, runs fn on it and saves it with its activity entries.
func (e *Engine) mutate(ctx context.Context, workspaceID, userID, conversationID string, a Action,
	fn func(tx Tx, ch *change, conv *Conversation, u *User) error) (*Conversation, error) {
	var out *Conversation
	err := e.update(ctx, func(tx Tx, ch *change) error {
		conv, _, u, err := e.loadForAction(ctx, tx, workspaceID, conversationID, userID, a)
		if err != nil {
			return err
		}
		before := conv.Version
		seq := conv.LastSeq
		if err := fn(tx, ch, conv, u); err != nil {
			return err
		}
		out = conv
		if conv.LastSeq == seq && conv.Version == before && len(ch.events) == 0 {
			return nil // nothing changed
		}
		return e.saveConversation(tx, ch, conv, EventConversationUpdated)
	})
	return out, err
}
