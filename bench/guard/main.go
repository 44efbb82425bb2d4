package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"time"

	"github.com/aigis-dev/aigis/guard"
	"github.com/aigis-dev/aigis/guard/secrets"
)

func main() {
	iter := flag.Int("iter", 2000, "iterations per measurement")
	gitleaksBin := flag.String("gitleaks", "", "gitleaks binary for the secrets throughput comparison (optional)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the measurements to this file")
	piiData := flag.String("eval-pii", "", "instead of timing, print precision/recall on a presidio-research JSON dataset")
	flag.Parse()
	if *piiData != "" {
		if err := evalPII(os.Stdout, *piiData); err != nil {
			fmt.Fprintln(os.Stderr, "bench/guard:", err)
			os.Exit(1)
		}
		return
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench/guard:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "bench/guard:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(*iter, *gitleaksBin); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "bench/guard:", err)
		os.Exit(1)
	}
}

func percentile(d []time.Duration, p float64) time.Duration {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[int(float64(len(d)-1)*p)]
}

func run(iter int, gitleaksBin string) error {
	runtime.GOMAXPROCS(1)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ctx := context.Background()
	p, err := guard.ParsePolicy([]byte(benchPolicy))
	if err != nil {
		return err
	}
	e, err := guard.New(p)
	if err != nil {
		return err
	}
	prompt := prompt4K()
	r := e.Inspect(ctx, prompt, guard.InspectOptions{})
	fmt.Printf("4 KB prompt: %d findings, verdict %s\n", len(r.Findings), r.Verdict)
	for i := 0; i < 50; i++ {
		e.Inspect(ctx, prompt, guard.InspectOptions{})
	}
	lat := make([]time.Duration, iter)
	cpu := make([]time.Duration, iter)
	for i := range lat {
		t0, c0 := time.Now(), threadCPU()
		e.Inspect(ctx, prompt, guard.InspectOptions{})
		cpu[i] = threadCPU() - c0
		lat[i] = time.Since(t0)
	}
	fmt.Printf("full DLP, 4 KB prompt, 1 core: CPU time p50 %v p99 %v; wall p50 %v p99 %v (%d iterations)\n",
		percentile(cpu, 0.5), percentile(cpu, 0.99), percentile(lat, 0.5), percentile(lat, 0.99), iter)

	clean := noCandidates(1 << 20)
	// Three warm-up calls first: the first call on a fresh engine fills the
	// scratch pools for a 1 MiB text, which a long-running gateway pays once.
	for i := 0; i < 3; i++ {
		e.Inspect(ctx, clean, guard.InspectOptions{})
	}
	var total, totalCPU time.Duration
	rounds := max(iter/100, 10)
	perCPU := make([]time.Duration, rounds)
	for i := 0; i < rounds; i++ {
		t0, c0 := time.Now(), threadCPU()
		e.Inspect(ctx, clean, guard.InspectOptions{})
		perCPU[i] = threadCPU() - c0
		totalCPU += perCPU[i]
		total += time.Since(t0)
	}
	mb := float64(len(clean)*rounds) / 1e6
	fmt.Printf("no-candidate text (1 MiB x %d after 3 warm-up calls): %.0f MB/s by CPU time (median call %.0f MB/s), %.0f MB/s wall\n",
		rounds, mb/totalCPU.Seconds(), float64(len(clean))/1e6/percentile(perCPU, 0.5).Seconds(), mb/total.Seconds())

	// Secrets only, for the gitleaks comparison: a corpus of prompts.
	sc, err := secrets.New()
	if err != nil {
		return err
	}
	corpus := strings.Repeat(prompt, 256) // 1 MiB
	t0, c0 := time.Now(), threadCPU()
	n := 0
	for i := 0; i < 5; i++ {
		n += len(sc.Find(corpus, nil))
	}
	el, elCPU := time.Since(t0), threadCPU()-c0
	ours := float64(len(corpus)*5) / el.Seconds() / 1e6
	fmt.Printf("secrets only, 1 MiB corpus x5: %.1f MB/s wall, %.1f MB/s by CPU time (%d findings)\n", ours, float64(len(corpus)*5)/elCPU.Seconds()/1e6, n/5)
	if gitleaksBin == "" {
		fmt.Println("gitleaks comparison: skipped (no -gitleaks binary given)")
		return nil
	}
	dir, err := os.MkdirTemp("", "guard-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	f := filepath.Join(dir, "corpus.txt")
	if err := os.WriteFile(f, []byte(corpus), 0o600); err != nil {
		return err
	}
	best := time.Duration(1 << 62)
	for i := 0; i < 3; i++ {
		cmd := exec.Command(gitleaksBin, "dir", "--no-banner", "--no-color", "--log-level", "error", "--exit-code", "0", "--report-path", filepath.Join(dir, "r.json"), f)
		cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
		t0 := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("gitleaks: %v: %s", err, out)
		}
		if d := time.Since(t0); d < best {
			best = d
		}
	}
	theirs := float64(len(corpus)) / best.Seconds() / 1e6
	fmt.Printf("gitleaks dir (GOMAXPROCS=1, best of 3, process start included): %.1f MB/s; ratio aigis/gitleaks %.1fx\n", theirs, ours/theirs)
	return nil
}
