package main

import (
	"slices"
	"time"
)

// percentile returns the p-th percentile (0 < p ≤ 100, nearest rank) of d, 0 when d is empty. It
// sorts d.
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	rank := int(float64(len(d))*p/100+0.999999) - 1
	return d[max(0, min(rank, len(d)-1))]
}

// ms converts a duration to milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
