package quota

import (
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestWindows(t *testing.T) {
	tm := time.Date(2026, 3, 4, 23, 59, 30, 500e6, time.UTC)
	ms, me, ds, de := Windows(tm)
	if time.UnixMilli(ms).UTC() != time.Date(2026, 3, 4, 23, 59, 0, 0, time.UTC) || me-ms != 60_000 {
		t.Fatalf("minute window %v..%v", time.UnixMilli(ms), time.UnixMilli(me))
	}
	if time.UnixMilli(ds).UTC() != time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC) || de-ds != 86_400_000 {
		t.Fatalf("day window %v..%v", time.UnixMilli(ds), time.UnixMilli(de))
	}
	// Time zones do not move UTC windows.
	_, _, ds2, _ := Windows(tm.In(time.FixedZone("x", 5*3600)))
	if ds2 != ds {
		t.Fatal("day window depends on the time zone")
	}
}

func TestLimitsValidate(t *testing.T) {
	for _, l := range []Limits{{RPM: -1}, {TPM: -1}, {TPD: -1}, {TPD: 1 << 60}} {
		if l.Validate() == nil {
			t.Errorf("%+v accepted", l)
		}
	}
	if (Limits{}).Validate() != nil || !(Limits{}).Unlimited() || (Limits{TPD: 1}).Unlimited() {
		t.Fatal("zero limits")
	}
	if (Config{KeyPrefix: strings.Repeat("x", 200)}).Validate() == nil {
		t.Fatal("long prefix accepted")
	}
}

func TestDenialAndHeaders(t *testing.T) {
	d := &Denial{Status: http.StatusTooManyRequests, Limit: LimitRPM, Subject: "key:a", Max: 5, RetryAfter: 1500 * time.Millisecond}
	if d.RetryAfterSeconds() != 2 {
		t.Fatalf("RetryAfterSeconds = %d, want 2 (rounded up)", d.RetryAfterSeconds())
	}
	if (&Denial{RetryAfter: 0}).RetryAfterSeconds() != 1 {
		t.Fatal("RetryAfterSeconds must be at least 1")
	}
	if !strings.Contains(d.Error(), "rpm limit of 5") {
		t.Fatalf("Error() = %q", d.Error())
	}
	h := http.Header{}
	(&Reservation{LimitTokens: 100, RemainingTokens: 40, ResetTokens: 90 * time.Second}).SetHeaders(h)
	if h.Get("x-ratelimit-remaining-tokens") != "40" || h.Get("x-ratelimit-reset-tokens") != "1m30s" || h.Get("x-ratelimit-limit-requests") != "" {
		t.Fatalf("headers = %v", h)
	}
	var nilRes *Reservation
	nilRes.SetHeaders(h) // no panic
}

func TestEstimateTokens(t *testing.T) {
	cases := []struct {
		text string
		min  int64
	}{
		{"", 1},
		{"Hello, world! This is a test.", 8},        // ~7 tokens in cl100k
		{"日本語のテキストです", 10},                          // 10 code points
		{strings.Repeat("a", 3000), 1000},           // conservative for ASCII
		{"\xff\xfe invalid utf-8", 5},               // never panics
		{strings.Repeat("🙂", 10), 10},               // at least one per emoji
		{"func main() { fmt.Println(\"hi\") }", 11}, // code
	}
	for _, c := range cases {
		if got := EstimateTokens(c.text); got < c.min {
			t.Errorf("EstimateTokens(%.20q) = %d, want >= %d", c.text, got, c.min)
		}
	}
	if EstimateTokens("abc") >= EstimateTokens(strings.Repeat("abc", 100)) {
		t.Fatal("estimate does not grow with text")
	}
}

// FuzzEstimateTokens: any input (it is caller text) gives a positive
// estimate bounded by the byte length + 1 and at least a third of the
// code points.
func FuzzEstimateTokens(f *testing.F) {
	f.Add("hello")
	f.Add("日本語")
	f.Add("\xff\x00")
	f.Fuzz(func(t *testing.T, s string) {
		n := EstimateTokens(s)
		if n < 1 || n > int64(len(s))+1 {
			t.Fatalf("EstimateTokens(%q) = %d outside [1, %d]", s, n, len(s)+1)
		}
		if n < int64(utf8.RuneCountInString(s))/3 {
			t.Fatalf("EstimateTokens(%q) = %d below a third of the code points", s, n)
		}
	})
}

func BenchmarkEstimateTokens(b *testing.B) {
	s := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 100)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		EstimateTokens(s)
	}
}
