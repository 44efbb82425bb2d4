package modelscan

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Test builders: every file is assembled byte by byte in the test.

func pickleOf(mod, name string) []byte {
	return []byte("c" + mod + "\n" + name + "\n(S'id'\ntR.")
}

var benignPickle = []byte("\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01.")

func safetensorsFile(hdr map[string]any, data []byte) []byte {
	h, _ := json.Marshal(hdr)
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	return append(append(out, h...), data...)
}

func ggufStr(s string) []byte {
	return append(binary.LittleEndian.AppendUint64(nil, uint64(len(s))), s...)
}

func ggufFile(template string, tensorBytes int) []byte {
	b := []byte("GGUF")
	b = binary.LittleEndian.AppendUint32(b, 3)
	b = binary.LittleEndian.AppendUint64(b, 1) // tensors
	b = binary.LittleEndian.AppendUint64(b, 3) // kv
	b = append(b, ggufStr("general.architecture")...)
	b = binary.LittleEndian.AppendUint32(b, ggufString)
	b = append(b, ggufStr("llama")...)
	b = append(b, ggufStr("tokenizer.ggml.tokens")...)
	b = binary.LittleEndian.AppendUint32(b, ggufArray)
	b = binary.LittleEndian.AppendUint32(b, ggufString)
	b = binary.LittleEndian.AppendUint64(b, 2)
	b = append(b, ggufStr("<s>")...)
	b = append(b, ggufStr("</s>")...)
	b = append(b, ggufStr("tokenizer.chat_template")...)
	b = binary.LittleEndian.AppendUint32(b, ggufString)
	b = append(b, ggufStr(template)...)
	b = append(b, ggufStr("tok_embd.weight")...)
	b = binary.LittleEndian.AppendUint32(b, 1)
	b = binary.LittleEndian.AppendUint64(b, 4)
	b = binary.LittleEndian.AppendUint32(b, 0) // F32
	b = binary.LittleEndian.AppendUint64(b, 0)
	for len(b)%32 != 0 {
		b = append(b, 0)
	}
	return append(b, make([]byte, tensorBytes)...)
}

func npyFile(descr, shape string, data []byte) []byte {
	hdr := "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }"
	for (10+len(hdr)+1)%64 != 0 {
		hdr += " "
	}
	hdr += "\n"
	b := []byte("\x93NUMPY\x01\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(len(hdr)))
	return append(append(b, hdr...), data...)
}

type zipEntry struct {
	name   string
	data   []byte
	method uint16
	mode   os.FileMode
}

func zipFile(t testing.TB, entries ...zipEntry) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: e.method}
		if e.mode != 0 {
			h.SetMode(e.mode)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(e.data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func tarFile(t testing.TB, hdrs ...*tar.Header) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range hdrs {
		data := []byte(h.Uname) // payload smuggled through Uname for brevity
		h.Uname = ""
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(data))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write(data)
		}
	}
	tw.Close()
	return buf.Bytes()
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// bz2Pickle is bzip2 of pickleOf("os", "system") (made with Python's bz2 module).
var bz2Pickle, _ = hex.DecodeString("425a68393141592653591f2f22a5000004d380001000c118000e228c2020002221a1b44f298a600028bc8e0424b8257e99358bb9229c28480f97915280")

