package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/sqlite"
	"github.com/dakenh/dakenh/store/storetest"
)

// open opens the database file at path for the test and closes it at the end.
func open(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), sqlite.Config{Path: path})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close %s: %v", path, err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) omnichannel.Store {
		return open(t, filepath.Join(t.TempDir(), "dakenh.db"))
	})
}

// TestConformanceShared opens the same file twice: two writers, two read pools, one database,
// with provider secrets encrypted at rest by the same Keyring (TestConformance runs without keys).
func TestConformanceShared(t *testing.T) {
	keys := testKeyring(t, "conformance")
	storetest.RunShared(t, func(t *testing.T) (a, b omnichannel.Store) {
		path := filepath.Join(t.TempDir(), "dakenh.db")
		return openSealed(t, path, keys), openSealed(t, path, keys)
	})
}
