package storetest

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/store"
)

func rotationTests() []test {
	return []test{
		{"Sequence", testRotationSequence},
		{"ConcurrentDistinct", testRotationConcurrent},
	}
}

func nextRotation(t *testing.T, s store.Store, ws, key string) int64 {
	t.Helper()
	return modify(t, s, func(tx store.Tx) (int64, error) { return tx.NextRotation(ws, key) })
}

func testRotationSequence(t *testing.T, s store.Store) {
	for want := range int64(3) {
		assert.Equal(t, want, nextRotation(t, s, ws1, "rule-1"))
	}
	assert.Equal(t, int64(0), nextRotation(t, s, ws1, "rule-2"), "keys count separately")
	assert.Equal(t, int64(0), nextRotation(t, s, ws2, "rule-1"), "workspaces count separately")
	assert.Equal(t, int64(3), nextRotation(t, s, ws1, "rule-1"))

	got := modify(t, s, func(tx store.Tx) ([]int64, error) {
		var out []int64
		for range 3 {
			n, err := tx.NextRotation(ws1, "rule-1")
			if err != nil {
				return nil, err
			}
			out = append(out, n)
		}
		return out, nil
	})
	assert.Equal(t, []int64{4, 5, 6}, got, "several calls in one transaction")
}

func testRotationConcurrent(t *testing.T, s store.Store) {
	rotationRace(t, []store.Store{s}, 50)
}

// rotationRace calls NextRotation from n goroutines spread over stores, and checks the values are
// exactly 0…n-1.
func rotationRace(t *testing.T, stores []store.Store, n int) {
	t.Helper()
	got := make([]int64, n)
	errs := make([]error, n)
	concurrently(n, func(i int) {
		errs[i] = stores[i%len(stores)].Update(t.Context(), func(tx store.Tx) error {
			v, err := tx.NextRotation(ws1, "rule-rr")
			got[i] = v
			return err
		})
	})
	for i, err := range errs {
		require.NoError(t, err, "caller %d", i)
	}
	slices.Sort(got)
	want := make([]int64, n)
	for i := range want {
		want[i] = int64(i)
	}
	assert.Equal(t, want, got, "every position handed out exactly once")
	for i, s := range stores {
		assert.Equal(t, int64(n+i), nextRotation(t, s, ws1, "rule-rr"))
	}
}
