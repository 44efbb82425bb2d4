package modelscan

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/aigis-dev/aigis/internal/modelscan/pickle"
)

// NpyHeader is the parsed header of a .npy file.
type NpyHeader struct {
	Major, Minor int
	Descr        string // raw descr literal
	Object       bool   // the dtype holds Python objects: the data is a pickle
	Shape        []int64
	ItemSize     int64 // 0 when not derivable from a simple descr
	DataOffset   int64
}

var (
	npyObjectRE = regexp.MustCompile(`['"][|<>=]?O\d*['"]`)
	npyDescrRE  = regexp.MustCompile(`['"]descr['"]\s*:\s*['"]([|<>=]?)([a-zA-Z?])(\d*)['"]`)
	npyShapeRE  = regexp.MustCompile(`['"]shape['"]\s*:\s*\(([^)]*)\)`)
)

const maxNpyHeader = 1 << 20

// ParseNpyHeader parses the header of a .npy file from its first bytes.
func ParseNpyHeader(b []byte) (NpyHeader, error) {
	var h NpyHeader
	if len(b) < 10 || string(b[:6]) != "\x93NUMPY" {
		return h, errors.New("npy: bad magic")
	}
	h.Major, h.Minor = int(b[6]), int(b[7])
	var hlen, start int64
	switch h.Major {
	case 1:
		hlen, start = int64(binary.LittleEndian.Uint16(b[8:10])), 10
	case 2, 3:
		if len(b) < 12 {
			return h, errors.New("npy: truncated header")
		}
		hlen, start = int64(binary.LittleEndian.Uint32(b[8:12])), 12
	default:
		return h, fmt.Errorf("npy: unsupported format version %d.%d", h.Major, h.Minor)
	}
	if hlen > maxNpyHeader {
		return h, fmt.Errorf("npy: header of %d bytes exceeds %d", hlen, maxNpyHeader)
	}
	if start+hlen > int64(len(b)) {
		return h, errors.New("npy: truncated header")
	}
	hdr := string(b[start : start+hlen])
	if !strings.Contains(hdr, "descr") || !strings.HasPrefix(strings.TrimSpace(hdr), "{") {
		return h, errors.New("npy: header is not a dict with descr")
	}
	h.DataOffset = start + hlen
	h.Object = npyObjectRE.MatchString(hdr)
	if m := npyDescrRE.FindStringSubmatch(hdr); m != nil {
		h.Descr = m[1] + m[2] + m[3]
		n, _ := strconv.ParseInt(m[3], 10, 64)
		switch m[2] {
		case "b", "?":
			h.ItemSize = 1
		case "i", "u", "f", "c", "M", "m", "S", "V", "a":
			h.ItemSize = n
		case "U":
			h.ItemSize = 4 * n
		}
	} else if i := strings.Index(hdr, "descr"); i >= 0 {
		h.Descr = "structured"
	}
	if m := npyShapeRE.FindStringSubmatch(hdr); m != nil {
		for _, part := range strings.Split(m[1], ",") {
			part = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(part), "L"))
			if part == "" {
				continue
			}
			v, err := strconv.ParseInt(part, 10, 64)
			if err != nil || v < 0 {
				return h, fmt.Errorf("npy: bad shape dimension %q", part)
			}
			h.Shape = append(h.Shape, v)
		}
	} else {
		return h, errors.New("npy: header has no shape")
	}
	return h, nil
}

// scanNpy checks a .npy file; object arrays carry a pickle, which is walked.
func (s *Scanner) scanNpy(ctx context.Context, res *FileResult, r io.ReaderAt, size int64) {
	res.Format = "npy"
	head := readHead(r, size, 12+maxNpyHeader)
	h, err := ParseNpyHeader(head)
	if err != nil {
		res.fail(err)
		return
	}
	if h.Object {
		res.add("npy.object-array", "low", "object array: its data is a pickle (np.load needs allow_pickle=True); the pickle is analysed", h.DataOffset)
		n := size - h.DataOffset
		if n > s.opts.MaxPickleBytes {
			res.fail(fmt.Errorf("npy object pickle of %d bytes exceeds the analysis limit", n))
			return
		}
		data := make([]byte, n)
		if _, err := r.ReadAt(data, h.DataOffset); err != nil && !errors.Is(err, io.EOF) {
			res.fail(fmt.Errorf("npy: %w", err))
			return
		}
		addPickleResult(res, pickle.Analyze(ctx, data, h.DataOffset, s.policy, s.pickleLimits()))
		return
	}
	if h.ItemSize > 0 {
		count := int64(1)
		for _, d := range h.Shape {
			if d != 0 && count > (1<<62)/d {
				res.fail(errors.New("npy: shape overflows"))
				return
			}
			count *= d
		}
		want := count * h.ItemSize
		have := size - h.DataOffset
		switch {
		case have < want:
			res.fail(fmt.Errorf("npy: data is %d bytes, the header promises %d (truncated)", have, want))
		case have > want:
			res.add("npy.trailing-data", "medium", fmt.Sprintf("%d bytes after the array data (hidden payload?)", have-want), h.DataOffset+want)
		}
	}
}
