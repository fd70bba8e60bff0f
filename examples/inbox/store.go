package main

import (
	"context"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/postgres"
	"github.com/dakenh/dakenh/store/sqlite"
)

// openStore opens the store the options ask for and names it for the start-up line. This is the
// one place that picks a store implementation: the embedded SQLite file by default (-db), or
// PostgreSQL with -postgres.
func openStore(ctx context.Context, o Options) (omnichannel.Store, string, error) {
	if o.Postgres != "" {
		s, err := postgres.Open(ctx, postgres.Config{URL: o.Postgres})
		if err != nil {
			return nil, "", err
		}
		return s, "postgres", nil
	}
	s, err := sqlite.Open(ctx, sqlite.Config{Path: o.DB})
	if err != nil {
		return nil, "", err
	}
	return s, "sqlite " + o.DB, nil
}
