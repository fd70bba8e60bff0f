package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/omnichannel"
	"github.com/dakenh/dakenh/store/sqlite"
)

const ws = "ws-1"

func putUser(id string) func(tx omnichannel.Tx) error {
	return func(tx omnichannel.Tx) error {
		return tx.PutUser(&omnichannel.User{WorkspaceID: ws, ID: id, Name: id, Active: true})
	}
}

func userExists(t *testing.T, s omnichannel.Store, id string) bool {
	t.Helper()
	err := s.View(t.Context(), func(tx omnichannel.Tx) error { _, err := tx.GetUser(ws, id); return err })
	if errors.Is(err, omnichannel.ErrNotFound) {
		return false
	}
	require.NoError(t, err)
	return true
}

// holdWriter starts an Update that keeps the writer busy until the returned release is called, so
// that the Updates queued meanwhile form the next batch (the held one's batch, in fact: the writer
// takes whatever is queued when the held function returns).
func holdWriter(t *testing.T, s *sqlite.Store) (release func() error) {
	t.Helper()
	started, hold := make(chan struct{}), make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		errc <- s.Update(context.Background(), func(tx omnichannel.Tx) error {
			close(started)
			<-hold
			return putUser("holder")(tx)
		})
	}()
	<-started
	return func() error { close(hold); return <-errc }
}

// openBatching opens a store whose batches are bounded by size only, so that the tests decide what
// shares a commit whatever the speed of the machine.
func openBatching(t *testing.T, maxBatchSize int) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(t.TempDir(), "db"),
		MaxBatchSize: maxBatchSize, MaxBatchDuration: time.Hour})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// waitQueued waits until n Updates are queued behind the writer.
func waitQueued(t *testing.T, s *sqlite.Store, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return sqlite.QueueLen(s) == n }, 10*time.Second, time.Millisecond,
		"the Updates never queued")
}

// TestGroupCommitBatchesConcurrentUpdates: Updates that queue while the writer is busy commit in
// one transaction, and each caller returns after that commit.
func TestGroupCommitBatchesConcurrentUpdates(t *testing.T) {
	s := openBatching(t, 0)
	before := s.Stats()
	release := holdWriter(t, s)
	const n = 50
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = s.Update(t.Context(), putUser(fmt.Sprintf("u-%02d", i))) })
	}
	waitQueued(t, s, n)
	require.NoError(t, release())
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "update %d", i)
		assert.True(t, userExists(t, s, fmt.Sprintf("u-%02d", i)))
	}
	after := s.Stats()
	assert.Equal(t, int64(n+1), after.Updates-before.Updates)
	assert.Equal(t, int64(1), after.Batches-before.Batches, "the held Update and the %d queued behind it share one commit", n)
}

// TestGroupCommitBatchSizeBound: MaxBatchSize caps a batch.
func TestGroupCommitBatchSizeBound(t *testing.T) {
	s := openBatching(t, 4)
	before := s.Stats()
	release := holdWriter(t, s)
	var wg sync.WaitGroup
	for i := range 11 {
		wg.Go(func() { assert.NoError(t, s.Update(t.Context(), putUser(fmt.Sprintf("u-%02d", i)))) })
	}
	waitQueued(t, s, 11)
	require.NoError(t, release())
	wg.Wait()
	assert.Equal(t, int64(3), s.Stats().Batches-before.Batches, "12 Updates in batches of at most 4")
}

// TestGroupCommitBatchDurationBound: a batch stops taking Updates after MaxBatchDuration, so the
// function that held the writer past it commits without the ones queued meanwhile.
func TestGroupCommitBatchDurationBound(t *testing.T) {
	s, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(t.TempDir(), "db"),
		MaxBatchDuration: time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	before := s.Stats()
	release := holdWriter(t, s)
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() { assert.NoError(t, s.Update(t.Context(), putUser(fmt.Sprintf("u-%d", i)))) })
	}
	waitQueued(t, s, 3)
	time.Sleep(5 * time.Millisecond)
	require.NoError(t, release())
	wg.Wait()
	assert.GreaterOrEqual(t, s.Stats().Batches-before.Batches, int64(2), "the held batch closed at its time bound")
}

