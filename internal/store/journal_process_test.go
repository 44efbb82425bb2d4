//go:build unix

package store

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// journalChildEnv names the database a TestJournalChild process appends to.
const journalChildEnv = "AIGIS_JOURNAL_CHILD_DB"

// TestJournalChild is the child process of TestJournalManyProcessesSIGKILL:
// four goroutines append batches of one to three records (and now and then
// read) until the process is killed, printing "seq hash" for every record
// of an append that returned, and any error.
func TestJournalChild(t *testing.T) {
	path := os.Getenv(journalChildEnv)
	if path == "" {
		t.Skip("helper process for TestJournalManyProcessesSIGKILL")
	}
	st, err := openSQLite(context.Background(), Location{Kind: KindSQLite, Target: path})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(3)
	}
	var mu sync.Mutex
	w := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(os.Getpid()), uint64(g)))
			for i := 0; ; i++ {
				if r.IntN(50) == 0 {
					if _, err := st.ListAudit(context.Background(), 0, 1); err != nil {
						mu.Lock()
						fmt.Fprintln(w, "read error:", err)
						w.Flush()
						mu.Unlock()
					}
					continue
				}
				n := 1 + r.IntN(3)
				var got []AuditRecord
				err := st.AppendAudit(context.Background(), func(head AuditHead) ([]AuditRecord, error) {
					got = chainRecords(head, n, fmt.Sprintf("p%dg%di%d-", os.Getpid(), g, i))
					return got, nil
				})
				mu.Lock()
				if err != nil {
					fmt.Fprintln(w, "append error:", err)
				} else {
					for _, rec := range got { // a few short lines: one atomic pipe write
						fmt.Fprintf(w, "%d %s\n", rec.Seq, hex.EncodeToString(rec.Hash))
					}
				}
				w.Flush()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// TestJournalManyProcessesSIGKILL: four processes append to one database
// through the journal while one of them is SIGKILLed and restarted every
// 50–450 ms. Afterwards the chain is whole, every record of every append
// that returned is stored with the hash it was acknowledged with, no seq
// was acknowledged twice, and no append or read failed.
// AIGIS_JOURNAL_STRESS=30s runs longer.
func TestJournalManyProcessesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	if !journalSupported {
		t.Skip("no audit journal on this platform")
	}
	dur := 3 * time.Second
	if v := os.Getenv("AIGIS_JOURNAL_STRESS"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatal(err)
		}
		dur = d
	}
	path := t.TempDir() + "/s.db"
	var mu sync.Mutex
	acked := map[int64]string{}
	var problems []string
	type child struct {
		cmd  *exec.Cmd
		done chan struct{}
	}
	start := func() *child {
		cmd := exec.Command(os.Args[0], "-test.run=^TestJournalChild$", "-test.count=1", "-test.timeout=0")
		cmd.Env = append(os.Environ(), journalChildEnv+"="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill() }) // none may outlive a failed test
		c := &child{cmd, make(chan struct{})}
		go func() {
			defer close(c.done)
			rd := bufio.NewReader(out)
			for {
				// Only whole lines count: the last one of a killed child
				// can be cut (it never said that append returned).
				line, err := rd.ReadString('\n')
				if err != nil {
					break
				}
				line = strings.TrimSuffix(line, "\n")
				f := strings.Fields(line)
				if len(f) == 2 && len(f[1]) == 64 {
					if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
						mu.Lock()
						if h, ok := acked[n]; ok && h != f[1] {
							problems = append(problems, fmt.Sprintf("seq %d acknowledged twice with different hashes", n))
						}
						acked[n] = f[1]
						mu.Unlock()
						continue
					}
				}
				if strings.HasPrefix(line, "=== RUN") || strings.HasPrefix(line, "--- ") || line == "PASS" || line == "FAIL" {
					continue
				}
				mu.Lock()
				problems = append(problems, line)
				mu.Unlock()
			}
		}()
		return c
	}
	stop := func(c *child) {
		_ = c.cmd.Process.Signal(syscall.SIGKILL)
		_ = c.cmd.Wait()
		<-c.done
	}
	kids := make([]*child, 4)
	for i := range kids {
		kids[i] = start()
	}
	kills := 0
	for end := time.Now().Add(dur); time.Now().Before(end); {
		time.Sleep(time.Duration(50+rand.IntN(400)) * time.Millisecond)
		i := rand.IntN(len(kids))
		stop(kids[i])
		kills++
		kids[i] = start()
	}
	for _, k := range kids {
		stop(k)
	}

	st := openTestSQLite(t, path) // recovers what the killed processes left in the journal
	have := map[int64]string{}
	prev, after := make([]byte, 32), int64(0)
	for {
		recs, err := st.ListAudit(context.Background(), after, 10000)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			break
		}
		for _, r := range recs {
			if r.Seq != after+1 || string(r.PrevHash) != string(prev) {
				t.Fatalf("chain broken at seq %d (after %d)", r.Seq, after)
			}
			have[r.Seq] = hex.EncodeToString(r.Hash)
			prev, after = r.Hash, r.Seq
		}
	}
	mu.Lock()
	defer mu.Unlock()
	lost := 0
	for n, h := range acked {
		if have[n] != h {
			if lost++; lost <= 5 {
				t.Errorf("acknowledged seq %d (%s) is not stored (stored: %q)", n, h, have[n])
			}
		}
	}
	for i, p := range problems {
		if i == 10 {
			t.Errorf("… %d more", len(problems)-10)
			break
		}
		t.Errorf("child: %s", p)
	}
	if len(acked) == 0 {
		t.Fatal("no append was acknowledged")
	}
	t.Logf("%d kills, %d records acknowledged, %d stored, %d lost", kills, len(acked), len(have), lost)
}
