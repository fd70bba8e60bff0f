package storetest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/store"
)

// kit describes a row type stored with Put/Get (and maybe List/Delete), for the checks every such
// type shares: round trip, replace, deep copies, not found, delete.
type kit[T any] struct {
	// full returns a row with every field set.
	full func(ws, id string) *T
	// prepare, when set, puts the rows that full's rows refer to.
	prepare func(tx store.Tx, ws string) error
	put     func(tx store.Tx, v *T) error
	get     func(tx store.Tx, ws, id string) (*T, error)
	// list, when set, lists the rows of the workspace that full makes.
	list func(tx store.Tx, ws string) ([]*T, error)
	// del, when set, deletes a row.
	del func(tx store.Tx, ws, id string) error
	// change alters every field but the keys, for the replace check.
	change func(v *T)
	// scribble mutates v in place (its slices and maps too), to catch memory shared with the store.
	scribble func(v *T)
}

func (k kit[T]) tests() []test {
	ts := []test{
		{"RoundTrip", k.roundTrip},
		{"Replace", k.replace},
		{"DeepCopy", k.deepCopy},
		{"NotFound", k.notFound},
	}
	if k.del != nil {
		ts = append(ts, test{"Delete", k.delete})
	}
	return ts
}

// seed puts rows in ws, after the rows they refer to.
func (k kit[T]) seed(t *testing.T, s store.Store, ws string, rows ...*T) {
	t.Helper()
	update(t, s, func(tx store.Tx) error {
		if k.prepare != nil {
			if err := k.prepare(tx, ws); err != nil {
				return err
			}
		}
		for _, v := range rows {
			if err := k.put(tx, v); err != nil {
				return err
			}
		}
		return nil
	})
}

func (k kit[T]) mustGet(t *testing.T, s store.Store, ws, id string) *T {
	t.Helper()
	return read(t, s, func(tx store.Tx) (*T, error) { return k.get(tx, ws, id) })
}

func (k kit[T]) mustList(t *testing.T, s store.Store, ws string) []*T {
	t.Helper()
	return read(t, s, func(tx store.Tx) ([]*T, error) { return k.list(tx, ws) })
}

func (k kit[T]) roundTrip(t *testing.T, s store.Store) {
	a, b := k.full(ws1, "x-1"), k.full(ws1, "x-2")
	k.seed(t, s, ws1, a, b)
	same(t, a, k.mustGet(t, s, ws1, "x-1"))
	same(t, b, k.mustGet(t, s, ws1, "x-2"))
	if k.list != nil {
		sameRows(t, []*T{a, b}, k.mustList(t, s, ws1))
	}
}

func (k kit[T]) replace(t *testing.T, s store.Store) {
	a, b := k.full(ws1, "x-1"), k.full(ws1, "x-2")
	k.seed(t, s, ws1, a, b)
	changed := k.full(ws1, "x-1")
	k.change(changed)
	require.NotEqual(t, canonical(a), canonical(changed), "suite bug: change changed nothing")
	update(t, s, func(tx store.Tx) error { return k.put(tx, changed) })
	same(t, changed, k.mustGet(t, s, ws1, "x-1"))
	same(t, b, k.mustGet(t, s, ws1, "x-2"))
	if k.list != nil {
		sameRows(t, []*T{changed, b}, k.mustList(t, s, ws1))
	}
}

func (k kit[T]) deepCopy(t *testing.T, s store.Store) {
	v := k.full(ws1, "x-1")
	want := canonical(v)
	k.seed(t, s, ws1, v)
	k.scribble(v)
	same(t, want, k.mustGet(t, s, ws1, "x-1"), "changing the value after Put changed the stored row")

	got := k.mustGet(t, s, ws1, "x-1")
	k.scribble(got)
	same(t, want, k.mustGet(t, s, ws1, "x-1"), "changing a value returned by Get changed the stored row")

	if k.list != nil {
		for _, row := range k.mustList(t, s, ws1) {
			k.scribble(row)
		}
		same(t, want, k.mustGet(t, s, ws1, "x-1"), "changing a value returned by List changed the stored row")
	}
}

func (k kit[T]) notFound(t *testing.T, s store.Store) {
	_, err := readErr(t, s, func(tx store.Tx) (*T, error) { return k.get(tx, ws1, "missing") })
	require.ErrorIs(t, err, model.ErrNotFound)

	k.seed(t, s, ws1, k.full(ws1, "x-1"))
	_, err = readErr(t, s, func(tx store.Tx) (*T, error) { return k.get(tx, ws1, "missing") })
	require.ErrorIs(t, err, model.ErrNotFound)
	_, err = readErr(t, s, func(tx store.Tx) (*T, error) { return k.get(tx, ws2, "x-1") })
	require.ErrorIs(t, err, model.ErrNotFound, "a row was found in another workspace")
	if k.list != nil {
		assert.Empty(t, k.mustList(t, s, ws2))
	}
}

func (k kit[T]) delete(t *testing.T, s store.Store) {
	a, b := k.full(ws1, "x-1"), k.full(ws1, "x-2")
	k.seed(t, s, ws1, a, b)
	update(t, s, func(tx store.Tx) error { return k.del(tx, ws1, "x-1") })

	_, err := readErr(t, s, func(tx store.Tx) (*T, error) { return k.get(tx, ws1, "x-1") })
	require.ErrorIs(t, err, model.ErrNotFound)
	same(t, b, k.mustGet(t, s, ws1, "x-2"))
	if k.list != nil {
		sameRows(t, []*T{b}, k.mustList(t, s, ws1))
	}

	err = write(t, s, func(tx store.Tx) error { return k.del(tx, ws1, "x-1") })
	require.ErrorIs(t, err, model.ErrNotFound, "deleting a missing row")
	err = write(t, s, func(tx store.Tx) error { return k.del(tx, ws2, "x-2") })
	require.ErrorIs(t, err, model.ErrNotFound, "deleting another workspace's row")
	same(t, b, k.mustGet(t, s, ws1, "x-2"))
}
