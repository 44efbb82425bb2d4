package modelscan

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aigis-dev/aigis/internal/modelscan/lzma/lzmatest"
)

func TestSevenZipAndXZ(t *testing.T) {
	readFixture := func(n string) []byte {
		b, err := os.ReadFile("testdata/" + n)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	torch := []lzmatest.File{
		{Name: "archive/data.pkl", Data: benignPickle},
		{Name: "archive/data/0", Data: make([]byte, 64)},
		{Name: "archive", Dir: true},
	}
	evil := append([]lzmatest.File{}, torch...)
	evil[0].Data = pickleOf("os", "system")
	cases := []struct {
		name, file string
		data       []byte
		format     string
		verdict    string
		rule       string
	}{
		{"7z stored benign", "m.7z", lzmatest.SevenZip(torch, lzmatest.Options{}), "7z", VerdictClean, ""},
		{"7z lzma2 malicious pickle", "m.7z", lzmatest.SevenZip(evil, lzmatest.Options{Coder: "lzma2"}), "7z", VerdictMalicious, "os.system"},
		{"7z solid lzma2 + BCJ, encoded header (as 7-Zip writes)", "m.7z", lzmatest.SevenZip(evil, lzmatest.Options{Coder: "lzma2", BCJ: true, Solid: true, EncodedHeader: true}), "7z", VerdictMalicious, "os.system"},
		{"7z by content under another name", "weights.bin", lzmatest.SevenZip(evil, lzmatest.Options{Coder: "lzma2"}), "7z", VerdictMalicious, "os.system"},
		{"7z path traversal", "m.7z", lzmatest.SevenZip([]lzmatest.File{{Name: "../../x.pkl", Data: benignPickle}}, lzmatest.Options{}), "7z", VerdictMalicious, "archive.path-traversal"},
		{"7z symlink escaping", "m.7z", lzmatest.SevenZip([]lzmatest.File{{Name: "l", Data: []byte("/etc/passwd"), Mode: 0o120777}}, lzmatest.Options{}), "7z", VerdictMalicious, "archive.link-escape"},
		{"7z duplicate names", "m.7z", lzmatest.SevenZip([]lzmatest.File{{Name: "a/data.pkl", Data: benignPickle}, {Name: "a/data.pkl", Data: pickleOf("os", "system")}}, lzmatest.Options{}), "7z", VerdictMalicious, "archive.duplicate-name"},
		{"7z nested in zip", "m.zip", zipFile(t, zipEntry{name: "inner.7z", data: lzmatest.SevenZip(evil, lzmatest.Options{Coder: "lzma2", EncodedHeader: true})}), "zip", VerdictMalicious, "os.system"},
		{"7z truncated", "m.7z", lzmatest.SevenZip(evil, lzmatest.Options{Coder: "lzma2"})[:40], "7z", VerdictError, ""},
		{"joblib lzma (LZMA_alone)", "m.joblib", readFixture("os_system.joblib.lzma"), "lzma", VerdictMalicious, "os.system"},
		{"joblib xz", "m.joblib", readFixture("os_system.joblib.xz"), "xz", VerdictMalicious, "os.system"},
		{"benign xz", "m.pkl.xz", readFixture("benign.pkl.xz"), "xz", VerdictClean, ""},
		{"benign lzma", "m.pkl.lzma", readFixture("benign.pkl.lzma"), "lzma", VerdictClean, ""},
		{"zip LZMA members (Python zipfile)", "m.npz", readFixture("lzma_members.zip"), "zip", VerdictMalicious, "os.system"},
		{"zip bzip2 member (Python zipfile)", "m.zip", readFixture("bzip2_member.zip"), "zip", VerdictMalicious, "os.system"},
		{"keras v3 with config.json LZMA-compressed (Python zipfile reads it)", "m.keras", readFixture("keras_lzma_config.keras"), "keras", VerdictMalicious, "keras.module.dangerous"},
		{"zip LZMA benign", "m.zip", readFixture("benign_lzma.zip"), "zip", VerdictClean, ""},
		{"joblib lz4 (LZ4 frame, stored block)", "m.joblib", lz4Stored(pickleOf("os", "system")), "lz4", VerdictMalicious, "os.system"},
		{"benign lz4", "m.pkl.lz4", lz4Stored(benignPickle), "lz4", VerdictClean, ""},
		{"lz4 truncated", "m.pkl.lz4", lz4Stored(benignPickle)[:12], "lz4", VerdictError, ""},
		{"lzma with an unusual dictionary size joblib still detects (]\\x00 prefix), no extension", "weights", oddDict(readFixture("os_system.joblib.lzma")), "lzma", VerdictMalicious, "os.system"},
		{"xz truncated", "m.pkl.xz", readFixture("os_system.joblib.xz")[:30], "xz", VerdictError, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := scanBytes(c.file, c.data)
			if r.Format != c.format || r.Verdict != c.verdict {
				t.Errorf("format %s verdict %s (err %q), want %s %s; %+v", r.Format, r.Verdict, r.Error, c.format, c.verdict, Flatten([]FileResult{r}))
			}
			if c.rule != "" && !hasRule(r, c.rule) {
				t.Errorf("no finding %q in %+v", c.rule, Flatten([]FileResult{r}))
			}
		})
	}
}

