package apikey

import (
	"bytes"
	"crypto/sha256"
	"strings"
	"testing"
	"time"
)

func TestGenerate(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	secret, k, err := generate("ci bot", []string{"dev", "ops"}, 720*time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, Prefix) || len(secret) != 47 || !LooksLike(secret) {
		t.Fatalf("secret %q has the wrong shape", secret)
	}
	want := sha256.Sum256([]byte(secret))
	if !bytes.Equal(k.Hash, want[:]) || !Matches(secret, k) || Matches(secret+"x", k) {
		t.Fatal("hash does not match the secret")
	}
	if k.Prefix != secret[:12] || strings.Contains(k.Prefix, secret[12:]) {
		t.Fatalf("display prefix %q", k.Prefix)
	}
	if !strings.HasPrefix(k.ID, "key_") || k.Name != "ci bot" || len(k.Roles) != 2 || !k.CreatedAt.Equal(now) {
		t.Fatalf("key %+v", k)
	}
	if k.ExpiresAt == nil || !k.ExpiresAt.Equal(now.Add(720*time.Hour)) || !k.Active(now) || k.Active(now.Add(721*time.Hour)) {
		t.Fatalf("expiry %v", k.ExpiresAt)
	}
	s2, k2, err := generate("other", []string{"dev"}, 0, now)
	if err != nil {
		t.Fatal(err)
	}
	if s2 == secret || k2.ID == k.ID || k2.ExpiresAt != nil {
		t.Fatal("two keys collide or ttl 0 expires")
	}
}

func TestGenerateRejects(t *testing.T) {
	cases := []struct {
		name  string
		roles []string
		ttl   time.Duration
	}{
		{"", []string{"dev"}, 0},
		{"x", nil, 0},
		{"x", []string{"bad role"}, 0},
		{"x", []string{""}, 0},
		{"x", []string{"dev"}, -time.Hour},
		{"tab\there", []string{"dev"}, 0},
		{strings.Repeat("n", 200), []string{"dev"}, 0},
		{"\xff", []string{"dev"}, 0},
	}
	for _, c := range cases {
		if _, _, err := Generate(c.name, c.roles, c.ttl); err == nil {
			t.Errorf("Generate(%q, %q, %v) accepted", c.name, c.roles, c.ttl)
		}
	}
}

func TestLooksLike(t *testing.T) {
	good, _, err := Generate("x", []string{"dev"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"", "aig_", "sk-" + good[4:], good[:46], good + "A", "aig_" + strings.Repeat("!", 43), "AIG_" + good[4:]} {
		if LooksLike(s) {
			t.Errorf("LooksLike(%q) = true", s)
		}
	}
}

func TestParseTTL(t *testing.T) {
	for s, want := range map[string]time.Duration{"": 0, "0": 0, "720h": 720 * time.Hour, "30d": 30 * 24 * time.Hour, "90m": 90 * time.Minute} {
		if got, err := ParseTTL(s); err != nil || got != want {
			t.Errorf("ParseTTL(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"-1h", "d", "1.5d", "x", "99999999999d", "1000000h"} {
		if _, err := ParseTTL(s); err == nil {
			t.Errorf("ParseTTL(%q) accepted", s)
		}
	}
}

func FuzzLooksLike(f *testing.F) {
	good, _, _ := Generate("x", []string{"dev"}, 0)
	for _, s := range []string{good, "aig_", "", good[:46] + "="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if LooksLike(s) && (len(s) != 47 || !strings.HasPrefix(s, Prefix)) {
			t.Fatalf("LooksLike(%q) true for a wrong shape", s)
		}
		_ = Hash(s)
	})
}

func FuzzParseTTL(f *testing.F) {
	for _, s := range []string{"720h", "30d", "0", "", "-5m", "36500d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseTTL(s)
		if err == nil && (d < 0 || d > maxTTL) {
			t.Fatalf("ParseTTL(%q) = %v out of range", s, d)
		}
	})
}

func BenchmarkHash(b *testing.B) {
	s, _, _ := Generate("x", []string{"dev"}, 0)
	for b.Loop() {
		_ = Hash(s)
	}
}
