package finding

import (
	"encoding/json"
	"testing"
)

func TestSeverityRoundTrip(t *testing.T) {
	for s := Info; s <= Critical; s++ {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var got Severity
		if err := json.Unmarshal(b, &got); err != nil || got != s {
			t.Fatalf("%s: round trip gave %v, %v", s, got, err)
		}
	}
	if _, err := ParseSeverity("urgent"); err == nil {
		t.Fatal("unknown severity accepted")
	}
	if s, err := ParseSeverity(" HIGH "); err != nil || s != High {
		t.Fatalf("ParseSeverity(HIGH) = %v, %v", s, err)
	}
	if m, ok := Max([]Finding{{Severity: Low}, {Severity: Critical}, {Severity: Medium}}); !ok || m != Critical {
		t.Fatalf("Max = %v %v", m, ok)
	}
	if _, ok := Max(nil); ok {
		t.Fatal("Max of nothing reported a severity")
	}
}
