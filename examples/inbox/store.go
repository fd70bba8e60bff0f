package main

import (
	"context"
	"fmt"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/postgres"
	"github.com/dakenh/dakenh/store/sqlite"
)

// openStore opens the store the options ask for and names it for the start-up line. This is the
// one place that picks a store implementation: the embedded SQLite file by default (-db), or
// PostgreSQL with -postgres. Provider tokens are encrypted with the keys of -secret-keys or of the
// data directory's key file (secrets.go); rows written before, or under an older current key, are
// re-sealed at start.
func openStore(ctx context.Context, o Options) (omnichannel.Store, string, error) {
	keys, source, err := o.keyring()
	if err != nil {
		return nil, "", err
	}
	var s omnichannel.Store
	var name string
	if o.Postgres != "" {
		s, err = postgres.Open(ctx, postgres.Config{URL: o.Postgres, Keyring: keys})
		name = "postgres"
	} else {
		s, err = sqlite.Open(ctx, sqlite.Config{Path: o.DB, Keyring: keys})
		name = "sqlite " + o.DB
	}
	if err != nil {
		return nil, "", err
	}
	resealed := 0
	if r, ok := s.(resealer); ok && keys != nil {
		if resealed, err = r.ResealCredentials(ctx); err != nil {
			closeStore(s)
			return nil, "", fmt.Errorf("re-sealing provider tokens: %w", err)
		}
	}
	return s, name + ", " + secretsNote(keys, source, resealed), nil
}

// closeStore closes a store that failed to start.
func closeStore(s omnichannel.Store) {
	if c, ok := s.(interface{ Close() error }); ok {
		_ = c.Close()
	}
}
