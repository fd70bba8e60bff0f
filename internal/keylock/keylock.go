// Package keylock holds named locks in memory: a caller holds a key until it releases it, and a
// second caller for the same key waits for the release. The SQL stores use it to make the grouped
// updates of one customer follow each other (store/postgres threads.go, store/sqlite
// group_commit.go).
package keylock

import (
	"context"
	"sync"
)

// Locks is a set of named locks. The zero value is ready to use; a Locks must not be copied after
// first use.
type Locks struct {
	mu   sync.Mutex
	held map[string]chan struct{} // closed when released
}

// Lock makes the caller hold key, waiting for its holder first. Before it waits it calls idle
// (when not nil), so that the caller can give back what it should not keep while waiting (a
// connection). It returns ctx's error, holding nothing, when ctx ends while it waits.
func (l *Locks) Lock(ctx context.Context, key string, idle func()) error {
	for {
		l.mu.Lock()
		held, busy := l.held[key]
		if !busy {
			if l.held == nil {
				l.held = map[string]chan struct{}{}
			}
			l.held[key] = make(chan struct{})
			l.mu.Unlock()
			return nil
		}
		l.mu.Unlock()
		if idle != nil {
			idle()
		}
		select {
		case <-held:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Unlock releases the keys, which the caller holds; a key not held is ignored.
func (l *Locks) Unlock(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, key := range keys {
		if ch, ok := l.held[key]; ok {
			close(ch)
			delete(l.held, key)
		}
	}
}
