// Command modelsign measures how fast `aigis model sign` and `verify` hash a
// multi-gigabyte model compared with sha256sum on the same files.
//
//	go run ./bench/modelsign [-size-mib 2048] [-files 4] [-dir /tmp] [-runs 5]
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/aigis-dev/aigis/internal/modelsign"
)

func main() {
	sizeMiB := flag.Int64("size-mib", 2048, "total model size in MiB")
	files := flag.Int("files", 4, "number of weight shards")
	dir := flag.String("dir", os.TempDir(), "where to create the model")
	runs := flag.Int("runs", 5, "runs per configuration (best and median are reported)")
	flag.Parse()
	if err := run(*sizeMiB<<20, *files, *dir, max(*runs, 1)); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(total int64, n int, base string, runs int) error {
	root, err := os.MkdirTemp(base, "aigis-bench-model-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(root)
	buf := make([]byte, 8<<20)
	rand.Read(buf)
	per := total / int64(n)
	var names []string
	for i := range n {
		name := filepath.Join(root, fmt.Sprintf("model-%05d-of-%05d.safetensors", i+1, n))
		f, err := os.Create(name)
		if err != nil {
			return err
		}
		for w := int64(0); w < per; w += int64(len(buf)) {
			if _, err := f.Write(buf[:min(int64(len(buf)), per-w)]); err != nil {
				return err
			}
		}
		f.Close()
		names = append(names, name)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	gb := float64(per*int64(n)) / 1e9
	fmt.Printf("model: %d files, %.2f GB total, GOMAXPROCS=%d (page cache warm after the first pass)\n", n, gb, runtime.GOMAXPROCS(0))

	// Warm the page cache so every contender reads from memory.
	if err := exec.Command("cat", names...).Run(); err != nil {
		return err
	}
	type config struct {
		label string
		fn    func() error
	}
	var bundle []byte
	b, _, err := modelsign.Sign(context.Background(), root, modelsign.SignOptions{Key: key})
	if err != nil {
		return err
	}
	bundle = b
	var configs []config
	if _, err := exec.LookPath("sha256sum"); err == nil {
		configs = append(configs,
			config{"sha256sum (one process, files in turn)", func() error { return exec.Command("sha256sum", names...).Run() }},
			config{"sha256sum (one process per file, in parallel)", func() error {
				cmds := make([]*exec.Cmd, len(names))
				for i, n := range names {
					cmds[i] = exec.Command("sha256sum", n)
					if err := cmds[i].Start(); err != nil {
						return err
					}
				}
				for _, c := range cmds {
					if err := c.Wait(); err != nil {
						return err
					}
				}
				return nil
			}})
	}
	configs = append(configs,
		config{"aigis model sign (files)", func() error {
			_, _, err := modelsign.Sign(context.Background(), root, modelsign.SignOptions{Key: key})
			return err
		}},
		config{"aigis model verify (files)", func() error {
			res, err := modelsign.Verify(context.Background(), root, bundle, modelsign.VerifyOptions{PublicKey: key.Public()})
			if err == nil && !res.OK() {
				err = fmt.Errorf("verification failed: %+v", res)
			}
			return err
		}},
		config{"aigis model sign (shards of 256 MiB)", func() error {
			_, _, err := modelsign.Sign(context.Background(), root, modelsign.SignOptions{Key: key,
				Hash: modelsign.HashOptions{Method: modelsign.MethodShards, ShardSize: 256 << 20}})
			return err
		}})
	// Interleave the configurations (A/B/C/..., A/B/C/...) so that load
	// changes on a shared machine hit all of them alike.
	times := make([][]time.Duration, len(configs))
	fmt.Printf("loadavg before: %s", loadavg())
	for range runs {
		for i, c := range configs {
			start := time.Now()
			if err := c.fn(); err != nil {
				return fmt.Errorf("%s: %w", c.label, err)
			}
			times[i] = append(times[i], time.Since(start))
		}
	}
	fmt.Printf("loadavg after:  %s\n", loadavg())
	fmt.Printf("| configuration | best | median |\n|---|---|---|\n")
	for i, c := range configs {
		ts := slices.Clone(times[i])
		slices.Sort(ts)
		best, med := ts[0], ts[len(ts)/2]
		fmt.Printf("| %s | %.3f s (%.2f GB/s) | %.3f s (%.2f GB/s) |\n", c.label, best.Seconds(), gb/best.Seconds(), med.Seconds(), gb/med.Seconds())
	}
	return nil
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "n/a\n"
	}
	return strings.TrimSpace(string(b)) + "\n"
}
