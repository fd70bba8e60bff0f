package omnichannel_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	oc "github.com/dakenh/dakenh/omnichannel"
)

// TestRetryBackoffGrowsOnTheEngineClock measures the wait before each retry of a failing send on
// the engine's injected clock (base 1 s, cap 1 min), not on the wall clock: the clock moves in
// 50 ms steps until the worker runs the retry. Each wait must lie in the jittered window of its
// attempt, [base·2^(k-1)/2, base·2^(k-1)], so the waits grow; load on the machine cannot change
// what is measured. (internal/reliability checks only the floor of the real gaps, which load can
// only lengthen.)
func TestRetryBackoffGrowsOnTheEngineClock(t *testing.T) {
	e := newEnv(t)
	conv := e.openConversation("u1")
	const failures = 5
	e.prov.FailNext(http.StatusServiceUnavailable, "", failures)
	m := e.send(conv, "thử lại nhé", "backoff")
	e.drain() // attempt 1 fails
	const step = 50 * time.Millisecond
	var waits []time.Duration
	for attempt := 2; attempt <= failures+1; attempt++ {
		before := e.messageByID(m.ID).Attempts
		var waited time.Duration
		for e.messageByID(m.ID).Attempts == before {
			require.Less(t, waited, 2*time.Minute, "attempt %d never ran", attempt)
			e.clock.Advance(step)
			waited += step
			e.drain()
		}
		waits = append(waits, waited)
	}
	for k, w := range waits {
		ceil := time.Second << k
		floor := ceil / 2
		// The clock moves in steps: the retry runs at the first step at or past its time.
		require.GreaterOrEqual(t, w, floor, "wait before attempt %d (waits %v)", k+2, waits)
		require.LessOrEqual(t, w, ceil+step, "wait before attempt %d (waits %v)", k+2, waits)
		if k > 0 {
			require.GreaterOrEqual(t, w, waits[k-1], "waits grow: %v", waits)
		}
	}
	got := e.messageByID(m.ID)
	require.Equal(t, oc.MessageSent, got.Status)
	require.Equal(t, failures+1, got.Attempts)
}
