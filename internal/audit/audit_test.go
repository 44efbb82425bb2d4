package audit

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aigis-dev/aigis/internal/store"
	"github.com/aigis-dev/aigis/internal/store/storetest"
)

// forEachStore runs fn on a fresh SQLite store and, when AIGIS_TEST_POSTGRES
// is set, on a fresh PostgreSQL schema.
func forEachStore(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, storetest.SQLiteDSN(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, storetest.PostgresDSN(t)) })
}

func openStore(t testing.TB, dsn string) store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func newLog(t testing.TB, st store.Audit, opts Options) *Log {
	t.Helper()
	l := NewLog(st, opts)
	t.Cleanup(func() { _ = l.Close() })
	return l
}

func sampleEvent(i int) *Event {
	return &Event{
		Principal: Principal{ID: fmt.Sprintf("key_%d", i%3), Kind: "api_key"},
		Roles:     []string{"dev"},
		Route:     "POST /v1/chat/completions",
		Operation: "chat",
		Dialect:   "openai",
		Model:     "gpt-4o-mini",
		Upstream:  Upstream{Name: "mock", Model: "gpt-4o-mini-2024"},
		ClientIP:  "127.0.0.1",
		UserAgent: "test",
		Status:    200,
		LatencyMS: 1.25, UpstreamLatencyMS: 1.0,
		Usage:     Usage{PromptTokens: 10, CompletionTokens: 5, TotalTokens: 15},
		Decisions: []Decision{{Stage: "policy", Effect: "allow", Rule: "dev"}},
		Guard:     &GuardSummary{Verdict: "allow", Findings: map[string]int{"email": 1, "aws_key": 2}, InjectionScore: 0.1},
		Quota:     &QuotaInfo{Reserved: 100, Settled: 15, Remaining: 985, Limit: "key/tpm"},
	}
}

func appendEvents(t testing.TB, l *Log, n int) []*Event {
	t.Helper()
	out := make([]*Event, n)
	for i := range out {
		out[i] = sampleEvent(i)
		if err := l.Append(context.Background(), out[i]); err != nil {
			t.Fatalf("Append %d: %v", i, err)
		}
	}
	return out
}

func mustVerify(t testing.TB, st store.Audit) Report {
	t.Helper()
	rep, err := Verify(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestAppendListVerify(t *testing.T) {
	forEachStore(t, func(t *testing.T, dsn string) {
		st := openStore(t, dsn)
		l := newLog(t, st, Options{})
		evs := appendEvents(t, l, 5)
		for i, ev := range evs {
			if ev.Seq != int64(i+1) || len(ev.Hash) != 64 || ev.ID == "" || ev.Time.IsZero() {
				t.Fatalf("event %d after Append: seq %d hash %q id %q", i, ev.Seq, ev.Hash, ev.ID)
			}
			if i > 0 && ev.PrevHash != evs[i-1].Hash {
				t.Fatalf("event %d prev_hash does not link to event %d", i, i-1)
			}
		}
		if evs[0].PrevHash != strings.Repeat("0", 64) {
			t.Fatalf("first prev_hash = %s", evs[0].PrevHash)
		}
		got, err := List(context.Background(), st, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 5 {
			t.Fatalf("List returned %d events", len(got))
		}
		for i := range got {
			want, _ := json.Marshal(evs[i])
			have, _ := json.Marshal(&got[i])
			if !bytes.Equal(want, have) {
				t.Fatalf("event %d round trip:\n got  %s\n want %s", i, have, want)
			}
		}
		rep, err := l.Verify(context.Background())
		if err != nil || !rep.OK() || rep.Events != 5 || rep.HeadSeq != 5 || rep.HeadHash != evs[4].Hash {
			t.Fatalf("Verify = %+v", rep)
		}
		last, err := Last(context.Background(), st, 2)
		if err != nil || len(last) != 2 || last[0].Seq != 4 || last[1].Seq != 5 {
			t.Fatalf("Last(2) = %+v, %v", last, err)
		}
	})
}

func TestVerifyEmpty(t *testing.T) {
	st := openStore(t, storetest.SQLiteDSN(t))
	rep := mustVerify(t, st)
	if !rep.OK() || rep.Events != 0 {
		t.Fatalf("empty log: %+v", rep)
	}
}

func TestConcurrentAppendKeepsChain(t *testing.T) {
	forEachStore(t, func(t *testing.T, dsn string) {
		st := openStore(t, dsn)
		l := newLog(t, st, Options{})
		const workers, each = 64, 20
		var wg sync.WaitGroup
		errs := make(chan error, workers*each)
		seqs := make(chan int64, workers*each)
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					ev := sampleEvent(i)
					if err := l.Append(context.Background(), ev); err != nil {
						errs <- err
						return
					}
					seqs <- ev.Seq
				}
			}()
		}
		wg.Wait()
		close(errs)
		close(seqs)
		for err := range errs {
			t.Fatal(err)
		}
		seen := map[int64]bool{}
		for s := range seqs {
			if seen[s] {
				t.Fatalf("seq %d handed out twice", s)
			}
			seen[s] = true
		}
		rep := mustVerify(t, st)
		if !rep.OK() || rep.Events != workers*each {
			t.Fatalf("Verify after concurrent appends: %d events, problems %v", rep.Events, rep.Problems)
		}
	})
}

