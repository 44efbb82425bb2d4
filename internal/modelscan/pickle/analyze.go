// Package pickle walks Python pickle streams (protocols 0 to 5) with a
// symbolic stack machine, never executing them, and rates every global the
// stream imports or calls against an allowlist-first Policy.
package pickle

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Limits bound one analysis. Zero values take the defaults.
type Limits struct {
	MaxOps    int // opcodes per stream (default 50,000,000)
	MaxStack  int // values on the stack and metastack together (default 1,000,000)
	MaxMemo   int // memo entries (default 4,000,000)
	MaxDepth  int // nested MARKs (default 100,000)
	MaxString int // bytes of one string or bytes argument (default: the input size)
	MaxNested int // nested pickles (joblib object arrays) (default 8)
	// MaxPickles stops after this many pickles and treats the rest as raw
	// data (0: walk until the data ends). Legacy PyTorch files hold five.
	MaxPickles int
	// Lenient makes a failure after the first pickle an info finding, for
	// streams that interleave pickles and raw bytes (legacy storages).
	Lenient bool
}

func (l Limits) withDefaults() Limits {
	if l.MaxOps <= 0 {
		l.MaxOps = 50_000_000
	}
	if l.MaxStack <= 0 {
		l.MaxStack = 1_000_000
	}
	if l.MaxMemo <= 0 {
		l.MaxMemo = 4_000_000
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = 100_000
	}
	if l.MaxNested <= 0 {
		l.MaxNested = 8
	}
	return l
}

// Global is one import seen in the stream.
type Global struct {
	Module string
	Name   string
	Offset int64
	Class  Class
	Via    string // opcode that imported it: GLOBAL, STACK_GLOBAL, INST
}

// Finding is one observation, with a severity name (info .. critical).
type Finding struct {
	Rule     string
	Severity string
	Detail   string
	Offset   int64
}

// Result of one analysis.
type Result struct {
	Globals  []Global
	Findings []Finding
	Pickles  int   // complete pickles (ending in STOP)
	End      int64 // offset just after the last complete pickle
	Protocol int   // highest PROTO seen
	Err      error // the stream is malformed or a limit was hit
}

// ErrNotPickle marks input whose first opcode is not a pickle opcode.
var ErrNotPickle = errors.New("not a pickle stream")

type kind uint8

const (
	kOther kind = iota
	kStr
	kBytes
	kInt
	kNone
	kBool
	kFloat
	kGlobal
	kMark // never on the stack: marks live on the metastack
	kTuple
	kList
	kDict
	kSet
	kCall // result of REDUCE / NEWOBJ / OBJ / INST
	kPersist
)

const maxItems = 64 // contents kept per container (for dtype and joblib tracking)

type obj struct {
	k     kind
	s     string // string value; global "module.name"; callable of kCall
	i     int64
	items []*obj // tuple/list items, dict key/value pairs, call args
	state *obj   // BUILD state applied to a kCall
}

type walker struct {
	ctx     context.Context
	data    []byte
	base    int64 // offset of data[0] in the reported file
	pos     int
	pol     *Policy
	lim     Limits
	res     *Result
	memo    map[uint32]*obj
	stack   []*obj
	meta    [][]*obj
	total   int
	ops     int
	nested  int
	proto   int
	err     error // first semantic error (stream keeps being walked)
	trusted bool  // findings of unknown globals are reported
	seen    map[string]bool
	classes map[string]Class // classification cache per stream
}

