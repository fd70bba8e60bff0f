package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dakenh/dakenh/internal/bigbox"
	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/memory"
	"github.com/dakenh/dakenh/store/postgres"
	"github.com/dakenh/dakenh/store/sqlite"
)

// pgMaxConns is the PostgreSQL store's pool size in the benchmarks: enough for 64 concurrent
// webhooks to queue on the pool rather than on one connection.
const pgMaxConns = 16

// openFresh opens an empty store of kind for one scenario (name tells the scenarios apart): a new
// memory store, a new SQLite file under -data, or a new PostgreSQL schema. The returned cleanup
// closes the store and removes the file or drops the schema.
func openFresh(ctx context.Context, o Options, kind, name string) (omnichannel.Store, func(), error) {
	switch kind {
	case storeMemory:
		s := memory.New()
		return s, func() { s.Close() }, nil
	case storeSQLite:
		if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
			return nil, nil, err
		}
		path := filepath.Join(o.DataDir, name+".db")
		removeSQLite(path)
		s, err := sqlite.Open(ctx, sqlite.Config{Path: path})
		if err != nil {
			return nil, nil, err
		}
		return s, func() { s.Close(); removeSQLite(path) }, nil
	case storePostgres:
		schema := freshSchema(name)
		if err := dropSchema(ctx, o.Postgres, schema); err != nil {
			return nil, nil, err
		}
		s, err := postgres.Open(ctx, postgres.Config{URL: o.Postgres, Schema: schema, MaxConns: pgMaxConns})
		if err != nil {
			return nil, nil, err
		}
		return s, func() {
			s.Close()
			dctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_ = dropSchema(dctx, o.Postgres, schema)
		}, nil
	}
	return nil, nil, fmt.Errorf("unknown store %q", kind)
}

// freshSchema is the PostgreSQL schema of a scenario's fresh store: named after the process too,
// so that two runs on one database (two test runs at once) never share one.
func freshSchema(name string) string { return fmt.Sprintf("bench_%s_%d", name, os.Getpid()) }

func removeSQLite(path string) {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		_ = os.Remove(path + suffix)
	}
}

// dropSchema drops a PostgreSQL schema of the tool and everything in it.
func dropSchema(ctx context.Context, url, schema string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return errors.New("connecting to PostgreSQL failed (check -postgres)") // the URL is a secret
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
	return err
}

// seedInfo describes the seeded big inbox a scenario runs on.
type seedInfo struct {
	Spec    bigbox.Spec   `json:"spec"`
	Totals  bigbox.Totals `json:"totals"`
	Seconds float64       `json:"seconds"`
	// Reused is true when an earlier run's seed was reused (Seconds is then that run's time).
	Reused bool `json:"reused"`
	// Bulk is true when the store imported through omnichannel.BulkLoader (false: Tx calls).
	Bulk bool `json:"bulk"`
	// Path is the SQLite file.
	Path string `json:"path,omitempty"`
}

// bigboxWorkspace is the workspace id of the big inbox: the example inbox's own workspace, so that
// scenario 5 can sign in to it.
const bigboxWorkspace = "demo"

// bigboxSpec is the big inbox of size conversations.
func bigboxSpec(size int) bigbox.Spec {
	return bigbox.Spec{WorkspaceID: bigboxWorkspace, Conversations: size}
}

// seedChunk is the number of conversations per BulkLoad call.
const seedChunk = 5000

