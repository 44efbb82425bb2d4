package pickle

import (
	"strings"
	"testing"
)

// TestPublishedGadgets pickles each callable named in published
// picklescan / modelscan / fickling bypasses (GHSA advisories, JFrog and
// Sonatype write-ups, CTF solutions) through STACK_GLOBAL + REDUCE with a
// neutral argument, so that only the policy (not the payload heuristic)
// decides: every one must be critical.
func TestPublishedGadgets(t *testing.T) {
	gadgets := []string{
		// nested deserializers / loaders
		"torch.serialization load", "torch.serialization _load", "torch load", "torch.storage _load_from_bytes",
		"_pickle loads", "_pickle Unpickler", "pickle loads", "cPickle loads", "marshal loads", "dill loads",
		"numpy load", "numpy.lib.npyio load", "numpy.lib.format read_array", "numpy.ctypeslib load_library",
		"joblib load", "pandas read_pickle", "lib2to3.pgen2.grammar Grammar.loads", "shelve open",
		// package managers and build tools that run code
		"pip main", "pip._internal main", "pip._internal.cli.main main", "ensurepip _run_pip", "ensurepip bootstrap",
		"distutils.file_util write_file", "distutils.spawn spawn", "setuptools.sandbox run_setup",
		"setuptools._distutils.spawn spawn", "venv create",
		// debuggers, profilers, timers: they run a statement string
		"timeit timeit", "timeit Timer", "pdb run", "pdb Pdb.run", "bdb Bdb.run", "cProfile run", "cProfile runctx",
		"profile run", "profile Profile.runctx", "trace Trace.runctx", "doctest debug_script", "code InteractiveInterpreter.runcode",
		"code InteractiveConsole.push", "codeop compile_command",
		// IDLE, pydoc, helpers found in the standard library
		"idlelib.pyshell ModifiedInterpreter.runcode", "idlelib.run Executive.runcode", "idlelib.autocomplete AutoComplete.fetch_completions",
		"idlelib.calltip Calltip.fetch_tip", "idlelib.debugobj ObjectTreeItem.SetText",
		"pydoc locate", "pydoc pipepager", "pydoc tempfilepager", "pydoc.ErrorDuringImport __init__",
		"pkgutil resolve_name", "importlib import_module", "importlib.util spec_from_file_location", "runpy run_path",
		"runpy _run_code", "runpy _run_module_as_main", "zipimport zipimporter", "uuid _get_command_stdout",
		"_osx_support _read_output", "_aix_support _read_cmd_output", "_pyrepl.pager pipe_pager",
		"test.support.script_helper assert_python_ok", "sysconfig _init_posix",
		// processes and the OS
		"os system", "posix system", "nt system", "os popen", "os execv", "os spawnlp", "posix posix_spawn",
		"subprocess Popen", "subprocess check_output", "subprocess getoutput", "_posixsubprocess fork_exec",
		"asyncio.subprocess create_subprocess_shell", "asyncio create_subprocess_exec",
		"asyncio.unix_events _UnixSubprocessTransport._start", "asyncio.base_events BaseEventLoop.subprocess_shell",
		"multiprocessing.util spawnv_passfds", "pty spawn", "signal raise_signal", "ctypes CDLL", "ctypes cdll.LoadLibrary",
		"_ctypes dlopen", "ctypes.util find_library",
		// builtins and attribute access (getattr built through REDUCE)
		"builtins getattr", "builtins eval", "builtins exec", "builtins compile", "builtins open", "builtins __import__",
		"builtins breakpoint", "builtins setattr", "__builtin__ eval", "builtins globals",
		"operator attrgetter", "operator methodcaller", "_operator attrgetter", "_operator methodcaller",
		"functools reduce", "types FunctionType", "types CodeType",
		// files and network
		"shutil rmtree", "shutil copyfile", "io open", "_io FileIO", "codecs open", "tempfile mkstemp",
		"socket create_connection", "urllib.request urlopen", "http.client HTTPSConnection", "smtplib SMTP",
		"webbrowser open", "logging.config listen", "logging FileHandler", "sqlite3 connect", "tarfile open",
		"zipfile ZipFile.extractall",
		// ML framework loaders
		"torch.hub load", "torch.jit load", "torch.package PackageImporter", "torch.utils.cpp_extension load_inline",
		"torch.utils.collect_env run", "torch.utils.bottleneck.__main__ run_cprofile", "torch._dynamo.guards GuardBuilder",
		"torch.fx.graph_module _forward_from_src", "torch._inductor.codecache PyCodeCache.load", "torch.ops.load_library",
		"torch._C _load_for_lite_interpreter", "numpy.lib._format_impl read_array", "numpy.lib.format open_memmap", "numpy.f2py compile", "numpy.testing._private.utils runstring",
		"keras.utils get_file", "tensorflow.io.gfile GFile", "transformers.dynamic_module_utils get_class_from_dynamic_module",
		"huggingface_hub hf_hub_download", "IPython.utils.process system",
	}
	for _, g := range gadgets {
		mod, name, _ := strings.Cut(g, " ")
		t.Run(mod+"."+name, func(t *testing.T) {
			for _, proto := range []byte{0, 2, 4} {
				var data []byte
				if proto >= 4 {
					data = newPB(proto).ustr(mod).memoize().ustr(name).memoize().stackGlobal().call1("x").stop()
				} else if proto == 2 {
					data = newPB(proto).global(mod, name).op('q', 0).call1("x").stop()
				} else {
					data = newPB(0).global(mod, name).op('(').str0("'x'").op('t', 'R', '.').bytes()
				}
				r := analyze(data)
				if got := worst(r.Findings); got != "critical" {
					t.Errorf("protocol %d: worst severity %s, want critical; findings %+v err %v", proto, got, r.Findings, r.Err)
				}
			}
		})
	}
}

