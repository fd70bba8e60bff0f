package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/store"
)

// feedTests check store.FeedTx: entries come back in position order per workspace, only when
// their transaction committed, pages resume after a cursor, pruning removes only old entries, and
// the deletes remove what they name.
func feedTests() []test {
	return []test{
		{"AppendAndList", testFeedAppendAndList},
		{"RollbackLeavesNothing", testFeedRollback},
		{"GroupedUpdate", testFeedGrouped},
		{"CrashAndResume", testFeedCrashAndResume},
		{"PruneOnlyOld", testFeedPrune},
		{"DeleteConversations", testFeedDeleteConversations},
		{"DeleteWorkspace", testFeedDeleteWorkspace},
	}
}

// feedEntry returns an entry of ws about conversation conv, at t0 + d.
func feedEntry(ws, conv string, kind model.EventKind, d time.Duration) model.FeedEntry {
	return model.FeedEntry{WorkspaceID: ws, Kind: kind, ConversationID: conv, MessageID: "m-" + conv,
		ConnectionID: "conn-1", UserID: "u-1", At: at(d), Data: json.RawMessage(`{"status":"open"}`)}
}

// appendFeed appends entries in one transaction.
func appendFeed(t *testing.T, s store.Store, entries ...model.FeedEntry) {
	t.Helper()
	update(t, s, func(tx store.Tx) error { return tx.AppendFeed(entries) })
}

// sequenceFeed numbers the committed entries on stores that need it.
func sequenceFeed(t *testing.T, s store.Store) {
	t.Helper()
	if sq, ok := s.(store.FeedSequencer); ok {
		require.NoError(t, sq.SequenceFeed(t.Context()))
	}
}

// listFeed numbers the committed entries and returns up to limit of ws's after the position.
func listFeed(t *testing.T, s store.Store, ws string, after int64, limit int) []model.FeedEntry {
	t.Helper()
	sequenceFeed(t, s)
	return read(t, s, func(tx store.Tx) ([]model.FeedEntry, error) { return tx.ListFeed(ws, after, limit) })
}

// wholeFeed returns every entry of ws.
func wholeFeed(t *testing.T, s store.Store, ws string) []model.FeedEntry {
	t.Helper()
	return listFeed(t, s, ws, 0, 1<<20)
}

// conversationsOf returns the conversation ids of entries, in order.
func conversationsOf(entries []model.FeedEntry) []string {
	out := make([]string, len(entries))
	for i, en := range entries {
		out[i] = en.ConversationID
	}
	return out
}

// increasing asserts that the entries' positions increase.
func increasing(t *testing.T, entries []model.FeedEntry) {
	t.Helper()
	for i := 1; i < len(entries); i++ {
		assert.Greater(t, entries[i].Position, entries[i-1].Position, "positions increase")
	}
}

func testFeedAppendAndList(t *testing.T, s store.Store) {
	first := feedEntry(ws1, "c1", model.EventConversationOpened, 0)
	appendFeed(t, s, first, feedEntry(ws2, "x1", model.EventMessageCreated, 0), feedEntry(ws1, "c2", model.EventMessageCreated, time.Second))
	bare := model.FeedEntry{WorkspaceID: ws1, Kind: model.EventConnectionUpdated, ConnectionID: "conn-1", At: at(2 * time.Second)}
	appendFeed(t, s, bare)
	appendFeed(t, s) // no entries: nothing happens
	appendFeed(t, s, feedEntry(ws1, "c3", model.EventReadUpdated, 3*time.Second))

	all := wholeFeed(t, s, ws1)
	require.Equal(t, []string{"c1", "c2", "", "c3"}, conversationsOf(all), "the workspace's entries in commit order")
	increasing(t, all)
	got := all[0]
	assert.Positive(t, got.Position)
	got.Position = 0
	same(t, first, got, "every field round-trips")
	assert.JSONEq(t, `{"status":"open"}`, string(all[0].Data))
	assert.Nil(t, all[2].Data, "no data stays none")
	assert.Equal(t, []string{"x1"}, conversationsOf(wholeFeed(t, s, ws2)), "another workspace's entries stay apart")

	page := listFeed(t, s, ws1, 0, 2)
	assert.Equal(t, []string{"c1", "c2"}, conversationsOf(page), "a page holds limit entries")
	page = listFeed(t, s, ws1, page[1].Position, 2)
	assert.Equal(t, []string{"", "c3"}, conversationsOf(page), "the next page starts after the cursor")
	assert.Empty(t, listFeed(t, s, ws1, all[3].Position, 10), "nothing after the last entry")
	assert.Empty(t, listFeed(t, s, ws1, 0, 0), "a limit of zero lists nothing")
	assert.Empty(t, listFeed(t, s, "ws-none", 0, 10))
}

