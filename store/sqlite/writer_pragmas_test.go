package sqlite_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/sqlite"
)

// TestWriterPragmas: the writer keeps savepoint journals in memory and a large page cache, leaves
// checkpoints to the background, and commits without an fsync (synchronous NORMAL): with FULL (the
// default) the store fsyncs the WAL itself before answering (TestFullSyncsBeforeAnswering).
func TestWriterPragmas(t *testing.T) {
	for _, tc := range []struct {
		sync sqlite.Synchronous
		want string // PRAGMA synchronous: 1 NORMAL, 2 FULL
	}{{"", "1"}, {sqlite.SyncFull, "1"}, {sqlite.SyncNormal, "1"}} {
		s, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(t.TempDir(), "db"), Synchronous: tc.sync})
		require.NoError(t, err)
		t.Cleanup(func() { s.Close() })
		got := map[string]string{}
		require.NoError(t, s.Update(t.Context(), func(tx omnichannel.Tx) error {
			for _, p := range []string{"temp_store", "cache_size", "synchronous", "journal_mode", "wal_autocheckpoint", "secure_delete"} {
				v, err := sqlite.QueryInTx(tx, "PRAGMA "+p)
				if err != nil {
					return err
				}
				got[p] = v
			}
			return nil
		}))
		assert.Equal(t, map[string]string{"temp_store": "2", "cache_size": "-65536", "synchronous": tc.want,
			"journal_mode": "wal", "wal_autocheckpoint": "16384", "secure_delete": "2"}, got, "Synchronous %q", tc.sync)
	}
}

// TestFullSyncsBeforeAnswering: with SyncFull every Update and grouped update returns after an
// fsync of the WAL that followed its commit; with SyncNormal the WAL is never synced for them.
func TestFullSyncsBeforeAnswering(t *testing.T) {
	for _, tc := range []struct {
		sync  sqlite.Synchronous
		syncs bool
	}{{sqlite.SyncFull, true}, {sqlite.SyncNormal, false}} {
		s, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(t.TempDir(), "db"), Synchronous: tc.sync})
		require.NoError(t, err)
		t.Cleanup(func() { s.Close() })
		before := s.Stats().WALSyncs
		require.NoError(t, s.Update(t.Context(), putUser("u-1")))
		afterUpdate := s.Stats().WALSyncs
		require.NoError(t, s.UpdateGrouped(t.Context(), func(tx omnichannel.Tx) error {
			return tx.PutContact(&omnichannel.Contact{WorkspaceID: "ws", ID: "k-1", Name: "Lan"})
		}))
		afterGrouped := s.Stats().WALSyncs
		if tc.syncs {
			assert.Greater(t, afterUpdate, before, "the Update returned before an fsync")
			assert.Greater(t, afterGrouped, afterUpdate, "the grouped update returned before an fsync")
		} else {
			assert.Zero(t, afterGrouped, "SyncNormal fsyncs no commit")
		}
	}
}

// TestBackgroundCheckpoint: what commits append to the WAL is copied into the database file by the
// background checkpointer, without the writer's help (its own threshold is far away), and a
// reopened file has it all.
func TestBackgroundCheckpoint(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	s, err := sqlite.Open(t.Context(), sqlite.Config{Path: path})
	require.NoError(t, err)
	for i := range 20 {
		require.NoError(t, s.Update(t.Context(), putUser(fmt.Sprintf("u-%02d", i))))
	}
	require.Eventually(t, func() bool { return s.Stats().Checkpoints > 0 }, 5*time.Second, 10*time.Millisecond,
		"no background checkpoint copied the WAL")
	require.NoError(t, s.Close())
	reopened := open(t, path)
	for i := range 20 {
		assert.True(t, userExists(t, reopened, fmt.Sprintf("u-%02d", i)))
	}
}