// openSeeded opens the big inbox of kind, seeding it unless a complete seed of the same spec is
// kept (SQLite: the file under -data with a ".seeded" marker beside it; PostgreSQL: a schema per
// size with a marker table). logf reports progress. The cleanup closes the store and keeps the seed.
func openSeeded(ctx context.Context, o Options, kind string, spec bigbox.Spec, logf func(string, ...any)) (omnichannel.Store, seedInfo, func(), error) {
	info := seedInfo{Spec: spec}
	var (
		st     omnichannel.Store
		marker func(seedInfo) error
		err    error
	)
	switch kind {
	case storeMemory:
		st = memory.New()
	case storeSQLite:
		if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
			return nil, info, nil, err
		}
		info.Path = filepath.Join(o.DataDir, fmt.Sprintf("bigbox-%d.db", spec.Conversations))
		markerPath := info.Path + ".seeded"
		if kept, ok := readMarker(markerPath); ok && (!o.Reseed || o.seeded[info.Path]) && kept.Spec.Conversations == spec.Conversations {
			st, err = sqlite.Open(ctx, sqlite.Config{Path: info.Path})
			if err != nil {
				return nil, info, nil, err
			}
			kept.Reused, kept.Path = true, info.Path
			return st, kept, func() { st.Close() }, nil
		}
		_ = os.Remove(markerPath)
		removeSQLite(info.Path)
		if st, err = sqlite.Open(ctx, sqlite.Config{Path: info.Path}); err != nil {
			return nil, info, nil, err
		}
		marker = func(i seedInfo) error {
			o.seeded[info.Path] = true
			return writeMarker(markerPath, i)
		}
	case storePostgres:
		schema := fmt.Sprintf("bench_bigbox_%d", spec.Conversations)
		if kept, ok := readPGMarker(ctx, o.Postgres, schema); ok && (!o.Reseed || o.seeded[schema]) {
			if st, err = postgres.Open(ctx, postgres.Config{URL: o.Postgres, Schema: schema, MaxConns: pgMaxConns}); err != nil {
				return nil, info, nil, err
			}
			kept.Reused = true
			return st, kept, func() { st.Close() }, nil
		}
		if err := dropSchema(ctx, o.Postgres, schema); err != nil {
			return nil, info, nil, err
		}
		if st, err = postgres.Open(ctx, postgres.Config{URL: o.Postgres, Schema: schema, MaxConns: pgMaxConns}); err != nil {
			return nil, info, nil, err
		}
		marker = func(i seedInfo) error {
			o.seeded[schema] = true
			return writePGMarker(ctx, o.Postgres, schema, i)
		}
	default:
		return nil, info, nil, fmt.Errorf("unknown store %q", kind)
	}
	_, info.Bulk = st.(omnichannel.BulkLoader)
	logf("seeding the big inbox on %s: %d conversations (bulk load: %v)", kind, spec.Conversations, info.Bulk)
	start := time.Now()
	info.Totals, err = loadPipelined(ctx, st, spec, func(done int) {
		if step := max(spec.Conversations/10, 1); done%step < seedChunk && done < spec.Conversations {
			logf("seeding %s: %d of %d conversations after %.0f s", kind, done, spec.Conversations, time.Since(start).Seconds())
		}
	})
	info.Seconds = time.Since(start).Seconds()
	if err != nil {
		st.Close()
		return nil, info, nil, fmt.Errorf("seeding the big inbox: %w", err)
	}
	logf("seeded %s in %.0f s: %+v", kind, info.Seconds, info.Totals)
	if marker != nil {
		if err := marker(info); err != nil {
			st.Close()
			return nil, info, nil, err
		}
	}
	return st, info, func() { st.Close() }, nil
}

// loadPipelined stores the organisation and the generated workspace of spec in st, as bigbox.Load
// does, but generates the next chunk while the store imports the current one (both take CPU; the
// machine has more than one core). progress is called with the number of conversations stored
// after each chunk.
func loadPipelined(ctx context.Context, st omnichannel.Store, spec bigbox.Spec, progress func(conversations int)) (bigbox.Totals, error) {
	org, err := bigbox.NewOrg(spec)
	if err != nil {
		return bigbox.Totals{}, err
	}
	if err := st.Update(ctx, org.Put); err != nil {
		return bigbox.Totals{}, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := make(chan *omnichannel.Bulk, 2)
	loaded := make(chan error, 1)
	go func() {
		done := 0
		for b := range chunks {
			var err error
			if bl, ok := st.(omnichannel.BulkLoader); ok {
				err = bl.BulkLoad(ctx, b)
			} else {
				err = st.Update(ctx, func(tx omnichannel.Tx) error { return bigbox.PutBulk(tx, b) })
			}
			if err != nil {
				cancel()
				loaded <- err
				for range chunks { // let the generator finish
				}
				return
			}
			done += len(b.Conversations)
			progress(done)
		}
		loaded <- nil
	}()
	tot, genErr := bigbox.Generate(ctx, spec, seedChunk, func(b *omnichannel.Bulk) error {
		select {
		case chunks <- b:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(chunks)
	if err := <-loaded; err != nil {
		return tot, err
	}
	return tot, genErr
}

func readMarker(path string) (seedInfo, bool) {
	var i seedInfo
	data, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(data, &i) != nil {
		return i, false
	}
	return i, true
}

func writeMarker(path string, i seedInfo) error {
	data, err := json.Marshal(i)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// The PostgreSQL marker is a one-row table in the seeded schema, written after the last chunk.
func readPGMarker(ctx context.Context, url, schema string) (seedInfo, bool) {
	var i seedInfo
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return i, false
	}
	defer conn.Close(ctx)
	var data []byte
	err = conn.QueryRow(ctx, "SELECT info FROM "+pgx.Identifier{schema, "bench_seeded"}.Sanitize()).Scan(&data)
	if err != nil || json.Unmarshal(data, &i) != nil {
		return i, false
	}
	return i, true
}

func writePGMarker(ctx context.Context, url, schema string, i seedInfo) error {
	data, err := json.Marshal(i)
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return errors.New("connecting to PostgreSQL failed (check -postgres)")
	}
	defer conn.Close(ctx)
	table := pgx.Identifier{schema, "bench_seeded"}.Sanitize()
	if _, err := conn.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+table+" (info jsonb NOT NULL)"); err != nil {
		return err
	}
	_, err = conn.Exec(ctx, "INSERT INTO "+table+" (info) VALUES ($1)", data)
	return err
}
