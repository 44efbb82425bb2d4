// Command modelscan-bench measures aigis model-scan throughput on large
// benign checkpoints it generates: a safetensors file and a PyTorch zip
// checkpoint with stored (uncompressed) tensors, each of -size bytes. It
// scans each with and without SHA-256 hashing, times sha256 alone for
// comparison, prints a Markdown table and removes the files.
//
//	go run ./bench/modelscan -size 2GiB -dir /tmp
package main

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aigis-dev/aigis/internal/modelscan"
)

func main() {
	sizeFlag := flag.String("size", "2GiB", "size of each generated checkpoint (e.g. 512MiB, 2GiB)")
	dir := flag.String("dir", os.TempDir(), "folder for the generated files (removed afterwards)")
	runs := flag.Int("runs", 3, "runs per configuration (best and median are reported)")
	flag.Parse()
	size, err := parseSize(*sizeFlag)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := run(size, *dir, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "modelscan-bench:", err)
		os.Exit(1)
	}
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	for suf, m := range map[string]int64{"GiB": 1 << 30, "MiB": 1 << 20, "KiB": 1 << 10} {
		if v, ok := strings.CutSuffix(s, suf); ok {
			s, mult = v, m
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bad -size %q", s)
	}
	return n * mult, nil
}

func run(size int64, dir string, runs int) error {
	work, err := os.MkdirTemp(dir, "aigis-modelscan-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	const tensor = 16 << 20
	n := int(size / tensor)
	st := filepath.Join(work, "model.safetensors")
	pt := filepath.Join(work, "pytorch_model.bin")
	t0 := time.Now()
	if err := writeSafetensors(st, n, tensor); err != nil {
		return err
	}
	if err := writeTorchZip(pt, n, tensor); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "generated 2 x %d MiB in %v\n", size>>20, time.Since(t0).Round(time.Millisecond))
	fmt.Printf("Machine: %d CPUs (GOMAXPROCS %d), %s/%s, %s; load average at start: %s\n\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, runtime.Version(), loadAvg())
	fmt.Printf("Each cell: best / median of %d runs; the configurations of a file are interleaved (A/B/C/D, A/B/C/D, ...) so that load changes hit all of them alike.\n\n", runs)
	fmt.Println("| file | size | scan (no hash) | scan + SHA-256 | Go SHA-256 alone | sha256sum | verdict |")
	fmt.Println("|---|---|---|---|---|---|---|")
	_, haveSum := exec.LookPath("sha256sum")
	for _, p := range []string{st, pt} {
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		verdict := ""
		configs := []func() error{
			func() (err error) { verdict, err = scanOnce(p, false); return err },
			func() error { _, err := scanOnce(p, true); return err },
			func() error { return hashFile(p) },
			func() error { return exec.Command("sha256sum", p).Run() },
		}
		if haveSum != nil {
			configs = configs[:3]
		}
		times := make([][]time.Duration, len(configs))
		for i := 0; i < runs; i++ {
			for k, f := range configs {
				t := time.Now()
				if err := f(); err != nil {
					return err
				}
				times[k] = append(times[k], time.Since(t))
			}
		}
		gb := float64(fi.Size()) / 1e9
		cell := func(k int) string {
			if k >= len(times) {
				return "n/a"
			}
			d := slices.Clone(times[k])
			slices.Sort(d)
			b, m := d[0], d[len(d)/2]
			if b < time.Millisecond {
				return fmt.Sprintf("%v / %v (%.0f GB/s)", b.Round(time.Microsecond), m.Round(time.Microsecond), gb/b.Seconds())
			}
			return fmt.Sprintf("%v / %v (%.2f GB/s)", b.Round(time.Millisecond), m.Round(time.Millisecond), gb/b.Seconds())
		}
		fmt.Printf("| %s | %.2f GB | %s | %s | %s | %s | %s |\n", filepath.Base(p), gb, cell(0), cell(1), cell(2), cell(3), verdict)
	}
	fmt.Printf("\nLoad average at the end: %s\n", loadAvg())
	return nil
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "n/a"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "n/a"
	}
	return strings.Join(f[:3], " ")
}

