package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/store"
)

func pagingTests() []test {
	return []test{
		{"EveryRowOnceInOrder", testPagingOrder},
		{"DefaultLimit", testPagingDefaultLimit},
		{"CursorIsExclusive", testPagingCursor},
		{"UpdatedBetweenPages", testPagingUpdatedBetweenPages},
	}
}

const pagingRows = 120

// seedPaging stores 120 conversations p000…p119 whose LastMessageAt take 30 distinct values, four
// conversations each, with ids not in time order. It returns the ids in list order.
func seedPaging(t *testing.T, s store.Store) []string {
	t.Helper()
	cs := make([]*model.Conversation, pagingRows)
	for i := range cs {
		c := fullConversation(ws1, fmt.Sprintf("p%03d", i))
		c.LastMessageAt = at(time.Duration(i*7%30) * time.Minute)
		cs[i] = c
	}
	insertConversations(t, s, cs...)
	slices.SortFunc(cs, func(a, b *model.Conversation) int {
		return cmp.Or(b.LastMessageAt.Compare(a.LastMessageAt), strings.Compare(b.ID, a.ID))
	})
	return conversationIDs(cs)
}

// walk lists every page of size pageSize and returns the ids seen. after(page) runs after each page.
func walk(t *testing.T, s store.Store, pageSize int, after func(page int)) []string {
	t.Helper()
	var seen []string
	var cur *model.Cursor
	for page := 0; ; page++ {
		require.Less(t, page, 2*pagingRows, "paging does not end")
		rows := listConversations(t, s, cq{WorkspaceID: ws1, Limit: pageSize, After: cur})
		require.LessOrEqual(t, len(rows), pageSize)
		if len(rows) == 0 {
			return seen
		}
		seen = append(seen, conversationIDs(rows)...)
		last := rows[len(rows)-1]
		cur = &model.Cursor{LastMessageAt: last.LastMessageAt, ConversationID: last.ID}
		if after != nil {
			after(page)
		}
	}
}

func testPagingOrder(t *testing.T, s store.Store) {
	want := seedPaging(t, s)
	for _, size := range []int{1, 4, 7, 50, pagingRows, 500} {
		assert.Equal(t, want, walk(t, s, size, nil), "page size %d", size)
	}
}

func testPagingDefaultLimit(t *testing.T, s store.Store) {
	want := seedPaging(t, s)
	assert.Equal(t, want[:50], conversationIDs(listConversations(t, s, cq{WorkspaceID: ws1})), "Limit 0 means 50")
	assert.Equal(t, want[:50], conversationIDs(listConversations(t, s, cq{WorkspaceID: ws1, Limit: -3})), "Limit < 0 means 50")
}

func testPagingCursor(t *testing.T, s store.Store) {
	want := seedPaging(t, s)
	c := getConversation(t, s, ws1, want[10])
	list := func(cur model.Cursor) []string {
		return conversationIDs(listConversations(t, s, cq{WorkspaceID: ws1, Limit: 500, After: &cur}))
	}
	assert.Equal(t, want[11:], list(model.Cursor{LastMessageAt: c.LastMessageAt, ConversationID: c.ID}),
		"the cursor's row is excluded")

	// A cursor need not name an existing row.
	first := slices.IndexFunc(want, func(id string) bool {
		return getConversation(t, s, ws1, id).LastMessageAt.Equal(c.LastMessageAt)
	})
	assert.Equal(t, want[first:], list(model.Cursor{LastMessageAt: c.LastMessageAt, ConversationID: "p999"}),
		"a cursor id above every id keeps all rows of that time")
	assert.Equal(t, want[first+4:], list(model.Cursor{LastMessageAt: c.LastMessageAt, ConversationID: ""}),
		"an empty cursor id skips all rows of that time")
	assert.Equal(t, want, list(model.Cursor{LastMessageAt: at(time.Hour), ConversationID: ""}))
	assert.Empty(t, list(model.Cursor{LastMessageAt: at(-time.Hour), ConversationID: "p999"}))
}

// testPagingUpdatedBetweenPages moves conversations to the top while a client pages: a row already
// seen is not returned again, a row moved above the cursor is skipped, and a row added below the
// cursor shows up.
func testPagingUpdatedBetweenPages(t *testing.T, s store.Store) {
	want := seedPaging(t, s)
	seenMoved, unseenMoved := want[3], want[60]
	bump := func(id string) {
		update(t, s, func(tx store.Tx) error {
			c, err := tx.GetConversation(ws1, id)
			if err != nil {
				return err
			}
			c.LastMessageAt = at(24 * time.Hour)
			return tx.UpdateConversation(c)
		})
	}
	late := fullConversation(ws1, "p-late")
	late.LastMessageAt = at(-time.Hour)

	got := walk(t, s, 10, func(page int) {
		switch page {
		case 0:
			bump(seenMoved)
			bump(unseenMoved)
		case 2:
			insertConversations(t, s, late)
		}
	})
	expect := slices.DeleteFunc(slices.Clone(want), func(id string) bool { return id == unseenMoved })
	expect = append(expect, late.ID)
	assert.Equal(t, expect, got)
}
