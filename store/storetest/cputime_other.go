//go:build !unix

package storetest

import "time"

// processCPU reports that this platform's CPU time is not measured.
func processCPU() (time.Duration, bool) { return 0, false }
