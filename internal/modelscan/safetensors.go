package modelscan

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// maxSafetensorsHeader is the header limit of the reference implementation.
const maxSafetensorsHeader = 100_000_000

var safetensorsDtypes = map[string]int64{
	"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "F8_E8M0": 1, "F8_E4M3FN": 1, "F8_E4M3FNUZ": 1, "F8_E5M2FNUZ": 1,
	"I16": 2, "U16": 2, "F16": 2, "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8,
	"C64": 8, "C128": 16, "F4": 0, "F6_E2M3": 0, "F6_E3M2": 0,
}

func looksSafetensors(head []byte, size int64) bool {
	if len(head) < 10 {
		return false
	}
	n := binary.LittleEndian.Uint64(head[:8])
	return n >= 2 && n <= uint64(size-8) && head[8] == '{'
}

type stTensor struct {
	Dtype       string  `json:"dtype"`
	Shape       []int64 `json:"shape"`
	DataOffsets []int64 `json:"data_offsets"`
}

// SafetensorsReport is what CheckSafetensorsHeader found.
type SafetensorsReport struct {
	Tensors  int
	Findings []Finding
}

// CheckSafetensorsHeader validates a safetensors JSON header against the
// size of the data section that follows it.
func CheckSafetensorsHeader(hdr []byte, dataSize int64) (SafetensorsReport, error) {
	var rep SafetensorsReport
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(hdr))
	if err := dec.Decode(&raw); err != nil {
		return rep, fmt.Errorf("safetensors header is not a JSON object: %w", err)
	}
	type span struct {
		name       string
		begin, end int64
	}
	var spans []span
	for name, v := range raw {
		if name == "__metadata__" {
			var meta map[string]any
			if err := json.Unmarshal(v, &meta); err != nil {
				return rep, fmt.Errorf("safetensors __metadata__ is not an object: %w", err)
			}
			for k, val := range meta {
				sv, ok := val.(string)
				if !ok {
					rep.Findings = append(rep.Findings, Finding{Rule: "safetensors.metadata", Severity: "low", Detail: fmt.Sprintf("__metadata__ value %q is not a string (the reference loader rejects it)", printableName(k)), Offset: -1})
					continue
				}
				for _, h := range matchText(sv, metadataRules) {
					rep.Findings = append(rep.Findings, Finding{Rule: "safetensors.metadata", Severity: h.severity, Detail: fmt.Sprintf("__metadata__[%q] holds %s: %s", printableName(k), h.what, h.match), Offset: 8 + int64(h.offset)})
				}
				// A JSON config in the metadata (some loaders instantiate its _target_).
				if strings.Contains(sv, "_target_") {
					var cfg any
					if json.Unmarshal([]byte(sv), &cfg) == nil {
						fs, _ := checkConfigTargets(defaultTargetPolicy, cfg)
						for _, f := range fs {
							f.Detail = fmt.Sprintf("__metadata__[%q]: %s", printableName(k), f.Detail)
							rep.Findings = append(rep.Findings, f)
						}
					}
				}
			}
			continue
		}
		var t stTensor
		if err := json.Unmarshal(v, &t); err != nil {
			return rep, fmt.Errorf("tensor %q: %w", printableName(name), err)
		}
		rep.Tensors++
		size, known := safetensorsDtypes[t.Dtype]
		if !known {
			rep.Findings = append(rep.Findings, Finding{Rule: "safetensors.dtype", Severity: "medium", Detail: fmt.Sprintf("tensor %q has unknown dtype %q", printableName(name), printableName(t.Dtype)), Offset: -1})
		}
		if len(t.DataOffsets) != 2 {
			return rep, fmt.Errorf("tensor %q: data_offsets must hold two numbers", printableName(name))
		}
		b, e := t.DataOffsets[0], t.DataOffsets[1]
		if b < 0 || e < b || e > dataSize {
			return rep, fmt.Errorf("tensor %q: data_offsets [%d, %d] outside the %d-byte data section", printableName(name), b, e, dataSize)
		}
		count := int64(1)
		for _, d := range t.Shape {
			if d < 0 {
				return rep, fmt.Errorf("tensor %q: negative dimension", printableName(name))
			}
			if d != 0 && count > (1<<62)/d {
				return rep, fmt.Errorf("tensor %q: shape overflows", printableName(name))
			}
			count *= d
		}
		if size > 0 && count*size != e-b {
			return rep, fmt.Errorf("tensor %q: shape %v of %s needs %d bytes, offsets give %d", printableName(name), t.Shape, t.Dtype, count*size, e-b)
		}
		spans = append(spans, span{name, b, e})
	}
	sort.Slice(spans, func(i, j int) bool {
		return spans[i].begin < spans[j].begin || spans[i].begin == spans[j].begin && spans[i].end < spans[j].end
	})
	var covered, prevEnd int64
	for i, sp := range spans {
		if i > 0 && sp.begin < prevEnd && sp.end > sp.begin {
			rep.Findings = append(rep.Findings, Finding{Rule: "safetensors.overlap", Severity: "high", Detail: fmt.Sprintf("tensor %q overlaps the previous tensor (aliasing)", printableName(sp.name)), Offset: -1})
		}
		if sp.begin > prevEnd {
			covered += sp.end - sp.begin
		} else if sp.end > prevEnd {
			covered += sp.end - prevEnd
		}
		if sp.end > prevEnd {
			prevEnd = sp.end
		}
	}
	if covered < dataSize {
		rep.Findings = append(rep.Findings, Finding{Rule: "safetensors.unreferenced", Severity: "medium", Detail: fmt.Sprintf("%d bytes of the data section belong to no tensor (hidden payload?)", dataSize-covered), Offset: -1})
	}
	return rep, nil
}

func (s *Scanner) scanSafetensors(ctx context.Context, res *FileResult, r io.ReaderAt, size int64) {
	res.Format = "safetensors"
	n, err := le64(r, 0)
	if err != nil {
		res.fail(fmt.Errorf("safetensors: %w", err))
		return
	}
	if n > maxSafetensorsHeader {
		res.fail(fmt.Errorf("safetensors header of %d bytes exceeds %d", n, maxSafetensorsHeader))
		return
	}
	if int64(n) > size-8 {
		res.fail(errors.New("safetensors header extends past the end of the file"))
		return
	}
	hdr := make([]byte, n)
	if _, err := r.ReadAt(hdr, 8); err != nil {
		res.fail(fmt.Errorf("safetensors: read header: %w", err))
		return
	}
	rep, err := CheckSafetensorsHeader(hdr, size-8-int64(n))
	for _, f := range rep.Findings {
		res.add(f.Rule, f.Severity, f.Detail, f.Offset)
	}
	if err != nil {
		res.fail(fmt.Errorf("safetensors: %w", err))
	}
}
