package model

import "time"

// WorkspaceStatus is whether a workspace is in service.
type WorkspaceStatus string

// Workspace statuses.
const (
	// WorkspaceActive is a workspace in service.
	WorkspaceActive WorkspaceStatus = "active"
	// WorkspaceSuspended is a workspace whose agents may not sign in, send or administer it. Its
	// connections' webhooks are still ingested (no customer message is lost) and its conversations
	// still routed, so nothing is missing when it is resumed.
	WorkspaceSuspended WorkspaceStatus = "suspended"
)

// Workspace is one tenant of the engine: every other record belongs to exactly one. A workspace id
// used by records but never created is treated as active (hosts that predate workspace records keep
// working).
type Workspace struct {
	ID        string
	Name      string
	Status    WorkspaceStatus
	CreatedAt time.Time
	UpdatedAt time.Time
}
