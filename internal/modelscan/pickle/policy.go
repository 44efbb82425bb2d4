package pickle

import (
	"sort"
	"strings"
)

// Class is how the policy rates one imported global.
type Class int

// Classes, from harmless to dangerous.
const (
	// Safe globals are on the allowlist and pass silently.
	Safe Class = iota
	// Unknown globals are not on the allowlist: at least suspicious.
	Unknown
	// Risky globals are known callable combinators or loaders that can reach
	// code but have rare legitimate uses (functools.partial, types, ...).
	Risky
	// Dangerous globals run code, touch files, processes or the network, or
	// load further pickles.
	Dangerous
)

func (c Class) String() string {
	switch c {
	case Safe:
		return "safe"
	case Unknown:
		return "unknown"
	case Risky:
		return "risky"
	case Dangerous:
		return "dangerous"
	}
	return "class?"
}

// Policy rates globals: allowlist first, then a list of known-dangerous
// modules and names; everything else is Unknown.
type Policy struct {
	allowExact  map[string]bool
	allowPrefix []string // "mod" allows mod.* and submodules
}

// defaultAllow is the built-in allowlist: what benign PyTorch, NumPy,
// scikit-learn-free checkpoints need. "x.*" allows every global in module x
// and its submodules.
var defaultAllow = []string{
	// PyTorch tensor and storage reconstruction.
	"torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor_v3",
	"torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state",
	"torch._utils._rebuild_sparse_tensor", "torch._utils._rebuild_sparse_csr_tensor",
	"torch._utils._rebuild_nested_tensor", "torch._utils._rebuild_device_tensor_from_numpy",
	"torch._utils._rebuild_meta_tensor_no_storage", "torch._utils._rebuild_wrapper_subclass",
	"torch._utils._rebuild_qtensor", "torch._utils._rebuild_xla_tensor", "torch._utils._rebuild_mlc_tensor",
	"torch._tensor._rebuild_from_type", "torch._tensor._rebuild_from_type_v2",
	"torch.nn.parameter.Parameter", "torch.nn.parameter.Buffer", "torch.nn.parameter.UninitializedParameter",
	"torch.Tensor", "torch.Size", "torch.device", "torch.dtype",
	"torch.storage.UntypedStorage", "torch.storage.TypedStorage", "torch.storage._StorageBase",
	"torch.FloatStorage", "torch.DoubleStorage", "torch.HalfStorage", "torch.BFloat16Storage",
	"torch.LongStorage", "torch.IntStorage", "torch.ShortStorage", "torch.CharStorage", "torch.ByteStorage",
	"torch.BoolStorage", "torch.ComplexFloatStorage", "torch.ComplexDoubleStorage",
	"torch.QUInt8Storage", "torch.QInt8Storage", "torch.QInt32Storage", "torch.QUInt4x2Storage", "torch.QUInt2x4Storage",
	"torch.UntypedStorage",
	"torch.float32", "torch.float", "torch.float64", "torch.double", "torch.float16", "torch.half", "torch.bfloat16",
	"torch.int64", "torch.long", "torch.int32", "torch.int", "torch.int16", "torch.short", "torch.int8", "torch.uint8",
	"torch.bool", "torch.complex64", "torch.complex128", "torch.cfloat", "torch.cdouble",
	"torch.float8_e4m3fn", "torch.float8_e5m2", "torch.float8_e4m3fnuz", "torch.float8_e5m2fnuz",
	"torch.uint16", "torch.uint32", "torch.uint64", "torch.qint8", "torch.quint8", "torch.qint32", "torch.quint4x2",
	"torch.strided", "torch.sparse_coo", "torch.sparse_csr", "torch._mkldnn",
	"torch.contiguous_format", "torch.channels_last", "torch.channels_last_3d", "torch.preserve_format",
	"torch.per_tensor_affine", "torch.per_channel_affine", "torch.per_tensor_symmetric", "torch.per_channel_symmetric",
	"torch.serialization._get_layout",
	"torch.nn.modules.*",
	// TorchScript data.pkl/constants.pkl (written by the C++ pickler): typed
	// list rebuilders that return their argument.
	"torch.jit._pickle.build_intlist", "torch.jit._pickle.build_tensorlist", "torch.jit._pickle.build_doublelist",
	"torch.jit._pickle.build_boollist", "torch.jit._pickle.restore_type_tag",
	// Python containers and plain values.
	"collections.OrderedDict", "collections.defaultdict", "collections.Counter", "collections.deque",
	"builtins.set", "builtins.frozenset", "builtins.dict", "builtins.list", "builtins.tuple",
	"builtins.bytearray", "builtins.bytes", "builtins.str", "builtins.int", "builtins.float",
	"builtins.complex", "builtins.bool", "builtins.slice", "builtins.range", "builtins.object",
	// Python 2 names that Python 3 writes for protocols 0-2 (_compat_pickle
	// REVERSE_NAME_MAPPING: range -> __builtin__.xrange, ...).
	"builtins.xrange", "builtins.unicode", "builtins.long", "builtins.basestring",
	"copyreg._reconstructor", "_codecs.encode",
	"datetime.datetime", "datetime.date", "datetime.time", "datetime.timedelta", "datetime.timezone",
	"decimal.Decimal", "fractions.Fraction", "uuid.UUID", "pathlib.PosixPath", "pathlib.WindowsPath", "pathlib.PurePosixPath",
	"argparse.Namespace", "enum.Enum", "re._compile",
	// NumPy array reconstruction and dtypes.
	"numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct",
	"numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar",
	"numpy.core.numeric._frombuffer", "numpy._core.numeric._frombuffer",
	"numpy.ndarray", "numpy.dtype", "numpy.dtypes.*", "numpy.ma.core._mareconstruct", "numpy.ma.core.MaskedArray",
	"numpy.bool_", "numpy.int8", "numpy.int16", "numpy.int32", "numpy.int64", "numpy.uint8", "numpy.uint16",
	"numpy.uint32", "numpy.uint64", "numpy.float16", "numpy.float32", "numpy.float64", "numpy.complex64", "numpy.complex128",
	"numpy.random._pickle.__randomstate_ctor", "numpy.random._pickle.__bit_generator_ctor", "numpy.random._pickle.__generator_ctor",
	// joblib array wrappers (their bytes follow inline and are skipped).
	"joblib.numpy_pickle.NumpyArrayWrapper", "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper",
}