// Analyze walks every pickle in data (several pickles may follow each other;
// the memo is shared between them as a single Unpickler shares it). base is
// added to reported offsets. Data after the last pickle that does not parse
// as a pickle is reported as an info finding, not an error; a first pickle
// that does not parse is an error.
func Analyze(ctx context.Context, data []byte, base int64, pol *Policy, lim Limits) *Result {
	res := &Result{}
	if pol == nil {
		pol = NewPolicy(nil)
	}
	w := &walker{ctx: ctx, data: data, base: base, pol: pol, lim: lim.withDefaults(), res: res,
		memo: map[uint32]*obj{}, seen: map[string]bool{}}
	if w.lim.MaxString <= 0 {
		w.lim.MaxString = len(data)
	}
	if len(data) == 0 {
		res.Err = errors.New("empty pickle stream")
		return res
	}
	for w.pos < len(data) {
		start := w.pos
		if w.lim.MaxPickles > 0 && res.Pickles >= w.lim.MaxPickles {
			res.Findings = append(res.Findings, Finding{Rule: "pickle.raw-data", Severity: "info",
				Detail: fmt.Sprintf("%d bytes of raw storage data after %d pickles skipped", len(data)-start, res.Pickles), Offset: base + int64(start)})
			return res
		}
		first := res.Pickles == 0
		// A follow-on segment counts as a pickle when it opens with PROTO.
		proto := w.pos+1 < len(data) && data[w.pos] == 0x80 && data[w.pos+1] <= 5
		nFind, nGlob := len(res.Findings), len(res.Globals)
		w.trusted = first || proto
		w.err = nil
		err := w.one()
		if err == nil && w.err == nil {
			res.Pickles++
			res.End = int64(w.pos)
			if first && w.lim.MaxPickles == 0 && isLegacyTorchMagic(data[start:w.pos]) {
				w.lim.MaxPickles = 5
			}
			continue
		}
		if err == nil {
			err = w.err
		}
		if first || (proto && !w.lim.Lenient) {
			res.Err = fmt.Errorf("pickle %d at offset %d: %w", res.Pickles+1, base+int64(start), err)
			return res
		}
		// Trailing bytes that are not a pickle (legacy PyTorch storages, raw
		// arrays): keep only what is dangerous, drop guesses.
		keep := res.Findings[:nFind]
		for _, f := range res.Findings[nFind:] {
			if f.Severity == "critical" {
				keep = append(keep, f)
			}
		}
		res.Findings = keep
		gk := res.Globals[:nGlob]
		for _, g := range res.Globals[nGlob:] {
			if g.Class == Dangerous {
				gk = append(gk, g)
			}
		}
		res.Globals = gk
		res.Findings = append(res.Findings, Finding{Rule: "pickle.trailing-data", Severity: "info",
			Detail: fmt.Sprintf("%d bytes after the last pickle are not a pickle (%v)", len(data)-start, err), Offset: base + int64(start)})
		return res
	}
	return res
}

// AnalyzeOne walks exactly one pickle from the start of data and returns
// where it ended (for formats that embed a pickle before raw data).
func AnalyzeOne(ctx context.Context, data []byte, base int64, pol *Policy, lim Limits) (*Result, int) {
	res := &Result{}
	if pol == nil {
		pol = NewPolicy(nil)
	}
	w := &walker{ctx: ctx, data: data, base: base, pol: pol, lim: lim.withDefaults(), res: res,
		memo: map[uint32]*obj{}, seen: map[string]bool{}, trusted: true}
	if w.lim.MaxString <= 0 {
		w.lim.MaxString = len(data)
	}
	err := w.one()
	if err == nil {
		err = w.err
	}
	if err != nil {
		res.Err = fmt.Errorf("pickle at offset %d: %w", base, err)
		return res, w.pos
	}
	res.Pickles = 1
	res.End = int64(w.pos)
	return res, w.pos
}

// ErrTruncated marks a stream that ends inside an opcode or before STOP.
var ErrTruncated = errors.New("truncated stream")

func (w *walker) find(rule, sev, detail string, off int) {
	if len(w.res.Findings) >= 10000 {
		return
	}
	w.res.Findings = append(w.res.Findings, Finding{Rule: rule, Severity: sev, Detail: detail, Offset: w.base + int64(off)})
}

// semantic records an error Python would raise; the walk goes on so that
// what follows is still reported.
func (w *walker) semantic(off int, format string, a ...any) {
	if w.err == nil {
		w.err = fmt.Errorf("offset %d: %s", w.base+int64(off), fmt.Sprintf(format, a...))
	}
}

func (w *walker) need(n int) ([]byte, error) {
	if n < 0 || w.pos+n > len(w.data) || w.pos+n < w.pos {
		return nil, ErrTruncated
	}
	b := w.data[w.pos : w.pos+n]
	w.pos += n
	return b, nil
}