func zlibOf(b []byte) []byte {
	var buf bytes.Buffer
	w := zlib.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func pbTag(field, wire int) []byte { return binary.AppendUvarint(nil, uint64(field<<3|wire)) }
func pbLen(field int, b []byte) []byte {
	out := pbTag(field, 2)
	out = binary.AppendUvarint(out, uint64(len(b)))
	return append(out, b...)
}
func pbVarint(field int, v uint64) []byte { return binary.AppendUvarint(pbTag(field, 0), v) }
func cat(bs ...[]byte) []byte             { return bytes.Join(bs, nil) }

func onnxFile(location, domain string) []byte {
	ext := pbLen(13, cat(pbLen(1, []byte("location")), pbLen(2, []byte(location))))
	init := cat(pbLen(8, []byte("w")), ext, pbVarint(14, 1))
	node := cat(pbLen(1, []byte("x")), pbLen(2, []byte("y")), pbLen(4, []byte("MyOp")), pbLen(7, []byte(domain)))
	graph := cat(pbLen(1, node), pbLen(5, init))
	return cat(pbVarint(1, 8), pbLen(2, []byte("test")), pbLen(7, graph), pbLen(8, cat(pbLen(1, []byte(domain)), pbVarint(2, 1))))
}

func savedModelFile(ops ...string) []byte {
	var nodes []byte
	for i, op := range ops {
		nodes = append(nodes, pbLen(1, cat(pbLen(1, []byte{byte('a' + i)}), pbLen(2, []byte(op))))...)
	}
	meta := pbLen(2, nodes)
	return cat(pbVarint(1, 1), pbLen(2, meta))
}

// kerasMetadataFile writes a SavedMetadata message: one SavedObject (field
// 1) per layer with node_id (2), node_path (3), identifier (4) and the JSON
// metadata (5).
func kerasMetadataFile(layers ...[]byte) []byte {
	var out []byte
	for i, js := range layers {
		out = append(out, pbLen(1, cat(pbVarint(2, uint64(i+1)), pbLen(3, []byte("root.layer")), pbLen(4, []byte("_tf_keras_layer")), pbLen(5, js)))...)
	}
	return out
}

func tfliteFile(custom string) []byte {
	b := make([]byte, 48)
	binary.LittleEndian.PutUint32(b[0:], 16)
	copy(b[4:], "TFL3")
	binary.LittleEndian.PutUint16(b[8:], 8)
	binary.LittleEndian.PutUint16(b[10:], 8)
	binary.LittleEndian.PutUint16(b[12:], 0)
	binary.LittleEndian.PutUint16(b[14:], 4)
	binary.LittleEndian.PutUint32(b[16:], 8)     // soffset to vtable at 8
	binary.LittleEndian.PutUint32(b[20:], 24-20) // operator_codes vector
	binary.LittleEndian.PutUint32(b[24:], 1)
	binary.LittleEndian.PutUint32(b[28:], 40-28)
	binary.LittleEndian.PutUint16(b[32:], 8)
	binary.LittleEndian.PutUint16(b[34:], 8)
	binary.LittleEndian.PutUint16(b[36:], 0)
	binary.LittleEndian.PutUint16(b[38:], 4)
	binary.LittleEndian.PutUint32(b[40:], 8)
	binary.LittleEndian.PutUint32(b[44:], 48-44)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(custom)))
	return append(b, custom...)
}

func kerasConfig(layers ...map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"module": "keras", "class_name": "Sequential", "config": map[string]any{"layers": layers}})
	return b
}

func h5File(cfg []byte) []byte {
	b := append([]byte("\x89HDF\r\n\x1a\n"), make([]byte, 200)...)
	b = append(b, "model_config\x00\x00\x00"...)
	b = append(b, cfg...)
	return append(b, make([]byte, 100)...)
}

func scanBytes(name string, b []byte) FileResult {
	return New(Options{}).ScanReader(context.Background(), name, bytes.NewReader(b), int64(len(b)))
}

func hasRule(r FileResult, rule string) bool {
	for _, x := range Flatten([]FileResult{r}) {
		for _, f := range x.Findings {
			if f.Rule == rule || strings.Contains(f.Detail, rule) {
				return true
			}
		}
	}
	return false
}