// dangerousModules: any global from these modules (or their submodules) is
// Dangerous.
var dangerousModules = []string{
	"os", "nt", "posix", "subprocess", "_posixsubprocess", "_winapi", "runpy", "importlib", "imp", "zipimport",
	"code", "codeop", "pty", "tty", "socket", "_socket", "ssl", "select", "selectors", "webbrowser", "shutil", "sys",
	"pdb", "bdb", "timeit", "cProfile", "profile", "_lsprof", "trace", "tracemalloc", "pydoc", "pydoc_data",
	"ctypes", "_ctypes", "asyncio", "_asyncio", "multiprocessing", "_multiprocessing", "concurrent", "threading", "_thread",
	"pickle", "_pickle", "cPickle", "pickletools", "shelve", "dbm", "marshal", "cloudpickle", "dill", "joblib.load",
	"smtplib", "ftplib", "http", "urllib", "urllib2", "urllib3", "requests", "httplib", "httpx", "aiohttp",
	"telnetlib", "imaplib", "poplib", "nntplib", "xmlrpc", "socketserver", "wsgiref",
	"idlelib", "lib2to3", "doctest", "ensurepip", "pip", "distutils", "setuptools", "venv", "test.support", "test.libregrtest",
	"_aix_support", "_osx_support", "_pyrepl", "pyrepl", "sysconfig", "platform", "site", "ptyprocess", "pexpect",
	"commands", "popen2", "signal", "resource", "fcntl", "mmap", "gc", "inspect", "linecache", "tempfile",
	"glob", "fileinput", "filecmp", "zipfile", "tarfile", "gzip", "bz2", "lzma", "io", "_io", "logging",
	"builtins.__import__", "__builtin__.__import__", "jinja2", "mako", "yaml", "sqlite3", "_sqlite3",
	"torch.hub", "torch.jit", "torch.load", "torch.serialization.load", "torch.serialization._load",
	"torch.serialization._legacy_load", "torch.storage._load_from_bytes", "torch._load_from_bytes", "torch._C._load_for_lite_interpreter",
	"torch.classes", "torch._classes", "torch.library", "torch._ops", "torch.package", "torch.utils.bottleneck", "torch.utils.collect_env",
	"torch._dynamo", "torch._inductor", "torch.fx", "torch.utils._config_module", "torch.utils.data.datapipes",
	"torch.utils.cpp_extension", "torch.distributed.rpc", "torch.distributed.launch", "torch.distributed.run", "torch._export", "torch.export", "torch.onnx", "torch.testing",
	"torch.compiler", "torch._C._jit", "torch.ops",
	"numpy.f2py", "numpy.testing", "numpy.distutils", "numpy.ctypeslib", "numpy.lib.npyio", "numpy.lib._npyio_impl", "numpy.lib.utils",
	"numpy.lib.format.read_array", "numpy.lib.format.open_memmap", "numpy.lib._format_impl.read_array", "numpy.lib._format_impl.open_memmap",
	"numpy.load", "numpy.loadtxt", "numpy.fromfile", "numpy.save", "numpy.savetxt", "numpy.tofile",
	"tensorflow.io", "tensorflow.python.ops.script_ops", "keras.utils.get_file", "transformers.dynamic_module_utils",
	"IPython", "ipykernel", "fickling", "builtins.eval", "pandas.io", "pandas.read_pickle", "scipy.io", "xml",
	"pkgutil", "modulefinder", "compileall", "py_compile", "zipapp", "operator.attrgetter", "operator.methodcaller",
	"_operator.attrgetter", "_operator.methodcaller", "functools.reduce", "_functools.reduce", "uuid._get_command_stdout",
	"uuid._popen", "types.CodeType", "types.FunctionType", "types.LambdaType", "types.MethodType", "types.ModuleType",
	"types.new_class", "types.SimpleNamespace.__init__",
	"tkinter", "_tkinter", "turtle", "winreg", "_winreg", "msvcrt", "winsound", "cmd", "codecs.open", "_codecs.open",
	"mailcap", "cgi", "cgitb", "pathlib.Path.write_text", "pathlib.Path.write_bytes", "pathlib.Path.unlink",
	"pathlib.PosixPath.write_text", "pathlib.PosixPath.write_bytes", "pathlib.PosixPath.unlink", "pathlib.Path.open",
	"pathlib.PosixPath.open", "pathlib.Path.read_text", "pathlib.PosixPath.read_text", "pathlib.Path.rename",
	"pathlib.PosixPath.rename", "pathlib.Path.symlink_to", "pathlib.PosixPath.symlink_to",
	"huggingface_hub", "transformers.utils.hub", "_signal", "smtpd", "asyncore", "asynchat", "pipes", "unittest",
	"atexit", "weakref.finalize", "sched", "netrc", "tabnanny", "mimetypes.init", "getpass", "email.message_from_file",
	"configparser.RawConfigParser.read", "configparser.ConfigParser.read", "_bootlocale", "_sitebuiltins", "keras.utils.get_file", "keras.src.utils.file_utils",
}

