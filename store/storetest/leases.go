package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/dakenh/dakenh/store"
)

func leaseTests() []test {
	return []test{
		{"Lifecycle", testLeaseLifecycle},
		{"IndependentKeys", testLeaseKeys},
	}
}

func acquire(t *testing.T, s store.Store, key, owner string, now, until time.Time) bool {
	t.Helper()
	return modify(t, s, func(tx store.Tx) (bool, error) { return tx.AcquireLease(key, owner, now, until) })
}

func release(t *testing.T, s store.Store, key, owner string) {
	t.Helper()
	update(t, s, func(tx store.Tx) error { return tx.ReleaseLease(key, owner) })
}

func testLeaseLifecycle(t *testing.T, s store.Store) {
	leaseLifecycle(t, s, s)
}

// leaseLifecycle runs the lease scenario with owner A on store a and owner B on store b.
func leaseLifecycle(t *testing.T, a, b store.Store) {
	t.Helper()
	const key = "refresh:conn-1"
	assert.True(t, acquire(t, a, key, "A", t0, at(time.Minute)), "a free lease is taken")
	assert.False(t, acquire(t, b, key, "B", at(30*time.Second), at(2*time.Minute)), "a held lease is refused")
	assert.True(t, acquire(t, a, key, "A", at(40*time.Second), at(5*time.Minute)), "the holder renews")
	assert.False(t, acquire(t, b, key, "B", at(3*time.Minute), at(4*time.Minute)), "the renewal extended the lease")

	release(t, b, key, "B")
	assert.False(t, acquire(t, b, key, "B", at(3*time.Minute), at(4*time.Minute)), "only the holder releases")

	release(t, a, key, "A")
	assert.True(t, acquire(t, b, key, "B", at(3*time.Minute), at(4*time.Minute)), "a released lease is free")

	assert.False(t, acquire(t, a, key, "A", at(3*time.Minute+30*time.Second), at(10*time.Minute)))
	assert.True(t, acquire(t, a, key, "A", at(4*time.Minute+time.Second), at(10*time.Minute)),
		"an expired lease is taken")
	assert.False(t, acquire(t, b, key, "B", at(5*time.Minute), at(6*time.Minute)))
}

func testLeaseKeys(t *testing.T, s store.Store) {
	assert.True(t, acquire(t, s, "k1", "A", t0, at(time.Minute)))
	assert.True(t, acquire(t, s, "k2", "B", t0, at(time.Minute)), "another key is free")
	assert.True(t, acquire(t, s, "k3", "A", t0, at(time.Minute)), "one owner may hold several keys")
	release(t, s, "k1", "A")
	assert.False(t, acquire(t, s, "k2", "A", t0, at(time.Minute)), "releasing k1 does not release k2")
	assert.False(t, acquire(t, s, "k3", "B", t0, at(time.Minute)), "releasing k1 does not release k3")
}