// TestCombinatorChains covers callables composed from allowlisted or
// combinator globals: the dangerous target is imported somewhere in the
// stream, or the callable is computed.
func TestCombinatorChains(t *testing.T) {
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"functools.partial(os.system, cmd)",
			newPB(2).global("functools", "partial").op('(').global("os", "system").ustr("x").op('t').reduce().op(')').reduce().stop(), "critical"},
		{"functools.partial alone is high",
			newPB(2).global("functools", "partial").op('(').global("collections", "OrderedDict").op('t').reduce().stop(), "high"},
		{"operator.methodcaller('system', cmd)(os)",
			newPB(2).global("operator", "methodcaller").op('(').ustr("system").ustr("x").op('t').reduce().stop(), "critical"},
		{"operator.attrgetter via _operator alias",
			newPB(4).ustr("_operator").ustr("attrgetter").stackGlobal().call1("system").stop(), "critical"},
		{"getattr(__import__('os'), 'system') built with REDUCE",
			newPB(2).global("builtins", "getattr").op('(').global("builtins", "__import__").call1("os").ustr("system").op('t').reduce().call1("x").stop(), "critical"},
		{"STACK_GLOBAL on a concatenation computed by operator.add",
			newPB(4).ustr("operator").ustr("add").stackGlobal().op('(').ustr("o").ustr("s").op('t').reduce().ustr("system").stackGlobal().call1("x").stop(), "critical"},
		{"STACK_GLOBAL operands via LONG_BINPUT/LONG_BINGET",
			newPB(4).ustr("posix").op('r', 7, 0, 0, 0).op('0').ustr("system").op('r', 8, 0, 0, 0).op('0').
				op('j', 7, 0, 0, 0).op('j', 8, 0, 0, 0).stackGlobal().call1("x").stop(), "critical"},
		{"dangerous module reached as an attribute of an allowlisted class (__reduce_ex__)",
			newPB(4).ustr("builtins").ustr("object.__reduce_ex__").stackGlobal().call1("x").stop(), "critical"},
		{"copyreg._reconstructor building a dangerous class",
			newPB(2).global("copyreg", "_reconstructor").op('(').global("subprocess", "Popen").global("builtins", "object").op('N', 't').reduce().stop(), "critical"},
		{"copyreg.__newobj__ on a dangerous class",
			newPB(2).global("copyreg", "__newobj__").op('(').global("os", "_wrap_close").op('t').reduce().stop(), "critical"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := analyze(c.data)
			if got := worst(r.Findings); got != c.want {
				t.Errorf("worst severity %s, want %s; findings %+v err %v", got, c.want, r.Findings, r.Err)
			}
		})
	}
}