// riskyVerbs are final name components that act on files, processes, the
// network or deserialize further data: a global ending in one of them is at
// least high when it is not on the allowlist.
var riskyVerbs = map[string]bool{
	"system": true, "popen": true, "spawn": true, "spawnv": true, "execv": true, "execve": true, "run": true,
	"call": true, "check_call": true, "check_output": true, "getoutput": true, "getstatusoutput": true,
	"write_text": true, "write_bytes": true, "unlink": true, "remove": true, "rmtree": true, "rmdir": true,
	"rename": true, "chmod": true, "chown": true, "symlink": true, "symlink_to": true, "urlopen": true,
	"urlretrieve": true, "download": true, "hf_hub_download": true, "snapshot_download": true, "load": true,
	"loads": true, "load_model": true, "unsafe_load": true, "full_load": true, "eval": true, "exec": true,
	"compile": true, "import_module": true, "run_module": true, "run_path": true, "startfile": true, "kill": true,
	"runcode": true, "runsource": true, "runctx": true, "execfile": true, "load_library": true, "LoadLibrary": true,
	"CDLL": true, "dlopen": true, "connect": true, "create_connection": true, "send": true, "sendall": true,
}

// dangerousBuiltins are builtins names that run code, open files, read or
// write attributes, or import.
var dangerousBuiltins = map[string]bool{
	"eval": true, "exec": true, "execfile": true, "compile": true, "open": true, "file": true, "input": true,
	"raw_input": true, "getattr": true, "setattr": true, "delattr": true, "hasattr": true, "__import__": true,
	"globals": true, "locals": true, "vars": true, "breakpoint": true, "help": true, "apply": true,
	"exit": true, "quit": true, "reload": true, "__build_class__": true,
	// __builtin__.reduce is functools.reduce after fix_imports (NAME_MAPPING).
	"reduce": true,
}

