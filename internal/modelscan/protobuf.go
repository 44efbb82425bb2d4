package modelscan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// pbReader reads protobuf wire data through a window over an io.ReaderAt,
// so that large length-delimited fields (tensor payloads) are skipped
// without being read.
type pbReader struct {
	r      io.ReaderAt
	size   int64
	buf    []byte
	bufOff int64
	steps  int
}

const pbWindow = 64 << 10

var errPBLimit = errors.New("protobuf walk limit reached")

func (p *pbReader) fill(off int64) error {
	if off < 0 || off >= p.size {
		return io.ErrUnexpectedEOF
	}
	n := int64(pbWindow)
	if off+n > p.size {
		n = p.size - off
	}
	if cap(p.buf) < int(n) {
		p.buf = make([]byte, n)
	}
	p.buf = p.buf[:n]
	m, err := p.r.ReadAt(p.buf, off)
	p.buf = p.buf[:m]
	p.bufOff = off
	if m == 0 {
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	return nil
}

func (p *pbReader) byteAt(off int64) (byte, error) {
	if off < p.bufOff || off >= p.bufOff+int64(len(p.buf)) {
		if err := p.fill(off); err != nil {
			return 0, err
		}
	}
	return p.buf[off-p.bufOff], nil
}

func (p *pbReader) varint(off, end int64) (uint64, int64, error) {
	var v uint64
	for i := int64(0); i < 10; i++ {
		if off+i >= end {
			return 0, 0, io.ErrUnexpectedEOF
		}
		b, err := p.byteAt(off + i)
		if err != nil {
			return 0, 0, err
		}
		v |= uint64(b&0x7f) << (7 * uint(i))
		if b < 0x80 {
			return v, i + 1, nil
		}
	}
	return 0, 0, errors.New("varint longer than 10 bytes")
}

// bytes copies [off, off+n), n bounded by max.
func (p *pbReader) bytes(off, n, max int64) (string, error) {
	if n > max {
		n = max
	}
	b := make([]byte, n)
	if _, err := p.r.ReadAt(b, off); err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return string(b), nil
}

// pbField is one field of a message: for wire type 2 off/n delimit the
// payload; for varints v holds the value.
type pbField struct {
	num  int
	wire int
	off  int64
	n    int64
	v    uint64
}

// walk calls fn for every field of the message in [start, end).
func (p *pbReader) walk(start, end int64, fn func(f pbField) error) error {
	off := start
	for off < end {
		if p.steps++; p.steps > 50_000_000 {
			return errPBLimit
		}
		tag, n, err := p.varint(off, end)
		if err != nil {
			return fmt.Errorf("protobuf tag at %d: %w", off, err)
		}
		off += n
		f := pbField{num: int(tag >> 3), wire: int(tag & 7)}
		if f.num == 0 || tag>>3 > 1<<29 {
			return fmt.Errorf("protobuf field number 0 at %d", off-n)
		}
		switch f.wire {
		case 0:
			f.v, n, err = p.varint(off, end)
			if err != nil {
				return err
			}
			off += n
		case 1:
			f.off, f.n = off, 8
			off += 8
		case 5:
			f.off, f.n = off, 4
			off += 4
		case 2:
			l, n, err := p.varint(off, end)
			if err != nil {
				return err
			}
			off += n
			if l > uint64(end-off) {
				return fmt.Errorf("protobuf field %d at %d: length %d runs past its message", f.num, off, l)
			}
			f.off, f.n = off, int64(l)
			off += int64(l)
		default:
			return fmt.Errorf("protobuf wire type %d at %d not supported", f.wire, off-n)
		}
		if off > end {
			return fmt.Errorf("protobuf field %d runs past its message", f.num)
		}
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

func looksProtobuf(head []byte) bool {
	if len(head) < 2 {
		return false
	}
	w := head[0] & 7
	return head[0]>>3 >= 1 && (w == 0 || w == 2)
}

// looksONNX reports whether the content walks as a ModelProto with a graph.
func looksONNX(r io.ReaderAt, size int64) bool {
	p := &pbReader{r: r, size: size}
	var graph, irVersion bool
	err := p.walk(0, size, func(f pbField) error {
		switch {
		case f.num == 7 && f.wire == 2:
			graph = true
		case f.num == 1 && f.wire == 0:
			irVersion = true
		}
		return nil
	})
	return err == nil && graph && irVersion
}

// tfOpRisk rates TensorFlow ops that reach files, processes or Python.
var tfOpRisk = map[string]string{
	"PyFunc": "critical", "PyFuncStateless": "critical", "EagerPyFunc": "critical",
	"WriteFile": "critical", "ReadFile": "high", "MatchingFiles": "high", "ImmutableConst": "high",
	"PrintV2": "medium", "DeleteFile": "critical", "FileSystemSetConfiguration": "high",
	"LoadLibrary": "critical", "ShellExecute": "critical", "Exec": "critical", "System": "critical",
	"WholeFileReader": "high", "WholeFileReaderV2": "high", "FixedLengthRecordReader": "medium", "TextLineReader": "medium",
	"DebugIdentityV2": "medium", "CreateSummaryFileWriter": "medium", "WriteSummary": "medium",
	"Save": "medium", "SaveSlices": "medium", "Restore": "low", "RestoreSlice": "low",
}

type tfNode struct {
	op     string
	attrs  []string // attr string values (output_stream, memory_region_name, ...)
	offset int64
}

const maxTFNodes = 5_000_000

// TFOps walks a SavedModel (saved_model.pb) and returns its ops, counted,
// and the nodes whose op is in the risk table.
func TFOps(ctx context.Context, r io.ReaderAt, size int64) (map[string]int, []tfNode, error) {
	p := &pbReader{r: r, size: size}
	ops := map[string]int{}
	var risky []tfNode
	nodes := 0
	nodeDef := func(off, n int64) error {
		if nodes++; nodes > maxTFNodes {
			return errPBLimit
		}
		var nd tfNode
		nd.offset = off
		err := p.walk(off, off+n, func(f pbField) error {
			switch {
			case f.num == 2 && f.wire == 2: // op
				s, err := p.bytes(f.off, f.n, 256)
				nd.op = s
				return err
			case f.num == 5 && f.wire == 2: // attr map entry {key, AttrValue}
				return p.walk(f.off, f.off+f.n, func(e pbField) error {
					if e.num == 2 && e.wire == 2 {
						return p.walk(e.off, e.off+e.n, func(a pbField) error {
							if a.num == 2 && a.wire == 2 && len(nd.attrs) < 8 { // AttrValue.s
								s, err := p.bytes(a.off, a.n, 256)
								if err == nil && s != "" {
									nd.attrs = append(nd.attrs, s)
								}
								return err
							}
							return nil
						})
					}
					return nil
				})
			}
			return nil
		})
		if err != nil {
			return err
		}
		ops[nd.op]++
		if _, ok := tfOpRisk[nd.op]; ok {
			risky = append(risky, nd)
		}
		return nil
	}
	graphDef := func(off, n int64) error {
		return p.walk(off, off+n, func(f pbField) error {
			switch {
			case f.num == 1 && f.wire == 2:
				return nodeDef(f.off, f.n)
			case f.num == 2 && f.wire == 2: // FunctionDefLibrary
				return p.walk(f.off, f.off+f.n, func(l pbField) error {
					if l.num == 1 && l.wire == 2 { // FunctionDef
						return p.walk(l.off, l.off+l.n, func(fd pbField) error {
							if fd.num == 3 && fd.wire == 2 {
								return nodeDef(fd.off, fd.n)
							}
							return nil
						})
					}
					return nil
				})
			}
			return nil
		})
	}
	err := p.walk(0, size, func(f pbField) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if f.num == 2 && f.wire == 2 { // MetaGraphDef
			return p.walk(f.off, f.off+f.n, func(m pbField) error {
				if m.num == 2 && m.wire == 2 {
					return graphDef(m.off, m.n)
				}
				return nil
			})
		}
		return nil
	})
	return ops, risky, err
}

func (s *Scanner) scanSavedModel(ctx context.Context, res *FileResult, r io.ReaderAt, size int64) {
	res.Format = "tf-savedmodel"
	ops, risky, err := TFOps(ctx, r, size)
	seen := map[string]bool{}
	for _, n := range risky {
		key := n.op + strings.Join(n.attrs, "\x00")
		if seen[key] {
			continue
		}
		seen[key] = true
		sev := tfOpRisk[n.op]
		detail := fmt.Sprintf("graph uses op %s", n.op)
		if len(n.attrs) > 0 {
			detail += fmt.Sprintf(" (attrs %q)", n.attrs)
		}
		if n.op == "PrintV2" {
			for _, a := range n.attrs {
				if strings.HasPrefix(a, "file://") {
					sev = "high"
					detail += ": prints to a file"
				}
			}
		}
		res.add("tf.op."+strings.ToLower(n.op), sev, detail, n.offset)
		if len(seen) > 200 {
			break
		}
	}
	if err != nil {
		res.fail(fmt.Errorf("saved_model.pb: %w", err))
		return
	}
	if len(ops) == 0 {
		// Not a graph: a renamed keras_metadata.pb still gets its layer checks.
		if n, kerr := s.scanKerasMetadata(ctx, res, r, size); kerr == nil && n > 0 {
			res.Format = "keras-savedmodel-metadata"
			return
		}
		res.add("tf.no-ops", "info", "no graph nodes found", -1)
	}
}

// onnxStdDomains are operator domains served by ONNX runtimes without
// custom libraries.
var onnxStdDomains = map[string]bool{"": true, "ai.onnx": true, "ai.onnx.ml": true, "com.microsoft": true,
	"ai.onnx.training": true, "ai.onnx.preview.training": true, "com.microsoft.nchwc": true, "com.microsoft.mlfeaturizers": true, "org.pytorch.aten": false}

// ONNXReport lists what an ONNX walk found.
type ONNXReport struct {
	Nodes         int
	Domains       map[string]int
	ExternalPaths []string
}

// WalkONNX walks a ModelProto: graphs (and subgraphs in attributes),
// functions, initializers' external data locations and op domains.
func WalkONNX(ctx context.Context, r io.ReaderAt, size int64) (ONNXReport, error) {
	p := &pbReader{r: r, size: size}
	rep := ONNXReport{Domains: map[string]int{}}
	addDomain := func(off, n int64) error {
		s, err := p.bytes(off, n, 256)
		if err == nil {
			rep.Domains[s]++
		}
		return err
	}
	tensor := func(off, n int64) error {
		return p.walk(off, off+n, func(f pbField) error {
			if f.num == 13 && f.wire == 2 { // external_data entry
				var key, val string
				err := p.walk(f.off, f.off+f.n, func(e pbField) error {
					var err error
					switch {
					case e.num == 1 && e.wire == 2:
						key, err = p.bytes(e.off, e.n, 256)
					case e.num == 2 && e.wire == 2:
						val, err = p.bytes(e.off, e.n, 4096)
					}
					return err
				})
				if err == nil && key == "location" && len(rep.ExternalPaths) < 10000 {
					rep.ExternalPaths = append(rep.ExternalPaths, val)
				}
				return err
			}
			return nil
		})
	}
	var graph func(off, n int64, depth int) error
	var node func(off, n int64, depth int) error
	node = func(off, n int64, depth int) error {
		rep.Nodes++
		hasDomain := false
		err := p.walk(off, off+n, func(f pbField) error {
			switch {
			case f.num == 7 && f.wire == 2:
				hasDomain = true
				return addDomain(f.off, f.n)
			case f.num == 5 && f.wire == 2: // AttributeProto
				return p.walk(f.off, f.off+f.n, func(a pbField) error {
					switch {
					case (a.num == 6 || a.num == 11) && a.wire == 2:
						return graph(a.off, a.n, depth+1)
					case (a.num == 5 || a.num == 10) && a.wire == 2:
						return tensor(a.off, a.n)
					}
					return nil
				})
			}
			return nil
		})
		if !hasDomain {
			rep.Domains[""]++
		}
		return err
	}
	graph = func(off, n int64, depth int) error {
		if depth > 64 {
			return errors.New("onnx subgraphs nested deeper than 64")
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return p.walk(off, off+n, func(f pbField) error {
			switch {
			case f.num == 1 && f.wire == 2:
				return node(f.off, f.n, depth)
			case f.num == 5 && f.wire == 2:
				return tensor(f.off, f.n)
			case f.num == 15 && f.wire == 2: // SparseTensorProto{values=1, indices=2}
				return p.walk(f.off, f.off+f.n, func(sp pbField) error {
					if (sp.num == 1 || sp.num == 2) && sp.wire == 2 {
						return tensor(sp.off, sp.n)
					}
					return nil
				})
			}
			return nil
		})
	}
	err := p.walk(0, size, func(f pbField) error {
		switch {
		case f.num == 7 && f.wire == 2:
			return graph(f.off, f.n, 0)
		case f.num == 8 && f.wire == 2: // opset_import
			return p.walk(f.off, f.off+f.n, func(o pbField) error {
				if o.num == 1 && o.wire == 2 {
					return addDomain(o.off, o.n)
				}
				return nil
			})
		case f.num == 25 && f.wire == 2: // FunctionProto
			return p.walk(f.off, f.off+f.n, func(fn pbField) error {
				if fn.num == 7 && fn.wire == 2 {
					return node(fn.off, fn.n, 1)
				}
				return nil
			})
		}
		return nil
	})
	return rep, err
}

// maxExternalChecks bounds the external-data files resolved on disk.
const maxExternalChecks = 10_000

// onnxExternalLinks resolves the relative external-data locations of an
// ONNX file on disk: a location that stays inside the folder by name but
// reaches outside it through a symbolic link reads that file when the model
// is loaded (the CVE-2024-27318 class). Missing files are not reported.
func onnxExternalLinks(res *FileResult, model string, locs []string) {
	dir := filepath.Dir(model)
	rdir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return
	}
	if rdir, err = filepath.Abs(rdir); err != nil {
		return
	}
	seen := map[string]bool{}
	for _, loc := range locs {
		if seen[loc] || externalPathEscapes(loc) != "" {
			continue
		}
		if seen[loc] = true; len(seen) > maxExternalChecks {
			return
		}
		rp, err := filepath.EvalSymlinks(filepath.Join(dir, filepath.FromSlash(strings.ReplaceAll(loc, "\\", "/"))))
		if err != nil {
			continue
		}
		if rp, err = filepath.Abs(rp); err != nil {
			continue
		}
		if rel, err := filepath.Rel(rdir, rp); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			res.add("onnx.external-data.link-escape", "critical", fmt.Sprintf("initializer external_data location %q resolves through a symbolic link to %q, outside the model folder: loading reads that file", printableName(loc), printableName(rp)), -1)
		}
	}
}

// externalPathEscapes reports why an external-data location would read
// outside the model folder, or "".
func externalPathEscapes(loc string) string {
	l := strings.ReplaceAll(loc, "\\", "/")
	switch {
	case l == "":
		return "empty location"
	case strings.HasPrefix(l, "/") || (len(l) >= 2 && l[1] == ':'):
		return "absolute path"
	case strings.ContainsRune(l, 0):
		return "NUL byte"
	}
	c := path.Clean(l)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "parent-directory traversal"
	}
	return ""
}