// Two Logs over two store handles on one database stand for two gateway
// replicas (PostgreSQL) or two processes (SQLite) appending at once.
func TestTwoReplicasKeepOneChain(t *testing.T) {
	forEachStore(t, func(t *testing.T, dsn string) {
		stA, stB := openStore(t, dsn), openStore(t, dsn)
		logs := []*Log{newLog(t, stA, Options{}), newLog(t, stB, Options{})}
		const workers, each = 16, 25
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					if err := logs[w%2].Append(context.Background(), sampleEvent(i)); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		rep := mustVerify(t, stA)
		if !rep.OK() || rep.Events != workers*each {
			t.Fatalf("two replicas: %d events, problems %v", rep.Events, rep.Problems)
		}
	})
}

// blob renders b as an SQL literal for the store kind behind dsn.
func blob(t testing.TB, dsn string, b []byte) string {
	loc, err := store.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if loc.Kind == store.KindPostgres {
		return "decode('" + hex.EncodeToString(b) + "', 'hex')"
	}
	return "X'" + hex.EncodeToString(b) + "'"
}

func recordAt(t testing.TB, st store.Audit, seq int64) store.AuditRecord {
	t.Helper()
	recs, err := st.ListAudit(context.Background(), seq-1, 1)
	if err != nil || len(recs) != 1 || recs[0].Seq != seq {
		t.Fatalf("record %d: %v %v", seq, recs, err)
	}
	return recs[0]
}

// wantProblems checks that the report lists exactly the given problems
// (kind and sequence number; for Deleted also the last sequence number).
func wantProblems(t testing.TB, rep Report, want ...Problem) {
	t.Helper()
	if len(rep.Problems) != len(want) {
		t.Fatalf("got %d problems %v, want %v", len(rep.Problems), rep.Problems, want)
	}
	for i, w := range want {
		g := rep.Problems[i]
		if g.Kind != w.Kind || g.Seq != w.Seq || g.LastSeq != w.LastSeq || (w.ID != "" && g.ID != w.ID) {
			t.Fatalf("problem %d = %+v, want %+v (all: %v)", i, g, w, rep.Problems)
		}
	}
}