func TestFormats(t *testing.T) {
	lambdaCode := "YmFzZTY0IG1hcnNoYWwgb3Muc3lzdGVt" // "base64 marshal os.system"
	goodTensors := map[string]any{"a": map[string]any{"dtype": "F32", "shape": []int{2}, "data_offsets": []int{0, 8}}, "b": map[string]any{"dtype": "F16", "shape": []int{2}, "data_offsets": []int{8, 12}}}
	cases := []struct {
		name, file string
		data       []byte
		format     string
		verdict    string
		rule       string // a finding rule or detail substring expected ("" for none)
	}{
		{"pickle by content", "weights.data", pickleOf("os", "system"), "pickle", VerdictMalicious, "os.system"},
		{"protocol-0 pickle with no extension", "blob", pickleOf("os", "system"), "pickle", VerdictMalicious, "os.system"},
		{"benign pickle", "x.pkl", benignPickle, "pickle", VerdictClean, ""},
		{"not a pickle under .pkl", "x.pkl", []byte("hello world"), "unknown", VerdictError, ""},
		{"README is not a model", "README.md", []byte("# hello"), "unknown", VerdictClean, ""},
		{"python source is not a pickle", "train.py", []byte("import os\nos.system('make')\n"), "unknown", VerdictClean, ""},
		{"cmake file is not a pickle", "CMakeLists.txt", []byte("cmake_minimum_required(VERSION 3.10)\nproject(x)\n"), "unknown", VerdictClean, ""},
		{"torchscript code text is not a pickle", "code.py", []byte("class Model(Module):\n  __parameters__ = []\n"), "unknown", VerdictClean, ""},
		{"safetensors ok", "m.safetensors", safetensorsFile(goodTensors, make([]byte, 12)), "safetensors", VerdictClean, ""},
		{"safetensors by content", "m.bin", safetensorsFile(goodTensors, make([]byte, 12)), "safetensors", VerdictClean, ""},
		{"safetensors offsets past end", "m.safetensors", safetensorsFile(goodTensors, make([]byte, 10)), "safetensors", VerdictError, ""},
		{"safetensors overlap", "m.safetensors", safetensorsFile(map[string]any{"a": map[string]any{"dtype": "F32", "shape": []int{2}, "data_offsets": []int{0, 8}}, "b": map[string]any{"dtype": "F32", "shape": []int{1}, "data_offsets": []int{4, 8}}}, make([]byte, 8)), "safetensors", VerdictSuspicious, "safetensors.overlap"},
		{"safetensors hidden bytes", "m.safetensors", safetensorsFile(goodTensors, make([]byte, 40)), "safetensors", VerdictSuspicious, "safetensors.unreferenced"},
		{"safetensors unknown dtype", "m.safetensors", safetensorsFile(map[string]any{"a": map[string]any{"dtype": "PY_OBJ", "shape": []int{1}, "data_offsets": []int{0, 1}}}, make([]byte, 1)), "safetensors", VerdictSuspicious, "safetensors.dtype"},
		{"safetensors code in metadata", "m.safetensors", safetensorsFile(map[string]any{"__metadata__": map[string]any{"note": "import os; os.system('id')"}, "a": map[string]any{"dtype": "U8", "shape": []int{1}, "data_offsets": []int{0, 1}}}, make([]byte, 1)), "safetensors", VerdictSuspicious, "safetensors.metadata"},
		{"gguf ok", "m.gguf", ggufFile("{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}{% endfor %}", 16), "gguf", VerdictClean, ""},
		{"gguf SSTI template", "m.gguf", ggufFile("{{ cycler.__init__.__globals__.os.popen('id').read() }}", 16), "gguf", VerdictMalicious, "template.ssti"},
		{"gguf truncated tensor data", "m.gguf", ggufFile("x", 8), "gguf", VerdictError, ""},
		{"npy numbers", "a.npy", npyFile("<f4", "(2,)", make([]byte, 8)), "npy", VerdictClean, ""},
		{"npy truncated", "a.npy", npyFile("<f4", "(4,)", make([]byte, 8)), "npy", VerdictError, ""},
		{"npy object array carries a pickle", "a.npy", npyFile("|O", "(1,)", pickleOf("os", "system")), "npy", VerdictMalicious, "os.system"},
		{"pytorch zip, any folder name", "model.pt", zipFile(t, zipEntry{name: "anything/data.pkl", data: pickleOf("builtins", "eval")}, zipEntry{name: "anything/data/0", data: []byte("\x80\x02garbage")}, zipEntry{name: "anything/version", data: []byte("3\n")}), "pytorch-zip", VerdictMalicious, "builtins.eval"},
		{"pytorch zip benign; storages skipped", "model.pt", zipFile(t, zipEntry{name: "m/data.pkl", data: benignPickle}, zipEntry{name: "m/data/0", data: []byte("\x80\x02garbage")}), "pytorch-zip", VerdictClean, ""},
		{"torchscript constants.pkl", "m.pt", zipFile(t, zipEntry{name: "m/data.pkl", data: benignPickle}, zipEntry{name: "m/constants.pkl", data: pickleOf("os", "system")}, zipEntry{name: "m/code/__torch__.py", data: []byte("def forward(self): pass")}), "torchscript", VerdictMalicious, "os.system"},
		{"zip path traversal", "a.zip", zipFile(t, zipEntry{name: "../../etc/cron.d/x", data: []byte("x")}), "zip", VerdictMalicious, "archive.path-traversal"},
		{"zip symlink outside", "a.zip", zipFile(t, zipEntry{name: "link", data: []byte("/etc/passwd"), mode: os.ModeSymlink | 0o777}), "zip", VerdictMalicious, "archive.link-escape"},
		{"zip compression bomb", "a.zip", zipFile(t, zipEntry{name: "zeros.bin", data: make([]byte, 8<<20), method: zip.Deflate}), "zip", VerdictError, "archive.compression-ratio"},
		{"pickle prepended to a zip (polyglot)", "m.pt", append(pickleOf("os", "system"), zipFile(t, zipEntry{name: "m/data.pkl", data: benignPickle})...), "pytorch-zip", VerdictMalicious, "zip.prepended-data"},
		{"nested zip in zip", "outer.zip", zipFile(t, zipEntry{name: "inner.zip", data: zipFile(t, zipEntry{name: "x/data.pkl", data: pickleOf("os", "system")})}), "zip", VerdictMalicious, "os.system"},
		{"npz with object array", "a.npz", zipFile(t, zipEntry{name: "a.npy", data: npyFile("|O", "(1,)", pickleOf("subprocess", "run")), method: zip.Deflate}), "npz", VerdictMalicious, "subprocess.run"},
		{"keras v3 Lambda layer", "m.keras", zipFile(t, zipEntry{name: "config.json", data: kerasConfig(map[string]any{"class_name": "Lambda", "module": "keras.layers", "config": map[string]any{"name": "l", "function": map[string]any{"class_name": "__lambda__", "config": map[string]any{"code": lambdaCode}}}})}, zipEntry{name: "metadata.json", data: []byte(`{"keras_version":"3.0"}`)}), "keras", VerdictMalicious, "keras.lambda.dangerous"},
		{"keras v3 module gadget (CVE-2025-1550 class)", "m.keras", zipFile(t, zipEntry{name: "config.json", data: kerasConfig(map[string]any{"class_name": "system", "module": "os", "config": "id"})}, zipEntry{name: "metadata.json", data: []byte(`{}`)}), "keras", VerdictMalicious, "keras.module.dangerous"},
		{"keras v3 get_file gadget (safe_mode bypass class)", "m.keras", zipFile(t, zipEntry{name: "config.json", data: kerasConfig(map[string]any{"class_name": "function", "module": "keras.utils", "config": "get_file", "registered_name": "get_file"})}, zipEntry{name: "metadata.json", data: []byte(`{}`)}), "keras", VerdictMalicious, "keras.module.dangerous"},
		{"zip duplicate member names", "m.pt", zipFile(t, zipEntry{name: "m/data.pkl", data: benignPickle}, zipEntry{name: "m/data.pkl", data: pickleOf("os", "system")}), "pytorch-zip", VerdictMalicious, "zip.duplicate-name"},
		{"keras v3 custom module", "m.keras", zipFile(t, zipEntry{name: "config.json", data: kerasConfig(map[string]any{"class_name": "MyLayer", "module": "mylib.layers", "config": map[string]any{}})}, zipEntry{name: "metadata.json", data: []byte(`{}`)}), "keras", VerdictSuspicious, "keras.module.custom"},
		{"keras h5 Lambda", "m.h5", h5File(kerasConfig(map[string]any{"class_name": "Lambda", "config": map[string]any{"name": "l", "function": []any{"4wEAAAAAAAAA", nil, nil}}})), "keras-h5", VerdictSuspicious, "keras.lambda"},
		{"keras h5 plain", "m.h5", h5File(kerasConfig(map[string]any{"class_name": "Dense", "config": map[string]any{"units": 3}})), "keras-h5", VerdictClean, ""},
		{"onnx external data escapes", "m.onnx", onnxFile("../../../../etc/passwd", ""), "onnx", VerdictMalicious, "onnx.external-data.escape"},
		{"onnx custom domain", "m.onnx", onnxFile("weights.bin", "com.evil"), "onnx", VerdictSuspicious, "onnx.custom-domain"},
		{"onnx by content", "model", onnxFile("weights.bin", ""), "onnx", VerdictClean, ""},
		{"savedmodel PyFunc", "saved_model.pb", savedModelFile("Const", "PyFunc", "Identity"), "tf-savedmodel", VerdictMalicious, "tf.op.pyfunc"},
		{"savedmodel ReadFile", "saved_model.pb", savedModelFile("ReadFile"), "tf-savedmodel", VerdictSuspicious, "tf.op.readfile"},
		{"keras 2 SavedModel keras_metadata.pb Lambda", "keras_metadata.pb", kerasMetadataFile(
			[]byte(`{"class_name": "InputLayer", "config": {"name": "in"}}`),
			[]byte(`{"name": "l", "class_name": "Lambda", "config": {"name": "l", "function": {"class_name": "__tuple__", "items": ["`+lambdaCode+`", null, null]}, "function_type": "lambda"}}`)),
			"keras-savedmodel-metadata", VerdictMalicious, "keras.lambda.dangerous"},
		{"keras_metadata.pb renamed", "meta.pb", kerasMetadataFile([]byte(`{"class_name": "Lambda", "config": {"name": "l", "function": ["4wEAAAAAAAAA", null, null]}}`)),
			"keras-savedmodel-metadata", VerdictSuspicious, "keras.lambda"},
		{"keras_metadata.pb module gadget", "keras_metadata.pb", kerasMetadataFile([]byte(`{"class_name": "system", "module": "os", "config": "id"}`)),
			"keras-savedmodel-metadata", VerdictMalicious, "keras.module.dangerous"},
		{"keras_metadata.pb plain", "keras_metadata.pb", kerasMetadataFile([]byte(`{"class_name": "Dense", "config": {"units": 3}}`)),
			"keras-savedmodel-metadata", VerdictClean, ""},
		{"NeMo/Hydra model_config.yaml _target_ os.system (CVE-2025-23304 class)", "model_config.yaml", []byte("model:\n  encoder:\n    _target_: os.system\n    command: id\n"), "yaml", VerdictMalicious, "config.target.dangerous"},
		{".nemo tar with a dangerous _target_", "m.nemo", tarFile(t, &tar.Header{Name: "./model_config.yaml", Typeflag: tar.TypeReg, Mode: 0o644, Uname: "_target_: builtins.exec\nsource: print(1)\n"}), "tar", VerdictMalicious, "config.target.dangerous"},
		{"Hydra _target_ through a namespace (qualified name)", "cfg.yml", []byte("_target_: torch.nn.modules.module.torch.hub.load\n"), "yaml", VerdictMalicious, "config.target.dangerous"},
		{"PyYAML python/object/apply tag", "config.yaml", []byte("x: !!python/object/apply:subprocess.check_output [[id]]\n"), "yaml", VerdictMalicious, "config.target.dangerous"},
		{"PyYAML python tag without a callable", "config.yaml", []byte("x: !!python/tuple [1, 2]\n"), "yaml", VerdictSuspicious, "config.yaml-python-tag"},
		{"Hydra _target_ outside the allowlist", "model_config.yaml", []byte("model:\n  _target_: nemo.collections.asr.models.EncDecCTCModel\n"), "yaml", VerdictSuspicious, "config.target"},
		{"plain YAML config", "config.yaml", []byte("lr: 0.1\nlayers: [1, 2]\nanchor: &a {x: 1}\nref: *a\n"), "yaml", VerdictClean, ""},
		{"malformed YAML naming _target_", "config.yaml", []byte("_target_: [os.system\n"), "yaml", VerdictError, ""},
		{"config.json _target_", "config.json", []byte(`{"backbone": {"_target_": "subprocess.Popen", "args": ["id"]}}`), "json", VerdictMalicious, "config.target.dangerous"},
		{"safetensors metadata config with _target_", "m.safetensors", safetensorsFile(map[string]any{"__metadata__": map[string]any{"config": `{"_target_": "os.system"}`}, "w": map[string]any{"dtype": "F32", "shape": []int{1}, "data_offsets": []int{0, 4}}}, make([]byte, 4)), "safetensors", VerdictMalicious, "config.target.dangerous"},
		{"savedmodel plain", "saved_model.pb", savedModelFile("Const", "MatMul", "SaveV2"), "tf-savedmodel", VerdictClean, ""},
		{"tflite custom op", "m.tflite", tfliteFile("MyCustomOp"), "tflite", VerdictSuspicious, "tflite.custom-op"},
		{"tflite flex WriteFile", "m.tflite", tfliteFile("FlexWriteFile"), "tflite", VerdictMalicious, "tflite.flex-op"},
		{"tokenizer_config SSTI", "tokenizer_config.json", []byte(`{"chat_template": "{{ self._TemplateReference__context.joiner.__init__.__globals__.os.popen('id').read() }}"}`), "tokenizer-config", VerdictMalicious, "template.ssti"},
		{"tokenizer_config benign", "tokenizer_config.json", []byte(`{"chat_template": "{% for message in messages %}{{ '<|' + message['role'] + '|>' + message['content'] }}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}"}`), "tokenizer-config", VerdictClean, ""},
		{"hf remote code", "config.json", []byte(`{"auto_map": {"AutoModel": "modeling_x.XModel"}}`), "json", VerdictSuspicious, "hf.remote-code"},
		{"tar link escape and traversal", "a.tar", tarFile(t, &tar.Header{Name: "l", Typeflag: tar.TypeSymlink, Linkname: "../../etc/passwd"}, &tar.Header{Name: "/abs", Typeflag: tar.TypeReg, Uname: "x", Mode: 0o644}), "tar", VerdictMalicious, "archive.link-escape"},
		{"tar member pickle", "a.tar", tarFile(t, &tar.Header{Name: "archive/data.pkl", Typeflag: tar.TypeReg, Uname: string(pickleOf("os", "system")), Mode: 0o644}), "tar", VerdictMalicious, "os.system"},
		{"gzip of a pickle", "a.pkl.gz", gz(pickleOf("os", "system")), "gzip", VerdictMalicious, "os.system"},
		{"zlib stream (joblib compress)", "m.joblib", zlibOf(pickleOf("os", "system")), "zlib", VerdictMalicious, "os.system"},
		{"bzip2 stream", "m.pkl.bz2", bz2Pickle, "bzip2", VerdictMalicious, "os.system"},
		{"torchscript code loads a library", "m.pt", zipFile(t, zipEntry{name: "m/data.pkl", data: benignPickle}, zipEntry{name: "m/code/__torch__.py", data: []byte("def forward(self):\n  torch.ops.load_library('/tmp/x.so')\n")}), "torchscript", VerdictMalicious, "torchscript.code"},
		{"7z truncated signature header", "a.7z", []byte("7z\xbc\xaf\x27\x1c\x00\x04"), "7z", VerdictError, ""},
		{"empty .pt", "a.pt", nil, "empty", VerdictError, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := scanBytes(c.file, c.data)
			if r.Format != c.format || r.Verdict != c.verdict {
				t.Errorf("format %s verdict %s (err %q), want %s %s; findings %+v", r.Format, r.Verdict, r.Error, c.format, c.verdict, Flatten([]FileResult{r}))
			}
			if c.rule != "" && !hasRule(r, c.rule) {
				t.Errorf("no finding %q in %+v", c.rule, Flatten([]FileResult{r}))
			}
		})
	}
}

