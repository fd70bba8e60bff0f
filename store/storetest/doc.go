// Package storetest is the conformance suite of store.Store, in the manner of testing/fstest
// and golang.org/x/net/nettest: every Store implementation (store/memory, store/sqlite,
// store/postgres, or a host's own) runs it from its tests and must pass all of it.
//
// An implementation calls Run with a function that returns a new, empty store, and, when several
// Store values can share one database, RunShared with a function that returns two of them:
//
//	package mystore_test
//
//	import (
//		"testing"
//
//		"github.com/dakenh/dakenh/store"
//		"github.com/dakenh/dakenh/store/storetest"
//		"example.com/mystore"
//	)
//
//	func open(t *testing.T, dir string) store.Store {
//		s, err := mystore.Open(dir)
//		if err != nil {
//			t.Fatal(err)
//		}
//		t.Cleanup(func() { s.Close() })
//		return s
//	}
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			return open(t, t.TempDir())
//		})
//	}
//
//	func TestConformanceShared(t *testing.T) {
//		storetest.RunShared(t, func(t *testing.T) (a, b store.Store) {
//			dir := t.TempDir()
//			return open(t, dir), open(t, dir)
//		})
//	}
//
// A single check can be run with go test -run, e.g. -run 'TestConformance/Paging/'.
//
// # What the suite assumes and checks beyond the Store doc comments
//
//   - Subtests run one after the other; each asks for a fresh empty store and never closes it
//     (register the Close with t.Cleanup).
//   - Times are written in UTC with microsecond precision; a store must give them back equal to the
//     microsecond, in any location. Empty and nil slices and maps are considered equal.
//   - Rows are inserted in dependency order (the connection, contact and identity of a conversation
//     before it, the conversation before its messages), but users, teams, rules, categories,
//     classifications and the ids a job refers to are not created: a store must not enforce foreign
//     keys on those.
//   - Connection ids are unique across workspaces (FindConnectionByID is global): putting another
//     workspace's connection id fails with ErrDuplicate. Every other id is scoped to its workspace,
//     and so are the uniqueness rules of identities, conversations and messages.
//   - A Tx stays usable after one of its methods returned ErrNotFound, ErrDuplicate or ErrConflict,
//     and such a failed call has no effect (PostgreSQL stores need a savepoint or ON CONFLICT).
//   - Delete methods return ErrNotFound when the row is absent; list methods return an empty list,
//     not an error, when nothing matches. The order of ListConnections, ListIdentities, ListUsers,
//     ListTeams, ListRules, ListTemplates, ListCategories and ListClassifications is not checked.
//   - CountOpenAssigned may include or omit users with no open conversation; it must not report
//     users it was not asked about.
//   - A job lock has expired when LockedUntil ≤ now. UpdateJob succeeds while j.LockedBy is the
//     stored holder, even after the lease ran out, until another owner claims the job; it fails with
//     ErrNotFound or ErrConflict for a deleted job. NextJobTime judges expiry by the store's clock
//     (the suite leaves hours of margin).
//   - Leases expire when their until ≤ now.
package storetest