// TestGroupCommitFailedFunctionRollsBackAlone: in one batch, the function that fails is undone and
// its caller alone gets its error, unchanged; the others commit.
func TestGroupCommitFailedFunctionRollsBackAlone(t *testing.T) {
	s := openBatching(t, 0)
	before := s.Stats()
	release := holdWriter(t, s)
	boom := errors.New("boom")
	var wg sync.WaitGroup
	var errA, errB, errC error
	wg.Go(func() { errA = s.Update(t.Context(), putUser("a")) })
	waitQueued(t, s, 1)
	wg.Go(func() {
		errB = s.Update(t.Context(), func(tx omnichannel.Tx) error {
			if err := putUser("b")(tx); err != nil {
				return err
			}
			return boom
		})
	})
	waitQueued(t, s, 2)
	wg.Go(func() { errC = s.Update(t.Context(), putUser("c")) })
	waitQueued(t, s, 3)
	require.NoError(t, release())
	wg.Wait()

	require.NoError(t, errA)
	require.Same(t, boom, errB)
	require.NoError(t, errC)
	assert.True(t, userExists(t, s, "a"))
	assert.False(t, userExists(t, s, "b"), "the failed function's write was rolled back")
	assert.True(t, userExists(t, s, "c"))
	assert.True(t, userExists(t, s, "holder"))
	assert.Equal(t, int64(1), s.Stats().Batches-before.Batches)
}

// TestGroupCommitPanicRollsBackAlone: a panicking function is undone, the panic reaches its caller,
// and the store goes on.
func TestGroupCommitPanicRollsBackAlone(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "db"))
	assert.PanicsWithValue(t, "boom", func() {
		_ = s.Update(t.Context(), func(tx omnichannel.Tx) error {
			if err := putUser("p")(tx); err != nil {
				return err
			}
			panic("boom")
		})
	})
	require.NoError(t, s.Update(t.Context(), putUser("after")))
	assert.False(t, userExists(t, s, "p"))
	assert.True(t, userExists(t, s, "after"))
}

// TestGroupCommitGoexitRollsBack: a function that ends its goroutine (t.FailNow does) is undone and
// the writer goes on.
func TestGroupCommitGoexitRollsBack(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "db"))
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Update(t.Context(), func(tx omnichannel.Tx) error {
			if err := putUser("gone")(tx); err != nil {
				return err
			}
			runtime.Goexit()
			return nil
		})
	}()
	<-done
	require.NoError(t, s.Update(t.Context(), putUser("after")))
	assert.False(t, userExists(t, s, "gone"))
	assert.True(t, userExists(t, s, "after"))
}

// TestGroupCommitFailedCommitReachesEveryCaller: when the COMMIT of a batch fails, every caller whose
// function succeeded gets the error, and nothing of the batch is kept. A deferred foreign key
// violation is what makes the COMMIT fail here.
func TestGroupCommitFailedCommitReachesEveryCaller(t *testing.T) {
	s := openBatching(t, 0)
	require.NoError(t, s.Update(t.Context(), func(tx omnichannel.Tx) error {
		return tx.PutConnection(&omnichannel.Connection{WorkspaceID: ws, ID: "conn-1", Kind: "fake"})
	}))
	release := holdWriter(t, s)
	var wg sync.WaitGroup
	var errBad, errGood error
	wg.Go(func() {
		errBad = s.Update(t.Context(), func(tx omnichannel.Tx) error {
			if err := sqlite.ExecInTx(tx, "PRAGMA defer_foreign_keys = ON"); err != nil {
				return err
			}
			// The contact does not exist: with deferred checks this only fails at COMMIT.
			return tx.InsertIdentity(&omnichannel.Identity{WorkspaceID: ws, ID: "i-1", ContactID: "missing",
				ConnectionID: "conn-1", ExternalUserID: "x"})
		})
	})
	waitQueued(t, s, 1)
	wg.Go(func() { errGood = s.Update(t.Context(), putUser("innocent")) })
	waitQueued(t, s, 2)
	holderErr := release()
	wg.Wait()
	for name, err := range map[string]error{"holder": holderErr, "bad": errBad, "innocent": errGood} {
		assert.ErrorContains(t, err, "commit", name)
	}
	assert.False(t, userExists(t, s, "holder"), "nothing of the failed batch is kept")
	assert.False(t, userExists(t, s, "innocent"), "nothing of the failed batch is kept")
	require.NoError(t, s.Update(t.Context(), putUser("later")), "the writer goes on after a failed commit")
	assert.True(t, userExists(t, s, "later"))
}

// TestUpdateCanceledWhileQueued: a caller that gives up while waiting for the writer gets ctx.Err()
// and its function never runs.
func TestUpdateCanceledWhileQueued(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "db"))
	release := holdWriter(t, s)
	ctx, cancel := context.WithCancel(t.Context())
	ran := make(chan struct{}, 1)
	errc := make(chan error, 1)
	go func() {
		errc <- s.Update(ctx, func(tx omnichannel.Tx) error { ran <- struct{}{}; return putUser("canceled")(tx) })
	}()
	waitQueued(t, s, 1)
	cancel()
	require.ErrorIs(t, <-errc, context.Canceled)
	require.NoError(t, release())
	require.NoError(t, s.Update(t.Context(), putUser("next")))
	assert.Empty(t, ran, "the canceled function never ran")
	assert.False(t, userExists(t, s, "canceled"))

	done, cancelDone := context.WithCancel(t.Context())
	cancelDone()
	require.ErrorIs(t, s.Update(done, putUser("x")), context.Canceled)
	require.ErrorIs(t, s.View(done, func(omnichannel.Tx) error { return nil }), context.Canceled)
}

