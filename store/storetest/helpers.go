package storetest

import (
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dakenh/dakenh/model"
	"github.com/dakenh/dakenh/store"
)

// Workspaces used by the checks.
const (
	ws1 = "ws-1"
	ws2 = "ws-2"
)

// t0 is the suite's reference time: UTC with microseconds, so a store that drops them fails.
var t0 = time.Date(2024, time.March, 1, 9, 30, 0, 123456000, time.UTC)

// at returns t0 + d.
func at(d time.Duration) time.Time { return t0.Add(d) }

// update runs fn in a read-write transaction and fails t on error.
func update(t *testing.T, s store.Store, fn func(tx store.Tx) error) {
	t.Helper()
	require.NoError(t, s.Update(t.Context(), fn))
}

// write runs fn in its own read-write transaction and returns Update's error, for calls expected
// to fail (each in its own transaction, so a store may abort the transaction on a failed statement).
func write(t *testing.T, s store.Store, fn func(tx store.Tx) error) error {
	t.Helper()
	return s.Update(t.Context(), fn)
}

// read returns what fn reads in a read-only transaction, failing t on error.
func read[T any](t *testing.T, s store.Store, fn func(tx store.Tx) (T, error)) T {
	t.Helper()
	v, err := readErr(t, s, fn)
	require.NoError(t, err)
	return v
}

// readErr returns what fn reads in a read-only transaction and fn's error.
func readErr[T any](t *testing.T, s store.Store, fn func(tx store.Tx) (T, error)) (T, error) {
	t.Helper()
	var v T
	err := s.View(t.Context(), func(tx store.Tx) error {
		var err error
		v, err = fn(tx)
		return err
	})
	return v, err
}

// modify runs fn in a read-write transaction and returns its value, failing t on error.
func modify[T any](t *testing.T, s store.Store, fn func(tx store.Tx) (T, error)) T {
	t.Helper()
	var v T
	update(t, s, func(tx store.Tx) error {
		var err error
		v, err = fn(tx)
		return err
	})
	return v
}

// same asserts that got holds the same rows as want, up to time locations, monotonic clock readings
// and nil-versus-empty slices and maps.
func same(t *testing.T, want, got any, msgAndArgs ...any) bool {
	t.Helper()
	return assert.Equal(t, canonical(want), canonical(got), msgAndArgs...)
}

// sameRows asserts that got holds the rows of want in any order (see same).
func sameRows(t *testing.T, want, got any, msgAndArgs ...any) bool {
	t.Helper()
	return assert.ElementsMatch(t, canonical(want), canonical(got), msgAndArgs...)
}

var timeType = reflect.TypeFor[time.Time]()

// canonical returns a deep copy of v with every time in UTC (without monotonic reading) and every
// empty slice or map nil, so that rows read back from a database compare equal to what was written.
func canonical(v any) any {
	if v == nil {
		return nil
	}
	src := reflect.ValueOf(v)
	dst := reflect.New(src.Type()).Elem()
	canonInto(dst, src)
	return dst.Interface()
}

func canonInto(dst, src reflect.Value) {
	switch {
	case src.Type() == timeType:
		dst.Set(reflect.ValueOf(src.Interface().(time.Time).UTC()))
	case src.Kind() == reflect.Pointer:
		if !src.IsNil() {
			p := reflect.New(src.Type().Elem())
			canonInto(p.Elem(), src.Elem())
			dst.Set(p)
		}
	case src.Kind() == reflect.Struct:
		for i := range src.NumField() {
			if dst.Field(i).CanSet() {
				canonInto(dst.Field(i), src.Field(i))
			}
		}
	case src.Kind() == reflect.Slice:
		if src.Len() > 0 {
			s := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
			for i := range src.Len() {
				canonInto(s.Index(i), src.Index(i))
			}
			dst.Set(s)
		}
	case src.Kind() == reflect.Map:
		if src.Len() > 0 {
			m := reflect.MakeMapWithSize(src.Type(), src.Len())
			for it := src.MapRange(); it.Next(); {
				e := reflect.New(src.Type().Elem()).Elem()
				canonInto(e, it.Value())
				m.SetMapIndex(it.Key(), e)
			}
			dst.Set(m)
		}
	default:
		dst.Set(src)
	}
}

// concurrently runs fn(0), …, fn(n-1) in n goroutines released together, and waits for them.
// fn must not call t.FailNow (require); it reports through its results.
func concurrently(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			fn(i)
		}()
	}
	close(start)
	wg.Wait()
}

func conversationIDs(list []*model.Conversation) []string {
	ids := make([]string, 0, len(list))
	for _, c := range list {
		ids = append(ids, c.ID)
	}
	return ids
}

func messageIDs(list []*model.Message) []string {
	ids := make([]string, 0, len(list))
	for _, m := range list {
		ids = append(ids, m.ID)
	}
	return ids
}

func jobIDs(list []*model.Job) []string {
	ids := make([]string, 0, len(list))
	for _, j := range list {
		ids = append(ids, j.ID)
	}
	return ids
}