func testFeedRollback(t *testing.T, s store.Store) {
	appendFeed(t, s, feedEntry(ws1, "kept-1", model.EventMessageCreated, 0))
	boom := errors.New("boom")
	err := write(t, s, func(tx store.Tx) error {
		if err := tx.AppendFeed([]model.FeedEntry{feedEntry(ws1, "lost", model.EventMessageCreated, 0)}); err != nil {
			return err
		}
		return boom
	})
	require.ErrorIs(t, err, boom)
	appendFeed(t, s, feedEntry(ws1, "kept-2", model.EventMessageCreated, 0))
	all := wholeFeed(t, s, ws1)
	assert.Equal(t, []string{"kept-1", "kept-2"}, conversationsOf(all), "a rolled-back change has no entry")
	increasing(t, all)
}

// testFeedGrouped checks that a grouped update's entries commit with its other writes, and are
// dropped with them when a write fails.
func testFeedGrouped(t *testing.T, s store.Store) {
	run := grouped(t, s)
	seedGroupConnection(t, s)
	c := newThread("conv-g")
	require.NoError(t, run(t.Context(), func(tx store.Tx) error {
		if err := insertThread(tx, c, "msg-g", "p-g"); err != nil {
			return err
		}
		return tx.AppendFeed([]model.FeedEntry{feedEntry(ws1, c.ID, model.EventConversationOpened, 0),
			feedEntry(ws1, c.ID, model.EventMessageCreated, 0)})
	}))
	// A second delivery of the same provider message fails as a duplicate: its entry goes with it.
	d := newThread("conv-dup")
	err := run(t.Context(), func(tx store.Tx) error {
		m := plainMessage(c, "msg-dup", 2)
		m.ProviderMessageID = "p-g"
		if err := tx.InsertMessage(m); err != nil {
			return err
		}
		return tx.AppendFeed([]model.FeedEntry{feedEntry(ws1, d.ID, model.EventMessageCreated, 0)})
	})
	require.ErrorIs(t, err, model.ErrDuplicate)
	got := wholeFeed(t, s, ws1)
	assert.Equal(t, []string{c.ID, c.ID}, conversationsOf(got))
	if len(got) == 2 {
		assert.Equal(t, model.EventConversationOpened, got[0].Kind, "a grouped update's entries keep their order")
	}
}

