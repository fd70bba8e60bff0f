package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/store"
)

// Checks of what goes wrong first when several engine processes share one database: the store's
// atomic operations must stay atomic across Store values, not only across goroutines.

// testSharedRoundRobin opens conversations from goroutines spread over both stores, each assigned,
// in the same transaction, to the user at the next rotation position (as the round-robin router
// does). Every user must end up with the same number of conversations, give or take one.
func testSharedRoundRobin(t *testing.T, a, b store.Store) {
	users := []string{"u-1", "u-2", "u-3", "u-4", "u-5", "u-6", "u-7"}
	const n = 100
	stores := []store.Store{a, b}
	errs := make([]error, n)
	concurrently(n, func(i int) {
		c := fullConversation(ws1, fmt.Sprintf("rr-%03d", i))
		c.AwaitingClaim, c.Claimed = false, false
		errs[i] = stores[i%2].Update(t.Context(), func(tx store.Tx) error {
			pos, err := tx.NextRotation(ws1, "rule-rr")
			if err != nil {
				return err
			}
			c.AssigneeID = users[pos%int64(len(users))]
			if err := seedParents(tx, c); err != nil {
				return err
			}
			return tx.InsertConversation(c)
		})
	})
	for i, err := range errs {
		require.NoError(t, err, "conversation %d", i)
	}
	for _, s := range stores {
		counts := read(t, s, func(tx store.Tx) (map[string]int, error) { return tx.CountOpenAssigned(ws1, users) })
		total := 0
		for _, u := range users {
			total += counts[u]
			assert.InDelta(t, n/len(users), counts[u], 1, "user %s got %d of %d conversations", u, counts[u], n)
		}
		assert.Equal(t, n, total)
	}
}

// testSharedOutbox runs the worker loop of the outbox on both stores at once, two workers each: claim
// a few due jobs, mark each started (UpdateJob), "send" it, delete it. Every job must be sent exactly
// once, every UpdateJob and DeleteJob of a holder must succeed, and nothing may be left.
func testSharedOutbox(t *testing.T, a, b store.Store) {
	const n = 150
	var jobs []*model.Job
	for i := range n {
		j := fullJob(fmt.Sprintf("send-%03d", i), at(-time.Duration(i%11)*time.Second))
		j.Started, j.Attempts = false, 0
		jobs = append(jobs, j)
	}
	insertJobs(t, a, jobs...)

	var mu sync.Mutex
	sent := map[string]int{}
	stores := []store.Store{a, b, a, b}
	errs := make([]error, len(stores))
	concurrently(len(stores), func(w int) {
		s, owner := stores[w], fmt.Sprintf("worker-%d", w)
		for {
			var got []*model.Job
			err := s.Update(t.Context(), func(tx store.Tx) error {
				var err error
				got, err = tx.ClaimJobs(owner, t0, time.Hour, 3)
				return err
			})
			if err != nil || len(got) == 0 {
				errs[w] = err
				return
			}
			for _, j := range got {
				j.Started, j.Attempts = true, j.Attempts+1
				if err := s.Update(t.Context(), func(tx store.Tx) error { return tx.UpdateJob(j) }); err != nil {
					errs[w] = fmt.Errorf("marking %s started: %w", j.ID, err)
					return
				}
				mu.Lock()
				sent[j.ID]++
				mu.Unlock()
				if err := s.Update(t.Context(), func(tx store.Tx) error { return tx.DeleteJob(j.ID) }); err != nil {
					errs[w] = fmt.Errorf("deleting %s: %w", j.ID, err)
					return
				}
			}
		}
	})
	for w, err := range errs {
		require.NoError(t, err, "worker %d", w)
	}
	assert.Len(t, sent, n, "every job was sent")
	for id, times := range sent {
		assert.Equal(t, 1, times, "job %s sent %d times", id, times)
	}
	for _, s := range []store.Store{a, b} {
		assert.Empty(t, claim(t, s, "w-late", at(24*time.Hour), time.Hour, 10), "no job is left")
		assert.True(t, read(t, s, func(tx store.Tx) (time.Time, error) { return tx.NextJobTime() }).IsZero())
	}
}

