// Package jsonstr writes JSON string literals without reflection, for the
// hand-written encoders on the request path (dialect re-encoding, audit
// events).
package jsonstr

import "unicode/utf8"

// Mode selects the escaping.
type Mode uint8

const (
	// Plain escapes what JSON requires (quote, backslash, control
	// characters), writes invalid UTF-8 as U+FFFD and escapes U+2028 and
	// U+2029 (line terminators in JavaScript); <, > and & stay as they are.
	Plain Mode = iota
	// EncodingJSON writes exactly what encoding/json.Marshal writes: Plain,
	// plus <, > and & escaped as \u003c, \u003e and \u0026, and \b and \f in
	// their short forms.
	EncodingJSON
)

const hexDigits = "0123456789abcdef"

// Append appends s as a JSON string literal to dst.
func Append(dst []byte, s string, m Mode) []byte {
	html := m == EncodingJSON
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && (!html || (c != '<' && c != '>' && c != '&')) {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c == '\b' && html:
				dst = append(dst, '\\', 'b')
			case c == '\f' && html:
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
