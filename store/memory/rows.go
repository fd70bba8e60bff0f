package memory

import (
	"slices"
)

// getRow returns a copy of m[id], or ErrNotFound.
func getRow[V any](m map[string]*V, what, id string, clone func(*V) *V) (*V, error) {
	v, ok := m[id]
	if !ok {
		return nil, notFound(what, id)
	}
	return clone(v), nil
}

// listRows returns copies of m's rows ordered by id.
func listRows[V any](m map[string]*V, clone func(*V) *V) []*V {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]*V, len(ids))
	for i, id := range ids {
		out[i] = clone(m[id])
	}
	return out
}