func TestNestingDepthBound(t *testing.T) {
	data := zipFile(t, zipEntry{name: "x/data.pkl", data: benignPickle})
	for i := 0; i < 8; i++ {
		data = zipFile(t, zipEntry{name: "n.zip", data: data})
	}
	r := scanBytes("deep.zip", data)
	if r.Verdict != VerdictError {
		t.Fatalf("verdict %s, want error for nesting beyond the bound", r.Verdict)
	}
}

func TestGzipBombBounded(t *testing.T) {
	bomb := gz(make([]byte, 64<<20))
	s := New(Options{MaxMemberBytes: 16 << 20})
	r := s.ScanReader(context.Background(), "bomb.gz", bytes.NewReader(bomb), int64(len(bomb)))
	if r.Verdict != VerdictError || !hasRule(r, "archive.bomb") {
		t.Fatalf("verdict %s findings %+v", r.Verdict, r.Findings)
	}
}

func TestScanPathFolderAndMembers(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "model.pt"), zipFile(t, zipEntry{name: "m/data.pkl", data: pickleOf("os", "system")}), 0o644)
	os.WriteFile(filepath.Join(dir, "ok.safetensors"), safetensorsFile(map[string]any{"a": map[string]any{"dtype": "U8", "shape": []int{1}, "data_offsets": []int{0, 1}}}, []byte{1}), 0o644)
	os.Symlink("/etc/passwd", filepath.Join(dir, "link.bin"))
	s := New(Options{Hash: true})
	rs, err := s.ScanPath(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]FileResult{}
	for _, r := range rs {
		byPath[strings.TrimPrefix(r.Path, dir+"/")] = r
	}
	if r := byPath["model.pt"]; r.Verdict != VerdictMalicious || len(r.SHA256) != 64 {
		t.Errorf("model.pt: %+v", r)
	}
	if r := byPath["model.pt!m/data.pkl"]; r.Verdict != VerdictMalicious || r.Format != "pickle" {
		t.Errorf("member result missing or wrong: %+v", byPath)
	}
	if r := byPath["ok.safetensors"]; r.Verdict != VerdictClean {
		t.Errorf("ok.safetensors: %+v", r)
	}
	if r := byPath["link.bin"]; r.Format != "symlink" || r.Verdict != VerdictClean {
		t.Errorf("symlink: %+v", r)
	}
}

