package omnichannel

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dakenh/dakenh/store"
)

// ConversationPage is one page of the conversation list.
type ConversationPage struct {
	Conversations []*Conversation
	// Unread maps conversation id to the viewer's unread customer messages (absent: 0).
	Unread map[string]int64
	// Next is the cursor of the following page ("" on the last page).
	Next string
}

// ListConversations returns a page of the viewer's conversation list, newest activity first.
// q.WorkspaceID and viewerID are required; q.After may come from ParseCursor(page.Next).
// Agents do not see conversations of other users' "only me" connections.
func (e *Engine) ListConversations(ctx context.Context, viewerID string, q ConversationQuery) (*ConversationPage, error) {
	page := &ConversationPage{Unread: map[string]int64{}}
	err := e.view(ctx, func(tx Tx) error {
		ok, err := e.scopeQuery(ctx, tx, viewerID, &q)
		if err != nil || !ok {
			return err
		}
		limit := q.Limit
		if limit <= 0 {
			limit = 50
		}
		if limit > 200 {
			limit = 200
		}
		q.Limit = limit + 1
		convs, err := tx.ListConversations(q)
		if err != nil {
			return err
		}
		if len(convs) > limit {
			convs = convs[:limit]
			last := convs[limit-1]
			page.Next = EncodeCursor(Cursor{LastMessageAt: last.LastMessageAt, ConversationID: last.ID})
		}
		page.Conversations = convs
		return unreadOfPage(ctx, tx, viewerID, q.WorkspaceID, convs, page.Unread)
	})
	return page, err
}

// CountUnread counts the conversations matching q that have customer messages the viewer has not
// read (the badge of the inbox).
func (e *Engine) CountUnread(ctx context.Context, viewerID string, q ConversationQuery) (int, error) {
	n := 0
	err := e.view(ctx, func(tx Tx) error {
		if countableByConnection(q) && q.WorkspaceID != "" {
			u, conns, counts, err := readScope(ctx, tx, q.WorkspaceID, viewerID, true)
			if err != nil {
				return err
			}
			ok, err := e.scopeFrom(u, conns, viewerID, &q)
			if err != nil || !ok {
				return err
			}
			n = sumCounts(counts, q.ConnectionIDs)
			return nil
		}
		ok, err := e.scopeQuery(ctx, tx, viewerID, &q)
		if err != nil || !ok {
			return err
		}
		n, err = tx.CountUnread(q)
		return err
	})
	return n, err
}

// unreadOfPage sets unread[id] to the viewer's unread customer messages of each conversation of a
// page that has some, reading the viewer's read positions of the whole page in one batch.
func unreadOfPage(ctx context.Context, tx Tx, viewerID, workspaceID string, convs []*Conversation, unread map[string]int64) error {
	if len(convs) == 0 {
		return nil
	}
	ids := make([]string, len(convs))
	for i, c := range convs {
		ids[i] = c.ID
	}
	pos := &store.ReadPositionsRead{WorkspaceID: workspaceID, UserIDs: []string{viewerID}, ConversationIDs: ids}
	if err := tx.ReadBatch(ctx, pos); err != nil {
		return err
	}
	for _, c := range convs {
		if n := c.InboundCount - pos.Positions[store.ReadPosition{UserID: viewerID, ConversationID: c.ID}]; n > 0 {
			unread[c.ID] = n
		}
	}
	return nil
}

// scopeQuery applies the viewer's visibility to q. It reports false when the viewer can see nothing.
func (e *Engine) scopeQuery(ctx context.Context, tx Tx, viewerID string, q *ConversationQuery) (bool, error) {
	if q.WorkspaceID == "" {
		return false, invalid("WorkspaceID is required", "workspaceId", ProblemRequired)
	}
	u, conns, _, err := readScope(ctx, tx, q.WorkspaceID, viewerID, false)
	if err != nil {
		return false, err
	}
	return e.scopeFrom(u, conns, viewerID, q)
}

