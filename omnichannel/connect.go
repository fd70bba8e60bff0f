package omnichannel

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/url"
)

// AddConnection saves a connection whose credentials the host already has (e.g. provisioned
// tokens, or a test). WorkspaceID, Kind, ExternalID and OwnerID are required; the connection starts
// "connected" with "only me" permission unless set. If the workspace already has a connection for
// the account, in any status, that connection is revived instead (see CompleteConnect).
func (e *Engine) AddConnection(ctx context.Context, actorID string, c Connection) (*Connection, error) {
	var problems []string
	if c.WorkspaceID == "" {
		problems = append(problems, "WorkspaceID is required")
	}
	if e.channels[c.Kind] == nil {
		problems = append(problems, fmt.Sprintf("no adapter for channel %q", c.Kind))
	}
	if c.ExternalID == "" {
		problems = append(problems, "ExternalID is required")
	}
	if len(problems) > 0 {
		return nil, &ValidationError{Problems: problems}
	}
	if c.OwnerID == "" {
		c.OwnerID = actorID
	}
	if c.Permission == "" {
		c.Permission = PermissionOnlyMe
	}
	var out *Connection
	err := e.admin(ctx, c.WorkspaceID, actorID, func(tx Tx, ch *change) error {
		var err error
		out, err = e.saveNewConnection(tx, ch, c)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, e.afterConnect(ctx, out)
}

// saveNewConnection saves a connected provider account. When the workspace already has a
// connection of the same kind and provider account id, in any status (a disconnected account
// connected again), that connection is revived: new credentials, status connected, the same id,
// owner, chat permission and rule, so its conversations, identities and messages stay where they
// are and a history sync merges into them. Otherwise a new connection is inserted, unless another
// workspace has the account connected.
func (e *Engine) saveNewConnection(tx Tx, ch *change, c Connection) (*Connection, error) {
	now := e.now()
	existing, err := workspaceConnectionOf(tx, c.WorkspaceID, c.Kind, c.ExternalID)
	if isNotFound(err) {
		existing, err = tx.FindConnectionByExternalID(c.Kind, c.ExternalID)
	}
	switch {
	case err == nil && existing.WorkspaceID != c.WorkspaceID:
		return nil, invalid("this account is already connected to another workspace", "", ProblemAlreadyElsewhere)
	case err == nil:
		existing.Credentials, existing.Status, existing.StatusReason = c.Credentials, ConnectionConnected, ""
		if c.DisplayName != "" {
			existing.DisplayName = c.DisplayName
		}
		existing.UpdatedAt = now
		if err := tx.UpdateConnection(existing); err != nil {
			return nil, err
		}
		c = *existing
	case isNotFound(err):
		c.ID, c.Status, c.CreatedAt, c.UpdatedAt = newID(), ConnectionConnected, now, now
		if err := tx.PutConnection(&c); err != nil {
			return nil, err
		}
		if c.Permission == PermissionShared && c.RuleID != "" {
			r, err := tx.GetRule(c.WorkspaceID, c.RuleID)
			if err != nil {
				return nil, invalid("unknown rule", "ruleId", ProblemUnknown)
			}
			if !contains(r.SourceIDs, c.ID) {
				r.SourceIDs = append(r.SourceIDs, c.ID)
				if err := tx.PutRule(r); err != nil {
					return nil, err
				}
			}
		}
	default:
		return nil, err
	}
	ch.emit(Event{Kind: EventConnectionUpdated, WorkspaceID: c.WorkspaceID, ConnectionID: c.ID, At: now})
	return &c, nil
}

// workspaceConnectionOf returns the workspace's connection of kind for the provider account id, in
// any status; when an older database holds several (an account connected again before connections
// were revived), the one still in use wins (connected or needing a reconnect), then the newest.
func workspaceConnectionOf(tx Tx, workspaceID string, kind Kind, externalID string) (*Connection, error) {
	conns, err := tx.ListConnections(workspaceID)
	if err != nil {
		return nil, err
	}
	var best *Connection
	for _, c := range conns {
		if c.Kind != kind || c.ExternalID != externalID {
			continue
		}
		if best == nil || betterRevival(c, best) {
			best = c
		}
	}
	if best == nil {
		return nil, fmt.Errorf("%w: connection %s/%s", ErrNotFound, kind, externalID)
	}
	return best, nil
}

// betterRevival reports whether a is the better connection to revive than b.
func betterRevival(a, b *Connection) bool {
	aLive, bLive := a.Status != ConnectionDisconnected, b.Status != ConnectionDisconnected
	if aLive != bLive {
		return aLive
	}
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.After(b.CreatedAt)
	}
	return a.ID > b.ID
}

// afterConnect queues the history sync of a new connection (the policy runs after it), or applies
// the rule's policy directly when the adapter cannot sync.
func (e *Engine) afterConnect(ctx context.Context, c *Connection) error {
	if _, ok := e.channels[c.Kind].(HistorySyncer); ok {
		return e.update(ctx, func(tx Tx, ch *change) error {
			return e.enqueue(tx, ch, &Job{WorkspaceID: c.WorkspaceID, Kind: JobSyncHistory, ConnectionID: c.ID})
		})
	}
	if c.Permission == PermissionShared && c.RuleID != "" {
		return e.applyOldPolicy(ctx, c.WorkspaceID, c.RuleID, []string{c.ID}, nil)
	}
	return nil
}

// ConnectParams starts "Thêm kết nối".
type ConnectParams struct {
	WorkspaceID string
	// UserID is the admin connecting; the callback must come back for the same user.
	UserID      string
	Kind        Kind
	RedirectURI string
	// Permission and RuleID are the chat permission chosen for the new connection (default only me).
	Permission ChatPermission
	RuleID     string
}

// StartConnect creates a single-use state bound to the user (with a PKCE verifier) and returns the
// provider's consent URL.
func (e *Engine) StartConnect(ctx context.Context, p ConnectParams) (string, error) {
	conn, ok := e.channels[p.Kind].(Connector)
	if !ok {
		return "", fmt.Errorf("%w: channel %q cannot connect by OAuth", ErrUnsupported, p.Kind)
	}
	if p.Permission == "" {
		p.Permission = PermissionOnlyMe
	}
	st := &OAuthState{State: randomToken(24), WorkspaceID: p.WorkspaceID, UserID: p.UserID, Kind: p.Kind,
		CodeVerifier: randomToken(48), RedirectURI: p.RedirectURI, Permission: p.Permission, RuleID: p.RuleID,
		ExpiresAt: e.now().Add(e.cfg.OAuthStateTTL)}
	err := e.admin(ctx, p.WorkspaceID, p.UserID, func(tx Tx, ch *change) error {
		if p.Permission == PermissionShared {
			if _, err := tx.GetRule(p.WorkspaceID, p.RuleID); err != nil {
				return invalid("unknown rule", "ruleId", ProblemUnknown)
			}
		}
		return tx.InsertOAuthState(st)
	})
	if err != nil {
		return "", err
	}
	return conn.AuthCodeURL(st.State, st.CodeVerifier, p.RedirectURI), nil
}

// CompleteConnect finishes the flow on the provider's redirect: the state must exist, be unexpired,
// unused, and belong to userID in workspaceID (else an error wrapping ErrBadState; another user's
// attempt leaves the state for its owner, any other use consumes it); the adapter
// exchanges the code; the connection is saved as "connected" and its history sync is queued.
//
// Connecting an account (same kind and provider account id) that the workspace already has, even
// disconnected, revives that Connection: new tokens, status connected, the same id, and its owner,
// chat permission and rule kept (the ones chosen in this flow apply only to a new connection). Its
// conversations stay on it, the history sync merges into them without duplicates, and messages
// that failed while it was disconnected can be retried (RetrySend).
func (e *Engine) CompleteConnect(ctx context.Context, workspaceID, userID string, query url.Values) (*Connection, error) {
	all, err := e.CompleteConnectAll(ctx, workspaceID, userID, query)
	if err != nil {
		return nil, err
	}
	return all[0], nil
}

// CompleteConnectAll is CompleteConnect for adapters whose one consent can grant several accounts
// (MultiConnector): every granted account is saved (or revived) as its own connection, in one
// transaction, and all of them are returned, in the adapter's order (at least one). For other
// adapters it returns the one connection CompleteConnect saves.
func (e *Engine) CompleteConnectAll(ctx context.Context, workspaceID, userID string, query url.Values) ([]*Connection, error) {
	var st *OAuthState
	err := e.store.Update(ctx, func(tx Tx) (err error) {
		st, err = tx.TakeOAuthState(query.Get("state"))
		if err == nil && (st.WorkspaceID != workspaceID || st.UserID != userID) {
			// Whose it is comes first: another user opening the callback URL must not spoil the
			// owner's flow, so the error rolls the take back and the state stays usable.
			err = ErrBadState
		}
		return err
	})
	if err != nil || !e.now().Before(st.ExpiresAt) {
		return nil, ErrBadState
	}
	conn, ok := e.channels[st.Kind].(Connector)
	if !ok {
		return nil, ErrBadState
	}
	params := CallbackParams{Query: query, CodeVerifier: st.CodeVerifier, RedirectURI: st.RedirectURI}
	var granted []*Connection
	if mc, ok := conn.(MultiConnector); ok {
		granted, err = mc.ExchangeAll(ctx, params)
		if err == nil && len(granted) == 0 {
			err = &ValidationError{Problems: []string{"the consent granted no account"}}
		}
	} else {
		var c *Connection
		c, err = conn.Exchange(ctx, params)
		granted = []*Connection{c}
	}
	if err != nil {
		return nil, err
	}
	out := make([]*Connection, 0, len(granted))
	err = e.admin(ctx, workspaceID, userID, func(tx Tx, ch *change) error {
		out = out[:0]
		for _, c := range granted {
			c := *c
			if c.Kind == "" {
				c.Kind = st.Kind
			}
			if e.channels[c.Kind] == nil {
				continue // a kind this engine does not run (Instagram without its adapter)
			}
			c.WorkspaceID, c.OwnerID, c.Permission, c.RuleID = workspaceID, userID, st.Permission, st.RuleID
			saved, err := e.saveNewConnection(tx, ch, c)
			if err != nil {
				return err
			}
			out = append(out, saved)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, &ValidationError{Unsupported: true, Problems: []string{"the consent granted no account of a channel this inbox runs"}}
	}
	for _, c := range out {
		if err := e.afterConnect(ctx, c); err != nil {
			return out, err
		}
	}
	return out, nil
}

// Disconnect stops a connection: its webhooks are ignored and nothing is sent through it.
func (e *Engine) Disconnect(ctx context.Context, workspaceID, actorID, connectionID string) error {
	return e.admin(ctx, workspaceID, actorID, func(tx Tx, ch *change) error {
		c, err := tx.GetConnection(workspaceID, connectionID)
		if err != nil {
			return err
		}
		c.Status, c.Credentials, c.UpdatedAt = ConnectionDisconnected, Credentials{}, e.now()
		if err := tx.UpdateConnection(c); err != nil {
			return err
		}
		ch.emit(Event{Kind: EventConnectionUpdated, WorkspaceID: workspaceID, ConnectionID: c.ID, At: e.now()})
		return nil
	})
}

func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
