package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/postgres"
)

func TestOpenValidatesConfig(t *testing.T) {
	_, err := postgres.Open(context.Background(), postgres.Config{Schema: "Bad-Name", MaxConns: -1, EventPollInterval: -time.Second})
	require.ErrorIs(t, err, omnichannel.ErrInvalid)
	for _, want := range []string{"Config.URL or Config.Pool is required", "Schema", "MaxConns", "EventPollInterval"} {
		assert.Contains(t, err.Error(), want, "every problem is reported at once")
	}

	_, err = postgres.Open(context.Background(), postgres.Config{URL: "postgres://app:s3cret-pw@db:notaport/x"})
	require.ErrorIs(t, err, omnichannel.ErrInvalid)
	assert.NotContains(t, err.Error(), "s3cret-pw", "the URL's password never reaches an error")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = postgres.Open(ctx, postgres.Config{URL: "postgres://app:s3cret-pw@127.0.0.1:1/x?connect_timeout=2"})
	require.Error(t, err, "nothing listens on port 1")
	assert.NotContains(t, err.Error(), "s3cret-pw", "the URL's password never reaches an error")
}

// TestOpenRacesMigrateOnce opens one new schema from several goroutines at once: the advisory lock
// makes one of them migrate and the others find the schema ready.
func TestOpenRacesMigrateOnce(t *testing.T) {
	schema := newSchema(t)
	const n = 5
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := postgres.Open(context.Background(), postgres.Config{URL: databaseURL(t), Schema: schema, MaxConns: 2})
			if err == nil {
				err = s.Update(context.Background(), func(tx omnichannel.Tx) error {
					return tx.PutUser(&omnichannel.User{WorkspaceID: "ws", ID: fmt.Sprintf("u%d", i)})
				})
				s.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "Open %d", i)
	}
	conn, err := pgx.Connect(context.Background(), databaseURL(t))
	require.NoError(t, err)
	defer conn.Close(context.Background())
	var applied, distinct, latest int
	require.NoError(t, conn.QueryRow(context.Background(), "SELECT count(*), count(DISTINCT version), max(version) FROM "+
		schema+".schema_migrations").Scan(&applied, &distinct, &latest))
	assert.Equal(t, distinct, applied, "each migration recorded once")
	assert.Equal(t, latest, applied, "every migration recorded")
}

func TestViewIsReadOnly(t *testing.T) {
	s := openStore(t, newSchema(t))
	err := s.View(context.Background(), func(tx omnichannel.Tx) error {
		return tx.PutUser(&omnichannel.User{WorkspaceID: "ws", ID: "u"})
	})
	require.ErrorIs(t, err, postgres.ErrReadOnly)
	err = s.View(context.Background(), func(tx omnichannel.Tx) error {
		_, err := tx.NextRotation("ws", "k")
		return err
	})
	require.ErrorIs(t, err, postgres.ErrReadOnly)
}

func TestTxUnusableAfterReturn(t *testing.T) {
	s := openStore(t, newSchema(t))
	var leaked omnichannel.Tx
	require.NoError(t, s.Update(context.Background(), func(tx omnichannel.Tx) error {
		leaked = tx
		return nil
	}))
	_, err := leaked.GetUser("ws", "u")
	require.ErrorIs(t, err, postgres.ErrTxDone)
	require.ErrorIs(t, leaked.PutUser(&omnichannel.User{WorkspaceID: "ws", ID: "u"}), postgres.ErrTxDone)
}

func TestPanicRollsBack(t *testing.T) {
	s := openStore(t, newSchema(t))
	assert.Panics(t, func() {
		_ = s.Update(context.Background(), func(tx omnichannel.Tx) error {
			if err := tx.PutUser(&omnichannel.User{WorkspaceID: "ws", ID: "u"}); err != nil {
				return err
			}
			panic("boom")
		})
	})
	err := s.View(context.Background(), func(tx omnichannel.Tx) error {
		_, err := tx.GetUser("ws", "u")
		return err
	})
	require.ErrorIs(t, err, omnichannel.ErrNotFound, "the write before the panic was rolled back")
}

func TestClosedAndCanceled(t *testing.T) {
	s := openStore(t, newSchema(t))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	err := s.Update(ctx, func(omnichannel.Tx) error { ran = true; return nil })
	require.ErrorIs(t, err, context.Canceled)
	require.False(t, ran)

	require.NoError(t, s.Close())
	require.NoError(t, s.Close())
	err = s.View(context.Background(), func(omnichannel.Tx) error { return errors.New("must not run") })
	require.ErrorIs(t, err, postgres.ErrClosed)
	err = s.Update(context.Background(), func(omnichannel.Tx) error { return errors.New("must not run") })
	require.ErrorIs(t, err, postgres.ErrClosed)
	require.ErrorIs(t, s.RelayEvents(context.Background(), []omnichannel.EventRef{{Kind: omnichannel.EventReadUpdated}}), postgres.ErrClosed)
}

