package discover

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/aigis-dev/aigis/internal/finding"
)

// Model formats recognised by content.
const (
	fmtPickle      = "pickle"
	fmtPyTorchZip  = "pytorch"
	fmtKerasZip    = "keras"
	fmtNumPyZip    = "numpy-npz"
	fmtSafetensors = "safetensors"
	fmtGGUF        = "gguf"
	fmtONNX        = "onnx"
	fmtHDF5        = "hdf5"
	fmtSavedModel  = "tf-savedmodel"
	fmtTFLite      = "tflite"
	fmtJoblib      = "joblib"
	fmtNumPy       = "numpy"
	fmtZipPickle   = "zip+pickle" // a zip archive whose member is a pickle
)

// pickleFormats can execute code when loaded.
var pickleFormats = map[string]bool{fmtPickle: true, fmtPyTorchZip: true, fmtJoblib: true, fmtZipPickle: true}

// sniffModel recognises a model artifact from its first bytes (and, for
// weakly marked formats, its name). It returns "" for anything else.
func sniffModel(h []byte, lowerName string, size int64) string {
	if len(h) < 8 {
		return ""
	}
	switch {
	case bytes.HasPrefix(h, []byte("GGUF")):
		v := binary.LittleEndian.Uint32(h[4:8])
		if v >= 1 && v <= 3 {
			return fmtGGUF
		}
	case bytes.HasPrefix(h, []byte("\x89HDF\r\n\x1a\n")):
		return fmtHDF5
	case bytes.HasPrefix(h, []byte("\x93NUMPY")):
		return fmtNumPy
	case len(h) >= 8 && string(h[4:8]) == "TFL3":
		return fmtTFLite
	case bytes.HasPrefix(h, []byte("PK\x03\x04")):
		return sniffZip(h)
	case h[0] == 0x80 && h[1] >= 2 && h[1] <= 5:
		if bytes.Contains(h, []byte("joblib")) || strings.HasSuffix(lowerName, ".joblib") {
			return fmtJoblib
		}
		return fmtPickle
	}
	if ok := sniffSafetensors(h, size); ok {
		return fmtSafetensors
	}
	if lowerName == "saved_model.pb" && (h[0] == 0x08 || h[0] == 0x12) {
		return fmtSavedModel
	}
	if sniffONNX(h, lowerName) {
		return fmtONNX
	}
	// protocol 0/1 pickles and zlib-compressed joblib are only recognised
	// together with their usual names
	if (strings.HasSuffix(lowerName, ".pkl") || strings.HasSuffix(lowerName, ".pickle")) && strings.IndexByte("(]}cSVIJKLNFGX", h[0]) >= 0 {
		return fmtPickle
	}
	if strings.HasSuffix(lowerName, ".joblib") && h[0] == 0x78 && (h[1] == 0x01 || h[1] == 0x5e || h[1] == 0x9c || h[1] == 0xda) {
		return fmtJoblib
	}
	return ""
}

// sniffZip tells PyTorch, Keras v3 and NumPy .npz archives from other zips
// by the name of the first local file entry (and names in the first bytes).
func sniffZip(h []byte) string {
	if len(h) < 30 {
		return ""
	}
	nl := int(binary.LittleEndian.Uint16(h[26:28]))
	if 30+nl > len(h) {
		return ""
	}
	first := string(h[30 : 30+nl])
	switch {
	case strings.HasSuffix(first, "data.pkl") || strings.HasSuffix(first, "/version") || strings.Contains(first, "/data/") || bytes.Contains(h, []byte("data.pkl")):
		return fmtPyTorchZip
	case first == "metadata.json" || first == "config.json" || first == "model.weights.h5":
		if bytes.Contains(h, []byte("keras_version")) || bytes.Contains(h, []byte("model.weights.h5")) || bytes.Contains(h, []byte("\"keras")) {
			return fmtKerasZip
		}
	case strings.HasSuffix(first, ".npy"):
		return fmtNumPyZip
	case strings.HasSuffix(first, ".pkl") || strings.HasSuffix(first, ".pickle"):
		return fmtZipPickle
	}
	// a stored (uncompressed) member whose data is a pickle
	xl := int(binary.LittleEndian.Uint16(h[28:30]))
	if d := 30 + nl + xl; d+2 <= len(h) && binary.LittleEndian.Uint16(h[8:10]) == 0 && h[d] == 0x80 && h[d+1] >= 2 && h[d+1] <= 5 {
		return fmtZipPickle
	}
	return ""
}

// sniffSafetensors checks the 8-byte little-endian header length followed by
// a JSON object that mentions dtype or __metadata__.
func sniffSafetensors(h []byte, size int64) bool {
	n := binary.LittleEndian.Uint64(h[:8])
	if n < 2 || n > 100<<20 || (size > 0 && int64(n)+8 > size) || len(h) < 9 || h[8] != '{' {
		return false
	}
	end := min(len(h), 8+int(n))
	return bytes.Contains(h[8:end], []byte(`"dtype"`)) || bytes.Contains(h[8:end], []byte(`"__metadata__"`))
}

