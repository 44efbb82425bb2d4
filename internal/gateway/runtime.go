package gateway

import (
	"log/slog"
	"os"
	"runtime/debug"

	"github.com/aigis-dev/aigis/internal/config"
)

// RuntimeSettings is what ApplyRuntime set, for the log and for tests.
type RuntimeSettings struct {
	GCPercent       int   // the GOGC in effect; -1 when GOGC=off came from the environment
	GCFromEnv       bool  // GOGC was set in the environment and left alone
	MemoryLimit     int64 // bytes; 0 when none was configured
	MemLimitFromEnv bool  // GOMEMLIMIT was set in the environment and left alone
}

// ApplyRuntime applies the runtime section of the config to this process:
// the garbage collector's target (runtime.gc_percent) and a soft memory
// limit (runtime.memory_limit). GOGC and GOMEMLIMIT in the environment win,
// so an operator can always override the file. It logs what is in effect.
func ApplyRuntime(rc config.Runtime, log *slog.Logger) RuntimeSettings {
	var s RuntimeSettings
	if _, ok := os.LookupEnv("GOGC"); ok {
		s.GCFromEnv = true
		s.GCPercent = debug.SetGCPercent(100) // read the current value...
		debug.SetGCPercent(s.GCPercent)       // ...and put it back
	} else {
		g := rc.GCPercent
		if g == 0 {
			g = config.DefaultGCPercent
		}
		debug.SetGCPercent(g)
		s.GCPercent = g
	}
	if _, ok := os.LookupEnv("GOMEMLIMIT"); ok {
		s.MemLimitFromEnv = true
		s.MemoryLimit = debug.SetMemoryLimit(-1)
	} else if rc.MemoryLimit > 0 {
		debug.SetMemoryLimit(int64(rc.MemoryLimit))
		s.MemoryLimit = int64(rc.MemoryLimit)
	}
	if log != nil {
		log.Info("go runtime", "gc_percent", s.GCPercent, "gc_percent_from_env", s.GCFromEnv,
			"memory_limit_bytes", s.MemoryLimit, "memory_limit_from_env", s.MemLimitFromEnv)
	}
	return s
}