func TestScanPathFollowsGivenLink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.pt")
	os.WriteFile(real, zipFile(t, zipEntry{name: "m/data.pkl", data: pickleOf("os", "system")}), 0o644)
	link := filepath.Join(dir, "link.pt")
	os.Symlink(real, link)
	rs, err := New(Options{}).ScanPath(context.Background(), link)
	if err != nil || len(rs) != 2 || rs[0].Path != link || rs[1].Path != link+"!m/data.pkl" || rs[0].Verdict != VerdictMalicious {
		t.Fatalf("%v %+v", err, rs)
	}
}

func TestAllowlistExtendsPolicy(t *testing.T) {
	p := []byte("\x80\x02csklearn.linear_model._base\nLinearRegression\n)\x81.")
	if r := scanBytes("m.pkl", p); r.Verdict != VerdictSuspicious {
		t.Fatalf("default verdict %s", r.Verdict)
	}
	s := New(Options{Allow: []string{"sklearn.*"}})
	if r := s.ScanReader(context.Background(), "m.pkl", bytes.NewReader(p), int64(len(p))); r.Verdict != VerdictClean {
		t.Fatalf("allowlisted verdict %s %+v", r.Verdict, r.Findings)
	}
	f := filepath.Join(t.TempDir(), "allow.yaml")
	os.WriteFile(f, []byte("allow:\n  - sklearn.linear_model._base.LinearRegression\n"), 0o644)
	extra, err := LoadAllowlist(f)
	if err != nil || len(extra) != 1 {
		t.Fatalf("LoadAllowlist: %v %v", extra, err)
	}
}