func TestTamperDetection(t *testing.T) {
	forEachStore(t, func(t *testing.T, dsn string) {
		pg := strings.HasPrefix(dsn, "postgres")
		setup := func(t *testing.T) (store.Store, string, []*Event) {
			// A fresh database per case.
			var d string
			if pg {
				d = storetest.PostgresDSN(t)
			} else {
				d = storetest.SQLiteDSN(t)
			}
			st := openStore(t, d)
			l := newLog(t, st, Options{})
			evs := appendEvents(t, l, 8)
			// A read copies SQLite's journal into the table, so the
			// tampering below finds the rows there.
			if _, err := st.LastAudit(context.Background()); err != nil {
				t.Fatal(err)
			}
			storetest.DropAuditGuards(t, d)
			return st, d, evs
		}
		t.Run("edited content", func(t *testing.T) {
			st, d, evs := setup(t)
			rec := recordAt(t, st, 3)
			data := bytes.Replace(rec.Data, []byte(`"status":200`), []byte(`"status":403`), 1)
			storetest.Exec(t, d, "UPDATE audit_events SET data = "+blob(t, d, data)+" WHERE seq = 3")
			wantProblems(t, mustVerify(t, st), Problem{Kind: Edited, Seq: 3, ID: evs[2].ID})
		})
		t.Run("edited with recomputed hash", func(t *testing.T) {
			st, d, evs := setup(t)
			rec := recordAt(t, st, 4)
			data := bytes.Replace(rec.Data, []byte(`"status":200`), []byte(`"status":500`), 1)
			h := chainHash(4, rec.PrevHash, data)
			storetest.Exec(t, d, "UPDATE audit_events SET data = "+blob(t, d, data)+", hash = "+blob(t, d, h[:])+" WHERE seq = 4")
			wantProblems(t, mustVerify(t, st), Problem{Kind: Edited, Seq: 4, ID: evs[3].ID})
		})
		t.Run("id column changed", func(t *testing.T) {
			st, d, evs := setup(t)
			storetest.Exec(t, d, "UPDATE audit_events SET id = 'ev_other' WHERE seq = 2")
			_ = evs
			wantProblems(t, mustVerify(t, st), Problem{Kind: Edited, Seq: 2, ID: "ev_other"})
		})
		t.Run("deleted middle", func(t *testing.T) {
			st, d, _ := setup(t)
			storetest.Exec(t, d, "DELETE FROM audit_events WHERE seq IN (4, 5)")
			wantProblems(t, mustVerify(t, st), Problem{Kind: Deleted, Seq: 4, LastSeq: 5})
		})
		t.Run("deleted first", func(t *testing.T) {
			st, d, _ := setup(t)
			storetest.Exec(t, d, "DELETE FROM audit_events WHERE seq = 1")
			wantProblems(t, mustVerify(t, st), Problem{Kind: Deleted, Seq: 1, LastSeq: 1})
		})
		anchored := func(t *testing.T, st store.Store, seq int64, hash []byte) Report {
			t.Helper()
			rep, err := VerifyWith(context.Background(), st, VerifyOptions{AnchorSeq: seq, AnchorHash: hash})
			if err != nil {
				t.Fatal(err)
			}
			return rep
		}
		t.Run("deleted at the tail, anchored", func(t *testing.T) {
			st, d, _ := setup(t)
			head := recordAt(t, st, 8)
			if rep := anchored(t, st, 8, head.Hash); !rep.OK() {
				t.Fatalf("intact chain fails its own anchor: %v", rep.Problems)
			}
			storetest.Exec(t, d, "DELETE FROM audit_events WHERE seq IN (7, 8)")
			wantProblems(t, mustVerify(t, st)) // the chain alone cannot tell
			wantProblems(t, anchored(t, st, 8, head.Hash), Problem{Kind: Deleted, Seq: 7, LastSeq: 8})
		})
		t.Run("rewritten to the head, anchored", func(t *testing.T) {
			st, d, evs := setup(t)
			head := recordAt(t, st, 8)
			// Rewrite seq 8 with a recomputed hash: self-consistent, and no
			// later event links to it, so only the anchor shows it.
			data := bytes.Replace(head.Data, []byte(`"status":200`), []byte(`"status":201`), 1)
			h := chainHash(8, head.PrevHash, data)
			storetest.Exec(t, d, "UPDATE audit_events SET data = "+blob(t, d, data)+", hash = "+blob(t, d, h[:])+" WHERE seq = 8")
			wantProblems(t, mustVerify(t, st))
			wantProblems(t, anchored(t, st, 8, head.Hash), Problem{Kind: Edited, Seq: 8, ID: evs[7].ID})
		})
		t.Run("inserted at end", func(t *testing.T) {
			st, d, evs := setup(t)
			// A forged row copying the last one, linked to it, under a new id.
			storetest.Exec(t, d, "INSERT INTO audit_events (seq, id, time_ns, prev_hash, hash, data) SELECT seq + 1, 'ev_forged', time_ns, hash, hash, data FROM audit_events WHERE seq = 8")
			_ = evs
			wantProblems(t, mustVerify(t, st), Problem{Kind: Inserted, Seq: 9, ID: "ev_forged"})
		})
		t.Run("inserted with own valid hash", func(t *testing.T) {
			st, d, evs := setup(t)
			// A self-consistent forged event placed after deleting seq 6: its
			// hash is right, but seq 7 does not link to it.
			forged := sampleEvent(99)
			forged.ID, forged.Time = "ev_forged", time.Now().UTC()
			data, err := canonical(forged)
			if err != nil {
				t.Fatal(err)
			}
			prev := recordAt(t, st, 5).Hash
			h := chainHash(6, prev, data)
			storetest.Exec(t, d, "DELETE FROM audit_events WHERE seq = 6")
			storetest.Exec(t, d, fmt.Sprintf("INSERT INTO audit_events (seq, id, time_ns, prev_hash, hash, data) VALUES (6, 'ev_forged', 0, %s, %s, %s)",
				blob(t, d, prev), blob(t, d, h[:]), blob(t, d, data)))
			rep := mustVerify(t, st)
			// seq 6 itself verifies and links; seq 7 no longer links to it,
			// and seq 8 links to 7: the verifier names seq 6 as rewritten.
			wantProblems(t, rep, Problem{Kind: Edited, Seq: 6, ID: "ev_forged"})
			_ = evs
		})
		t.Run("inserted replacing deleted row", func(t *testing.T) {
			st, d, _ := setup(t)
			storetest.Exec(t, d, "DELETE FROM audit_events WHERE seq = 5")
			storetest.Exec(t, d, "INSERT INTO audit_events (seq, id, time_ns, prev_hash, hash, data) SELECT 5, 'ev_forged', time_ns, prev_hash, hash, data FROM audit_events WHERE seq = 4")
			wantProblems(t, mustVerify(t, st),
				Problem{Kind: Inserted, Seq: 5, ID: "ev_forged"},
				Problem{Kind: Deleted, Seq: 5, LastSeq: 5})
		})
		t.Run("inserted bogus seq", func(t *testing.T) {
			st, d, _ := setup(t)
			storetest.Exec(t, d, "INSERT INTO audit_events (seq, id, time_ns, prev_hash, hash, data) SELECT 0, 'ev_zero', time_ns, prev_hash, hash, data FROM audit_events WHERE seq = 1")
			wantProblems(t, mustVerify(t, st), Problem{Kind: Inserted, Seq: 0, ID: "ev_zero"})
		})
	})
}

