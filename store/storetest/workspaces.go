package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/store"
)

// Workspace records (store.WorkspaceTx): global rows keyed by id.

func workspaceTests() []test {
	return []test{
		{"RoundTripAndReplace", workspaceRoundTrip},
		{"ListOrdered", workspaceList},
		{"NotFound", workspaceNotFound},
	}
}

func workspaceRoundTrip(t *testing.T, s store.Store) {
	w := &model.Workspace{ID: "ws-a", Name: "Cửa hàng A", Status: model.WorkspaceActive, CreatedAt: t0, UpdatedAt: at(time.Minute)}
	update(t, s, func(tx store.Tx) error { return tx.PutWorkspace(w) })
	got := read(t, s, func(tx store.Tx) (*model.Workspace, error) { return tx.GetWorkspace("ws-a") })
	same(t, w, got)
	got.Name = "scribbled" // the store keeps its own copy
	same(t, w, read(t, s, func(tx store.Tx) (*model.Workspace, error) { return tx.GetWorkspace("ws-a") }))

	changed := &model.Workspace{ID: "ws-a", Name: "Renamed", Status: model.WorkspaceSuspended, CreatedAt: t0, UpdatedAt: at(time.Hour)}
	update(t, s, func(tx store.Tx) error { return tx.PutWorkspace(changed) })
	same(t, changed, read(t, s, func(tx store.Tx) (*model.Workspace, error) { return tx.GetWorkspace("ws-a") }))
}

func workspaceList(t *testing.T, s store.Store) {
	b := &model.Workspace{ID: "ws-b", Name: "B", Status: model.WorkspaceActive, CreatedAt: t0, UpdatedAt: t0}
	a := &model.Workspace{ID: "ws-a", Name: "A", Status: model.WorkspaceSuspended, CreatedAt: t0, UpdatedAt: t0}
	update(t, s, func(tx store.Tx) error {
		if err := tx.PutWorkspace(b); err != nil {
			return err
		}
		return tx.PutWorkspace(a)
	})
	got := read(t, s, func(tx store.Tx) ([]*model.Workspace, error) { return tx.ListWorkspaces() })
	same(t, []*model.Workspace{a, b}, got, "ordered by id")
}

func workspaceNotFound(t *testing.T, s store.Store) {
	_, err := readErr(t, s, func(tx store.Tx) (*model.Workspace, error) { return tx.GetWorkspace("ws-none") })
	require.ErrorIs(t, err, model.ErrNotFound)
	got := read(t, s, func(tx store.Tx) ([]*model.Workspace, error) { return tx.ListWorkspaces() })
	require.Empty(t, got)
}