// TestMemberDigests: with hashing on, every analysed archive member carries
// the SHA-256 of its own (decompressed) bytes, at any nesting depth.
func TestMemberDigests(t *testing.T) {
	inner := pickleOf("os", "system")
	nested := zipFile(t, zipEntry{name: "deep/p.pkl", data: inner, method: 8})
	z := zipFile(t, zipEntry{name: "a/p.pkl", data: inner}, zipEntry{name: "b/n.zip", data: nested})
	want := fmt.Sprintf("%x", sha256.Sum256(inner))
	wantNested := fmt.Sprintf("%x", sha256.Sum256(nested))
	r := New(Options{Hash: true}).ScanReader(context.Background(), "m.zip", bytes.NewReader(z), int64(len(z)))
	got := map[string]string{}
	for _, m := range Flatten([]FileResult{r}) {
		got[m.Path] = m.SHA256
	}
	if got["m.zip!a/p.pkl"] != want || got["m.zip!b/n.zip"] != wantNested || got["m.zip!b/n.zip!deep/p.pkl"] != want {
		t.Fatalf("member digests %v, want %s / %s", got, want, wantNested)
	}
	r = New(Options{Hash: false}).ScanReader(context.Background(), "m.zip", bytes.NewReader(z), int64(len(z)))
	for _, m := range Flatten([]FileResult{r}) {
		if m.SHA256 != "" {
			t.Fatalf("digest with hashing off: %+v", m)
		}
	}
}