func (s *Scanner) scanONNX(ctx context.Context, res *FileResult, r io.ReaderAt, size int64, name string) {
	res.Format = "onnx"
	rep, err := WalkONNX(ctx, r, size)
	seen := map[string]bool{}
	for _, loc := range rep.ExternalPaths {
		if why := externalPathEscapes(loc); why != "" && !seen[loc] {
			seen[loc] = true
			res.add("onnx.external-data.escape", "critical", fmt.Sprintf("initializer external_data location %q (%s) reads a file outside the model folder", printableName(loc), why), -1)
		}
	}
	if p, _ := ctx.Value(onDiskKey{}).(string); p != "" && p == name {
		onnxExternalLinks(res, name, rep.ExternalPaths)
	}
	if len(rep.ExternalPaths) > 0 {
		res.add("onnx.external-data", "info", fmt.Sprintf("%d initializers stored in external files: scan them too", len(rep.ExternalPaths)), -1)
	}
	doms := make([]string, 0, len(rep.Domains))
	for d := range rep.Domains {
		doms = append(doms, d)
	}
	sort.Strings(doms)
	for _, d := range doms {
		if !onnxStdDomains[d] {
			res.add("onnx.custom-domain", "medium", fmt.Sprintf("operator domain %q is not a standard ONNX domain: it needs a custom operator library (native code)", printableName(d)), -1)
		}
	}
	if err != nil {
		res.fail(fmt.Errorf("onnx: %w", err))
	}
}