// riskyNames are combinators that become dangerous with dangerous arguments;
// their arguments are imported separately and rated on their own.
var riskyNames = map[string]bool{
	"functools.partial": true, "_functools.partial": true, "functools.partialmethod": true,
	"operator.itemgetter": true, "_operator.itemgetter": true, "operator.call": true, "_operator.call": true,
	"copyreg.__newobj__": true, "copyreg.__newobj_ex__": true, "copy_reg.__newobj__": true,
	"types.SimpleNamespace": true, "collections.namedtuple": true, "typing.NamedTuple": true,
	"builtins.object.__reduce_ex__": true, "abc.ABCMeta": true,
}

// moduleAliases maps Python 2 module names (fix_imports) and C accelerator
// modules to the names the lists use.
var moduleAliases = map[string]string{
	"__builtin__": "builtins", "copy_reg": "copyreg", "exceptions": "builtins", "UserDict": "collections",
	"_operator": "operator", "cPickle": "pickle", "_pickle": "pickle", "Queue": "queue",
	"commands": "subprocess", "urllib2": "urllib", "httplib": "http.client", "_functools": "functools",
	"_collections": "collections", "_io": "io", "_posixsubprocess": "subprocess",
	// The rest of CPython's _compat_pickle.IMPORT_MAPPING (applied by
	// Unpickler for protocols 0-2 with fix_imports, the default).
	"thread": "_thread", "dummy_thread": "_dummy_thread", "SocketServer": "socketserver",
	"SimpleHTTPServer": "http.server", "BaseHTTPServer": "http.server", "CGIHTTPServer": "http.server",
	"Cookie": "http.cookies", "cookielib": "http.cookiejar", "xmlrpclib": "xmlrpc.client",
	"SimpleXMLRPCServer": "xmlrpc.server", "DocXMLRPCServer": "xmlrpc.server", "urlparse": "urllib.parse",
	"robotparser": "urllib.robotparser", "anydbm": "dbm", "whichdb": "dbm", "dumbdbm": "dbm.dumb",
	"dbhash": "dbm.bsd", "gdbm": "dbm.gnu", "StringIO": "io", "cStringIO": "io", "Tkinter": "tkinter",
	"tkFileDialog": "tkinter.filedialog", "FileDialog": "tkinter.filedialog", "SimpleDialog": "tkinter.simpledialog",
	"test.test_support": "test.support", "_winreg": "winreg", "ConfigParser": "configparser", "repr": "reprlib",
	"UserList": "collections", "UserString": "collections", "markupbase": "_markupbase",
	"htmlentitydefs": "html.entities", "HTMLParser": "html.parser", "_abcoll": "collections.abc",
	"_elementtree": "xml.etree.ElementTree",
}

// NewPolicy returns the default policy extended with extra allowlist
// entries ("module.name" or "module.*").
func NewPolicy(extraAllow []string) *Policy {
	p := &Policy{allowExact: map[string]bool{}}
	for _, a := range append(append([]string{}, defaultAllow...), extraAllow...) {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if strings.HasSuffix(a, ".*") {
			p.allowPrefix = append(p.allowPrefix, strings.TrimSuffix(a, ".*"))
			continue
		}
		p.allowExact[a] = true
	}
	sort.Strings(p.allowPrefix)
	return p
}

