//go:build !linux

package main

import "time"

var start = time.Now()

// threadCPU falls back to wall time where thread CPU clocks are unavailable.
func threadCPU() time.Duration { return time.Since(start) }
