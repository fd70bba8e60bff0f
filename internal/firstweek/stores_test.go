package firstweek_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/dakenh/dakenh/internal/pgtest"
	oc "github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/memory"
	"github.com/dakenh/dakenh/store/postgres"
	"github.com/dakenh/dakenh/store/sqlite"
)

// database is one fresh database of one store kind; open returns a Store over it, each call a new
// Store value where the kind allows several (SQLite, PostgreSQL: as two engine processes would
// hold), the same value for the memory store.
type database struct {
	kind string
	// shared reports whether open returns distinct Store values over the same data.
	shared bool
	open   func(t *testing.T) oc.Store
}

// eachStore runs fn once per store kind, as subtests named after the kind, each with a fresh
// database.
func eachStore(t *testing.T, fn func(t *testing.T, db database)) {
	t.Run("memory", func(t *testing.T) {
		st := memory.New()
		fn(t, database{kind: "memory", open: func(*testing.T) oc.Store { return st }})
	})
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "inbox.db")
		fn(t, database{kind: "sqlite", shared: true, open: func(t *testing.T) oc.Store {
			st, err := sqlite.Open(context.Background(), sqlite.Config{Path: path})
			if err != nil {
				t.Fatalf("sqlite.Open: %v", err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		}})
	})
	t.Run("postgres", func(t *testing.T) {
		url, schema := pgtest.URL(t), pgtest.NewSchema(t)
		fn(t, database{kind: "postgres", shared: true, open: func(t *testing.T) oc.Store {
			st, err := postgres.Open(context.Background(), postgres.Config{URL: url, Schema: schema, MaxConns: 4,
				EventPollInterval: 200 * time.Millisecond})
			if err != nil {
				t.Fatalf("postgres.Open: %v", err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		}})
	})
}
