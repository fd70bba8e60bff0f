// Package memory is the in-memory reference implementation of omnichannel.Store.
//
// It keeps everything in Go maps behind one sync.RWMutex: Update holds the write lock for the whole
// transaction and View the read lock, so transactions are serializable. A failed Update is undone
// change by change (an undo log applied in reverse), so nothing it wrote stays visible. Rows are
// deep-copied on the way in and on the way out: callers may mutate what they pass and what they get.
//
// It is meant for tests, demos and as the executable specification of the store contract: it passes
// store/storetest, and its behaviour is what the SQL stores must match. Data is lost when the process
// exits.
package memory

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dakenh/dakenh/omnichannel"
)

// Errors specific to the memory store.
var (
	// ErrClosed is returned by Update and View after Close.
	ErrClosed = errors.New("memory: store closed")
	// ErrReadOnly is returned by a write method called inside View.
	ErrReadOnly = errors.New("memory: write in a read-only transaction")
	// ErrTxDone is returned by a Tx method called after the transaction's function returned.
	ErrTxDone = errors.New("memory: transaction already finished")
)

// Store is an in-memory omnichannel.Store. The zero value is not usable; call New.
// A Store is safe for concurrent use.
type Store struct {
	mu     sync.RWMutex
	closed bool
	d      data
}

var _ omnichannel.Store = (*Store)(nil)

// data is everything the store holds. Stored values are never mutated in place: a change replaces the
// map entry with a fresh copy, so the undo log only needs to restore map entries.
type data struct {
	workspaces map[string]*workspace
	// records are the workspace records (WorkspaceTx), apart from the rows in workspaces.
	records map[string]*omnichannel.Workspace
	// connections are keyed by id alone: the webhook URL finds a connection before its workspace
	// is known, so connection ids are unique across workspaces.
	connections map[string]*omnichannel.Connection
	jobs        map[string]*omnichannel.Job
	leases      map[string]lease
	oauth       map[string]*omnichannel.OAuthState
	// feedPosition is the last feed position handed out (never reused, even after a rollback).
	feedPosition int64
}

// workspace holds the rows of one workspace; unique indexes map a key to a row id.
type workspace struct {
	contacts        map[string]*omnichannel.Contact
	identities      map[string]*omnichannel.Identity
	identityByUser  map[pair]string // (ConnectionID, ExternalUserID)
	conversations   map[string]*omnichannel.Conversation
	threads         map[pair]string // (ConnectionID, IdentityID)
	messages        map[string]*omnichannel.Message
	msgByProvider   map[pair]string                 // (ConnectionID, ProviderMessageID), non-empty ids only
	msgByKey        map[pair]string                 // (ConversationID, IdempotencyKey), non-empty keys only
	readStates      map[pair]*omnichannel.ReadState // (UserID, ConversationID)
	users           map[string]*omnichannel.User
	teams           map[string]*omnichannel.Team
	rules           map[string]*omnichannel.Rule
	templates       map[string]*omnichannel.Template
	categories      map[string]*omnichannel.Category
	classifications map[string]*omnichannel.Classification
	rotations       map[string]int64
	// feed is the workspace's feed entries in position order (feed.go).
	feed []omnichannel.FeedEntry
	// hooks are the outgoing webhook endpoints and deliveries their log, by id (webhooks.go).
	hooks      map[string]*omnichannel.WebhookEndpoint
	deliveries map[string]*omnichannel.WebhookDelivery
}

type pair struct{ a, b string }

type lease struct {
	owner string
	until time.Time
}

// emptyWorkspace is read when a workspace has no rows yet; reading its nil maps is fine.
var emptyWorkspace = &workspace{}