// sniffONNX checks the ModelProto layout: field 1 (ir_version) varint first,
// then a known field, and an ONNX marker (name or producer/opset strings).
func sniffONNX(h []byte, lowerName string) bool {
	if h[0] != 0x08 || h[1] == 0 || h[1] > 20 {
		return false
	}
	switch h[2] {
	case 0x12, 0x1a, 0x22, 0x28, 0x32, 0x3a, 0x42:
	default:
		return false
	}
	return strings.HasSuffix(lowerName, ".onnx") || bytes.Contains(h, []byte("onnx")) || bytes.Contains(h, []byte("pytorch")) || bytes.Contains(h, []byte("tf2onnx")) || bytes.Contains(h, []byte("skl2onnx"))
}

// modelFile hashes the artifact, records it and reports pickle-based formats
// (and the model scanner's verdict when one is wired).
func (w *worker) modelFile(ctx context.Context, j fileJob, f io.Reader, head []byte, format string) {
	props := map[string]string{"format": format, "size": strconv.FormatInt(j.size, 10)}
	if j.size <= w.s.opts.MaxHashSize {
		hsh := sha256.New()
		hsh.Write(head)
		if _, err := io.CopyBuffer(hsh, f, make([]byte, 256<<10)); err != nil {
			w.c.warn(j.rel, "cannot hash model file: %v", err)
		} else {
			props["sha256"] = hex.EncodeToString(hsh.Sum(nil))
		}
	} else {
		w.c.warn(j.rel, "model file larger than %d bytes: sha256 not computed", w.s.opts.MaxHashSize)
	}
	if format == fmtSafetensors {
		if meta := safetensorsMeta(head); meta != "" {
			props["metadata"] = meta
		}
	}
	if format == fmtGGUF && len(head) >= 24 {
		props["gguf_version"] = strconv.FormatUint(uint64(binary.LittleEndian.Uint32(head[4:8])), 10)
		props["tensor_count"] = strconv.FormatUint(binary.LittleEndian.Uint64(head[8:16]), 10)
	}
	name := path.Base(j.rel)
	w.c.asset(Asset{Kind: KindModelFile, Name: name, File: j.rel, Evidence: "content: " + format, Properties: props})
	if pickleFormats[format] {
		w.c.finding(finding.Finding{
			ID: "AIGIS-MODEL-001", Title: "Pickle-based model file committed to the repository", Severity: finding.High,
			File: j.rel, Evidence: format + " artifact (" + props["size"] + " bytes); loading it can execute arbitrary code",
			Remediation: "Convert the model to safetensors (or ONNX/GGUF), scan it with `aigis model scan`, and load only verified artifacts.",
			ATLAS:       []string{"AML.T0011.000", "AML.T0010.003"}, OWASP: []string{"LLM03:2025", "LLM04:2025"},
			Equivalents: []string{"picklescan", "modelscan"},
		})
	}
	if w.s.opts.ModelScanner != nil {
		v, err := w.s.opts.ModelScanner.ScanModel(ctx, j.abs)
		if err != nil {
			w.c.warn(j.rel, "model scanner: %v", err)
			return
		}
		verdict := strings.ToLower(v.Verdict)
		if verdict == "error" {
			w.c.warn(j.rel, "model scanner could not analyse the file")
			return
		}
		if verdict != "" && verdict != "safe" && verdict != "clean" && verdict != "ok" {
			ev := "model scanner verdict: " + v.Verdict
			for i, mf := range v.Findings {
				if i == 3 {
					break
				}
				ev += "; " + mf.ID + " " + mf.Title
			}
			sev := finding.High
			if verdict == "malicious" || verdict == "dangerous" {
				sev = finding.Critical
			}
			w.c.finding(finding.Finding{
				ID: "AIGIS-MODEL-002", Title: "Model file flagged by the model scanner", Severity: sev,
				File: j.rel, Evidence: ev,
				Remediation: "Do not load this artifact; replace it with a verified, signed model from a trusted source.",
				ATLAS:       []string{"AML.T0011.000", "AML.T0010.003", "AML.T0018"}, OWASP: []string{"LLM03:2025", "LLM04:2025"},
			})
		}
	}
}

// safetensorsMeta returns the __metadata__ object of a safetensors header
// when it fits in the sniffed bytes.
func safetensorsMeta(h []byte) string {
	n := binary.LittleEndian.Uint64(h[:8])
	if 8+n > uint64(len(h)) {
		return ""
	}
	var hdr map[string]json.RawMessage
	if err := json.Unmarshal(h[8:8+n], &hdr); err != nil {
		return ""
	}
	if m, ok := hdr["__metadata__"]; ok && len(m) <= 512 {
		return string(m)
	}
	return ""
}