func testKeyring(t testing.TB, specs ...string) *Keyring {
	t.Helper()
	kr, err := KeyringFromSpecs(specs)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

const (
	keyA = "old:0000000000000000000000000000000000000000000000000000000000000001"
	keyB = "new:AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=" // 32 bytes of 0x02, base64
)

func TestBodiesEncryptedAndRotated(t *testing.T) {
	dsn := storetest.SQLiteDSN(t)
	st := openStore(t, dsn)

	// Without a keyring, bodies are dropped.
	plain := NewLog(st, Options{})
	ev0 := sampleEvent(0)
	ev0.RequestBody, ev0.ResponseBody = []byte("secret prompt"), []byte("secret answer")
	if err := plain.Append(context.Background(), ev0); err != nil {
		t.Fatal(err)
	}
	_ = plain.Close()

	// Key A current.
	la := NewLog(st, Options{Keyring: testKeyring(t, keyA)})
	ev1 := sampleEvent(1)
	ev1.RequestBody, ev1.ResponseBody = []byte("prompt under A"), []byte("answer under A")
	if err := la.Append(context.Background(), ev1); err != nil {
		t.Fatal(err)
	}
	_ = la.Close()

	// Rotation: B current, A kept for reading.
	lb := NewLog(st, Options{Keyring: testKeyring(t, keyB, keyA)})
	ev2 := sampleEvent(2)
	ev2.RequestBody = []byte("prompt under B")
	if err := lb.Append(context.Background(), ev2); err != nil {
		t.Fatal(err)
	}
	_ = lb.Close()

	recs, err := st.ListAudit(context.Background(), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if bytes.Contains(r.Data, []byte("secret")) || bytes.Contains(r.Data, []byte("prompt under")) {
			t.Fatalf("plaintext body stored in seq %d: %s", r.Seq, r.Data)
		}
	}
	evs, err := List(context.Background(), st, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if evs[0].Bodies != nil {
		t.Fatalf("bodies stored without a keyring: %+v", evs[0].Bodies)
	}
	if evs[1].Bodies == nil || evs[1].Bodies.KeyID != "old" || evs[2].Bodies == nil || evs[2].Bodies.KeyID != "new" {
		t.Fatalf("key ids: %+v %+v", evs[1].Bodies, evs[2].Bodies)
	}
	both := testKeyring(t, keyB, keyA)
	for i, want := range []string{"prompt under A", "prompt under B"} {
		ev := evs[i+1]
		if err := both.Decrypt(&ev); err != nil {
			t.Fatal(err)
		}
		if string(ev.RequestBody) != want {
			t.Fatalf("decrypted %q, want %q", ev.RequestBody, want)
		}
	}
	if ev := evs[1]; string(mustDecrypt(t, both, ev).ResponseBody) != "answer under A" {
		t.Fatal("response body round trip failed")
	}
	// A ring without the old key cannot open old events.
	onlyB := testKeyring(t, keyB)
	ev := evs[1]
	if err := onlyB.Decrypt(&ev); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("decrypt with missing key: %v, want ErrUnknownKey", err)
	}
	// A wrong key under the right id fails authentication.
	wrong := testKeyring(t, "old:"+strings.Repeat("ff", 32))
	ev = evs[1]
	if err := wrong.Decrypt(&ev); err == nil || errors.Is(err, ErrUnknownKey) {
		t.Fatalf("decrypt with wrong key: %v", err)
	}
	// Ciphertext moved to another event does not open (the event id is bound).
	moved := evs[2]
	moved.Bodies = evs[1].Bodies
	if err := both.Decrypt(&moved); err == nil {
		t.Fatal("ciphertext opened under another event id")
	}
	if rep := mustVerify(t, st); !rep.OK() {
		t.Fatalf("verify: %v", rep.Problems)
	}

	// The hash covers the ciphertext: flipping one byte is an edit.
	storetest.DropAuditGuards(t, dsn)
	rec := recordAt(t, st, 2)
	var raw map[string]any
	if err := json.Unmarshal(rec.Data, &raw); err != nil {
		t.Fatal(err)
	}
	b := raw["bodies"].(map[string]any)
	ct := []byte(b["request"].(string))
	ct[10] ^= 1
	if ct[10] == '+' || ct[10] == '/' || ct[10] == '=' { // keep it base64 either way
		ct[10] = 'A'
	}
	b["request"] = string(ct)
	data, _ := json.Marshal(raw)
	storetest.Exec(t, dsn, "UPDATE audit_events SET data = "+blob(t, dsn, data)+" WHERE seq = 2")
	wantProblems(t, mustVerify(t, st), Problem{Kind: Edited, Seq: 2})
}

func mustDecrypt(t testing.TB, kr *Keyring, ev Event) Event {
	t.Helper()
	if err := kr.Decrypt(&ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestExportAndFollow(t *testing.T) {
	st := openStore(t, storetest.SQLiteDSN(t))
	kr := testKeyring(t, keyA)
	l := newLog(t, st, Options{Keyring: kr})
	ev := sampleEvent(0)
	body := `{"messages":[{"role":"user","content":"hi <b>"}]}`
	ev.RequestBody = []byte(body)
	if err := l.Append(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	appendEvents(t, l, 2)

	var buf bytes.Buffer
	n, err := ExportJSONL(context.Background(), st, &buf, ExportOptions{Keyring: kr})
	if err != nil || n != 3 {
		t.Fatalf("export: %d, %v", n, err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines", len(lines))
	}
	var first map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if first["request_body"] != body || first["seq"] != float64(1) || first["hash"] != ev.Hash {
		t.Fatalf("first line: %s", lines[0])
	}
	buf.Reset()
	if _, err := ExportJSONL(context.Background(), st, &buf, ExportOptions{After: 1}); err != nil {
		t.Fatal(err)
	}
	if strings.Count(buf.String(), "\n") != 2 || strings.Contains(buf.String(), "request_body") {
		t.Fatalf("export after 1 without keyring: %s", buf.String())
	}

	// Follow sees the existing events after seq 1, then a new one.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := make(chan int64, 10)
	done := make(chan error, 1)
	go func() {
		done <- Follow(ctx, st, 1, 20*time.Millisecond, func(e Event) error {
			got <- e.Seq
			if e.Seq == 4 {
				cancel()
			}
			return nil
		})
	}()
	for _, want := range []int64{2, 3} {
		if s := <-got; s != want {
			t.Fatalf("follow got seq %d, want %d", s, want)
		}
	}
	appendEvents(t, l, 1)
	select {
	case s := <-got:
		if s != 4 {
			t.Fatalf("follow got seq %d, want 4", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("follow did not see the new event")
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestAppendAfterClose(t *testing.T) {
	st := openStore(t, storetest.SQLiteDSN(t))
	l := NewLog(st, Options{})
	appendEvents(t, l, 1)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Append(context.Background(), sampleEvent(0)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close: %v, want ErrClosed", err)
	}
	_ = l.Close() // idempotent
}

// failingStore fails every append: the Log must report it to each appender.
type failingStore struct{ store.Audit }

func (failingStore) AppendAudit(context.Context, func(store.AuditHead) ([]store.AuditRecord, error)) error {
	return errors.New("disk full")
}

func TestAppendReportsStoreFailure(t *testing.T) {
	l := newLog(t, failingStore{}, Options{})
	err := l.Append(context.Background(), sampleEvent(0))
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Append on failing store: %v", err)
	}
}

func TestCanonicalIsDeterministic(t *testing.T) {
	ev := sampleEvent(1)
	ev.ID, ev.Time = "ev_x", time.Date(2026, 1, 1, 0, 0, 0, 5, time.FixedZone("x", 3600))
	a, err := canonical(ev)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		b, _ := canonical(ev)
		if !bytes.Equal(a, b) {
			t.Fatal("canonical encoding differs between calls")
		}
	}
	if !bytes.Contains(a, []byte(`"time":"2025-12-31T23:00:00.000000005Z"`)) {
		t.Fatalf("time not normalised to UTC: %s", a)
	}
	ev.LatencyMS = nanValue()
	if _, err := canonical(ev); err != nil {
		t.Fatalf("NaN latency: %v", err)
	}
}

func nanValue() float64 {
	zero := 0.0
	return zero / zero
}

func TestParseAnchor(t *testing.T) {
	h := strings.Repeat("ab", 32)
	if seq, hash, err := ParseAnchor("42:" + h); err != nil || seq != 42 || len(hash) != 32 {
		t.Fatalf("ParseAnchor: %d %x %v", seq, hash, err)
	}
	for _, bad := range []string{"", "42", "0:" + h, "-1:" + h, "x:" + h, "42:abc", "42:" + h + "00", "42:" + strings.Repeat("zz", 32)} {
		if _, _, err := ParseAnchor(bad); err == nil {
			t.Errorf("ParseAnchor(%q) accepted", bad)
		}
	}
}

func TestParseKey(t *testing.T) {
	raw := bytes.Repeat([]byte{7}, 32)
	for _, s := range []string{
		hex.EncodeToString(raw),
		"BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=",
		"BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc",
	} {
		k, err := ParseKey(s)
		if err != nil || !bytes.Equal(k, raw) {
			t.Errorf("ParseKey(%q) = %x, %v", s, k, err)
		}
	}
	for _, s := range []string{"", "abc", hex.EncodeToString(raw[:16]), strings.Repeat("z", 200)} {
		if _, err := ParseKey(s); err == nil {
			t.Errorf("ParseKey(%q) accepted", s)
		}
	}
	id, _, err := ParseKeySpec(hex.EncodeToString(raw))
	if err != nil || id != KeyID(raw) || !strings.HasPrefix(id, "k") {
		t.Fatalf("bare key id = %q, %v", id, err)
	}
	if _, _, err := ParseKeySpec("bad id!:" + hex.EncodeToString(raw)); err == nil {
		t.Fatal("bad key id accepted")
	}
	if _, err := KeyringFromSpecs([]string{keyA, keyA}); err == nil {
		t.Fatal("duplicate key id accepted")
	}
}

func FuzzParseKeySpec(f *testing.F) {
	for _, s := range []string{keyA, keyB, "abc", ":", "x:", strings.Repeat("0", 64)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, k, err := ParseKeySpec(s)
		if err != nil {
			return
		}
		if len(k) != 32 || checkKeyID(id) != nil {
			t.Fatalf("ParseKeySpec(%q) = %q, %d bytes", s, id, len(k))
		}
	})
}

// FuzzVerifyRecord feeds arbitrary stored bytes to the verifier's record
// check and to the reader: hostile rows must never panic.
func FuzzVerifyRecord(f *testing.F) {
	ev := sampleEvent(0)
	ev.ID = "ev_1"
	good, _ := canonical(ev)
	f.Add(good, int64(1))
	f.Add([]byte(`{"id":"ev_1","bodies":{"key_id":"k","request":"AAAA"}}`), int64(2))
	f.Add([]byte(`[`), int64(-1))
	kr, _ := KeyringFromSpecs([]string{keyA})
	f.Fuzz(func(t *testing.T, data []byte, seq int64) {
		rec := store.AuditRecord{Seq: seq, ID: "ev_1", PrevHash: make([]byte, 32), Data: data}
		h := chainHash(seq, rec.PrevHash, data)
		rec.Hash = h[:]
		r := inspect(&rec)
		ev, err := fromRecord(rec)
		if err != nil {
			if r.selfOK {
				t.Fatal("undecodable record passed inspection")
			}
			return
		}
		_ = kr.Decrypt(&ev)
	})
}
