package postgres

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func rowsOf(ids ...int64) []eventRow {
	out := make([]eventRow, len(ids))
	for i, id := range ids {
		out[i] = eventRow{id: id}
	}
	return out
}

func idsOf(rows []eventRow) []int64 {
	out := []int64{}
	for _, r := range rows {
		out = append(out, r.id)
	}
	return out
}

// TestEventCursorOutOfOrderCommits: ids committed out of order are each delivered once, and the
// floor waits for a missing id until it appears or eventGapTimeout passes.
func TestEventCursorOutOfOrderCommits(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newEventCursor(10)

	assert.Equal(t, []int64{11, 13, 14}, idsOf(c.accept(rowsOf(11, 13, 14), now)), "12 has not committed yet")
	assert.Equal(t, int64(11), c.floor, "the floor stops below the gap")

	// The next read returns the rows above the floor again: only 12, now committed, is new.
	assert.Equal(t, []int64{12}, idsOf(c.accept(rowsOf(12, 13, 14), now.Add(time.Second))))
	assert.Equal(t, int64(14), c.floor)
	assert.Empty(t, c.seen)

	// 16 never commits (rolled back): it is awaited, then given up.
	assert.Equal(t, []int64{15, 17}, idsOf(c.accept(rowsOf(15, 17), now.Add(2*time.Second))))
	assert.Equal(t, int64(15), c.floor)
	assert.Empty(t, c.accept(rowsOf(17), now.Add(2*time.Second+eventGapTimeout/2)))
	assert.Equal(t, int64(15), c.floor, "still waiting for 16")
	assert.Empty(t, c.accept(rowsOf(17), now.Add(2*time.Second+eventGapTimeout)))
	assert.Equal(t, int64(17), c.floor, "16 given up")
	assert.Empty(t, c.gaps)
	assert.Empty(t, c.accept(rowsOf(16), now.Add(time.Minute)), "an id below the floor is never delivered")
}

func TestEventCursorDeliversEachRowOnce(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newEventCursor(0)
	var delivered []int64
	for round, ids := range [][]int64{{1, 2, 4}, {1, 2, 4, 5}, {3, 4, 5}, {6}, {}} {
		delivered = append(delivered, idsOf(c.accept(rowsOf(ids...), now.Add(time.Duration(round)*time.Millisecond)))...)
	}
	slices.Sort(delivered)
	assert.Equal(t, []int64{1, 2, 3, 4, 5, 6}, delivered)
	assert.Equal(t, int64(6), c.floor)
}
