package modelscan

import (
	"archive/tar"
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/aigis-dev/aigis/internal/modelscan/lzma/lzmatest"
)

// patchZip rewrites fields of every local (PK\3\4) and central (PK\1\2)
// header: flags, CRC-32 and the name, keeping lengths when the new name has
// the same length. Loaders that ignore these fields still read the member.
func patchZip(t *testing.T, b []byte, flags uint16, crc *uint32, localName, centralName string) []byte {
	t.Helper()
	out := append([]byte(nil), b...)
	for i := 0; i+46 <= len(out); i++ {
		switch {
		case bytes.Equal(out[i:i+4], []byte("PK\x03\x04")):
			binary.LittleEndian.PutUint16(out[i+6:], binary.LittleEndian.Uint16(out[i+6:])|flags)
			if crc != nil {
				binary.LittleEndian.PutUint32(out[i+14:], *crc)
			}
			n := int(binary.LittleEndian.Uint16(out[i+26:]))
			if localName != "" && len(localName) == n {
				copy(out[i+30:], localName)
				localName = ""
			}
		case bytes.Equal(out[i:i+4], []byte("PK\x01\x02")):
			binary.LittleEndian.PutUint16(out[i+8:], binary.LittleEndian.Uint16(out[i+8:])|flags)
			if crc != nil {
				binary.LittleEndian.PutUint32(out[i+16:], *crc)
			}
			n := int(binary.LittleEndian.Uint16(out[i+28:]))
			if centralName != "" && len(centralName) == n {
				copy(out[i+46:], centralName)
				centralName = ""
			}
		}
	}
	if localName != "" || centralName != "" {
		t.Fatal("name patch not applied")
	}
	return out
}

// TestContainerBypassClasses covers the published container tricks: each
// case is a constructed sample with the verdict the scanner must give.
func TestContainerBypassClasses(t *testing.T) {
	evil := pickleOf("os", "system")
	torchEvil := func() []byte {
		return zipFile(t, zipEntry{name: "archive/data.pkl", data: evil}, zipEntry{name: "archive/data/0", data: make([]byte, 16)}, zipEntry{name: "archive/version", data: []byte("3\n")})
	}
	badCRC := uint32(0xdeadbeef)
	tarOf := func(name string, data []byte) []byte {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
		tw.Write(data)
		tw.Close()
		return buf.Bytes()
	}
	cases := []struct {
		name, file string
		data       []byte
		verdict    string
		rule       string
	}{
		{"bad CRC that PyTorch ignores (JFrog CRC bypass)", "m.pt", patchZip(t, torchEvil(), 0, &badCRC, "", ""), VerdictMalicious, "zip.crc-mismatch"},
		{"encrypted flag on plain data (flag 0x1)", "m.pt", patchZip(t, torchEvil(), 0x1, nil, "", ""), VerdictMalicious, "zip.flag-anomaly"},
		{"strong-encryption flag on plain data (flag 0x40)", "m.pt", patchZip(t, torchEvil(), 0x40, nil, "", ""), VerdictMalicious, "os.system"},
		{"patched-data flag (0x20)", "m.pt", patchZip(t, torchEvil(), 0x20, nil, "", ""), VerdictMalicious, "zip.flag-anomaly"},
		{"local header names a storage, central names data.pkl", "m.pt", patchZip(t, torchEvil(), 0, nil, "archive/data/0xx", ""), VerdictMalicious, "os.system"},
		{"central names a storage, local names data.pkl (loader-visible name is the central one)", "m.pt",
			patchZip(t, zipFile(t, zipEntry{name: "archive/data.pkl", data: evil}), 0, nil, "", "archive/data/012"), VerdictMalicious, "os.system"},
		{"pickle under a non-.pkl name inside a torch zip", "m.pt", zipFile(t, zipEntry{name: "archive/data.pkl", data: benignPickle}, zipEntry{name: "archive/extra/weights.bin", data: evil}), VerdictMalicious, "os.system"},
		{"pickle inside .data/ with a pkl name", "m.pt", zipFile(t, zipEntry{name: "archive/data.pkl", data: benignPickle}, zipEntry{name: "archive/.data/x.pkl", data: evil}), VerdictMalicious, "os.system"},
		{"two inner folders, the second malicious", "m.pt", zipFile(t, zipEntry{name: "a/data.pkl", data: benignPickle}, zipEntry{name: "b/data.pkl", data: evil}), VerdictMalicious, "os.system"},
		{"wrong extension: torch zip named .safetensors", "m.safetensors", torchEvil(), VerdictMalicious, "os.system"},
		{"tar wrapping a torch zip", "m.tar", tarOf("m.pt", torchEvil()), VerdictMalicious, "os.system"},
		{"gzip of tar of 7z of a pickle", "m.tgz", gz(tarOf("m.7z", lzmatest.SevenZip([]lzmatest.File{{Name: "data.pkl", Data: evil}}, lzmatest.Options{Coder: "lzma2", EncodedHeader: true}))), VerdictMalicious, "os.system"},
		{"7z wrapping a torch zip", "m.7z", lzmatest.SevenZip([]lzmatest.File{{Name: "m.pt", Data: torchEvil()}}, lzmatest.Options{Coder: "lzma2"}), VerdictMalicious, "os.system"},
		{"npz member with an object array", "m.npz", zipFile(t, zipEntry{name: "x.npy", data: npyFile("|O", "(1,)", evil), method: 8}), VerdictMalicious, "os.system"},
		{"joblib zlib-compressed", "m.joblib", zlibOf(evil), VerdictMalicious, "os.system"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := scanBytes(c.file, c.data)
			if r.Verdict != c.verdict {
				t.Errorf("verdict %s (err %q), want %s; %+v", r.Verdict, r.Error, c.verdict, Flatten([]FileResult{r}))
			}
			if c.rule != "" && !hasRule(r, c.rule) {
				t.Errorf("no finding %q in %+v", c.rule, Flatten([]FileResult{r}))
			}
		})
	}
}
