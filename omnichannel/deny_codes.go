package omnichannel

// Forbidden reason codes (ForbiddenError.Code): why a user may not act.
const (
	DenyUserInactive    = "user_inactive"
	DenyUnknownUser     = "unknown_user"
	DenySupervisorOnly  = "supervisor_only"
	DenyOnlyMe          = "only_me"
	DenyAwaitingClaim   = "awaiting_claim"
	DenyClaimedByOther  = "claimed_by_other"
	DenyNotAssignee     = "not_assignee"
	DenyAssignedToOther = "assigned_to_other"
	DenyNotInRule       = "not_in_rule"
	DenyTargetNotInRule = "target_not_in_rule"
	DenyOtherWorkspace  = "other_workspace"
	// DenyWorkspaceSuspended: the workspace is suspended (SuspendWorkspace); its agents may not
	// sign in, send or administer it until it is resumed.
	DenyWorkspaceSuspended = "workspace_suspended"
)