func TestSevenZipEncryptedAndBombs(t *testing.T) {
	// AES coder: fails closed with the reason.
	b := lzmatest.SevenZip([]lzmatest.File{{Name: "a.pkl", Data: benignPickle}}, lzmatest.Options{})
	i := bytes.Index(b, []byte{0x01, 0x00, 0x0C}) // copy coder (flags 1, id 00) then CodersUnpackSize
	if i < 0 {
		t.Fatal("coder not found")
	}
	enc := append(append(append([]byte{}, b[:i]...), 0x04, 0x06, 0xf1, 0x07, 0x01), b[i+2:]...)
	enc = fixStartHeader(enc, len(b)-len(enc))
	r := scanBytes("enc.7z", enc)
	if flat := Flatten([]FileResult{r}); r.Verdict != VerdictError || len(flat) != 2 || !strings.Contains(flat[1].Error, "encrypted") {
		t.Fatalf("encrypted 7z: verdict %s, want error; %+v", r.Verdict, Flatten([]FileResult{r}))
	}
	// An xz bomb (64 MiB of zeros in 10 kB) is not expanded past the limit.
	bomb, err := os.ReadFile("testdata/zeros.xz")
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{MaxMemberBytes: 16 << 20})
	r = s.ScanReader(context.Background(), "bomb.xz", bytes.NewReader(bomb), int64(len(bomb)))
	if r.Verdict != VerdictError || !hasRule(r, "archive.bomb") {
		t.Fatalf("xz bomb: verdict %s findings %+v", r.Verdict, r.Findings)
	}
}

// fixStartHeader keeps the next-header size consistent after the header
// shrank or grew by delta bytes (CRCs are not checked by the scanner).
func fixStartHeader(b []byte, shrink int) []byte {
	size := int(b[20]) | int(b[21])<<8
	size -= shrink
	b[20], b[21] = byte(size), byte(size>>8)
	return b
}

func TestPerFileTimeBound(t *testing.T) {
	b := lzmatest.SevenZip([]lzmatest.File{{Name: "data.pkl", Data: benignPickle}}, lzmatest.Options{Coder: "lzma2"})
	s := New(Options{MaxFileTime: time.Nanosecond})
	r := s.ScanReader(context.Background(), "m.7z", bytes.NewReader(b), int64(len(b)))
	if r.Verdict != VerdictError {
		t.Fatalf("verdict %s (err %q), want error when the time bound is hit", r.Verdict, r.Error)
	}
	if r := New(Options{}).ScanReader(context.Background(), "m.7z", bytes.NewReader(b), int64(len(b))); r.Verdict != VerdictClean {
		t.Fatalf("default time bound: verdict %s (err %q)", r.Verdict, r.Error)
	}
}

// lz4Stored wraps data in an LZ4 frame with one stored block.
func lz4Stored(data []byte) []byte {
	b := []byte{0x04, 0x22, 0x4D, 0x18, 0x60, 0x40, 0x82}
	b = binary.LittleEndian.AppendUint32(b, 0x80000000|uint32(len(data)))
	b = append(b, data...)
	return append(b, 0, 0, 0, 0)
}

// oddDict rewrites the dictionary size of an .lzma header to 0x00123400:
// not a size xz writes, but the "]\x00" prefix joblib detects is kept and
// the decoder accepts any size.
func oddDict(b []byte) []byte {
	out := append([]byte(nil), b...)
	binary.LittleEndian.PutUint32(out[1:], 0x00123400)
	return out
}
