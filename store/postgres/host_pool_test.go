package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/postgres"
	"github.com/dakenh/dakenh/store/storetest"
)

// hostPool returns a pgxpool.Pool of maxConns connections whose search_path is schema (then
// public), as a host sharing its pool with the store configures it; closed when the test ends.
func hostPool(t testing.TB, schema string, maxConns int32) *pgxpool.Pool {
	t.Helper()
	pc, err := pgxpool.ParseConfig(databaseURL(t))
	require.NoError(t, err)
	pc.MaxConns = maxConns
	pc.ConnConfig.RuntimeParams["search_path"] = schema + ",public"
	p, err := pgxpool.NewWithConfig(context.Background(), pc)
	require.NoError(t, err)
	t.Cleanup(p.Close)
	return p
}

func TestOpenValidatesURLOrPool(t *testing.T) {
	ctx := context.Background()
	p := hostPool(t, "dakenh", 1)
	_, err := postgres.Open(ctx, postgres.Config{URL: databaseURL(t), Pool: p, Schema: "Bad-Name"})
	require.ErrorIs(t, err, omnichannel.ErrInvalid)
	assert.Contains(t, err.Error(), "Config.URL and Config.Pool are exclusive")
	assert.Contains(t, err.Error(), "Schema", "every problem is reported at once")
}

// TestHostPool runs a store on the host's pool: it migrates, writes, reads and relays events to
// another store within the pool's MaxConns, and Close leaves the pool open and usable.
func TestHostPool(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	schema := newSchema(t)
	const maxConns = 3
	p := hostPool(t, schema, maxConns)
	s, err := postgres.Open(ctx, postgres.Config{Pool: p, Schema: schema, EventPollInterval: 200 * time.Millisecond})
	require.NoError(t, err)
	n, err := s.MigrationsPending(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "Open migrated through the host's pool")

	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			assert.NoError(t, s.Update(ctx, func(tx omnichannel.Tx) error {
				return tx.PutUser(&omnichannel.User{WorkspaceID: "ws", ID: "u" + string(rune('a'+i)), Name: "Lan", Role: omnichannel.RoleAgent})
			}))
		})
	}
	wg.Wait()
	assert.LessOrEqual(t, p.Stat().TotalConns(), int32(maxConns), "the store stays within the host pool's MaxConns")
	require.NoError(t, s.View(ctx, func(tx omnichannel.Tx) error {
		users, err := tx.ListUsers("ws")
		assert.Len(t, users, 8)
		return err
	}))

	other := openStore(t, schema)
	got := make(chan omnichannel.EventRef, 1)
	lctx, stop := context.WithCancel(ctx)
	wg.Go(func() {
		_ = other.ListenEvents(lctx, func(r omnichannel.EventRef) {
			select {
			case got <- r:
			default:
			}
		})
	})
	require.Eventually(t, func() bool { return postgres.Listeners(other) == 1 }, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, s.RelayEvents(ctx, []omnichannel.EventRef{{Kind: omnichannel.EventMessageCreated, WorkspaceID: "ws", MessageID: "m-1"}}))
	select {
	case r := <-got:
		assert.Equal(t, "m-1", r.MessageID)
	case <-ctx.Done():
		t.Fatal("the relayed event never arrived")
	}
	stop()
	wg.Wait()

	require.NoError(t, s.Close())
	var one int
	require.NoError(t, p.QueryRow(ctx, "SELECT 1").Scan(&one), "the host's pool is still open")
	assert.Equal(t, 1, one)
	var tables int
	require.NoError(t, p.QueryRow(ctx, "SELECT count(*) FROM users").Scan(&tables), "the host's search_path reaches the store's tables")
	assert.Equal(t, 8, tables)
}

// TestHostPoolWrongSearchPath gives the store a pool whose connections do not have its schema
// first in search_path: Open fails with ErrSearchPath and creates nothing.
func TestHostPoolWrongSearchPath(t *testing.T) {
	ctx := context.Background()
	schema := newSchema(t)
	p := hostPool(t, "public", 2)
	_, err := postgres.Open(ctx, postgres.Config{Pool: p, Schema: schema})
	require.ErrorIs(t, err, postgres.ErrSearchPath)
	var exists bool
	require.NoError(t, p.QueryRow(ctx, "SELECT to_regnamespace($1) IS NOT NULL", schema).Scan(&exists))
	assert.False(t, exists)
}

// TestConformanceHostPool runs the conformance suite on stores over host pools.
func TestConformanceHostPool(t *testing.T) {
	storetest.Run(t, func(t *testing.T) omnichannel.Store {
		schema := newSchema(t)
		s, err := postgres.Open(context.Background(), postgres.Config{Pool: hostPool(t, schema, 6), Schema: schema,
			EventPollInterval: 200 * time.Millisecond})
		require.NoError(t, err)
		t.Cleanup(func() { s.Close() })
		return s
	})
}
