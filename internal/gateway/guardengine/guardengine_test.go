package guardengine

import (
	"context"
	"strings"
	"testing"
)

const testPolicy = `version: 1
default_action: mask
entities:
  EMAIL_ADDRESS: {action: pseudonymize}
deny: [{type: PROJECT_CODENAME, values: [bluebird], action: block}]
`

func TestAdapterRedactsRestoresAndBlocks(t *testing.T) {
	if err := CheckPolicy([]byte("version: 1\nbogus_key: 1\n")); err == nil {
		t.Fatal("CheckPolicy accepted an unknown key")
	}
	g, err := NewFactory()([]byte(testPolicy))
	if err != nil {
		t.Fatal(err)
	}
	s := g.NewSession()
	r := s.Inspect(context.Background(), "write to alice@example.com today", false, false)
	if r.Verdict != "redact" || strings.Contains(r.Redacted, "alice@example.com") || len(r.Types) == 0 || r.Types[0] != "EMAIL_ADDRESS" {
		t.Fatalf("inspect: %+v", r)
	}
	if back := s.Restore(r.Redacted); !strings.Contains(back, "alice@example.com") {
		t.Fatalf("restore: %q", back)
	}
	// A streamed response echoing the pseudonym comes back restored, even split across chunks.
	ph := r.Redacted[strings.Index(r.Redacted, "<") : strings.Index(r.Redacted, ">")+1]
	st := s.NewStream()
	var out strings.Builder
	for _, chunk := range []string{"Sure, I wrote to ", ph[:4], ph[4:], " as asked."} {
		o, res := st.Write(chunk)
		if res.Verdict == "block" {
			t.Fatalf("stream blocked: %+v", res)
		}
		out.WriteString(o)
	}
	tail, _ := st.Close()
	out.WriteString(tail)
	if !strings.Contains(out.String(), "alice@example.com") {
		t.Fatalf("stream output %q", out.String())
	}
	if b := s.Inspect(context.Background(), "status of project bluebird?", false, false); b.Verdict != "block" || b.Types[0] != "PROJECT_CODENAME" {
		t.Fatalf("deny list: %+v", b)
	}
}
