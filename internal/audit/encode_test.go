package audit

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"
)

// fullEvent sets every field, so that the equivalence test sees each one.
func fullEvent(s string, n int64, f float64) *Event {
	return &Event{
		Seq: n, PrevHash: s, Hash: s + "h",
		ID: s, Time: time.Unix(n%(1<<34), n%1e9).UTC(),
		Principal: Principal{ID: s, Kind: "api_key", Name: s},
		Roles:     []string{s, "admin"},
		Route:     s, Operation: "chat", Dialect: "openai", Model: s, Stream: n%2 == 0,
		Upstream: Upstream{Name: s, Model: s},
		ClientIP: "127.0.0.1", UserAgent: s, Status: int(n % 600), ErrorCode: s,
		LatencyMS: f, UpstreamLatencyMS: f / 3, TTFBMS: f * 1e-9,
		Usage:     Usage{PromptTokens: n, CompletionTokens: n / 2, TotalTokens: n + n/2},
		Decisions: []Decision{{Stage: "policy", Effect: "allow", Reason: s, Rule: s}, {Stage: s, Effect: "deny"}},
		Guard: &GuardSummary{Verdict: s, Findings: map[string]int{s: 1, "email": 2, "zz": int(n % 7)},
			InjectionScore: f / 1e7, InjectionSignals: []string{s, "override"}, Boundary: s, BlockedAt: s,
			Redactions: int(n % 9), Canary: n%3 == 0},
		Quota:  &QuotaInfo{Reserved: n, Settled: -n, Remaining: n * 3, Limit: s, Exceeded: n%5 == 0},
		Bodies: &Bodies{KeyID: s, Request: []byte(s), Response: []byte(s + "\x00\xff")},
	}
}

func checkSame(t *testing.T, ev *Event) {
	t.Helper()
	want, err := json.Marshal(ev)
	got, ok := appendEvent(nil, ev)
	if err != nil || !ok {
		if ok {
			t.Fatalf("appendEvent accepted what encoding/json rejects (%v): %s", err, got)
		}
		return // both decline, or appendEvent defers to encoding/json
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("appendEvent differs from encoding/json\n got %s\nwant %s", got, want)
	}
}

func TestAppendEventMatchesJSON(t *testing.T) {
	checkSame(t, &Event{}) // every omitempty field absent
	checkSame(t, sampleEvent(3))
	for _, s := range []string{"", "plain", "quote\" back\\slash", "<script>&amp;</script>", "ctl\x00\x01\x08\x0c\n\r\t\x1f\x7f",
		"bad utf8 \xff\xfe", "line\u2028sep\u2029", "émoji 🎉 日本語", "\xed\xa0\x80 surrogate"} {
		for _, f := range []float64{0, 0.227, 1e-7, 123456789, 1e21, 5e-324, -2.5, 1e20} {
			checkSame(t, fullEvent(s, int64(len(s))*7919+3, f))
		}
	}
	// What appendEvent leaves to encoding/json.
	if _, ok := appendEvent(nil, &Event{Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}); ok {
		t.Error("year 10000 accepted")
	}
	if _, ok := appendEvent(nil, &Event{LatencyMS: math.NaN()}); ok {
		t.Error("NaN accepted")
	}
	// canonical uses it and still hashes what it stores.
	ev := fullEvent("x", 42, 1.5)
	data, err := canonical(ev)
	if err != nil {
		t.Fatal(err)
	}
	c := *ev
	c.Seq, c.PrevHash, c.Hash = 0, "", ""
	want, _ := json.Marshal(&c)
	if !bytes.Equal(data, want) {
		t.Fatalf("canonical differs from encoding/json:\n got %s\nwant %s", data, want)
	}
}

func FuzzAppendEventMatchesJSON(f *testing.F) {
	f.Add("req_1", int64(1), 0.25)
	f.Add("<&>\u2028\xff", int64(-5), 1e-9)
	f.Add("", int64(0), 0.0)
	f.Fuzz(func(t *testing.T, s string, n int64, x float64) {
		checkSame(t, fullEvent(s, n, x))
	})
}
