package omnichannel

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Workspaces. Creating, suspending and resuming a workspace is the host's business (no acting
// user: a workspace's supervisors administer their workspace, not the set of workspaces); renaming
// is open to the workspace's supervisors too.
//
// A suspended workspace keeps its data and keeps receiving: its connections' webhooks are
// acknowledged and ingested, and new conversations are routed, so no customer message is lost and
// nothing is missing when it is resumed. Its users may not sign in (Engine.ReadAs, which inboxapi
// uses for every request, answers ForbiddenError with code DenyWorkspaceSuspended), send,
// reassign or otherwise act on a conversation, nor administer it. Replies queued before the
// suspension are still sent.

// MaxWorkspaceNameLength is the longest workspace name, in characters.
const MaxWorkspaceNameLength = 200

// CreateWorkspace creates a workspace record (an empty ID gets a new one), active. A name is
// required; an existing id is ErrDuplicate. It emits EventWorkspaceSaved.
func (e *Engine) CreateWorkspace(ctx context.Context, w Workspace) (*Workspace, error) {
	var p problems
	w.Name = strings.TrimSpace(w.Name)
	checkWorkspaceName(&p, w.Name)
	if err := p.err(); err != nil {
		return nil, err
	}
	if w.ID == "" {
		w.ID = newID()
	}
	now := e.now()
	w.Status, w.CreatedAt, w.UpdatedAt = WorkspaceActive, now, now
	err := e.update(ctx, func(tx Tx, ch *change) error {
		if _, err := tx.GetWorkspace(w.ID); err == nil {
			return fmt.Errorf("workspace %s: %w", w.ID, ErrDuplicate)
		} else if !isNotFound(err) {
			return err
		}
		ch.emit(Event{Kind: EventWorkspaceSaved, WorkspaceID: w.ID, RecordID: w.ID, At: now})
		return tx.PutWorkspace(&w)
	})
	if err != nil {
		return nil, err
	}
	return &w, nil
}

func checkWorkspaceName(p *problems, name string) {
	switch {
	case name == "":
		p.add("a workspace needs a name", "name", ProblemRequired)
	case len([]rune(name)) > MaxWorkspaceNameLength:
		p.add("the workspace name is too long", "name", ProblemTooLong, "max", fmt.Sprint(MaxWorkspaceNameLength))
	}
}

// RenameWorkspace renames a workspace, by one of its supervisors (or the host, see AsHost). A
// workspace without a record gets one. It emits EventWorkspaceSaved.
func (e *Engine) RenameWorkspace(ctx context.Context, workspaceID, actorID, name string) (*Workspace, error) {
	var p problems
	name = strings.TrimSpace(name)
	checkWorkspaceName(&p, name)
	if err := p.err(); err != nil {
		return nil, err
	}
	var out *Workspace
	err := e.admin(ctx, workspaceID, actorID, func(tx Tx, ch *change) error {
		w, err := workspaceOrNew(tx, workspaceID, e.now())
		if err != nil {
			return err
		}
		w.Name, w.UpdatedAt = name, e.now()
		out = w
		ch.emit(Event{Kind: EventWorkspaceSaved, WorkspaceID: workspaceID, RecordID: workspaceID, At: w.UpdatedAt})
		return tx.PutWorkspace(w)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SuspendWorkspace suspends a workspace (see the package's workspace notes above: webhooks are
// still ingested; its users may not sign in, send or administer). Suspending a suspended workspace
// changes nothing. It emits EventWorkspaceSuspended.
func (e *Engine) SuspendWorkspace(ctx context.Context, workspaceID string) (*Workspace, error) {
	return e.setWorkspaceStatus(ctx, workspaceID, WorkspaceSuspended, EventWorkspaceSuspended)
}

// ResumeWorkspace puts a suspended workspace back in service. It emits EventWorkspaceResumed.
func (e *Engine) ResumeWorkspace(ctx context.Context, workspaceID string) (*Workspace, error) {
	return e.setWorkspaceStatus(ctx, workspaceID, WorkspaceActive, EventWorkspaceResumed)
}

func (e *Engine) setWorkspaceStatus(ctx context.Context, workspaceID string, status WorkspaceStatus, kind EventKind) (*Workspace, error) {
	if workspaceID == "" {
		return nil, invalid("a workspace id is required", "workspaceId", ProblemRequired)
	}
	var out *Workspace
	err := e.update(ctx, func(tx Tx, ch *change) error {
		w, err := workspaceOrNew(tx, workspaceID, e.now())
		if err != nil {
			return err
		}
		out = w
		if w.Status == status {
			return nil
		}
		w.Status, w.UpdatedAt = status, e.now()
		ch.emit(Event{Kind: kind, WorkspaceID: workspaceID, RecordID: workspaceID, At: w.UpdatedAt})
		return tx.PutWorkspace(w)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// workspaceOrNew reads the workspace's record, or makes an active one (not stored) for a workspace
// used without a record.
func workspaceOrNew(tx Tx, workspaceID string, now time.Time) (*Workspace, error) {
	w, err := tx.GetWorkspace(workspaceID)
	if isNotFound(err) {
		return &Workspace{ID: workspaceID, Status: WorkspaceActive, CreatedAt: now, UpdatedAt: now}, nil
	}
	return w, err
}

// Workspace returns a workspace's record; ErrNotFound when it has none (it is then active).
func (e *Engine) Workspace(ctx context.Context, workspaceID string) (*Workspace, error) {
	var w *Workspace
	err := e.view(ctx, func(tx Tx) (err error) {
		w, err = tx.GetWorkspace(workspaceID)
		return err
	})
	return w, err
}

// Workspaces returns every workspace record, ordered by id (for the host).
func (e *Engine) Workspaces(ctx context.Context) ([]*Workspace, error) {
	var ws []*Workspace
	err := e.view(ctx, func(tx Tx) (err error) {
		ws, err = tx.ListWorkspaces()
		return err
	})
	return ws, err
}

// checkNotSuspended refuses action by userID when the workspace is suspended.
func checkNotSuspended(tx Tx, workspaceID string, action Action, userID string) error {
	w, err := tx.GetWorkspace(workspaceID)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if w.Status == WorkspaceSuspended {
		return &ForbiddenError{Action: action, UserID: userID, Code: DenyWorkspaceSuspended, Reason: "the workspace is suspended"}
	}
	return nil
}