// testFeedCrashAndResume plays a consumer that stops in the middle of a page, forgets everything
// but its saved cursor, and starts again, while writers keep committing: it sees every entry once.
func testFeedCrashAndResume(t *testing.T, s store.Store) {
	const writers, perWriter = 3, 40
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				en := feedEntry(ws1, fmt.Sprintf("w%d-%03d", w, i), model.EventMessageCreated, 0)
				if err := s.Update(t.Context(), func(tx store.Tx) error {
					return tx.AppendFeed([]model.FeedEntry{en, feedEntry(ws2, "other", model.EventMessageCreated, 0)})
				}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	rng := rand.New(rand.NewPCG(1, 2))
	var cursor int64 // the only state that survives a crash
	seen := map[string]int{}
	var order []string
	consume := func() (finished bool) {
		// One consumer life: reads pages of random size and crashes after a random number of entries.
		lifetime := 1 + rng.IntN(15)
		for {
			page := listFeed(t, s, ws1, cursor, 1+rng.IntN(7))
			if len(page) == 0 {
				return true
			}
			for _, en := range page {
				seen[en.ConversationID]++
				order = append(order, en.ConversationID)
				cursor = en.Position // saved after handling
				if lifetime--; lifetime == 0 {
					return false // crash: the rest of the page is dropped
				}
			}
		}
	}
	for writing := true; writing; {
		select {
		case <-done:
			writing = false
		default:
		}
		consume()
	}
	for !consume() {
	}
	require.Len(t, seen, writers*perWriter, "every committed entry is seen")
	for id, n := range seen {
		assert.Equal(t, 1, n, "entry %s seen once", id)
	}
	last := map[int]int{}
	for _, id := range order {
		var w, i int
		_, err := fmt.Sscanf(id, "w%d-%d", &w, &i)
		require.NoError(t, err)
		if prev, ok := last[w]; ok {
			assert.Greater(t, i, prev, "one writer's entries in its commit order")
		}
		last[w] = i
	}
}

func testFeedPrune(t *testing.T, s store.Store) {
	appendFeed(t, s, feedEntry(ws1, "old-1", model.EventMessageCreated, 0), feedEntry(ws2, "old-2", model.EventMessageCreated, time.Minute))
	appendFeed(t, s, feedEntry(ws1, "old-3", model.EventMessageCreated, 2*time.Minute))
	appendFeed(t, s, feedEntry(ws1, "new-1", model.EventMessageCreated, time.Hour), feedEntry(ws2, "new-2", model.EventMessageCreated, 2*time.Hour))
	sequenceFeed(t, s)

	n := modify(t, s, func(tx store.Tx) (int, error) { return tx.PruneFeed(at(30*time.Minute), 2) })
	assert.Equal(t, 2, n, "the limit bounds one prune")
	assert.Equal(t, []string{"old-3", "new-1"}, conversationsOf(wholeFeed(t, s, ws1)), "the oldest positions go first")
	n = modify(t, s, func(tx store.Tx) (int, error) { return tx.PruneFeed(at(30*time.Minute), 100) })
	assert.Equal(t, 1, n)
	assert.Equal(t, []string{"new-1"}, conversationsOf(wholeFeed(t, s, ws1)), "entries newer than the bound stay")
	assert.Equal(t, []string{"new-2"}, conversationsOf(wholeFeed(t, s, ws2)))
	n = modify(t, s, func(tx store.Tx) (int, error) { return tx.PruneFeed(at(30*time.Minute), 100) })
	assert.Zero(t, n, "nothing left to prune")

	// Positions are never handed out again, even when every entry was pruned.
	last := wholeFeed(t, s, ws2)[0].Position
	modify(t, s, func(tx store.Tx) (int, error) { return tx.PruneFeed(at(3*time.Hour), 100) })
	require.Empty(t, wholeFeed(t, s, ws1))
	appendFeed(t, s, feedEntry(ws1, "after", model.EventMessageCreated, 4*time.Hour))
	got := wholeFeed(t, s, ws1)
	require.Len(t, got, 1)
	assert.Greater(t, got[0].Position, last, "a new entry comes after every pruned one")
}

func testFeedDeleteConversations(t *testing.T, s store.Store) {
	appendFeed(t, s, feedEntry(ws1, "c1", model.EventMessageCreated, 0), feedEntry(ws1, "c2", model.EventMessageCreated, 0),
		feedEntry(ws1, "c3", model.EventMessageCreated, 0), feedEntry(ws2, "c1", model.EventMessageCreated, 0))
	update(t, s, func(tx store.Tx) error { return tx.DeleteConversationsFeed(ws1, []string{"c1", "c3", "absent"}) })
	update(t, s, func(tx store.Tx) error { return tx.DeleteConversationsFeed(ws1, nil) })
	assert.Equal(t, []string{"c2"}, conversationsOf(wholeFeed(t, s, ws1)))
	assert.Equal(t, []string{"c1"}, conversationsOf(wholeFeed(t, s, ws2)), "another workspace's entries stay")
}

func testFeedDeleteWorkspace(t *testing.T, s store.Store) {
	appendFeed(t, s, feedEntry(ws1, "c1", model.EventMessageCreated, 0), feedEntry(ws2, "c2", model.EventMessageCreated, 0))
	update(t, s, func(tx store.Tx) error { return tx.DeleteWorkspaceFeed(ws1) })
	update(t, s, func(tx store.Tx) error { return tx.DeleteWorkspaceFeed("ws-none") })
	assert.Empty(t, wholeFeed(t, s, ws1))
	assert.Equal(t, []string{"c2"}, conversationsOf(wholeFeed(t, s, ws2)))
}

// testSharedFeed has writers on both Store values commit at once: reading through either, the
// feed holds every entry once, in one order, each writer's entries in its commit order.
func testSharedFeed(t *testing.T, a, b store.Store) {
	const perWriter = 30
	var wg sync.WaitGroup
	for w, s := range []store.Store{a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				en := feedEntry(ws1, fmt.Sprintf("w%d-%03d", w, i), model.EventMessageCreated, 0)
				if err := s.Update(t.Context(), func(tx store.Tx) error { return tx.AppendFeed([]model.FeedEntry{en}) }); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	fromA, fromB := wholeFeed(t, a, ws1), wholeFeed(t, b, ws1)
	require.Len(t, fromA, 4*perWriter, "every entry, once")
	same(t, fromA, fromB, "one feed, whichever store reads it")
	increasing(t, fromA)
	seen := map[string]bool{}
	last := map[int]int{}
	for _, en := range fromA {
		assert.False(t, seen[en.ConversationID], "no duplicate")
		seen[en.ConversationID] = true
		var w, i int
		_, err := fmt.Sscanf(en.ConversationID, "w%d-%d", &w, &i)
		require.NoError(t, err)
		if prev, ok := last[w]; ok {
			assert.Equal(t, prev+1, i, "one writer's entries in its commit order, none missing")
		}
		last[w] = i
	}
}
