package modelscan

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/aigis-dev/aigis/internal/modelscan/pickle"
)

// stateDictPickle is a torch.save-style data.pkl for n tensors.
func stateDictPickle(n int) []byte {
	b := []byte("\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01(")
	for i := 0; i < n; i++ {
		key := fmt.Sprintf("layers.%d.weight", i)
		b = append(b, 'X')
		b = binary.LittleEndian.AppendUint32(b, uint32(len(key)))
		b = append(b, key...)
		b = append(b, "ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuM\x00\x01tQK\x00M\x00\x01\x85K\x01\x85\x89ccollections\nOrderedDict\n)Rtr"...)
		b = binary.LittleEndian.AppendUint32(b, uint32(i+2))
	}
	return append(b, 'u', '.')
}

func BenchmarkPickleStateDict(b *testing.B) {
	data := stateDictPickle(2000)
	pol := pickle.NewPolicy(nil)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if r := pickle.Analyze(context.Background(), data, 0, pol, pickle.Limits{}); r.Err != nil || len(r.Findings) != 0 {
			b.Fatal(r.Err, r.Findings)
		}
	}
}

func BenchmarkScanTorchZipInMemory(b *testing.B) {
	entries := []zipEntry{{name: "m/data.pkl", data: stateDictPickle(64)}}
	for i := 0; i < 64; i++ {
		entries = append(entries, zipEntry{name: fmt.Sprintf("m/data/%d", i), data: make([]byte, 1<<20)})
	}
	data := zipFile(b, entries...)
	s := New(Options{})
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if r := s.ScanReader(context.Background(), "m.pt", bytes.NewReader(data), int64(len(data))); r.Verdict != VerdictClean {
			b.Fatal(r.Verdict, r.Error)
		}
	}
}

func BenchmarkSafetensorsHeader(b *testing.B) {
	hdr := map[string]any{}
	for i := 0; i < 1000; i++ {
		hdr[fmt.Sprintf("t%d", i)] = map[string]any{"dtype": "F32", "shape": []int{4}, "data_offsets": []int{16 * i, 16*i + 16}}
	}
	data := safetensorsFile(hdr, make([]byte, 16000))
	s := New(Options{})
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if r := s.ScanReader(context.Background(), "m.safetensors", bytes.NewReader(data), int64(len(data))); r.Verdict != VerdictClean {
			b.Fatal(r.Verdict, r.Error)
		}
	}
}