// TestViewSnapshot: the reads of one View see one snapshot, even when a write commits in between.
func TestViewSnapshot(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "db"))
	require.NoError(t, s.Update(t.Context(), putUser("u")))
	require.NoError(t, s.View(t.Context(), func(tx omnichannel.Tx) error {
		u, err := tx.GetUser(ws, "u")
		require.NoError(t, err)
		require.NoError(t, s.Update(t.Context(), func(tx omnichannel.Tx) error {
			return tx.PutUser(&omnichannel.User{WorkspaceID: ws, ID: "u", Name: "renamed"})
		}))
		again, err := tx.GetUser(ws, "u")
		require.NoError(t, err)
		assert.Equal(t, u.Name, again.Name, "the committed rename is not in this View's snapshot")
		return nil
	}))
	require.NoError(t, s.View(t.Context(), func(tx omnichannel.Tx) error {
		u, err := tx.GetUser(ws, "u")
		require.NoError(t, err)
		assert.Equal(t, "renamed", u.Name, "a new View sees the commit")
		return nil
	}))
}

func TestViewIsReadOnly(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "db"))
	err := s.View(t.Context(), putUser("u"))
	require.ErrorIs(t, err, sqlite.ErrReadOnly)
	err = s.View(t.Context(), func(tx omnichannel.Tx) error { _, err := tx.NextRotation(ws, "k"); return err })
	require.ErrorIs(t, err, sqlite.ErrReadOnly)
}

func TestTxUnusableAfterReturn(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "db"))
	var leaked omnichannel.Tx
	require.NoError(t, s.Update(t.Context(), func(tx omnichannel.Tx) error { leaked = tx; return nil }))
	_, err := leaked.GetUser(ws, "u")
	require.ErrorIs(t, err, sqlite.ErrTxDone)
	require.ErrorIs(t, leaked.PutUser(&omnichannel.User{WorkspaceID: ws, ID: "u"}), sqlite.ErrTxDone)
	require.NoError(t, s.View(t.Context(), func(tx omnichannel.Tx) error { leaked = tx; return nil }))
	_, err = leaked.GetUser(ws, "u")
	require.ErrorIs(t, err, sqlite.ErrTxDone)
}

func TestClosed(t *testing.T) {
	s, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(t.TempDir(), "db")})
	require.NoError(t, err)
	require.NoError(t, s.Update(t.Context(), putUser("u")))
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "Close is idempotent")
	require.ErrorIs(t, s.Update(t.Context(), putUser("v")), sqlite.ErrClosed)
	require.ErrorIs(t, s.View(t.Context(), func(omnichannel.Tx) error { return nil }), sqlite.ErrClosed)
}

// TestCloseFinishesQueuedUpdates: Updates accepted before Close commit.
func TestCloseFinishesQueuedUpdates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	s, err := sqlite.Open(t.Context(), sqlite.Config{Path: path})
	require.NoError(t, err)
	release := holdWriter(t, s)
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Go(func() { assert.NoError(t, s.Update(t.Context(), putUser(fmt.Sprintf("q-%d", i)))) })
	}
	waitQueued(t, s, 5)
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	require.NoError(t, release())
	wg.Wait()
	require.NoError(t, <-closed)

	reopened := open(t, path)
	for i := range 5 {
		assert.True(t, userExists(t, reopened, fmt.Sprintf("q-%d", i)))
	}
}

func TestConfigValidation(t *testing.T) {
	_, err := sqlite.Open(t.Context(), sqlite.Config{ReadConns: -1, BusyTimeout: -1, Synchronous: "OFF",
		MaxBatchSize: -1, MaxBatchDuration: -1, QueueSize: -1})
	require.ErrorIs(t, err, omnichannel.ErrInvalid)
	for _, field := range []string{"Path", "ReadConns", "BusyTimeout", "Synchronous", "MaxBatchSize",
		"MaxBatchDuration", "QueueSize"} {
		assert.ErrorContains(t, err, "Config."+field, "every problem is reported")
	}
	for _, path := range []string{":memory:", "file:x.db", "x.db?mode=ro"} {
		_, err := sqlite.Open(t.Context(), sqlite.Config{Path: path})
		assert.ErrorIs(t, err, omnichannel.ErrInvalid, path)
	}
}

// TestSynchronousNormal: the faster durability setting opens and works.
func TestSynchronousNormal(t *testing.T) {
	s, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(t.TempDir(), "db"), Synchronous: sqlite.SyncNormal})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	require.NoError(t, s.Update(t.Context(), putUser("u")))
	assert.True(t, userExists(t, s, "u"))
}
