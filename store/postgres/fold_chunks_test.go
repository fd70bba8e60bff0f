package postgres

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestChunks: folded statements take powers of two rows, largest first, at most maxChunk, and
// together every row once, so a shape has at most a handful of statement texts.
func TestChunks(t *testing.T) {
	assert.Equal(t, []int{1}, chunks(1))
	assert.Equal(t, []int{8, 4, 1}, chunks(13))
	assert.Equal(t, []int{64, 64, 32, 8}, chunks(168))
	assert.Empty(t, chunks(0))
	seen := map[int]bool{}
	for n := 1; n <= 300; n++ {
		total := 0
		for i, size := range chunks(n) {
			require.LessOrEqual(t, size, maxChunk)
			require.Zero(t, size&(size-1), "a power of two")
			if i > 0 {
				require.LessOrEqual(t, size, chunks(n)[i-1], "largest first")
			}
			seen[size] = true
			total += size
		}
		require.Equal(t, n, total)
	}
	assert.Len(t, seen, 7, "1, 2, 4, …, 64: seven statement texts per shape")
}

// TestInsertFolderStatementOfRange: a chunk's statement numbers its own arguments from $1 and
// carries the rows of its range only.
func TestInsertFolderStatementOfRange(t *testing.T) {
	f := newFolder(`INSERT INTO jobs (workspace_id, id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, 2, nil)
	require.NotNil(t, f)
	for _, id := range []string{"a", "b", "c"} {
		f.add([]any{"w", id})
	}
	sql, args := f.statement(1, 3)
	assert.Equal(t, []any{"w", "b", "w", "c"}, args)
	assert.True(t, strings.HasSuffix(strings.TrimSpace(sql), `($1, $2), ($3, $4) ON CONFLICT DO NOTHING`), sql)
}