// TestChatTemplateObfuscationAndBenign: dunder names assembled at render
// time are critical; widely used benign chat templates (written from the
// Llama 3, ChatML/Qwen, Mistral, Gemma, Phi-3, DeepSeek-R1 and Qwen2.5 tool
// templates) raise nothing above low.
func TestChatTemplateObfuscationAndBenign(t *testing.T) {
	for name, tpl := range map[string]string{
		"concatenated dunder":      `{{ ''['__cla'+'ss__'] }}`,
		"underscore multiplied":    `{{ ()|attr('_'*2+'class'+'_'*2) }}`,
		"joined list":              `{% set a = ['__', 'class', '__']|join %}{{ ()|attr(a) }}`,
		"char codes via format":    `{{ ()|attr('%c%cclass%c%c'|format(95,95,95,95)) }}`,
		"reversed literal":         `{{ ()|attr('__ssalc__'[::-1]) }}`,
		"dict keyword to dunder":   `{% set u = dict(__class__=1)|list|first %}{{ ()|attr(u) }}`,
		"escaped underscores":      `{{ ''['\x5f\x5fclass\x5f\x5f'] }}`,
		"lipsum globals":           `{{ lipsum.__globals__['os'].popen('id').read() }}`,
		"attr filter on a literal": `{{ ''|attr('__class__') }}`,
	} {
		if w := worstSeverity(CheckChatTemplate(tpl)); w != "critical" {
			t.Errorf("%s: worst %s, want critical (%+v)", name, w, CheckChatTemplate(tpl))
		}
	}
	for name, tpl := range map[string]string{
		"llama3":                     "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}",
		"chatml":                     "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}",
		"mistral":                    "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}",
		"gemma":                      "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}",
		"phi3":                       "{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}",
		"deepseek-r1":                "{% set ns = namespace(is_first=false, is_tool=false, is_output_first=true, system_prompt='') %}{%- for message in messages %}{%- if message['role'] == 'system' %}{% set ns.system_prompt = message['content'] %}{%- endif %}{%- endfor %}{{ bos_token }}{{ ns.system_prompt }}{%- for message in messages %}{%- if message['role'] == 'user' %}{%- set ns.is_tool = false -%}{{'<｜User｜>' + message['content']}}{%- endif %}{%- if message['role'] == 'assistant' and message['content'] is not none %}{% set content = message['content'] %}{% if '</think>' in content %}{% set content = content.split('</think>')[-1] %}{% endif %}{{'<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>'}}{%- endif %}{%- endfor -%}{% if add_generation_prompt %}{{'<｜Assistant｜><think>\\n'}}{% endif %}",
		"qwen2.5 tools":              "{%- if tools %}{{- '<|im_start|>system\\n' }}{%- for tool in tools %}{{- \"\\n\" }}{{- tool | tojson }}{%- endfor %}{{- \"\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\\"name\\\": <function-name>, \\\"arguments\\\": <args-json-object>}\\n</tool_call><|im_end|>\\n\" }}{%- endif %}{%- for message in messages %}{%- if message.role == \"user\" %}{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}{%- elif message.role == \"assistant\" %}{{- '<|im_start|>' + message.role }}{%- for tool_call in message.tool_calls %}{%- if tool_call.function is defined %}{%- set tool_call = tool_call.function %}{%- endif %}{{- '\\n<tool_call>\\n{\"name\": \"' }}{{- tool_call.name }}{{- '\", \"arguments\": ' }}{{- tool_call.arguments | tojson }}{{- '}\\n</tool_call>' }}{%- endfor %}{{- '<|im_end|>\\n' }}{%- endif %}{%- endfor %}",
		"tool name with underscores": "{% for tool in tools %}{{ tool.name | replace('-', '_') }}{% endfor %}",
	} {
		for _, f := range CheckChatTemplate(tpl) {
			if f.Severity != "low" && f.Severity != "info" {
				t.Errorf("%s: benign template flagged %+v", name, f)
			}
		}
	}
}

