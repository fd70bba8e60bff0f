package memory

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dakenh/dakenh/omnichannel"
)

// PutConnection inserts or replaces the connection with c.ID. Connection ids are global (the
// webhook URL carries one before the workspace is known): an id that belongs to another workspace
// is refused with ErrDuplicate.
func (t *txn) PutConnection(c *omnichannel.Connection) error {
	if err := t.writing(); err != nil {
		return err
	}
	if old, ok := t.s.d.connections[c.ID]; ok && old.WorkspaceID != c.WorkspaceID {
		return duplicate("connection", fmt.Sprintf("id %q belongs to another workspace", c.ID))
	}
	set(t, t.s.d.connections, c.ID, cloneConnection(c))
	return nil
}

func (t *txn) GetConnection(workspaceID, id string) (*omnichannel.Connection, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	c, ok := t.s.d.connections[id]
	if !ok || c.WorkspaceID != workspaceID {
		return nil, notFound("connection", id)
	}
	return cloneConnection(c), nil
}

func (t *txn) FindConnectionByID(id string) (*omnichannel.Connection, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	c, ok := t.s.d.connections[id]
	if !ok {
		return nil, notFound("connection", id)
	}
	return cloneConnection(c), nil
}

// FindConnectionByExternalID returns the non-disconnected connection of kind with the provider
// account id. Should several match (the same account connected twice), the newest by CreatedAt
// (then the greatest id) wins.
func (t *txn) FindConnectionByExternalID(kind omnichannel.Kind, externalID string) (*omnichannel.Connection, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	var best *omnichannel.Connection
	for _, c := range t.s.d.connections {
		if c.Kind != kind || c.ExternalID != externalID || c.Status == omnichannel.ConnectionDisconnected {
			continue
		}
		if best == nil || c.CreatedAt.After(best.CreatedAt) ||
			(c.CreatedAt.Equal(best.CreatedAt) && c.ID > best.ID) {
			best = c
		}
	}
	if best == nil {
		return nil, notFound("connection", string(kind)+"/"+externalID)
	}
	return cloneConnection(best), nil
}

// ListConnections returns the workspace's connections ordered by id.
func (t *txn) ListConnections(workspaceID string) ([]*omnichannel.Connection, error) {
	if err := t.readable(); err != nil {
		return nil, err
	}
	var out []*omnichannel.Connection
	for _, c := range t.s.d.connections {
		if c.WorkspaceID == workspaceID {
			out = append(out, cloneConnection(c))
		}
	}
	slices.SortFunc(out, func(a, b *omnichannel.Connection) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

func (t *txn) UpdateConnection(c *omnichannel.Connection) error {
	if err := t.writing(); err != nil {
		return err
	}
	old, ok := t.s.d.connections[c.ID]
	if !ok || old.WorkspaceID != c.WorkspaceID {
		return notFound("connection", c.ID)
	}
	if old.Version != c.Version {
		return conflict("connection", c.ID, c.Version, old.Version)
	}
	n := cloneConnection(c)
	n.Version++
	set(t, t.s.d.connections, c.ID, n)
	c.Version++
	return nil
}
