package omnichannel

import "context"

// DefaultAuthorizer is the engine's standard policy:
//   - inactive users may do nothing; supervisors may do everything in their workspace;
//   - administration is for supervisors only;
//   - a conversation of an "only me" connection belongs to the connection's owner alone;
//   - sending requires being the assignee (on a self-claim rule: the user who claimed it);
//   - claiming is open to agents (the engine checks the rule's users and the claim state);
//   - reassigning, marking done and editing details are for the assignee, or anyone while the
//     conversation has no owner.
type DefaultAuthorizer struct{}

// Authorize implements Authorizer.
func (DefaultAuthorizer) Authorize(_ context.Context, u *User, action Action, conv *Conversation, conn *Connection) error {
	deny := func(code, reason string) error {
		return &ForbiddenError{Action: action, UserID: u.ID, Code: code, Reason: reason}
	}
	if !u.Active {
		return deny(DenyUserInactive, "the user is deactivated")
	}
	if u.Role == RoleSupervisor {
		return nil
	}
	if action == ActionAdmin {
		return deny(DenySupervisorOnly, "only supervisors administer the workspace")
	}
	if conv == nil {
		return nil
	}
	if conn != nil && conn.Permission == PermissionOnlyMe && conn.OwnerID != u.ID {
		return deny(DenyOnlyMe, "the connection is set to \"only me\" for its owner")
	}
	switch action {
	case ActionView, ActionClaim:
		return nil
	case ActionSend:
		if conv.AwaitingClaim {
			return deny(DenyAwaitingClaim, "the conversation is waiting to be claimed: claim it first")
		}
		if conv.AssigneeID != u.ID {
			if conv.Claimed {
				return deny(DenyClaimedByOther, "another user claimed the conversation")
			}
			return deny(DenyNotAssignee, "the conversation is not assigned to you")
		}
		return nil
	default:
		if conv.AssigneeID == "" || conv.AssigneeID == u.ID {
			return nil
		}
		return deny(DenyAssignedToOther, "the conversation is assigned to another user")
	}
}