func worstSeverity(fs []Finding) string {
	rank := map[string]int{"": 0, "info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
	w := ""
	for _, f := range fs {
		if rank[f.Severity] > rank[w] {
			w = f.Severity
		}
	}
	return w
}

// TestONNXExternalDataThroughSymlink: a location that stays in the folder by
// name but is a symbolic link to a file outside it (CVE-2024-27318 class).
func TestONNXExternalDataThroughSymlink(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(outside, []byte("secret"), 0o600)
	dir := t.TempDir()
	model := filepath.Join(dir, "model.onnx")
	os.WriteFile(model, onnxFile("weights.bin", ""), 0o644)
	if err := os.Symlink(outside, filepath.Join(dir, "weights.bin")); err != nil {
		t.Skip("no symlinks here")
	}
	s := New(Options{})
	r := s.ScanFile(context.Background(), model)
	if r.Verdict != VerdictMalicious || !hasRule(r, "onnx.external-data.link-escape") {
		t.Fatalf("symlinked external data: %+v", r)
	}
	// A link that stays inside the folder, and a plain file, are fine.
	os.Remove(filepath.Join(dir, "weights.bin"))
	os.MkdirAll(filepath.Join(dir, "blobs"), 0o755)
	os.WriteFile(filepath.Join(dir, "blobs", "w"), []byte("w"), 0o644)
	os.Symlink(filepath.Join("blobs", "w"), filepath.Join(dir, "weights.bin"))
	if r := s.ScanFile(context.Background(), model); r.Verdict != VerdictClean {
		t.Fatalf("link inside the folder: %+v", r)
	}
	// Without a file on disk (an upload) the folder is not consulted.
	os.Remove(filepath.Join(dir, "weights.bin"))
	os.Symlink(outside, filepath.Join(dir, "weights.bin"))
	b := onnxFile("weights.bin", "")
	if r := s.ScanReader(context.Background(), model, bytes.NewReader(b), int64(len(b))); r.Verdict != VerdictClean {
		t.Fatalf("in-memory scan: %+v", r)
	}
}
