package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/store"
)

// readListTests check the "read" filter (ReadState = ReadRead) as its state changes: stores may
// answer it from the viewer's read states kept in list order, so activity, new customer messages,
// new read states and paging must all show in it at once.
func readListTests() []test {
	return []test{
		{"FollowsActivity", testReadListFollowsActivity},
		{"Pages", testReadListPages},
	}
}

// seedReadList stores, in ws1, a to d with two customer messages each at minutes 1 to 4, e and f
// without customer messages at minutes 5 and 6, and u1's read states: a and c up to date, d behind
// by one, f (nothing to read). It returns the ids in list order of what u1 has read.
func seedReadList(t *testing.T, s store.Store) []string {
	t.Helper()
	var convs []*model.Conversation
	for i, id := range []string{"a", "b", "c", "d", "e", "f"} {
		c := fullConversation(ws1, id)
		c.LastMessageAt = at(time.Duration(i+1) * time.Minute)
		c.InboundCount = 2
		if id == "e" || id == "f" {
			c.InboundCount = 0
		}
		convs = append(convs, c)
	}
	insertConversations(t, s, convs...)
	update(t, s, func(tx store.Tx) error {
		for _, r := range []*model.ReadState{fullReadState(ws1, "u1", "a", 2), fullReadState(ws1, "u1", "c", 2),
			fullReadState(ws1, "u1", "d", 1), fullReadState(ws1, "u1", "f", 0)} {
			if err := tx.PutReadState(r); err != nil {
				return err
			}
		}
		return nil
	})
	return []string{"f", "e", "c", "a"}
}

// readIDs lists viewer's read conversations of ws1 in one page, and checks that pages of one and of
// two rows list the same (a store that walks its read states in a stale order shows it in short
// pages).
func readIDs(t *testing.T, s store.Store, viewer string) []string {
	t.Helper()
	all := conversationIDs(listConversations(t, s, cq{WorkspaceID: ws1, ViewerID: viewer, ReadState: model.ReadRead}))
	for _, size := range []int{1, 2} {
		assert.Equal(t, all, readPages(t, s, viewer, size, len(all)), "pages of %d", size)
	}
	return all
}

// readPages lists viewer's read conversations of ws1 in pages of size, at most max+1 pages.
func readPages(t *testing.T, s store.Store, viewer string, size, max int) []string {
	t.Helper()
	got := []string{}
	q := cq{WorkspaceID: ws1, ViewerID: viewer, ReadState: model.ReadRead, Limit: size}
	for range max + 1 {
		page := listConversations(t, s, q)
		got = append(got, conversationIDs(page)...)
		if len(page) < size {
			break
		}
		last := page[len(page)-1]
		q.After = &model.Cursor{LastMessageAt: last.LastMessageAt, ConversationID: last.ID}
	}
	return got
}

func testReadListFollowsActivity(t *testing.T, s store.Store) {
	assert.Equal(t, seedReadList(t, s), readIDs(t, s, "u1"))
	assert.Equal(t, []string{"f", "e"}, readIDs(t, s, "u2"), "no read states: the conversations without customer messages")

	change := func(id string, fn func(c *model.Conversation)) {
		t.Helper()
		update(t, s, func(tx store.Tx) error {
			c, err := tx.GetConversation(ws1, id)
			if err != nil {
				return err
			}
			fn(c)
			return tx.UpdateConversation(c)
		})
	}
	// An agent's reply moves a read conversation to the top of the list; it stays read.
	change("a", func(c *model.Conversation) { c.LastMessageAt = at(10 * time.Minute) })
	assert.Equal(t, []string{"a", "f", "e", "c"}, readIDs(t, s, "u1"), "a reply moves a")
	// A new customer message: c is unread now, and leaves the read list.
	change("c", func(c *model.Conversation) { c.LastMessageAt, c.InboundCount = at(11*time.Minute), 3 })
	assert.Equal(t, []string{"a", "f", "e"}, readIDs(t, s, "u1"), "a customer message makes c unread")
	// u1 opens c and d: both are read, in list order.
	update(t, s, func(tx store.Tx) error {
		if err := tx.PutReadState(fullReadState(ws1, "u1", "c", 3)); err != nil {
			return err
		}
		return tx.PutReadState(fullReadState(ws1, "u1", "d", 2))
	})
	assert.Equal(t, []string{"c", "a", "f", "e", "d"}, readIDs(t, s, "u1"), "u1 read c and d")
	// A conversation without customer messages gets one: read only for whoever read it.
	change("e", func(c *model.Conversation) { c.LastMessageAt, c.InboundCount = at(12*time.Minute), 1 })
	assert.Equal(t, []string{"c", "a", "f", "d"}, readIDs(t, s, "u1"))
	assert.Equal(t, []string{"f"}, readIDs(t, s, "u2"))
	// Filters apply to both kinds of read conversations.
	change("f", func(c *model.Conversation) { c.Status = model.StatusDone })
	change("a", func(c *model.Conversation) { c.Status = model.StatusDone })
	got := listConversations(t, s, cq{WorkspaceID: ws1, ViewerID: "u1", ReadState: model.ReadRead,
		Statuses: []model.ConversationStatus{model.StatusDone}})
	assert.Equal(t, []string{"a", "f"}, conversationIDs(got))
}

// testReadListPages pages through u1's read list one and two at a time, with conversations that
// share a time (ties ordered by id, descending).
func testReadListPages(t *testing.T, s store.Store) {
	seedReadList(t, s)
	update(t, s, func(tx store.Tx) error {
		c := fullConversation(ws1, "g") // the time of c, read, no customer message
		c.LastMessageAt, c.InboundCount = at(3*time.Minute), 0
		if err := seedParents(tx, c); err != nil {
			return err
		}
		if err := tx.InsertConversation(c); err != nil {
			return err
		}
		c2 := fullConversation(ws1, "h") // the time of c, read through a read state
		c2.LastMessageAt, c2.InboundCount = at(3*time.Minute), 1
		if err := seedParents(tx, c2); err != nil {
			return err
		}
		if err := tx.InsertConversation(c2); err != nil {
			return err
		}
		return tx.PutReadState(fullReadState(ws1, "u1", "h", 1))
	})
	want := []string{"f", "e", "h", "g", "c", "a"}
	assert.Equal(t, want, readIDs(t, s, "u1"))
	assert.Equal(t, want, readPages(t, s, "u1", 3, len(want)), "pages of 3")
}
