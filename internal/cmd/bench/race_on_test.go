//go:build race

package main

// raceEnabled tells the smoke test to shrink the work: the race detector slows everything down.
const raceEnabled = true
