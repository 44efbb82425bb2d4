package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration written as "30s", "5m", "1h30m" in YAML.
type Duration time.Duration

// UnmarshalYAML accepts a Go duration string; a bare number is refused
// because its unit would be a guess.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return errors.New("expected a duration such as \"30s\"")
	}
	v, err := time.ParseDuration(strings.TrimSpace(n.Value))
	if err != nil {
		return fmt.Errorf("invalid duration %q (write e.g. \"500ms\", \"30s\", \"5m\")", truncate(n.Value, 40))
	}
	if v < 0 {
		return fmt.Errorf("duration %q is negative", n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration back as a string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// Std returns the time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// ByteSize is a size in bytes written as 1048576, "64KiB", "10MiB" or "1GiB".
type ByteSize int64

// UnmarshalYAML accepts a plain integer or a number with a KiB/MiB/GiB (or
// KB/MB/GB, also binary) suffix.
func (s *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return errors.New("expected a size such as 1048576 or \"10MiB\"")
	}
	v, err := parseByteSize(n.Value)
	if err != nil {
		return err
	}
	*s = ByteSize(v)
	return nil
}

func parseByteSize(raw string) (int64, error) {
	t := strings.TrimSpace(raw)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	v, err := strconv.ParseInt(t, 10, 64)
	if err != nil || v < 0 || v > (1<<40)/mult {
		return 0, fmt.Errorf("invalid size %q (write e.g. 1048576, \"64KiB\", \"10MiB\")", truncate(raw, 40))
	}
	return v * mult, nil
}