// TestTorchScriptListHelpersAreBenign: TorchScript's C++ pickler writes
// typed lists through torch.jit._pickle helpers; they are allowlisted
// although torch.jit as a whole (torch.jit.load) is dangerous.
func TestTorchScriptListHelpersAreBenign(t *testing.T) {
	for _, name := range []string{"build_intlist", "build_tensorlist", "build_doublelist", "build_boollist", "restore_type_tag"} {
		data := newPB(2).global("torch.jit._pickle", name).op('(', ']', 'K', 1, 'a', 't').reduce().stop()
		r := analyze(data)
		if w := worst(r.Findings); w != "none" && w != "info" {
			t.Errorf("%s: worst severity %s: %+v", name, w, r.Findings)
		}
	}
	if w := worst(analyze(newPB(2).global("torch.jit", "load").call1("x").stop()).Findings); w != "critical" {
		t.Errorf("torch.jit.load: worst %s, want critical", w)
	}
	if w := worst(analyze(newPB(2).global("torch.jit._pickle", "other").call1("x").stop()).Findings); w != "critical" {
		t.Errorf("torch.jit._pickle.other: worst %s, want critical", w)
	}
}

// TestQualifiedNameThroughWildcardAllowlist: since protocol 4 the unpickler
// resolves a dotted name attribute by attribute (pickle._getattribute), so
// GLOBAL torch.nn.modules.module / torch.hub.load reaches torch.hub.load
// through the module's own `import torch`. A wildcard allowlist entry
// (torch.nn.modules.*, a user's sklearn.*) vouches for the module's classes,
// not for everything reachable from its namespace.
func TestQualifiedNameThroughWildcardAllowlist(t *testing.T) {
	cases := []struct {
		mod, name, want string
	}{
		{"torch.nn.modules.module", "torch.hub.load", "critical"},
		{"torch.nn.modules.module", "torch.serialization.load", "critical"},
		{"torch.nn.modules.linear", "F.torch.jit.load", "critical"},
		{"torch.nn.modules.module", "os.system", "critical"},
		{"torch.nn.modules.module", "functools.partial", "high"},
		{"numpy.dtypes", "np.load", "high"},
		{"torch.nn.modules.module", "torch.sparse.sum", "medium"},
		// The same through modules that are not allowlisted at all.
		{"uuid", "os.system", "critical"},
		{"torch", "serialization.os.system", "critical"},
		{"torch.nn.functional", "torch.serialization.load", "critical"},
		{"datetime", "sys.modules.get", "critical"},
		{"mylib.models", "Outer.Inner", "medium"},
		// An undotted class of the module stays allowed.
		{"torch.nn.modules.linear", "Linear", "none"},
	}
	for _, c := range cases {
		t.Run(c.mod+"/"+c.name, func(t *testing.T) {
			data := newPB(4).ustr(c.mod).memoize().ustr(c.name).memoize().stackGlobal().op(')').op(0x81).stop()
			r := analyze(data)
			if got := worst(r.Findings); got != c.want {
				t.Errorf("worst severity %s, want %s; findings %+v err %v", got, c.want, r.Findings, r.Err)
			}
		})
	}
	// The same through a user's wildcard.
	p := NewPolicy([]string{"sklearn.*"})
	if c := p.Classify("sklearn.base", "joblib.load"); c != Dangerous {
		t.Errorf("sklearn.base / joblib.load through --allow sklearn.*: %v, want dangerous", c)
	}
	if c := NewPolicy([]string{"mylib.Outer.Inner"}).Classify("mylib", "Outer.Inner"); c != Safe {
		t.Errorf("exact allowlist entry for a nested class: %v, want safe", c)
	}
	if c := p.Classify("sklearn.tree._tree", "Tree"); c != Safe {
		t.Errorf("sklearn.tree._tree.Tree with --allow sklearn.*: %v, want safe", c)
	}
}

// TestPython2ModuleAliases: for protocols 0-2 the unpickler maps Python 2
// module names to their Python 3 modules (_compat_pickle, fix_imports on by
// default), so a py2 name reaches the dangerous module.
func TestPython2ModuleAliases(t *testing.T) {
	for _, g := range []string{
		"thread start_new_thread", "SocketServer TCPServer", "BaseHTTPServer HTTPServer", "SimpleHTTPServer test",
		"CGIHTTPServer CGIHTTPRequestHandler", "xmlrpclib ServerProxy", "SimpleXMLRPCServer SimpleXMLRPCServer",
		"anydbm open", "dumbdbm open", "Tkinter Tk", "test.test_support run_unittest", "__builtin__ reduce",
		"cookielib FileCookieJar", "commands getoutput", "_winreg OpenKey",
	} {
		mod, name, _ := strings.Cut(g, " ")
		data := newPB(2).global(mod, name).op(')').reduce().stop()
		if w := worst(analyze(data).Findings); w != "critical" {
			t.Errorf("%s.%s: worst %s, want critical", mod, name, w)
		}
	}
}
