package audit

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aigis-dev/aigis/internal/store"
	"github.com/aigis-dev/aigis/internal/store/storetest"
)

const crashEnv = "AIGIS_AUDIT_CRASH_WRITER_DSN"

// TestCrashWriter is the child process of TestSIGKILLLosesNoAcknowledgedEvent:
// it appends from several goroutines and prints each sequence number once
// Append has returned, until it is killed.
func TestCrashWriter(t *testing.T) {
	dsn := os.Getenv(crashEnv)
	if dsn == "" {
		t.Skip("helper process for TestSIGKILLLosesNoAcknowledgedEvent")
	}
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(3)
	}
	l := NewLog(st, Options{})
	var mu sync.Mutex
	w := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				ev := sampleEvent(g + i)
				if err := l.Append(context.Background(), ev); err != nil {
					mu.Lock()
					fmt.Fprintln(w, "error:", err)
					w.Flush()
					mu.Unlock()
					os.Exit(4)
				}
				mu.Lock()
				fmt.Fprintln(w, ev.Seq)
				w.Flush()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// TestSIGKILLLosesNoAcknowledgedEvent kills a writer process mid-flight:
// every event whose Append returned must be in the store, and the chain
// must verify (SQLite WAL with synchronous=NORMAL survives process death).
func TestSIGKILLLosesNoAcknowledgedEvent(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process")
	}
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			var dsn string
			if kind == "sqlite" {
				dsn = storetest.SQLiteDSN(t)
			} else {
				dsn = storetest.PostgresDSN(t)
			}
			cmd := exec.Command(os.Args[0], "-test.run=^TestCrashWriter$", "-test.count=1")
			cmd.Env = append(os.Environ(), crashEnv+"="+dsn)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			acked := map[int64]bool{}
			sc := bufio.NewScanner(out)
			deadline := time.Now().Add(20 * time.Second)
			for sc.Scan() {
				line := sc.Text()
				n, err := strconv.ParseInt(line, 10, 64)
				if err != nil {
					if strings.HasPrefix(line, "error") || strings.HasPrefix(line, "open") {
						t.Fatalf("writer: %s", line)
					}
					continue
				}
				acked[n] = true
				if len(acked) >= 300 || time.Now().After(deadline) {
					break
				}
			}
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			// Whatever was printed before the kill was acknowledged too.
			for sc.Scan() {
				if n, err := strconv.ParseInt(sc.Text(), 10, 64); err == nil {
					acked[n] = true
				}
			}
			_ = cmd.Wait()
			if len(acked) == 0 {
				t.Fatal("writer acknowledged nothing")
			}
			st := openStore(t, dsn)
			recs, err := st.ListAudit(context.Background(), 0, 100000)
			if err != nil {
				t.Fatal(err)
			}
			have := map[int64]bool{}
			for _, r := range recs {
				have[r.Seq] = true
			}
			for n := range acked {
				if !have[n] {
					t.Fatalf("acknowledged event seq %d lost after SIGKILL (%d acked, %d stored)", n, len(acked), len(recs))
				}
			}
			rep := mustVerify(t, st)
			if !rep.OK() {
				t.Fatalf("chain broken after SIGKILL: %v", rep.Problems)
			}
			t.Logf("%d events acknowledged, %d stored, chain verifies", len(acked), len(recs))
		})
	}
}
