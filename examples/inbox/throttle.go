package main

import (
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// throttlePolicy is how one kind of key (an account, a client address) is slowed down: the first
// free failures cost nothing, each further one locks the key for base, then twice as long, up to
// max. A key without a failure for forget is forgotten.
type throttlePolicy struct {
	free      int
	base, max time.Duration
	forget    time.Duration
}

// Login throttling: per account (3 free failures, then 1 s, 2 s, 4 s, … up to 15 min) and per
// client address (20 free failures: an office behind one NAT, then the same growth).
var (
	accountPolicy = throttlePolicy{free: 3, base: time.Second, max: 15 * time.Minute, forget: 24 * time.Hour}
	addressPolicy = throttlePolicy{free: 20, base: time.Second, max: 15 * time.Minute, forget: 24 * time.Hour}
)

// maxThrottleKeys bounds the memory of the throttle; past it the key idle the longest is dropped.
const maxThrottleKeys = 20000

type throttleEntry struct {
	failures int
	until    time.Time // locked until
	last     time.Time // last failure
}

// loginThrottle slows down password guessing. An attempt is charged as a failure when it begins
// (so concurrent guesses cannot all slip through before the first one fails) and refunded when it
// succeeds.
type loginThrottle struct {
	now func() time.Time

	mu sync.Mutex
	m  map[string]*throttleEntry
}

func newLoginThrottle(now func() time.Time) *loginThrottle {
	return &loginThrottle{now: now, m: map[string]*throttleEntry{}}
}

// throttleKey is one key of an attempt with its policy.
type throttleKey struct {
	key    string
	policy throttlePolicy
}

// loginKeys are the keys of a login attempt: the account and the client address.
func loginKeys(userID string, r *http.Request) []throttleKey {
	addr := r.RemoteAddr
	if host, _, err := net.SplitHostPort(addr); err == nil {
		addr = host
	}
	if len(userID) > 64 {
		userID = userID[:64]
	}
	return []throttleKey{{"user:" + strings.ToLower(userID), accountPolicy}, {"addr:" + addr, addressPolicy}}
}

// begin starts an attempt: it returns how long the caller must wait when one of the keys is locked
// (nothing is charged then), or 0 and charges the attempt as a failure of every key.
func (t *loginThrottle) begin(keys []throttleKey) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	var wait time.Duration
	for _, k := range keys {
		if e := t.m[k.key]; e != nil && now.Before(e.until) {
			wait = max(wait, e.until.Sub(now))
		}
	}
	if wait > 0 {
		return wait
	}
	for _, k := range keys {
		e := t.entry(k, now)
		e.failures++
		e.last = now
		if n := e.failures - k.policy.free; n > 0 {
			d := k.policy.max
			if n <= 30 && k.policy.base<<(n-1) < k.policy.max {
				d = k.policy.base << (n - 1)
			}
			e.until = now.Add(d)
		}
	}
	return 0
}

// succeed refunds a successful attempt: the account's failures are forgotten and the address's
// charge is taken back.
func (t *loginThrottle) succeed(keys []throttleKey) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, k := range keys {
		e := t.m[k.key]
		if e == nil {
			continue
		}
		if i == 0 {
			delete(t.m, k.key)
			continue
		}
		if e.failures > 0 {
			e.failures--
		}
		if e.failures <= k.policy.free {
			e.until = time.Time{}
		}
	}
}

// entry returns k's entry, creating it (and making room) when needed; a forgotten key starts over.
func (t *loginThrottle) entry(k throttleKey, now time.Time) *throttleEntry {
	e := t.m[k.key]
	if e != nil && now.Sub(e.last) > k.policy.forget && !now.Before(e.until) {
		e = nil
	}
	if e == nil {
		if len(t.m) >= maxThrottleKeys {
			t.evict(now)
		}
		e = &throttleEntry{}
		t.m[k.key] = e
	}
	return e
}

// evict drops the keys that are no longer locked and idle for an hour, or else the one idle the
// longest.
func (t *loginThrottle) evict(now time.Time) {
	var oldest string
	var oldestAt time.Time
	for key, e := range t.m {
		if !now.Before(e.until) && now.Sub(e.last) > time.Hour {
			delete(t.m, key)
			continue
		}
		if oldest == "" || e.last.Before(oldestAt) {
			oldest, oldestAt = key, e.last
		}
	}
	if len(t.m) >= maxThrottleKeys {
		delete(t.m, oldest)
	}
}
