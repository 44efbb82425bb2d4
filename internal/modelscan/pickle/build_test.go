package pickle

import (
	"encoding/binary"
	"strings"
)

// pb builds pickle bytes opcode by opcode (test helper).
type pb struct{ b []byte }

func newPB(proto byte) *pb {
	p := &pb{}
	if proto >= 2 {
		p.b = append(p.b, 0x80, proto)
	}
	return p
}

func (p *pb) op(b ...byte) *pb { p.b = append(p.b, b...); return p }

func (p *pb) global(mod, name string) *pb {
	p.b = append(p.b, 'c')
	p.b = append(p.b, mod+"\n"+name+"\n"...)
	return p
}

func (p *pb) inst(mod, name string) *pb {
	p.b = append(p.b, 'i')
	p.b = append(p.b, mod+"\n"+name+"\n"...)
	return p
}

func (p *pb) ustr(s string) *pb { // SHORT_BINUNICODE or BINUNICODE
	if len(s) < 256 {
		p.b = append(p.b, 0x8c, byte(len(s)))
	} else {
		p.b = append(p.b, 'X')
		p.b = binary.LittleEndian.AppendUint32(p.b, uint32(len(s)))
	}
	p.b = append(p.b, s...)
	return p
}

func (p *pb) ustr8(s string) *pb { // BINUNICODE8
	p.b = append(p.b, 0x8d)
	p.b = binary.LittleEndian.AppendUint64(p.b, uint64(len(s)))
	p.b = append(p.b, s...)
	return p
}

func (p *pb) unicode0(s string) *pb { p.b = append(p.b, 'V'); p.b = append(p.b, s+"\n"...); return p }
func (p *pb) str0(s string) *pb     { p.b = append(p.b, 'S'); p.b = append(p.b, s+"\n"...); return p }

func (p *pb) memoize() *pb         { return p.op(0x94) }
func (p *pb) binput(i byte) *pb    { return p.op('q', i) }
func (p *pb) binget(i byte) *pb    { return p.op('h', i) }
func (p *pb) stackGlobal() *pb     { return p.op(0x93) }
func (p *pb) tuple1() *pb          { return p.op(0x85) }
func (p *pb) reduce() *pb          { return p.op('R') }
func (p *pb) stop() []byte         { return append(p.op('.').b, nil...) }
func (p *pb) call1(arg string) *pb { return p.ustr(arg).tuple1().reduce() }
func (p *pb) bytes() []byte        { return p.b }
func contains(hay []Finding, s string) bool {
	for _, f := range hay {
		if strings.Contains(f.Detail, s) || f.Rule == s {
			return true
		}
	}
	return false
}