// TestDeadlockIsRetried makes two transactions lock two rows in opposite orders. PostgreSQL aborts
// one of them with a deadlock (40P01); Update runs its fn again and both commit.
func TestDeadlockIsRetried(t *testing.T) {
	s := openStore(t, newSchema(t))
	ctx := context.Background()
	require.NoError(t, s.Update(ctx, func(tx omnichannel.Tx) error {
		for _, id := range []string{"u1", "u2"} {
			if err := tx.PutUser(&omnichannel.User{WorkspaceID: "ws", ID: id}); err != nil {
				return err
			}
		}
		return nil
	}))
	var calls atomic.Int32
	var firstLocks sync.WaitGroup
	firstLocks.Add(2)
	lockBoth := func(first, second string) error {
		attempt := 0
		return s.Update(ctx, func(tx omnichannel.Tx) error {
			calls.Add(1)
			attempt++
			if err := tx.PutUser(&omnichannel.User{WorkspaceID: "ws", ID: first, Name: "by " + first}); err != nil {
				return err
			}
			if attempt == 1 {
				firstLocks.Done()
				firstLocks.Wait() // both hold their first row: the second lock closes the cycle
			}
			return tx.PutUser(&omnichannel.User{WorkspaceID: "ws", ID: second, Name: "by " + first})
		})
	}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, order := range [][2]string{{"u1", "u2"}, {"u2", "u1"}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = lockBoth(order[0], order[1])
		}()
	}
	wg.Wait()
	require.NoError(t, errs[0])
	require.NoError(t, errs[1])
	// The victim's fn runs again (3 calls); on a loaded machine its retry can take the first lock
	// before the survivor's second one and close a cycle once more (a fourth call), never for ever.
	assert.GreaterOrEqual(t, calls.Load(), int32(3), "the deadlock victim's fn ran again")
	assert.LessOrEqual(t, calls.Load(), int32(2+postgres.DefaultMaxRetries), "retries are bounded")
	var u1, u2 *omnichannel.User
	require.NoError(t, s.View(ctx, func(tx omnichannel.Tx) (err error) {
		if u1, err = tx.GetUser("ws", "u1"); err != nil {
			return err
		}
		u2, err = tx.GetUser("ws", "u2")
		return err
	}))
	assert.Equal(t, u1.Name, u2.Name, "the transaction that committed last wrote both rows")
}

// TestListenerSurvivesLostConnection kills the listener's connection: the refs relayed meanwhile
// still arrive (the poll reads them through the pool) and the listener connects again.
func TestListenerSurvivesLostConnection(t *testing.T) {
	schema := newSchema(t)
	a, b := openStore(t, schema), openStore(t, schema)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	var mu sync.Mutex
	got := map[string]int{}
	wg.Add(1)
	go func() {
		defer wg.Done()
		err := b.ListenEvents(ctx, func(r omnichannel.EventRef) {
			mu.Lock()
			got[r.MessageID]++
			mu.Unlock()
		})
		assert.ErrorIs(t, err, context.Canceled)
	}()
	require.Eventually(t, func() bool { return postgres.Listeners(b) == 1 }, 10*time.Second, 10*time.Millisecond)
	received := func(ids ...string) func() bool {
		return func() bool {
			mu.Lock()
			defer mu.Unlock()
			for _, id := range ids {
				if got[id] == 0 {
					return false
				}
			}
			return true
		}
	}
	relay := func(id string) {
		require.NoError(t, a.RelayEvents(ctx, []omnichannel.EventRef{{Kind: omnichannel.EventMessageCreated, WorkspaceID: "ws", MessageID: id}}))
	}
	relay("before")
	require.Eventually(t, received("before"), 10*time.Second, 10*time.Millisecond)

	admin, err := pgx.Connect(ctx, databaseURL(t))
	require.NoError(t, err)
	defer admin.Close(context.Background())
	listeners := func() int {
		var n int
		require.NoError(t, admin.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`,
			"dakenh-events-"+schema).Scan(&n))
		return n
	}
	require.Equal(t, 1, listeners())
	_, err = admin.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`,
		"dakenh-events-"+schema)
	require.NoError(t, err)
	var ids []string
	for i := range 20 {
		id := fmt.Sprintf("after-%02d", i)
		ids = append(ids, id)
		relay(id)
	}
	assert.Eventually(t, received(ids...), 15*time.Second, 20*time.Millisecond, "refs relayed after the connection died arrive")
	assert.Eventually(t, func() bool { return listeners() == 1 }, 15*time.Second, 50*time.Millisecond, "the listener reconnects")
}

// TestIdleConnectionsKilled: the server drops the pool's idle connections (a restart, an idle
// timeout); the next transactions notice at BEGIN and use fresh connections instead of failing.
func TestIdleConnectionsKilled(t *testing.T) {
	schema := newSchema(t)
	s := openStore(t, schema)
	ctx := context.Background()
	put := func(id string) error {
		return s.Update(ctx, func(tx omnichannel.Tx) error { return tx.PutUser(&omnichannel.User{WorkspaceID: "ws", ID: id}) })
	}
	var wg sync.WaitGroup
	for i := range 4 { // several idle connections
		wg.Add(1)
		go func() { defer wg.Done(); assert.NoError(t, put(fmt.Sprintf("before-%d", i))) }()
	}
	wg.Wait()

	admin, err := pgx.Connect(ctx, databaseURL(t))
	require.NoError(t, err)
	defer admin.Close(ctx)
	var killed int
	require.NoError(t, admin.QueryRow(ctx, `SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = $1) k`, "dakenh-"+schema).Scan(&killed))
	require.Positive(t, killed)
	require.Eventually(t, func() bool {
		var n int
		require.NoError(t, admin.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`,
			"dakenh-"+schema).Scan(&n))
		return n == 0
	}, 10*time.Second, 10*time.Millisecond)

	for i := range 3 {
		require.NoError(t, put(fmt.Sprintf("after-%d", i)), "transaction %d after the server dropped the connections", i)
	}
}
