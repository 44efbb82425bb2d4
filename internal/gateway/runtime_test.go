package gateway

import (
	"os"
	"runtime/debug"
	"testing"

	"github.com/aigis-dev/aigis/internal/config"
)

// restoreRuntime puts the GC target and memory limit back after a test.
func restoreRuntime(t *testing.T) {
	gc := debug.SetGCPercent(100)
	debug.SetGCPercent(gc)
	ml := debug.SetMemoryLimit(-1)
	t.Cleanup(func() {
		debug.SetGCPercent(gc)
		debug.SetMemoryLimit(ml)
	})
}

func TestApplyRuntimeFromConfig(t *testing.T) {
	if _, ok := os.LookupEnv("GOGC"); ok {
		t.Skip("GOGC is set in the environment; the config value would be ignored by design")
	}
	if _, ok := os.LookupEnv("GOMEMLIMIT"); ok {
		t.Skip("GOMEMLIMIT is set in the environment")
	}
	restoreRuntime(t)
	s := ApplyRuntime(config.Runtime{GCPercent: 250, MemoryLimit: 256 << 20}, nil)
	if got := debug.SetGCPercent(100); got != 250 || s.GCPercent != 250 || s.GCFromEnv {
		t.Errorf("GC percent in effect %d, reported %+v; want 250 from the config", got, s)
	}
	if got := debug.SetMemoryLimit(-1); got != 256<<20 || s.MemoryLimit != 256<<20 {
		t.Errorf("memory limit in effect %d, reported %+v", got, s)
	}
	// Zero means the default.
	s = ApplyRuntime(config.Runtime{}, nil)
	if got := debug.SetGCPercent(100); got != config.DefaultGCPercent || s.GCPercent != config.DefaultGCPercent {
		t.Errorf("GC percent %d, want the default %d", got, config.DefaultGCPercent)
	}
}

func TestApplyRuntimeEnvironmentWins(t *testing.T) {
	restoreRuntime(t)
	t.Setenv("GOGC", "150")
	t.Setenv("GOMEMLIMIT", "1GiB")
	debug.SetGCPercent(123) // stands for what the runtime read from GOGC at start
	debug.SetMemoryLimit(1 << 30)
	s := ApplyRuntime(config.Runtime{GCPercent: 400, MemoryLimit: 128 << 20}, nil)
	if got := debug.SetGCPercent(100); got != 123 || !s.GCFromEnv || s.GCPercent != 123 {
		t.Errorf("GC percent %d, reported %+v; the environment's value must stay", got, s)
	}
	if got := debug.SetMemoryLimit(-1); got != 1<<30 || !s.MemLimitFromEnv {
		t.Errorf("memory limit %d, reported %+v; the environment's value must stay", got, s)
	}
}