// scopeFrom is scopeQuery once the viewer u (nil: unknown) and the workspace's connections (read
// in the same batch; a supervisor's visibility does not depend on them) are read.
func (e *Engine) scopeFrom(u *User, conns []*Connection, viewerID string, q *ConversationQuery) (bool, error) {
	if q.WorkspaceID == "" {
		return false, invalid("WorkspaceID is required", "workspaceId", ProblemRequired)
	}
	if u == nil {
		return false, &ForbiddenError{Action: ActionView, UserID: viewerID, Code: DenyUnknownUser, Reason: "unknown user in this workspace"}
	}
	if err := e.cfg.Authorizer.Authorize(context.Background(), u, ActionView, nil, nil); err != nil {
		return false, err
	}
	// The engine sets these from the viewer and the search text; a caller's different value would
	// be silently replaced, so it is refused instead.
	if q.ViewerID != "" && q.ViewerID != viewerID {
		return false, invalid("ConversationQuery.ViewerID is set by the engine to the viewer: leave it empty", "viewerId", ProblemNotAllowed)
	}
	q.ViewerID = viewerID
	q.Search = strings.TrimSpace(q.Search)
	digits := searchDigits(q.Search)
	if q.SearchDigits != "" && q.SearchDigits != digits {
		return false, invalid("ConversationQuery.SearchDigits is derived by the engine from Search: leave it empty", "searchDigits", ProblemNotAllowed)
	}
	q.SearchDigits = digits
	if u.Role == RoleSupervisor {
		return true, nil
	}
	var visible []string
	for _, c := range conns {
		if c.Permission != PermissionOnlyMe || c.OwnerID == viewerID {
			if len(q.ConnectionIDs) == 0 || contains(q.ConnectionIDs, c.ID) {
				visible = append(visible, c.ID)
			}
		}
	}
	q.ConnectionIDs = visible
	return len(visible) > 0, nil
}

// searchDigits turns a phone-like search ("0912 345", "+84 912") into the digits of the E.164 form
// it would be part of; "" when the search has fewer than three digits or other characters.
func searchDigits(s string) string {
	var d []byte
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			d = append(d, byte(r))
		case r == ' ' || r == '.' || r == '-' || r == '+' || r == '(' || r == ')':
		default:
			return ""
		}
	}
	if len(d) < 3 {
		return ""
	}
	if d[0] == '0' {
		return "84" + string(d[1:])
	}
	return string(d)
}

// EncodeCursor makes an opaque page token of c.
func EncodeCursor(c Cursor) string {
	raw := strconv.FormatInt(c.LastMessageAt.UnixNano(), 10) + "|" + c.ConversationID
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// ParseCursor reads a token made by EncodeCursor; "" gives nil (the first page). A damaged token is
// an error wrapping ErrInvalid.
func ParseCursor(s string) (*Cursor, error) {
	if s == "" {
		return nil, nil
	}
	bad := &ValidationError{Problems: []string{"invalid page cursor"}}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(raw) > 200 {
		return nil, bad
	}
	ts, id, ok := strings.Cut(string(raw), "|")
	if !ok || id == "" {
		return nil, bad
	}
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return nil, bad
	}
	return &Cursor{LastMessageAt: time.Unix(0, n).UTC(), ConversationID: id}, nil
}

// Messages returns up to limit thread entries of a conversation before beforeSeq (0: the newest),
// in seq order.
func (e *Engine) Messages(ctx context.Context, workspaceID, viewerID, conversationID string, beforeSeq int64, limit int) ([]*Message, error) {
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	var out []*Message
	err := e.view(ctx, func(tx Tx) error {
		if _, _, _, err := e.loadForAction(ctx, tx, workspaceID, conversationID, viewerID, ActionView); err != nil {
			return err
		}
		var err error
		out, err = tx.ListMessages(workspaceID, conversationID, beforeSeq, limit)
		return err
	})
	return out, err
}

// Conversation returns one conversation the viewer may see.
func (e *Engine) Conversation(ctx context.Context, workspaceID, viewerID, conversationID string) (*Conversation, error) {
	var out *Conversation
	err := e.view(ctx, func(tx Tx) (err error) {
		out, _, _, err = e.loadForAction(ctx, tx, workspaceID, conversationID, viewerID, ActionView)
		return err
	})
	return out, err
}

// loadForAction loads the conversation, its connection and the user, and asks the Authorizer.
func (e *Engine) loadForAction(ctx context.Context, tx Tx, workspaceID, conversationID, userID string, a Action) (*Conversation, *Connection, *User, error) {
	u, err := tx.GetUser(workspaceID, userID)
	if err != nil {
		if isNotFound(err) {
			return nil, nil, nil, &ForbiddenError{Action: a, UserID: userID, Code: DenyUnknownUser, Reason: "unknown user in this workspace"}
		}
		return nil, nil, nil, err
	}
	conv, err := tx.GetConversation(workspaceID, conversationID)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("conversation %s: %w", conversationID, err)
	}
	conn, err := tx.GetConnection(workspaceID, conv.ConnectionID)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := e.cfg.Authorizer.Authorize(ctx, u, a, conv, conn); err != nil {
		return nil, nil, nil, err
	}
	if a != ActionView {
		// Acting in a suspended workspace is refused (reading is stopped where agents sign in:
		// ReadAs).
		if err := checkNotSuspended(tx, workspaceID, a, userID); err != nil {
			return nil, nil, nil, err
		}
	}
	return conv, conn, u, nil
}
