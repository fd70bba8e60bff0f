package omnichannel

import (
	"math/rand/v2"
	"time"
)

// backoffDelay is exponential backoff with full jitter in [d/2, d], d = base·2^(attempt-1) capped
// at max, so retries of many messages spread out instead of arriving together.
func backoffDelay(attempt int, base, max time.Duration) time.Duration {
	d := base
	for i := 1; i < attempt && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
}