// Classify rates module.name. The name may be dotted (a qualified name):
// since protocol 4 the unpickler resolves it attribute by attribute, so it
// reaches whatever the module imported (uuid / os.system is os.system), and
// it is rated as the worst of the name itself and every dotted suffix of it
// taken as module.name. Exact allowlist entries are honoured as written.
func (p *Policy) Classify(module, name string) Class {
	c := p.classify(module, name)
	if c == Dangerous || strings.IndexByte(name, '.') < 0 || p.allowExact[module+"."+name] {
		return c
	}
	if !validDotted(module) || !validDotted(name) {
		// Not importable or not an attribute path: nothing to walk.
		return c
	}
	if a, ok := moduleAliases[module]; ok && p.allowExact[a+"."+name] {
		return c
	}
	return max(c, p.throughNamespace(name))
}

func (p *Policy) classify(module, name string) Class {
	full := module + "." + name
	if p.allowExact[full] {
		return Safe
	}
	mod := module
	if a, ok := moduleAliases[module]; ok {
		mod = a
	} else if i := strings.IndexByte(module, '.'); i > 0 {
		if a, ok := moduleAliases[module[:i]]; ok {
			mod = a + module[i:]
		}
	}
	nfull := mod + "." + name
	// Reaching a dunder attribute through a qualified name
	// (x.__globals__, x.__class__.__subclasses__) is an escape, not a value.
	if dunderEscape(name) || dunderEscape(mod) {
		return Dangerous
	}
	if p.allowed(full, module) || (mod != module && (p.allowExact[nfull] || p.allowed(nfull, mod))) {
		if strings.IndexByte(name, '.') < 0 || (mod != module && p.allowExact[nfull]) {
			return Safe
		}
		// A dotted name on a module allowed by a wildcard can leave the
		// module through anything it imported (torch.nn.modules.module /
		// torch.hub.load): never better than Unknown (Classify rates the
		// suffixes).
		return Unknown
	}
	if mod == "builtins" {
		first := name
		if i := strings.IndexByte(name, '.'); i >= 0 {
			first = name[:i]
			// builtins.X.attr reaches into an object: never a plain value.
			return Dangerous
		}
		if dangerousBuiltins[first] || strings.HasPrefix(first, "__") {
			return Dangerous
		}
		return Unknown
	}
	for _, cand := range []string{full, nfull} {
		for _, d := range dangerousModules {
			if cand == d || strings.HasPrefix(cand, d+".") {
				return Dangerous
			}
		}
	}
	if riskyNames[full] || riskyNames[nfull] {
		return Risky
	}
	last := name
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		last = name[i+1:]
	}
	if riskyVerbs[last] {
		return Risky
	}
	if !validDotted(module) || !validDotted(name) {
		return Risky
	}
	return Unknown
}

// maxQualifiedParts bounds how many components of a qualified name are rated.
const maxQualifiedParts = 32

// throughNamespace rates a dotted name reached from inside a module: every
// suffix a.b.c, b.c is rated as module.name on its own.
func (p *Policy) throughNamespace(name string) Class {
	parts := strings.Split(name, ".")
	if len(parts) > maxQualifiedParts {
		return Risky
	}
	worst := Safe
	for i := 0; i < len(parts)-1; i++ {
		c := p.Classify(strings.Join(parts[i:len(parts)-1], "."), parts[len(parts)-1])
		if c > worst {
			worst = c
		}
	}
	return worst
}

func (p *Policy) allowed(full, module string) bool {
	if p.allowExact[full] {
		return true
	}
	for _, pre := range p.allowPrefix {
		if module == pre || strings.HasPrefix(module, pre+".") || full == pre {
			return true
		}
	}
	return false
}

// validDotted reports whether s is a dotted Python identifier.
func validDotted(s string) bool {
	if s == "" {
		return false
	}
	for _, part := range strings.Split(s, ".") {
		if part == "" {
			return false
		}
		for i, r := range part {
			switch {
			case r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'):
			case r >= '0' && r <= '9' && i > 0:
			case r > 127:
			default:
				return false
			}
		}
	}
	return true
}

// dunderEscape reports whether a dotted name walks through a dunder
// attribute other than the harmless __main__ module.
func dunderEscape(s string) bool {
	for _, part := range strings.Split(s, ".") {
		if len(part) > 4 && strings.HasPrefix(part, "__") && strings.HasSuffix(part, "__") && part != "__main__" {
			return true
		}
	}
	return false
}
