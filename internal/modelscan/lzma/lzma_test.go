package lzma_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/aigis-dev/aigis/internal/modelscan/lzma"
	"github.com/aigis-dev/aigis/internal/modelscan/lzma/lzmatest"
)

// The fixtures were written by CPython's lzma module (liblzma) from a
// deterministic 179 kB input whose digest is in testdata/input.sha256.
func wantInput(t *testing.T) (string, int) {
	b, err := os.ReadFile("testdata/input.sha256")
	if err != nil {
		t.Fatal(err)
	}
	var sum string
	var n int
	if _, err := fmt.Sscan(string(b), &sum, &n); err != nil {
		t.Fatal(err)
	}
	return sum, n
}

func fixture(t *testing.T, name string) []byte {
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func checkOut(t *testing.T, out []byte, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	sum, n := wantInput(t)
	h := sha256.Sum256(out)
	if len(out) != n || hex.EncodeToString(h[:]) != sum {
		t.Fatalf("decoded %d bytes with sha256 %x, want %d bytes %s", len(out), h, n, sum)
	}
}

func TestDecodeFixtures(t *testing.T) {
	ctx := context.Background()
	t.Run("xz crc64 preset 6", func(t *testing.T) {
		out, err := lzma.DecodeXZ(ctx, fixture(t, "data.xz"), 1<<30)
		checkOut(t, out, err)
	})
	t.Run("two xz streams with padding, sha256 and no check, extreme preset", func(t *testing.T) {
		out, err := lzma.DecodeXZ(ctx, fixture(t, "multi.xz"), 1<<30)
		checkOut(t, out, err)
	})
	t.Run("lzma alone with end marker", func(t *testing.T) {
		src := fixture(t, "data.lzma")
		if !lzma.IsAloneHeader(src) {
			t.Fatal("header not recognised")
		}
		out, err := lzma.DecodeAlone(ctx, src, 1<<30)
		checkOut(t, out, err)
	})
	t.Run("raw lzma1 lc=1 lp=2 pb=0", func(t *testing.T) {
		out, err := lzma.DecodeLZMA(ctx, fixture(t, "data.lzma1raw"), 19, 1<<16, -1, 1<<30)
		checkOut(t, out, err)
	})
	t.Run("raw lzma2", func(t *testing.T) {
		out, err := lzma.DecodeLZMA2(ctx, fixture(t, "data.lzma2raw"), 16, 1<<30, 0)
		checkOut(t, out, err)
	})
	t.Run("xz with BCJ x86 filter", func(t *testing.T) {
		out, err := lzma.DecodeXZ(ctx, fixture(t, "bcj.xz"), 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		// The x86 filter's inverse must give back the original bytes: the
		// first 1000 bytes of the LZMA2 fixture's content.
		full, err := lzma.DecodeLZMA2(ctx, fixture(t, "data.lzma2raw"), 16, 1<<30, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, full[:1000]) {
			t.Fatal("BCJ x86 output differs from the original")
		}
	})
}

func TestDecodeLimitsAndCorruption(t *testing.T) {
	ctx := context.Background()
	src := fixture(t, "data.xz")
	if _, err := lzma.DecodeXZ(ctx, src, 1000); !errors.Is(err, lzma.ErrLimit) {
		t.Errorf("limit: got %v, want ErrLimit", err)
	}
	if _, err := lzma.DecodeAlone(ctx, fixture(t, "data.lzma"), 4096); !errors.Is(err, lzma.ErrLimit) {
		t.Errorf("alone limit: got %v", err)
	}
	if _, err := lzma.DecodeXZ(ctx, src[:len(src)/2], 1<<30); err == nil {
		t.Error("truncated xz decoded without error")
	}
	bad := append([]byte(nil), fixture(t, "data.lzma")...)
	for i := 200; i < len(bad); i += 97 {
		bad[i] ^= 0x5A
	}
	if out, err := lzma.DecodeAlone(ctx, bad, 1<<30); err == nil {
		sum, n := wantInput(t)
		h := sha256.Sum256(out)
		if len(out) == n && hex.EncodeToString(h[:]) == sum {
			t.Error("corrupted stream decoded to the original")
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := lzma.DecodeXZ(cctx, src, 1<<30); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: got %v", err)
	}
	// A gigantic declared size is refused before any allocation.
	hdr := []byte{0x5D, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0}
	if _, err := lzma.DecodeAlone(ctx, hdr, 1<<20); !errors.Is(err, lzma.ErrLimit) {
		t.Errorf("declared size: got %v", err)
	}
	if _, err := lzma.DecodeXZ(ctx, fixture(t, "bcj.xz")[:40], 1<<20); err == nil {
		t.Error("truncated bcj.xz decoded without error")
	}
}

func TestSevenZip(t *testing.T) {
	ctx := context.Background()
	files := []lzmatest.File{
		{Name: "model/data.pkl", Data: []byte("\x80\x02cos\nsystem\nq\x00.")},
		{Name: "model", Dir: true},
		{Name: "empty.txt"},
		{Name: "model/weights.bin", Data: bytes.Repeat([]byte("w"), 70000)},
		{Name: "link", Data: []byte("../../etc/passwd"), Mode: 0o120777},
	}
	for _, o := range []lzmatest.Options{
		{}, {Coder: "lzma2"}, {Coder: "lzma2", Solid: true}, {Coder: "lzma2", BCJ: true, EncodedHeader: true}, {Solid: true, EncodedHeader: true},
	} {
		t.Run(fmt.Sprintf("%+v", o), func(t *testing.T) {
			b := lzmatest.SevenZip(files, o)
			a, err := lzma.Open(ctx, bytes.NewReader(b), int64(len(b)), lzma.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if len(a.Entries) != len(files) {
				t.Fatalf("%d entries, want %d", len(a.Entries), len(files))
			}
			for i, e := range a.Entries {
				f := files[i]
				if e.Name != f.Name || e.IsDir != f.Dir || e.HasStream != (len(f.Data) > 0) {
					t.Errorf("entry %d: %+v, want %+v", i, e, f)
				}
				if f.Mode != 0 && !e.IsSymlink() {
					t.Errorf("%s: symlink mode lost", e.Name)
				}
				if !e.HasStream {
					continue
				}
				fo := a.Folders[e.Folder]
				data, err := a.DecodeFolder(ctx, fo, 1<<20)
				if err != nil {
					t.Fatal(err)
				}
				if got := data[e.Offset : e.Offset+e.Size]; !bytes.Equal(got, f.Data) {
					t.Errorf("%s: data differs", e.Name)
				}
			}
		})
	}
}

func TestSevenZipBounds(t *testing.T) {
	ctx := context.Background()
	b := lzmatest.SevenZip([]lzmatest.File{{Name: "a", Data: bytes.Repeat([]byte("a"), 5000)}}, lzmatest.Options{Coder: "lzma2"})
	a, err := lzma.Open(ctx, bytes.NewReader(b), int64(len(b)), lzma.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.DecodeFolder(ctx, a.Folders[0], 100); !errors.Is(err, lzma.ErrLimit) {
		t.Errorf("folder over the limit: got %v", err)
	}
	// Truncated archives and headers fail, never panic.
	for n := 0; n < len(b); n += 7 {
		if _, err := lzma.Open(ctx, bytes.NewReader(b[:n]), int64(n), lzma.Limits{}); err == nil {
			t.Errorf("truncated at %d: opened", n)
		}
	}
	many := make([]lzmatest.File, 50)
	for i := range many {
		many[i] = lzmatest.File{Name: fmt.Sprint(i), Data: []byte{1}}
	}
	b = lzmatest.SevenZip(many, lzmatest.Options{})
	if _, err := lzma.Open(ctx, bytes.NewReader(b), int64(len(b)), lzma.Limits{MaxEntries: 10, MaxFolders: 10}); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("entry limit: got %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	for _, n := range []string{"bcj.xz"} {
		b, err := os.ReadFile("testdata/" + n)
		if err == nil {
			f.Add(b)
		}
	}
	f.Add(lzmatest.SevenZip([]lzmatest.File{{Name: "a/b.pkl", Data: []byte("\x80\x02cos\nsystem\n.")}, {Name: "d", Dir: true}}, lzmatest.Options{Coder: "lzma2", BCJ: true, EncodedHeader: true}))
	f.Add([]byte{0x5D, 0, 0, 1, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0x10, 0x20})
	f.Fuzz(func(t *testing.T, b []byte) {
		ctx := context.Background()
		const limit = 1 << 20
		check := func(out []byte, _ error) {
			if len(out) > limit {
				t.Fatalf("output %d over the limit", len(out))
			}
		}
		check(lzma.DecodeXZ(ctx, b, limit))
		check(lzma.DecodeAlone(ctx, b, limit))
		if len(b) > 1 {
			check(lzma.DecodeLZMA(ctx, b[1:], b[0], 1<<16, -1, limit))
			check(lzma.DecodeLZMA2(ctx, b[1:], b[0]%41, limit, 0))
		}
		if a, err := lzma.Open(ctx, bytes.NewReader(b), int64(len(b)), lzma.Limits{MaxHeader: limit}); err == nil {
			for _, fo := range a.Folders {
				check(a.DecodeFolder(ctx, fo, limit))
			}
		}
	})
}

// BenchmarkDecodeXZ measures the LZMA2 decoder on the 179 kB fixture
// (MB/s of decoded output).
func BenchmarkDecodeXZ(b *testing.B) {
	src, err := os.ReadFile("testdata/data.xz")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(179003) // testdata/input.sha256
	b.ReportAllocs()
	for b.Loop() {
		if _, err := lzma.DecodeXZ(context.Background(), src, 1<<30); err != nil {
			b.Fatal(err)
		}
	}
}