// testSharedRefreshLock is the engine's token refresh across processes: in each round the access
// token has expired and workers on both stores want to refresh it at once. Only the lease holder
// may refresh; it rotates the credentials with a compare-and-set and releases the lease. Each round
// must refresh exactly once.
func testSharedRefreshLock(t *testing.T, a, b store.Store) {
	conn := fullConnection(ws1, "conn-refresh")
	conn.Credentials.RefreshToken = "rt-0"
	update(t, a, func(tx store.Tx) error { return tx.PutConnection(conn) })
	const rounds, workers = 5, 12
	stores := []store.Store{a, b}
	for r := range rounds {
		now := at(time.Duration(r) * 10 * time.Minute)
		refreshed := make([]bool, workers)
		errs := make([]error, workers)
		concurrently(workers, func(w int) {
			s, owner := stores[w%2], fmt.Sprintf("engine-%d", w)
			var held bool
			if errs[w] = s.Update(t.Context(), func(tx store.Tx) error {
				var err error
				held, err = tx.AcquireLease("refresh:"+conn.ID, owner, now, now.Add(time.Minute))
				return err
			}); errs[w] != nil || !held {
				return
			}
			errs[w] = s.Update(t.Context(), func(tx store.Tx) error {
				refreshed[w] = false
				c, err := tx.GetConnection(ws1, conn.ID)
				if err != nil {
					return err
				}
				if c.Credentials.RefreshToken != fmt.Sprintf("rt-%d", r) {
					return nil // refreshed already this round
				}
				c.Credentials.RefreshToken = fmt.Sprintf("rt-%d", r+1)
				if err := tx.UpdateConnection(c); err != nil {
					return err
				}
				refreshed[w] = true
				return tx.ReleaseLease("refresh:"+conn.ID, owner)
			})
		})
		n := 0
		for w := range workers {
			require.NoError(t, errs[w], "round %d worker %d", r, w)
			if refreshed[w] {
				n++
			}
		}
		require.Equal(t, 1, n, "round %d: exactly one refresh", r)
	}
	got := read(t, b, func(tx store.Tx) (*model.Connection, error) { return tx.GetConnection(ws1, conn.ID) })
	assert.Equal(t, fmt.Sprintf("rt-%d", rounds), got.Credentials.RefreshToken)
	assert.Equal(t, conn.Version+rounds, got.Version, "one credentials update per round")
}

// testSharedEventRelay applies to stores that implement store.EventRelay with two distinct
// Store values: every ref relayed through one reaches the other's listener (at least once), and no
// listener gets the refs relayed through its own Store value.
func testSharedEventRelay(t *testing.T, a, b store.Store) {
	ra, okA := a.(store.EventRelay)
	rb, okB := b.(store.EventRelay)
	if !okA || !okB || a == b {
		t.Log("not applicable: the store does not relay events between two Store values")
		return
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	gotA, gotB := newRefLog(), newRefLog()
	var wg sync.WaitGroup
	for _, l := range []struct {
		r   store.EventRelay
		log *refLog
	}{{ra, gotA}, {rb, gotB}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := l.r.ListenEvents(ctx, l.log.add)
			assert.ErrorIs(t, err, context.Canceled, "ListenEvents returns ctx.Err()")
		}()
	}
	defer wg.Wait()
	defer cancel()

	// Listeners start asynchronously: relay probes until each side hears the other.
	ref := func(from string, i int) store.EventRef {
		return store.EventRef{Kind: model.EventMessageCreated, WorkspaceID: ws1,
			ConversationID: "conv-" + from, MessageID: fmt.Sprintf("%s-%04d", from, i), At: at(time.Duration(i) * time.Millisecond)}
	}
	for i, side := range []struct {
		from store.EventRelay
		to   *refLog
	}{{ra, gotB}, {rb, gotA}} {
		require.Eventually(t, func() bool {
			if err := side.from.RelayEvents(ctx, []store.EventRef{ref("probe", i)}); err != nil {
				t.Logf("relaying a probe: %v", err)
				return false
			}
			return side.to.has(ref("probe", i).MessageID)
		}, 20*time.Second, 100*time.Millisecond, "the listener never heard the other Store value")
	}

	// Concurrent relays in batches of 1 to 5 from both sides.
	const perSide = 120
	var relayers sync.WaitGroup
	for _, side := range []struct {
		from store.EventRelay
		name string
	}{{ra, "a"}, {rb, "b"}} {
		for g := range 4 {
			relayers.Add(1)
			go func() {
				defer relayers.Done()
				for i := g * perSide / 4; i < (g+1)*perSide/4; {
					batch := []store.EventRef{}
					for k := 0; k < 1+i%5 && i < (g+1)*perSide/4; k++ {
						batch = append(batch, ref(side.name, i))
						i++
					}
					assert.NoError(t, side.from.RelayEvents(ctx, batch))
				}
			}()
		}
	}
	relayers.Wait()
	complete := func(log *refLog, from string) func() bool {
		return func() bool {
			for i := range perSide {
				if !log.has(ref(from, i).MessageID) {
					return false
				}
			}
			return true
		}
	}
	assert.Eventually(t, complete(gotB, "a"), 20*time.Second, 20*time.Millisecond, "a's refs reach b")
	assert.Eventually(t, complete(gotA, "b"), 20*time.Second, 20*time.Millisecond, "b's refs reach a")
	got := gotB.get(ref("a", 7).MessageID)
	same(t, ref("a", 7), got, "a ref arrives as relayed")
	assert.False(t, gotA.hasPrefix("a-"), "a's listener got a's own refs")
	assert.False(t, gotB.hasPrefix("b-"), "b's listener got b's own refs")
}

// refLog records the refs a listener received, by MessageID.
type refLog struct {
	mu   sync.Mutex
	refs map[string]store.EventRef
}

func newRefLog() *refLog { return &refLog{refs: map[string]store.EventRef{}} }

func (l *refLog) add(r store.EventRef) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.refs[r.MessageID] = r
}

func (l *refLog) has(id string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.refs[id]
	return ok
}

func (l *refLog) get(id string) store.EventRef {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.refs[id]
}

func (l *refLog) hasPrefix(prefix string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for id := range l.refs {
		if len(id) >= len(prefix) && id[:len(prefix)] == prefix {
			return true
		}
	}
	return false
}