func newWorkspace() *workspace {
	return &workspace{
		contacts:        map[string]*omnichannel.Contact{},
		identities:      map[string]*omnichannel.Identity{},
		identityByUser:  map[pair]string{},
		conversations:   map[string]*omnichannel.Conversation{},
		threads:         map[pair]string{},
		messages:        map[string]*omnichannel.Message{},
		msgByProvider:   map[pair]string{},
		msgByKey:        map[pair]string{},
		readStates:      map[pair]*omnichannel.ReadState{},
		users:           map[string]*omnichannel.User{},
		teams:           map[string]*omnichannel.Team{},
		rules:           map[string]*omnichannel.Rule{},
		templates:       map[string]*omnichannel.Template{},
		categories:      map[string]*omnichannel.Category{},
		classifications: map[string]*omnichannel.Classification{},
		rotations:       map[string]int64{},
		hooks:           map[string]*omnichannel.WebhookEndpoint{},
		deliveries:      map[string]*omnichannel.WebhookDelivery{},
	}
}

// New returns an empty store.
func New() *Store {
	return &Store{d: data{
		workspaces:  map[string]*workspace{},
		records:     map[string]*omnichannel.Workspace{},
		connections: map[string]*omnichannel.Connection{},
		jobs:        map[string]*omnichannel.Job{},
		leases:      map[string]lease{},
		oauth:       map[string]*omnichannel.OAuthState{},
	}}
}

// Update runs fn in a read-write transaction holding the store's write lock. When fn returns an error
// every change made through tx is undone and the error is returned unchanged. If fn panics, the
// changes are undone and the panic continues.
func (s *Store) Update(ctx context.Context, fn func(tx omnichannel.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	tx := &txn{s: s, writable: true}
	committed := false
	defer func() {
		tx.done.Store(true)
		if !committed {
			tx.rollback()
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	committed = true
	return nil
}

// View runs fn in a read-only transaction holding the store's read lock; write methods of tx
// return ErrReadOnly. fn's error is returned unchanged.
func (s *Store) View(ctx context.Context, fn func(tx omnichannel.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	tx := &txn{s: s}
	defer tx.done.Store(true)
	return fn(tx)
}

// Close makes later Update and View calls fail with ErrClosed. It waits for running transactions and
// always returns nil.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

// txn is the omnichannel.Tx of a Store.
type txn struct {
	s        *Store
	writable bool
	// done is set when fn returns; it is atomic because a misbehaving caller may use tx from
	// another goroutine afterwards.
	done atomic.Bool
	undo []func()
}

var _ omnichannel.Tx = (*txn)(nil)

func (t *txn) readable() error {
	if t.done.Load() {
		return ErrTxDone
	}
	return nil
}

func (t *txn) writing() error {
	if err := t.readable(); err != nil {
		return err
	}
	if !t.writable {
		return ErrReadOnly
	}
	return nil
}

func (t *txn) rollback() {
	for i := len(t.undo) - 1; i >= 0; i-- {
		t.undo[i]()
	}
	t.undo = nil
}

// ws returns the workspace for reading (possibly the shared empty one: never write to it).
func (t *txn) ws(id string) *workspace {
	if w, ok := t.s.d.workspaces[id]; ok {
		return w
	}
	return emptyWorkspace
}

// wsw returns the workspace for writing, creating it. A created workspace is not removed on rollback:
// an empty workspace is indistinguishable from a missing one.
func (t *txn) wsw(id string) *workspace {
	w, ok := t.s.d.workspaces[id]
	if !ok {
		w = newWorkspace()
		t.s.d.workspaces[id] = w
	}
	return w
}

// set stores v under k in m and logs how to undo it.
func set[K comparable, V any](t *txn, m map[K]V, k K, v V) {
	old, had := m[k]
	t.undo = append(t.undo, func() {
		if had {
			m[k] = old
		} else {
			delete(m, k)
		}
	})
	m[k] = v
}

// del removes k from m and logs how to undo it.
func del[K comparable, V any](t *txn, m map[K]V, k K) {
	old, had := m[k]
	if !had {
		return
	}
	t.undo = append(t.undo, func() { m[k] = old })
	delete(m, k)
}
