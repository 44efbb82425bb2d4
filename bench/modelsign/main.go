// Command modelsign measures how fast `aigis model sign` and `verify` hash a
// multi-gigabyte model compared with sha256sum on the same files.
//
//	go run ./bench/modelsign [-size 2GiB] [-files 4] [-dir /tmp]
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
	"time"

	"github.com/aigis-dev/aigis/internal/modelsign"
)

func main() {
	sizeMiB := flag.Int64("size-mib", 2048, "total model size in MiB")
	files := flag.Int("files", 4, "number of weight shards")
	dir := flag.String("dir", os.TempDir(), "where to create the model")
	flag.Parse()
	if err := run(*sizeMiB<<20, *files, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(total int64, n int, base string) error {
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
	timeIt := func(label string, fn func() error) error {
		best := time.Duration(1<<63 - 1)
		for range 3 {
			start := time.Now()
			if err := fn(); err != nil {
				return err
			}
			best = min(best, time.Since(start))
		}
		fmt.Printf("%-34s best of 3: %7.3f s  %6.2f GB/s\n", label, best.Seconds(), gb/best.Seconds())
		return nil
	}
	if _, err := exec.LookPath("sha256sum"); err == nil {
		if err := timeIt("sha256sum (sequential)", func() error { return exec.Command("sha256sum", names...).Run() }); err != nil {
			return err
		}
		if err := timeIt("sha256sum (one process per file)", func() error {
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
		}); err != nil {
			return err
		}
	}
	var bundle []byte
	if err := timeIt("aigis model sign (files)", func() error {
		b, _, err := modelsign.Sign(context.Background(), root, modelsign.SignOptions{Key: key})
		bundle = b
		return err
	}); err != nil {
		return err
	}
	if err := timeIt("aigis model verify (files)", func() error {
		res, err := modelsign.Verify(context.Background(), root, bundle, modelsign.VerifyOptions{PublicKey: key.Public()})
		if err == nil && !res.OK() {
			err = fmt.Errorf("verification failed: %+v", res)
		}
		return err
	}); err != nil {
		return err
	}
	return timeIt("aigis model sign (shards of 256 MiB)", func() error {
		_, _, err := modelsign.Sign(context.Background(), root, modelsign.SignOptions{Key: key,
			Hash: modelsign.HashOptions{Method: modelsign.MethodShards, ShardSize: 256 << 20}})
		return err
	})
}