func (w *walker) line() (string, error) {
	rest := w.data[w.pos:]
	i := indexByte(rest, '\n')
	if i < 0 {
		return "", fmt.Errorf("%w: line without newline", ErrTruncated)
	}
	if i > w.lim.MaxString {
		return "", errors.New("line exceeds the string limit")
	}
	s := string(rest[:i])
	w.pos += i + 1
	return s, nil
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func (w *walker) push(o *obj) error {
	if w.total >= w.lim.MaxStack {
		return fmt.Errorf("stack exceeds %d values", w.lim.MaxStack)
	}
	w.stack = append(w.stack, o)
	w.total++
	return nil
}

func (w *walker) pop(off int) *obj {
	if len(w.stack) == 0 {
		w.semantic(off, "stack underflow")
		return &obj{}
	}
	o := w.stack[len(w.stack)-1]
	w.stack = w.stack[:len(w.stack)-1]
	w.total--
	return o
}

func (w *walker) top(off int) *obj {
	if len(w.stack) == 0 {
		w.semantic(off, "stack underflow")
		return &obj{}
	}
	return w.stack[len(w.stack)-1]
}

func (w *walker) popMark(off int) []*obj {
	items := w.stack
	if len(w.meta) == 0 {
		w.semantic(off, "MARK not found")
		w.stack = nil
		w.total -= len(items)
		return items
	}
	w.stack = w.meta[len(w.meta)-1]
	w.meta = w.meta[:len(w.meta)-1]
	w.total -= len(items)
	return items
}

func (w *walker) memoPut(off int, idx uint32, o *obj) error {
	if _, ok := w.memo[idx]; !ok && len(w.memo) >= w.lim.MaxMemo {
		return fmt.Errorf("memo exceeds %d entries", w.lim.MaxMemo)
	}
	w.memo[idx] = o
	return nil
}

func (w *walker) memoGet(off int, idx uint32) *obj {
	o, ok := w.memo[idx]
	if !ok {
		w.semantic(off, "memo key %d not found", idx)
		w.find("pickle.memo-missing", "medium", fmt.Sprintf("memo key %d read before it was written (scanner-evasion pattern)", idx), off)
		return &obj{}
	}
	return o
}

func clip(items []*obj) []*obj {
	if len(items) > maxItems {
		return append([]*obj(nil), items[:maxItems]...)
	}
	return append([]*obj(nil), items...)
}

// global rates an import and records it.
func (w *walker) global(module, name, via string, off int) *obj {
	full := module + "." + name
	cl, ok := w.classes[full]
	if !ok {
		cl = w.pol.Classify(module, name)
		if w.classes == nil {
			w.classes = map[string]Class{}
		}
		if len(w.classes) < 100000 {
			w.classes[full] = cl
		}
	}
	if len(w.res.Globals) < 10000 {
		w.res.Globals = append(w.res.Globals, Global{Module: module, Name: name, Offset: w.base + int64(off), Class: cl, Via: via})
	}
	if cl != Safe && !w.seen[full] {
		w.seen[full] = true
		switch cl {
		case Dangerous:
			w.find("pickle.global.dangerous", "critical", fmt.Sprintf("imports %s (%s): runs code, touches files, processes or the network when loaded", printable(full), via), off)
		case Risky:
			w.find("pickle.global.risky", "high", fmt.Sprintf("imports %s (%s): a callable combinator or unusual name, not on the allowlist", printable(full), via), off)
		case Unknown:
			w.find("pickle.global.unknown", "medium", fmt.Sprintf("imports %s (%s): not on the allowlist", printable(full), via), off)
		}
	}
	return &obj{k: kGlobal, s: full, i: int64(cl)}
}

func printable(s string) string {
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return strconv.QuoteToASCII(s)[1 : len(strconv.QuoteToASCII(s))-1]
}

// call records a REDUCE/NEWOBJ/OBJ/INST. A callable outside the allowlist
// (or a computed one) that receives a shell command or Python source as an
// argument is critical: that is how unknown gadgets are used.
func (w *walker) call(fn *obj, args *obj, op string, off int) *obj {
	if args != nil && (fn.k != kGlobal || Class(fn.i) != Safe) {
		for _, a := range args.items {
			if a.k == kStr || a.k == kBytes {
				if what := payloadString(a.s); what != "" {
					w.find("pickle.call.payload", "critical", fmt.Sprintf("%s calls %s with %s: %q", op, printable(fn.s), what, printable(truncate(a.s, 120))), off)
					break
				}
			}
		}
	}
	switch fn.k {
	case kGlobal:
	case kCall:
		w.find("pickle.call.indirect", "high", fmt.Sprintf("%s calls the result of calling %s: a computed callable", op, printable(fn.s)), off)
	default:
		w.find("pickle.call.indirect", "high", fmt.Sprintf("%s calls a value that is not an imported global", op), off)
	}
	r := &obj{k: kCall, s: fn.s}
	if args != nil && (args.k == kTuple || args.k == kList) {
		r.items = args.items
	}
	return r
}

// one walks a single pickle up to and including STOP.
func (w *walker) one() error {
	w.stack = w.stack[:0]
	w.meta = w.meta[:0]
	w.total = 0
	for {
		if w.ops++; w.ops > w.lim.MaxOps {
			return fmt.Errorf("more than %d opcodes", w.lim.MaxOps)
		}
		if w.ops&0xffff == 0 {
			if err := w.ctx.Err(); err != nil {
				return err
			}
		}
		if w.pos >= len(w.data) {
			return fmt.Errorf("%w: no STOP opcode", ErrTruncated)
		}
		off := w.pos
		op := w.data[w.pos]
		w.pos++
		var err error
		switch op {
		case '(': // MARK
			if len(w.meta) >= w.lim.MaxDepth {
				return fmt.Errorf("more than %d nested MARKs", w.lim.MaxDepth)
			}
			w.meta = append(w.meta, w.stack)
			w.stack = make([]*obj, 0, 4)
		case '.': // STOP
			w.pop(off)
			return nil
		case '0': // POP
			if len(w.stack) == 0 && len(w.meta) > 0 {
				w.popMark(off) // pickle.py: POP of an empty stack drops the mark
			} else {
				w.pop(off)
			}
		case '1': // POP_MARK
			w.popMark(off)
		case '2': // DUP
			err = w.push(w.top(off))
		case 'F': // FLOAT
			var s string
			if s, err = w.line(); err == nil {
				if _, perr := strconv.ParseFloat(strings.TrimSpace(s), 64); perr != nil {
					w.semantic(off, "bad FLOAT %q", printable(s))
				}
				err = w.push(&obj{k: kFloat})
			}
		case 'I': // INT (also I00/I01 booleans)
			var s string
			if s, err = w.line(); err == nil {
				s = strings.TrimSpace(s)
				v, perr := strconv.ParseInt(s, 10, 64)
				if perr != nil {
					if _, ok := parseBigDecimal(s); !ok {
						w.semantic(off, "bad INT %q", printable(s))
					}
				}
				err = w.push(&obj{k: kInt, i: v})
			}
		case 'L': // LONG
			var s string
			if s, err = w.line(); err == nil {
				s = strings.TrimSuffix(strings.TrimSpace(s), "L")
				v, perr := strconv.ParseInt(s, 10, 64)
				if perr != nil {
					if _, ok := parseBigDecimal(s); !ok {
						w.semantic(off, "bad LONG %q", printable(s))
					}
				}
				err = w.push(&obj{k: kInt, i: v})
			}
		case 'J': // BININT
			var b []byte
			if b, err = w.need(4); err == nil {
				err = w.push(&obj{k: kInt, i: int64(int32(binary.LittleEndian.Uint32(b)))})
			}
		case 'K': // BININT1
			var b []byte
			if b, err = w.need(1); err == nil {
				err = w.push(&obj{k: kInt, i: int64(b[0])})
			}
		case 'M': // BININT2
			var b []byte
			if b, err = w.need(2); err == nil {
				err = w.push(&obj{k: kInt, i: int64(binary.LittleEndian.Uint16(b))})
			}
		case 0x8a, 0x8b: // LONG1, LONG4
			var n int
			if op == 0x8a {
				var b []byte
				if b, err = w.need(1); err == nil {
					n = int(b[0])
				}
			} else {
				var b []byte
				if b, err = w.need(4); err == nil {
					v := int32(binary.LittleEndian.Uint32(b))
					if v < 0 {
						return errors.New("LONG4 with negative length")
					}
					n = int(v)
				}
			}
			if err == nil {
				var b []byte
				if b, err = w.need(n); err == nil {
					err = w.push(&obj{k: kInt, i: littleSigned(b)})
				}
			}
		case 'N':
			err = w.push(&obj{k: kNone})
		case 0x88, 0x89:
			err = w.push(&obj{k: kBool, i: int64(0x89 - int(op))})
		case 'G': // BINFLOAT
			if _, err = w.need(8); err == nil {
				err = w.push(&obj{k: kFloat})
			}
		case 'S': // STRING (quoted repr)
			var s string
			if s, err = w.line(); err == nil {
				v, ok := unquotePy(s)
				if !ok {
					w.semantic(off, "STRING argument is not a quoted string")
				}
				err = w.push(&obj{k: kStr, s: v})
			}
		case 'V': // UNICODE (raw-unicode-escape)
			var s string
			if s, err = w.line(); err == nil {
				err = w.push(&obj{k: kStr, s: rawUnicodeEscape(s)})
			}
		case 'T', 'X', 'B': // BINSTRING, BINUNICODE, BINBYTES (4-byte length)
			var b []byte
			if b, err = w.need(4); err == nil {
				n := binary.LittleEndian.Uint32(b)
				if op == 'T' && int32(n) < 0 {
					return errors.New("BINSTRING with negative length")
				}
				err = w.pushBytes(op, uint64(n))
			}
		case 'U', 'C', 0x8c: // SHORT_BINSTRING, SHORT_BINBYTES, SHORT_BINUNICODE
			var b []byte
			if b, err = w.need(1); err == nil {
				err = w.pushBytes(op, uint64(b[0]))
			}
		case 0x8d, 0x8e, 0x96: // BINUNICODE8, BINBYTES8, BYTEARRAY8
			var b []byte
			if b, err = w.need(8); err == nil {
				err = w.pushBytes(op, binary.LittleEndian.Uint64(b))
			}
		case 'P': // PERSID
			if _, err = w.line(); err == nil {
				err = w.push(&obj{k: kPersist})
			}
		case 'Q': // BINPERSID
			w.pop(off)
			err = w.push(&obj{k: kPersist})
		case 'R': // REDUCE
			args := w.pop(off)
			fn := w.pop(off)
			err = w.push(w.call(fn, args, "REDUCE", off))
		case 0x81: // NEWOBJ
			args := w.pop(off)
			cls := w.pop(off)
			err = w.push(w.call(cls, args, "NEWOBJ", off))
		case 0x92: // NEWOBJ_EX
			w.pop(off) // kwargs
			args := w.pop(off)
			cls := w.pop(off)
			err = w.push(w.call(cls, args, "NEWOBJ_EX", off))
		case 'b': // BUILD
			state := w.pop(off)
			target := w.top(off)
			switch target.k {
			case kGlobal:
				w.find("pickle.build.global", "critical", fmt.Sprintf("BUILD sets attributes on the imported object %s itself (monkey-patching a module, class or function)", printable(target.s)), off)
			case kCall, kOther:
				if target.state == nil {
					target.state = state
				}
			default:
				// BUILD on a plain value raises in Python; harmless here.
			}
			if target.k == kCall && isJoblibWrapper(target.s) {
				err = w.skipJoblibArray(target, off)
			}
		case 'c': // GLOBAL
			var mod, name string
			if mod, err = w.line(); err == nil {
				if name, err = w.line(); err == nil {
					err = w.push(w.global(mod, name, "GLOBAL", off))
				}
			}
		case 0x93: // STACK_GLOBAL
			name := w.pop(off)
			mod := w.pop(off)
			if (mod.k == kStr || mod.k == kBytes) && (name.k == kStr || name.k == kBytes) {
				err = w.push(w.global(mod.s, name.s, "STACK_GLOBAL", off))
			} else {
				w.find("pickle.global.dynamic", "critical", fmt.Sprintf("STACK_GLOBAL imports %s.%s, a name computed at load time (module: %s; name: %s): the import target cannot be checked", partName(mod), partName(name), describe(mod), describe(name)), off)
				err = w.push(&obj{k: kGlobal, s: "<dynamic>"})
			}
		case 'i': // INST
			var mod, name string
			if mod, err = w.line(); err == nil {
				if name, err = w.line(); err == nil {
					g := w.global(mod, name, "INST", off)
					items := w.popMark(off)
					err = w.push(w.call(g, &obj{k: kTuple, items: clip(items)}, "INST", off))
				}
			}
		case 'o': // OBJ
			items := w.popMark(off)
			if len(items) == 0 {
				w.semantic(off, "OBJ without a class")
				err = w.push(&obj{})
				break
			}
			err = w.push(w.call(items[0], &obj{k: kTuple, items: clip(items[1:])}, "OBJ", off))
		case 0x82, 0x83, 0x84: // EXT1, EXT2, EXT4
			n := map[byte]int{0x82: 1, 0x83: 2, 0x84: 4}[op]
			var b []byte
			if b, err = w.need(n); err == nil {
				var code uint32
				for i := n - 1; i >= 0; i-- {
					code = code<<8 | uint32(b[i])
				}
				w.find("pickle.ext-code", "high", fmt.Sprintf("EXT%d code %d resolves a global through the copyreg extension registry: the callable cannot be checked", n, code), off)
				err = w.push(&obj{k: kGlobal, s: fmt.Sprintf("<extension %d>", code)})
			}
		case ')':
			err = w.push(&obj{k: kTuple})
		case ']':
			err = w.push(&obj{k: kList})
		case '}':
			err = w.push(&obj{k: kDict})
		case 0x8f:
			err = w.push(&obj{k: kSet})
		case 't':
			err = w.push(&obj{k: kTuple, items: clip(w.popMark(off))})
		case 'l':
			err = w.push(&obj{k: kList, items: clip(w.popMark(off))})
		case 'd':
			err = w.push(&obj{k: kDict, items: clip(evenItems(w.popMark(off)))})
		case 0x91: // FROZENSET
			w.popMark(off)
			err = w.push(&obj{k: kSet})
		case 0x85, 0x86, 0x87: // TUPLE1..3
			n := int(op - 0x84)
			items := make([]*obj, n)
			for i := n - 1; i >= 0; i-- {
				items[i] = w.pop(off)
			}
			err = w.push(&obj{k: kTuple, items: items})
		case 'a': // APPEND
			v := w.pop(off)
			w.appendTo(w.top(off), v)
		case 'e': // APPENDS
			items := w.popMark(off)
			t := w.top(off)
			for _, v := range items {
				w.appendTo(t, v)
			}
		case 's': // SETITEM
			v := w.pop(off)
			k := w.pop(off)
			w.setItem(w.top(off), k, v)
		case 'u': // SETITEMS
			items := w.popMark(off)
			t := w.top(off)
			if len(items)%2 != 0 {
				w.semantic(off, "SETITEMS with an odd number of items")
			}
			for i := 0; i+1 < len(items); i += 2 {
				w.setItem(t, items[i], items[i+1])
			}
		case 0x90: // ADDITEMS
			w.popMark(off)
			w.top(off)
		case 'g': // GET
			var s string
			if s, err = w.line(); err == nil {
				idx, perr := strconv.ParseUint(strings.TrimSpace(s), 10, 32)
				if perr != nil {
					w.semantic(off, "bad GET index %q", printable(s))
				}
				err = w.push(w.memoGet(off, uint32(idx)))
			}
		case 'h':
			var b []byte
			if b, err = w.need(1); err == nil {
				err = w.push(w.memoGet(off, uint32(b[0])))
			}
		case 'j':
			var b []byte
			if b, err = w.need(4); err == nil {
				err = w.push(w.memoGet(off, binary.LittleEndian.Uint32(b)))
			}
		case 'p': // PUT
			var s string
			if s, err = w.line(); err == nil {
				idx, perr := strconv.ParseUint(strings.TrimSpace(s), 10, 32)
				if perr != nil {
					w.semantic(off, "bad PUT index %q", printable(s))
				}
				err = w.memoPut(off, uint32(idx), w.top(off))
			}
		case 'q':
			var b []byte
			if b, err = w.need(1); err == nil {
				err = w.memoPut(off, uint32(b[0]), w.top(off))
			}
		case 'r':
			var b []byte
			if b, err = w.need(4); err == nil {
				err = w.memoPut(off, binary.LittleEndian.Uint32(b), w.top(off))
			}
		case 0x94: // MEMOIZE
			err = w.memoPut(off, uint32(len(w.memo)), w.top(off))
		case 0x80: // PROTO
			var b []byte
			if b, err = w.need(1); err == nil {
				if b[0] > 5 {
					return fmt.Errorf("unsupported pickle protocol %d", b[0])
				}
				w.proto = int(b[0])
				if w.proto > w.res.Protocol {
					w.res.Protocol = w.proto
				}
			}
		case 0x95: // FRAME
			var b []byte
			if b, err = w.need(8); err == nil {
				n := binary.LittleEndian.Uint64(b)
				if n > uint64(len(w.data)-w.pos) {
					w.semantic(off, "FRAME of %d bytes exceeds the stream", n)
				}
			}
		case 0x97: // NEXT_BUFFER
			w.find("pickle.out-of-band", "low", "NEXT_BUFFER refers to out-of-band data that the file does not contain", off)
			err = w.push(&obj{k: kBytes})
		case 0x98: // READONLY_BUFFER
			w.top(off)
		default:
			w.pos = off
			if off == 0 || w.ops == 1 {
				return fmt.Errorf("%w: opcode 0x%02x at offset %d", ErrNotPickle, op, w.base+int64(off))
			}
			return fmt.Errorf("invalid opcode 0x%02x at offset %d", op, w.base+int64(off))
		}
		if err != nil {
			if errors.Is(err, ErrTruncated) {
				return fmt.Errorf("%w at offset %d", err, w.base+int64(off))
			}
			return err
		}
	}
}

func (w *walker) pushBytes(op byte, n uint64) error {
	if n > uint64(w.lim.MaxString) || n > uint64(len(w.data)-w.pos) {
		return fmt.Errorf("%w: string of %d bytes", ErrTruncated, n)
	}
	b := w.data[w.pos : w.pos+int(n)]
	w.pos += int(n)
	switch op {
	case 'B', 'C', 0x8e, 0x96:
		o := &obj{k: kBytes}
		if n <= 4096 {
			o.s = string(b)
		}
		return w.push(o)
	}
	o := &obj{k: kStr}
	if n <= 1<<20 {
		o.s = string(b)
	} else {
		o.s = string(b[:1<<20])
	}
	return w.push(o)
}

func (w *walker) appendTo(t, v *obj) {
	switch t.k {
	case kList, kSet:
		if len(t.items) < maxItems {
			t.items = append(t.items, v)
		}
	case kGlobal:
		w.find("pickle.append.global", "high", fmt.Sprintf("APPEND calls append/extend on the imported object %s", printable(t.s)), w.pos-1)
	}
}

func (w *walker) setItem(t, k, v *obj) {
	switch t.k {
	case kDict:
		if len(t.items) < maxItems {
			t.items = append(t.items, k, v)
		}
	case kGlobal:
		w.find("pickle.setitem.global", "critical", fmt.Sprintf("SETITEM writes into the imported object %s (e.g. overriding sys.modules entries)", printable(t.s)), w.pos-1)
	}
}

func evenItems(items []*obj) []*obj {
	if len(items)%2 == 1 {
		return items[:len(items)-1]
	}
	return items
}

func describe(o *obj) string {
	switch o.k {
	case kStr:
		return "str " + strconv.Quote(printable(o.s))
	case kCall:
		return "result of " + printable(o.s)
	case kInt:
		return "int " + strconv.FormatInt(o.i, 10)
	case kGlobal:
		return "global " + printable(o.s)
	case kNone:
		return "None"
	}
	return "a computed value"
}

func littleSigned(b []byte) int64 {
	if len(b) == 0 {
		return 0
	}
	if len(b) > 8 {
		return math.MaxInt64
	}
	var v uint64
	for i := len(b) - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	if b[len(b)-1]&0x80 != 0 && len(b) < 8 {
		v -= 1 << (8 * uint(len(b)))
	}
	return int64(v)
}

func parseBigDecimal(s string) (string, bool) {
	t := strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	if t == "" {
		return "", false
	}
	for _, r := range t {
		if r < '0' || r > '9' {
			return "", false
		}
	}
	return s, true
}

// unquotePy decodes a Python 2 string repr ('abc' or "abc" with escapes).
func unquotePy(s string) (string, bool) {
	s = strings.TrimRight(s, "\r ")
	if len(s) < 2 || (s[0] != '\'' && s[0] != '"') || s[len(s)-1] != s[0] {
		return s, false
	}
	body := s[1 : len(s)-1]
	if !strings.Contains(body, `\`) {
		return body, true
	}
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c != '\\' || i+1 >= len(body) {
			b.WriteByte(c)
			continue
		}
		i++
		switch body[i] {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case '\\', '\'', '"':
			b.WriteByte(body[i])
		case 'x':
			if i+2 < len(body) {
				if v, err := strconv.ParseUint(body[i+1:i+3], 16, 8); err == nil {
					b.WriteByte(byte(v))
					i += 2
					continue
				}
			}
			b.WriteString(`\x`)
		case '0', '1', '2', '3', '4', '5', '6', '7':
			j := i
			for j < len(body) && j < i+3 && body[j] >= '0' && body[j] <= '7' {
				j++
			}
			v, _ := strconv.ParseUint(body[i:j], 8, 16)
			b.WriteByte(byte(v))
			i = j - 1
		default:
			b.WriteByte('\\')
			b.WriteByte(body[i])
		}
	}
	return b.String(), true
}

// rawUnicodeEscape decodes \uXXXX and \UXXXXXXXX; other bytes are Latin-1.
func rawUnicodeEscape(s string) string {
	if !strings.Contains(s, `\u`) && !strings.Contains(s, `\U`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && (s[i+1] == 'u' || s[i+1] == 'U') {
			n := 4
			if s[i+1] == 'U' {
				n = 8
			}
			if i+2+n <= len(s) {
				if v, err := strconv.ParseUint(s[i+2:i+2+n], 16, 32); err == nil {
					b.WriteRune(rune(v))
					i += 1 + n
					continue
				}
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// legacyTorchMagic is PyTorch's legacy serialization magic number
// 0x1950a86a20f9469cfc6c as the bytes of a pickled LONG1.
const legacyTorchMagic = "\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"

func isLegacyTorchMagic(p []byte) bool {
	return len(p) < 64 && strings.Contains(string(p), legacyTorchMagic)
}

// IsLegacyTorch reports whether data opens with PyTorch's legacy magic-number pickle.
func IsLegacyTorch(data []byte) bool {
	if len(data) > 64 {
		data = data[:64]
	}
	return strings.Contains(string(data), legacyTorchMagic)
}

// partName renders one operand of an unresolvable STACK_GLOBAL the way
// picklescan does ("unknown" when it is not a constant).
func partName(o *obj) string {
	switch o.k {
	case kStr, kBytes:
		return printable(o.s)
	case kInt:
		return strconv.FormatInt(o.i, 10)
	}
	return "unknown"
}

var (
	shellCommandRE = regexp.MustCompile(`^\s*(?:/[\w/.-]+/)?(?:echo|whoami|curl|wget|bash|zsh|nc|ncat|netcat|powershell(?:\.exe)?|cmd(?:\.exe)?|uname|printenv|nslookup|calc(?:\.exe)?|notepad(?:\.exe)?|xdg-open)(?:\s|$)`)
	weakCommandRE  = regexp.MustCompile(`^\s*(?:/[\w/.-]+/)?(?:cat|rm|touch|chmod|chown|mkdir|ls|env|ping|dig|telnet|ssh|scp|base64|xxd|sh|python[0-9.]*|perl|ruby|php|node|open|start|id)\s+(?:-|/|~|\S*\.\S)`)
	shellMetaRE    = regexp.MustCompile(`(?:;|&&|\|\||\||\$\(|` + "`" + `)\s*(?:echo|whoami|curl|wget|bash|sh|nc|cat|rm|id|python|uname|ls)\b`)
	codeStringRE   = regexp.MustCompile(`__import__|\bimport\s+(?:os|sys|subprocess|socket|pty|shutil|ctypes|builtins|importlib|urllib|requests|base64|marshal|pickle)\b|\bexec\s*\(|\beval\s*\(|os\.(?:system|popen|exec)|subprocess\.|socket\.socket|/bin/(?:ba)?sh|/etc/passwd|/dev/tcp/|reverse.?shell`)
)

// payloadString says why s looks like a shell command or Python source.
func payloadString(s string) string {
	if len(s) < 2 || len(s) > 1<<16 {
		return ""
	}
	switch {
	case codeStringRE.MatchString(s):
		return "Python source or a sensitive path"
	case shellMetaRE.MatchString(s):
		return "a shell command line"
	case len(s) < 4096 && (shellCommandRE.MatchString(s) || weakCommandRE.MatchString(s)):
		return "a shell command"
	}
	return ""
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