func scanOnce(p string, hash bool) (string, error) {
	s := modelscan.New(modelscan.Options{Hash: hash})
	r := s.ScanFile(context.Background(), p)
	if r.Verdict != modelscan.VerdictClean {
		return "", fmt.Errorf("%s: verdict %s (%s) %+v", p, r.Verdict, r.Error, r.Findings)
	}
	return r.Verdict, nil
}

func hashFile(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(sha256.New(), f)
	return err
}

// fill writes n bytes of a repeating non-zero pattern (so the file is
// really written, not sparse).
func fill(w io.Writer, n int) error {
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = byte(i*7 + 1)
	}
	for n > 0 {
		k := min(n, len(buf))
		if _, err := w.Write(buf[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

func writeSafetensors(p string, n, tensor int) error {
	hdr := map[string]any{"__metadata__": map[string]string{"format": "pt"}}
	for i := 0; i < n; i++ {
		hdr[fmt.Sprintf("layers.%d.weight", i)] = map[string]any{"dtype": "F32", "shape": []int{tensor / 4}, "data_offsets": []int{i * tensor, (i + 1) * tensor}}
	}
	h, err := json.Marshal(hdr)
	if err != nil {
		return err
	}
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Write(binary.LittleEndian.AppendUint64(nil, uint64(len(h)))); err != nil {
		return err
	}
	if _, err := f.Write(h); err != nil {
		return err
	}
	if err := fill(f, n*tensor); err != nil {
		return err
	}
	return f.Close()
}

// torchStateDictPickle builds the data.pkl of a PyTorch state dict with n
// float tensors of numel elements, as torch.save writes it (protocol 2,
// persistent ids for storages).
func torchStateDictPickle(n, numel int) []byte {
	b := []byte{0x80, 2}
	b = append(b, "ccollections\nOrderedDict\nq\x00)Rq\x01("...)
	for i := 0; i < n; i++ {
		key := fmt.Sprintf("layers.%d.weight", i)
		b = append(b, 'X')
		b = binary.LittleEndian.AppendUint32(b, uint32(len(key)))
		b = append(b, key...)
		b = append(b, "ctorch._utils\n_rebuild_tensor_v2\n(("...)
		b = append(b, "X\x07\x00\x00\x00storagectorch\nFloatStorage\n"...)
		id := strconv.Itoa(i)
		b = append(b, 'X')
		b = binary.LittleEndian.AppendUint32(b, uint32(len(id)))
		b = append(b, id...)
		b = append(b, "X\x03\x00\x00\x00cpu"...)
		b = append(b, 'J')
		b = binary.LittleEndian.AppendUint32(b, uint32(numel))
		b = append(b, "tQK\x00"...)
		b = append(b, 'J')
		b = binary.LittleEndian.AppendUint32(b, uint32(numel))
		b = append(b, 0x85, 'K', 1, 0x85, 0x89)
		b = append(b, "ccollections\nOrderedDict\n)Rtr"...)
		b = binary.LittleEndian.AppendUint32(b, uint32(i+2)) // LONG_BINPUT
	}
	b = append(b, 'u', '.')
	return b
}

func writeTorchZip(p string, n, tensor int) error {
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	add := func(name string, write func(io.Writer) error) error {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		if err != nil {
			return err
		}
		return write(w)
	}
	if err := add("pytorch_model/data.pkl", func(w io.Writer) error {
		_, err := w.Write(torchStateDictPickle(n, tensor/4))
		return err
	}); err != nil {
		return err
	}
	if err := add("pytorch_model/byteorder", func(w io.Writer) error { _, err := io.WriteString(w, "little"); return err }); err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		if err := add(fmt.Sprintf("pytorch_model/data/%d", i), func(w io.Writer) error { return fill(w, tensor) }); err != nil {
			return err
		}
	}
	if err := add("pytorch_model/version", func(w io.Writer) error { _, err := io.WriteString(w, "3\n"); return err }); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := f.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		return err
	}
	return nil
}
