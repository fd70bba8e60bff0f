package omnichannel

import "context"

// CanView returns nil when viewerID may see the conversation: the Authorizer allows ActionView and
// the conversation is inside the viewer's list scope (agents do not see conversations of other
// users' "only me" connections), exactly as ListConversations scopes its pages. It returns an error
// wrapping ErrForbidden when the viewer may not see it (or is not a user of the workspace), and one
// wrapping ErrNotFound when the conversation is not in the workspace. Live-event fan-outs (an SSE
// endpoint) call it to filter events per viewer.
func (e *Engine) CanView(ctx context.Context, workspaceID, viewerID, conversationID string) error {
	return e.view(ctx, func(tx Tx) error {
		_, conn, u, err := e.loadForAction(ctx, tx, workspaceID, conversationID, viewerID, ActionView)
		if err != nil {
			return err
		}
		if !inListScope(u, conn) {
			return &ForbiddenError{Action: ActionView, UserID: viewerID, Code: DenyOnlyMe, Reason: "the connection is set to \"only me\" for its owner"}
		}
		return nil
	})
}

// Connections lists the workspace's connections that viewerID may see, with their credentials
// removed: all of them for supervisors; for agents, all but other users' "only me" connections (the
// scope of ListConversations). An unknown or deactivated viewer gets an error wrapping ErrForbidden.
func (e *Engine) Connections(ctx context.Context, workspaceID, viewerID string) ([]*Connection, error) {
	var out []*Connection
	err := e.view(ctx, func(tx Tx) error {
		u, err := tx.GetUser(workspaceID, viewerID)
		if err != nil {
			if isNotFound(err) {
				return &ForbiddenError{Action: ActionView, UserID: viewerID, Code: DenyUnknownUser, Reason: "unknown user in this workspace"}
			}
			return err
		}
		if err := e.cfg.Authorizer.Authorize(ctx, u, ActionView, nil, nil); err != nil {
			return err
		}
		conns, err := tx.ListConnections(workspaceID)
		if err != nil {
			return err
		}
		for _, c := range conns {
			if inListScope(u, c) {
				cp := *c
				cp.Credentials = Credentials{}
				out = append(out, &cp)
			}
		}
		return nil
	})
	return out, err
}

// inListScope reports whether conn's conversations belong in u's lists (see scopeQuery).
func inListScope(u *User, conn *Connection) bool {
	return u.Role == RoleSupervisor || conn.Permission != PermissionOnlyMe || conn.OwnerID == u.ID
}

// Visible is CanView and Connections' filter without a transaction, for callers that already hold
// the records (a live-event fan-out deciding, in memory, which of its streams get an event). It
// returns nil when u may see conv on conn: the Authorizer allows ActionView and conn is inside u's
// list scope. With conv nil it decides whether u sees the connection conn itself (the filter of
// Connections). An error wraps ErrForbidden. u, conv and conn must be current records of one
// workspace; Visible reads nothing and does not check that u is still a user of it.
func (e *Engine) Visible(ctx context.Context, u *User, conv *Conversation, conn *Connection) error {
	if u == nil || conn == nil || (conv != nil && (conv.WorkspaceID != u.WorkspaceID || conv.ConnectionID != conn.ID)) || conn.WorkspaceID != u.WorkspaceID {
		return &ForbiddenError{Action: ActionView, Code: DenyOtherWorkspace, Reason: "the records are not of one workspace"}
	}
	var err error
	if conv == nil {
		err = e.cfg.Authorizer.Authorize(ctx, u, ActionView, nil, nil)
	} else {
		err = e.cfg.Authorizer.Authorize(ctx, u, ActionView, conv, conn)
	}
	if err != nil {
		return err
	}
	if !inListScope(u, conn) {
		return &ForbiddenError{Action: ActionView, UserID: u.ID, Code: DenyOnlyMe, Reason: "the connection is set to \"only me\" for its owner"}
	}
	return nil
}
