package modelscan

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/aigis-dev/aigis/internal/modelscan/lzma/lzmatest"
)

// Every parser is fuzzed for panics, hangs and unbounded work; results on
// arbitrary bytes must be well-formed verdicts.

func checkResult(t *testing.T, r FileResult) {
	t.Helper()
	for _, x := range Flatten([]FileResult{r}) {
		if VerdictRank(x.Verdict) < 0 {
			t.Fatalf("bad verdict %q for %s", x.Verdict, x.Path)
		}
		if x.Error != "" && x.Verdict == VerdictClean {
			t.Fatalf("%s: error %q but verdict clean", x.Path, x.Error)
		}
	}
}

func fuzzScan(t *testing.T, name string, data []byte) {
	s := New(Options{MaxMemberBytes: 1 << 20, MaxTotalExpanded: 4 << 20, MaxPickleBytes: 1 << 20})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	checkResult(t, s.ScanReader(ctx, name, bytes.NewReader(data), int64(len(data))))
}

func FuzzScanReader(f *testing.F) {
	f.Add("m.bin", pickleOf("os", "system"))
	f.Add("m.pt", zipFile(f, zipEntry{name: "a/data.pkl", data: benignPickle}))
	f.Add("a.tar", tarFile(f))
	f.Add("a.gz", gz([]byte("x")))
	f.Add("m.gguf", ggufFile("{{ x }}", 16))
	f.Add("a.npy", npyFile("|O", "(1,)", benignPickle))
	f.Add("keras_metadata.pb", kerasMetadataFile([]byte(`{"class_name": "Lambda", "config": {"name": "l", "function": ["4wEAAAAAAAAA", null, null]}}`)))
	f.Fuzz(func(t *testing.T, name string, data []byte) { fuzzScan(t, name, data) })
}

// Fuzz7z covers the 7z container, LZMA/LZMA2/BCJ and the .xz/.lzma/LZ4
// streams through the scanner (lzma.FuzzDecode and lz4.FuzzDecode cover
// the decoders alone).
func Fuzz7z(f *testing.F) {
	f.Add(lzmatest.SevenZip([]lzmatest.File{{Name: "a/data.pkl", Data: pickleOf("os", "system")}, {Name: "a", Dir: true}, {Name: "l", Data: []byte("../x"), Mode: 0o120777}}, lzmatest.Options{Coder: "lzma2", BCJ: true, EncodedHeader: true}))
	f.Add(lzmatest.SevenZip([]lzmatest.File{{Name: "a/data.pkl", Data: benignPickle}, {Name: "b", Data: benignPickle}}, lzmatest.Options{Solid: true}))
	for _, n := range []string{"os_system.joblib.xz", "os_system.joblib.lzma", "lzma_members.zip"} {
		if b, err := os.ReadFile("testdata/" + n); err == nil {
			f.Add(b)
		}
	}
	f.Add(lz4Stored(pickleOf("os", "system")))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzScan(t, "f.7z", data) })
}

func FuzzZip(f *testing.F) {
	f.Add(zipFile(f, zipEntry{name: "a/data.pkl", data: benignPickle}, zipEntry{name: "a/data/0", data: []byte("x")}))
	f.Add(zipFile(f, zipEntry{name: "config.json", data: kerasConfig()}, zipEntry{name: "metadata.json", data: []byte("{}")}))
	f.Add(zipFile(f, zipEntry{name: "x.npy", data: npyFile("<f4", "(1,)", make([]byte, 4)), method: 8}))
	for _, n := range []string{"lzma_members.zip", "bzip2_member.zip", "keras_lzma_config.keras"} {
		if b, err := os.ReadFile("testdata/" + n); err == nil {
			f.Add(b) // zip methods 14 (LZMA) and 12 (bzip2)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) { fuzzScan(t, "f.zip", data) })
}

func FuzzSafetensorsHeader(f *testing.F) {
	f.Add([]byte(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":{"k":"v"}}`), int64(8))
	f.Add([]byte(`{"a":{"dtype":"F32","shape":[1,2,3],"data_offsets":[8,0]}}`), int64(100))
	f.Fuzz(func(t *testing.T, hdr []byte, n int64) {
		if n < 0 {
			n = -n
		}
		CheckSafetensorsHeader(hdr, n)
		fuzzScan(t, "x.safetensors", safetensorsRaw(hdr, 64))
	})
}

func safetensorsRaw(hdr []byte, data int) []byte {
	b := make([]byte, 8, 8+len(hdr)+data)
	b[0] = byte(len(hdr))
	b[1] = byte(len(hdr) >> 8)
	b[2] = byte(len(hdr) >> 16)
	b = append(b, hdr...)
	return append(b, make([]byte, data)...)
}

func FuzzGGUF(f *testing.F) {
	f.Add(ggufFile("{{ messages }}", 16))
	f.Add([]byte("GGUF\x03\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ParseGGUF(ctx, bytes.NewReader(data), int64(len(data)))
	})
}

func FuzzProtobuf(f *testing.F) {
	f.Add(onnxFile("../x", "com.evil"))
	f.Add(savedModelFile("PyFunc", "Const"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx := context.Background()
		r := bytes.NewReader(data)
		WalkONNX(ctx, r, int64(len(data)))
		TFOps(ctx, r, int64(len(data)))
		looksONNX(r, int64(len(data)))
	})
}

func FuzzHDF5Keras(f *testing.F) {
	f.Add(h5File(kerasConfig(map[string]any{"class_name": "Lambda", "config": map[string]any{"function": []any{"abc"}}})))
	f.Add([]byte(`{"class_name": {"class_name": [`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfgs, _, _ := FindKerasConfigHDF5(bytes.NewReader(data), int64(len(data)))
		s := New(Options{})
		for _, c := range cfgs {
			s.CheckKerasConfig(c)
		}
		s.CheckKerasConfig(data)
	})
}

func FuzzTFLite(f *testing.F) {
	f.Add(tfliteFile("FlexWriteFile"))
	f.Add(tfliteFile(""))
	f.Fuzz(func(t *testing.T, data []byte) { TFLiteCustomOps(bytes.NewReader(data), int64(len(data))) })
}

func FuzzNpyHeader(f *testing.F) {
	f.Add(npyFile("<f4", "(2, 3)", nil))
	f.Add(npyFile("|O", "()", nil))
	f.Add([]byte("\x93NUMPY\x02\x00\xff\xff\xff\xff{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ParseNpyHeader(data)
		fuzzScan(t, "a.npy", data)
	})
}

func FuzzChatTemplate(f *testing.F) {
	f.Add("{{ cycler.__init__.__globals__.os.popen('id').read() }}")
	f.Fuzz(func(t *testing.T, s string) { CheckChatTemplate(s) })
}

// FuzzYAMLConfig covers the YAML config walk (Hydra _target_, PyYAML python
// tags, anchors and aliases) and the JSON _target_ walk.
func FuzzYAMLConfig(f *testing.F) {
	f.Add([]byte("model:\n  _target_: os.system\n  x: !!python/object/apply:os.system [id]\n"))
	f.Add([]byte("a: &a [*a]\nb: *a\n"))
	f.Add([]byte("---\n_target_: x\n---\n- !!python/name:builtins.exec\n"))
	f.Add([]byte(`{"_target_": "subprocess.Popen", "c": [{"_target_": 1}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzScan(t, "model_config.yaml", data)
		fuzzScan(t, "config.json", data)
	})
}
