package modelscan

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

var hdf5Magic = []byte("\x89HDF\r\n\x1a\n")

// hdf5At finds an HDF5 superblock at the offsets the format allows after a
// user block (512, 1024, 2048, ...).
func hdf5At(r io.ReaderAt, size int64) bool {
	var b [8]byte
	for off := int64(512); off+8 <= size && off <= 1<<20; off *= 2 {
		if _, err := r.ReadAt(b[:], off); err == nil && bytes.Equal(b[:], hdf5Magic) {
			return true
		}
	}
	return false
}

// hdf5SearchWindow bounds the search for the Keras model_config attribute:
// the root group's attributes sit in its object header near the start, or
// in dense attribute storage that Keras writers place after it.
const hdf5SearchWindow = 64 << 20

var kerasConfigStart = []byte(`{"class_name":`)

// FindKerasConfigHDF5 looks for the Keras model_config JSON attribute in an
// HDF5 file with a bounded byte search (not a full HDF5 parse): the first
// 64 MiB and the last 16 MiB are searched for a JSON object that starts with
// {"class_name": and decodes completely. It returns the configs found.
func FindKerasConfigHDF5(r io.ReaderAt, size int64) ([][]byte, bool, error) {
	type window struct{ off, n int64 }
	wins := []window{{0, min(size, hdf5SearchWindow)}}
	if size > hdf5SearchWindow {
		tail := min(size-hdf5SearchWindow, 16<<20)
		wins = append(wins, window{size - tail, tail})
	}
	var out [][]byte
	sawName := false
	for _, w := range wins {
		buf := make([]byte, w.n)
		if _, err := r.ReadAt(buf, w.off); err != nil && !errors.Is(err, io.EOF) {
			return out, sawName, fmt.Errorf("hdf5: read: %w", err)
		}
		if bytes.Contains(buf, []byte("model_config")) {
			sawName = true
		}
		from := 0
		for len(out) < 8 {
			i := bytes.Index(buf[from:], kerasConfigStart)
			if i < 0 {
				break
			}
			start := from + i
			dec := json.NewDecoder(bytes.NewReader(buf[start:]))
			var raw json.RawMessage
			if err := dec.Decode(&raw); err == nil {
				out = append(out, []byte(raw))
				from = start + len(raw)
			} else {
				from = start + len(kerasConfigStart)
			}
		}
	}
	return out, sawName, nil
}

func (s *Scanner) scanHDF5(ctx context.Context, res *FileResult, r io.ReaderAt, size int64) {
	res.Format = "hdf5"
	cfgs, sawName, err := FindKerasConfigHDF5(r, size)
	if err != nil {
		res.fail(err)
		return
	}
	if len(cfgs) > 0 || sawName {
		res.Format = "keras-h5"
	}
	if sawName && len(cfgs) == 0 {
		res.fail(errors.New("hdf5: a model_config attribute is named but no complete JSON config was found in the searched windows: not analysed"))
		return
	}
	for _, c := range cfgs {
		fs, err := s.CheckKerasConfig(c)
		res.Findings = append(res.Findings, fs...)
		if err != nil {
			res.fail(err)
		}
	}
}

// flatbuffer is a bounds-checked reader over a FlatBuffers buffer, read
// through small random accesses (the tensor buffers are never read).
type flatbuffer struct {
	r    io.ReaderAt
	size int64
}

func (f flatbuffer) read(off int64, n int) ([]byte, error) {
	if off < 0 || off+int64(n) > f.size {
		return nil, errors.New("flatbuffer offset out of range")
	}
	b := make([]byte, n)
	if _, err := f.r.ReadAt(b, off); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return b, nil
}

func (f flatbuffer) u32(off int64) (uint32, error) {
	b, err := f.read(off, 4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

func (f flatbuffer) u16(off int64) (uint16, error) {
	b, err := f.read(off, 2)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint16(b), nil
}

// field returns the absolute position of table field i, or 0 when absent.
func (f flatbuffer) field(table int64, i int) (int64, error) {
	so, err := f.u32(table)
	if err != nil {
		return 0, err
	}
	vt := table - int64(int32(so))
	vsize, err := f.u16(vt)
	if err != nil {
		return 0, err
	}
	slot := int64(4 + 2*i)
	if slot+2 > int64(vsize) {
		return 0, nil
	}
	fo, err := f.u16(vt + slot)
	if err != nil || fo == 0 {
		return 0, err
	}
	return table + int64(fo), nil
}

// deref follows a uoffset stored at pos.
func (f flatbuffer) deref(pos int64) (int64, error) {
	rel, err := f.u32(pos)
	if err != nil {
		return 0, err
	}
	t := pos + int64(rel)
	if t >= f.size {
		return 0, errors.New("flatbuffer reference out of range")
	}
	return t, nil
}

func (f flatbuffer) str(pos int64) (string, error) {
	t, err := f.deref(pos)
	if err != nil {
		return "", err
	}
	n, err := f.u32(t)
	if err != nil {
		return "", err
	}
	if t+4+int64(n) > f.size {
		return "", errors.New("flatbuffer string out of range")
	}
	b, err := f.read(t+4, int(min(n, 4096)))
	return string(b), err
}

// TFLiteCustomOps lists the custom operator codes of a TFLite model.
func TFLiteCustomOps(r io.ReaderAt, size int64) ([]string, error) {
	f := flatbuffer{r: r, size: size}
	root, err := f.deref(0)
	if err != nil {
		return nil, fmt.Errorf("tflite: %w", err)
	}
	pos, err := f.field(root, 1) // operator_codes
	if err != nil || pos == 0 {
		return nil, err
	}
	vec, err := f.deref(pos)
	if err != nil {
		return nil, err
	}
	n, err := f.u32(vec)
	if err != nil {
		return nil, err
	}
	if int64(n) > (size-vec)/4 || n > 100000 {
		return nil, errors.New("tflite: operator_codes vector out of range")
	}
	var out []string
	for i := int64(0); i < int64(n); i++ {
		el := vec + 4 + 4*i
		oc, err := f.deref(el)
		if err != nil {
			return out, err
		}
		cp, err := f.field(oc, 1)
		if err != nil {
			return out, err
		}
		if cp != 0 {
			s, err := f.str(cp)
			if err != nil {
				return out, err
			}
			out = append(out, s)
		}
	}
	return out, nil
}

func (s *Scanner) scanTFLite(ctx context.Context, res *FileResult, r io.ReaderAt, size int64) {
	res.Format = "tflite"
	ops, err := TFLiteCustomOps(r, size)
	for _, op := range ops {
		if flex, ok := strings.CutPrefix(op, "Flex"); ok {
			if sev, risky := tfOpRisk[flex]; risky {
				res.add("tflite.flex-op", sev, fmt.Sprintf("select-TF op %s reaches files, processes or Python", printableName(op)), -1)
				continue
			}
		}
		res.add("tflite.custom-op", "medium", fmt.Sprintf("custom operator %q: needs a native kernel registered by the application", printableName(op)), -1)
	}
	if err != nil {
		res.fail(err)
	}
}
