package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/store"
)

func connectionKit() kit[model.Connection] {
	return kit[model.Connection]{
		full: fullConnection,
		put:  func(tx store.Tx, v *model.Connection) error { return tx.PutConnection(v) },
		get: func(tx store.Tx, ws, id string) (*model.Connection, error) {
			return tx.GetConnection(ws, id)
		},
		list: func(tx store.Tx, ws string) ([]*model.Connection, error) { return tx.ListConnections(ws) },
		change: func(v *model.Connection) {
			v.Kind, v.ExternalID, v.DisplayName, v.AvatarURL = kindTikTok, "tt-9", "Renamed", "https://cdn.example/new.png"
			v.Status, v.StatusReason = model.ConnectionNeedsReconnect, "refresh token revoked"
			v.OwnerID, v.Permission, v.RuleID = "u-9", model.PermissionOnlyMe, ""
			v.Credentials = model.Credentials{AccessToken: "at-new", RefreshToken: "rt-new",
				AccessExpiry: at(2 * time.Hour), RefreshExpiry: at(48 * time.Hour), Scopes: []string{"x"},
				Extra: map[string]string{"k": "v"}}
			v.Settings, v.CreatedAt, v.UpdatedAt, v.Version = map[string]string{"a": "b"}, at(-time.Hour), at(time.Hour), 9
		},
		scribble: func(v *model.Connection) {
			v.DisplayName = "scribbled"
			v.Credentials.Scopes[0] = "scribbled"
			v.Credentials.Extra["app_id"] = "scribbled"
			v.Settings["sync_days"] = "scribbled"
		},
	}
}

func connectionTests() []test {
	return append(connectionKit().tests(),
		test{"FindByID", testConnectionFindByID},
		test{"FindByExternalID", testConnectionFindByExternalID},
		test{"CompareAndSet", testConnectionCompareAndSet},
		test{"GlobalID", testConnectionGlobalID},
	)
}

func testConnectionFindByID(t *testing.T, s store.Store) {
	a, b := fullConnection(ws1, "conn-a"), fullConnection(ws2, "conn-b")
	update(t, s, func(tx store.Tx) error {
		if err := tx.PutConnection(a); err != nil {
			return err
		}
		return tx.PutConnection(b)
	})
	for _, want := range []*model.Connection{a, b} {
		got := read(t, s, func(tx store.Tx) (*model.Connection, error) {
			return tx.FindConnectionByID(want.ID)
		})
		same(t, want, got)
	}
	_, err := readErr(t, s, func(tx store.Tx) (*model.Connection, error) {
		return tx.FindConnectionByID("missing")
	})
	require.ErrorIs(t, err, model.ErrNotFound)
}

func testConnectionFindByExternalID(t *testing.T, s store.Store) {
	zalo := fullConnection(ws1, "conn-zalo")
	zalo.ExternalID = "acct-1"
	tiktok := fullConnection(ws2, "conn-tiktok")
	tiktok.Kind, tiktok.ExternalID = kindTikTok, "acct-1"
	gone := fullConnection(ws1, "conn-gone")
	gone.ExternalID, gone.Status = "acct-2", model.ConnectionDisconnected
	broken := fullConnection(ws1, "conn-broken")
	broken.ExternalID, broken.Status = "acct-3", model.ConnectionNeedsReconnect
	update(t, s, func(tx store.Tx) error {
		for _, c := range []*model.Connection{zalo, tiktok, gone, broken} {
			if err := tx.PutConnection(c); err != nil {
				return err
			}
		}
		return nil
	})

	find := func(kind model.Kind, ext string) (*model.Connection, error) {
		return readErr(t, s, func(tx store.Tx) (*model.Connection, error) {
			return tx.FindConnectionByExternalID(kind, ext)
		})
	}
	got, err := find(kindZalo, "acct-1")
	require.NoError(t, err)
	same(t, zalo, got)
	got, err = find(kindTikTok, "acct-1")
	require.NoError(t, err)
	same(t, tiktok, got, "the lookup is global and keyed by kind")
	got, err = find(kindZalo, "acct-3")
	require.NoError(t, err, "a connection needing reconnect is still found")
	same(t, broken, got)

	_, err = find(kindZalo, "acct-2")
	require.ErrorIs(t, err, model.ErrNotFound, "a disconnected connection must not be found")
	_, err = find(kindTikTok, "acct-3")
	require.ErrorIs(t, err, model.ErrNotFound)
	_, err = find(kindZalo, "nope")
	require.ErrorIs(t, err, model.ErrNotFound)
}

func testConnectionCompareAndSet(t *testing.T, s store.Store) {
	c := fullConnection(ws1, "conn-1") // Version 3
	update(t, s, func(tx store.Tx) error { return tx.PutConnection(c) })

	fresh := read(t, s, func(tx store.Tx) (*model.Connection, error) { return tx.GetConnection(ws1, "conn-1") })
	stale := read(t, s, func(tx store.Tx) (*model.Connection, error) { return tx.GetConnection(ws1, "conn-1") })

	fresh.Credentials.AccessToken, fresh.Credentials.RefreshToken = "at-rotated", "rt-rotated"
	update(t, s, func(tx store.Tx) error { return tx.UpdateConnection(fresh) })
	assert.Equal(t, int64(4), fresh.Version, "UpdateConnection must increment the caller's Version")
	same(t, fresh, read(t, s, func(tx store.Tx) (*model.Connection, error) {
		return tx.GetConnection(ws1, "conn-1")
	}))

	stale.Credentials.RefreshToken = "rt-lost"
	err := write(t, s, func(tx store.Tx) error { return tx.UpdateConnection(stale) })
	require.ErrorIs(t, err, model.ErrConflict)
	assert.Equal(t, int64(3), stale.Version, "a refused update must not change the caller's Version")
	same(t, fresh, read(t, s, func(tx store.Tx) (*model.Connection, error) {
		return tx.GetConnection(ws1, "conn-1")
	}), "a refused update must not change the stored row")

	missing := fullConnection(ws1, "conn-missing")
	err = write(t, s, func(tx store.Tx) error { return tx.UpdateConnection(missing) })
	require.ErrorIs(t, err, model.ErrNotFound)

	other := fullConnection(ws2, "conn-1")
	other.Version = fresh.Version
	err = write(t, s, func(tx store.Tx) error { return tx.UpdateConnection(other) })
	require.ErrorIs(t, err, model.ErrNotFound, "updating through another workspace")
	same(t, fresh, read(t, s, func(tx store.Tx) (*model.Connection, error) {
		return tx.GetConnection(ws1, "conn-1")
	}))
}

func testConnectionGlobalID(t *testing.T, s store.Store) {
	mine := fullConnection(ws1, "conn-1")
	update(t, s, func(tx store.Tx) error { return tx.PutConnection(mine) })

	theirs := fullConnection(ws2, "conn-1")
	theirs.DisplayName = "hijack"
	err := write(t, s, func(tx store.Tx) error { return tx.PutConnection(theirs) })
	require.ErrorIs(t, err, model.ErrDuplicate, "connection ids are unique across workspaces")

	same(t, mine, read(t, s, func(tx store.Tx) (*model.Connection, error) {
		return tx.FindConnectionByID("conn-1")
	}))
	_, err = readErr(t, s, func(tx store.Tx) (*model.Connection, error) {
		return tx.GetConnection(ws2, "conn-1")
	})
	require.ErrorIs(t, err, model.ErrNotFound)
	assert.Empty(t, read(t, s, func(tx store.Tx) ([]*model.Connection, error) {
		return tx.ListConnections(ws2)
	}))
}
