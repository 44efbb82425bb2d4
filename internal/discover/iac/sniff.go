package iac

import "bytes"

// JSONWorthParsing reports, from a cheap scan of the top-level keys of a JSON
// document (no decoding, no recursion, no allocation), whether it may be an
// ARM template (`$schema` naming deploymentTemplate, or `resources` with
// `contentVersion`), a CloudFormation template (`Resources` or
// `AWSTemplateFormatVersion`) or a Kubernetes object (`apiVersion` and
// `kind`). Everything else (package manifests, API descriptions, test data)
// is skipped without the cost of a full decode. A document that breaks off
// or is malformed after such a key still reports true, so that the parser
// gets to name the problem in a warning.
func JSONWorthParsing(src []byte) bool {
	var resources, contentVersion, apiVersion, kind bool
	worth := false
	jsonTopLevel(src, func(key, strVal []byte) bool {
		switch string(key) {
		case "$schema":
			if bytes.Contains(bytes.ToLower(strVal), []byte("deploymenttemplate")) {
				worth = true
			}
		case "resources":
			resources = true
		case "contentVersion":
			contentVersion = true
		case "Resources", "AWSTemplateFormatVersion":
			worth = true
		case "apiVersion":
			apiVersion = true
		case "kind":
			kind = true
		}
		worth = worth || resources && contentVersion || apiVersion && kind
		return !worth
	})
	return worth
}

// jsonTopLevel calls fn with each key of the top-level object of src and,
// when the value is a string, its raw (still escaped) bytes; fn returns false
// to stop. Values are skipped by counting brackets outside strings, so deep
// nesting costs no stack. The scan stops silently at the first syntax error.
func jsonTopLevel(src []byte, fn func(key, strVal []byte) bool) {
	i := skipWS(src, 0)
	if i+3 <= len(src) && src[i] == 0xEF && src[i+1] == 0xBB && src[i+2] == 0xBF {
		i = skipWS(src, i+3)
	}
	if i >= len(src) || src[i] != '{' {
		return
	}
	i++
	for {
		i = skipWS(src, i)
		if i >= len(src) || src[i] != '"' {
			return
		}
		key, next, ok := scanString(src, i)
		if !ok {
			return
		}
		i = skipWS(src, next)
		if i >= len(src) || src[i] != ':' {
			return
		}
		i = skipWS(src, i+1)
		if i >= len(src) {
			fn(key, nil)
			return
		}
		var strVal []byte
		switch src[i] {
		case '"':
			s, next, ok := scanString(src, i)
			if !ok {
				fn(key, nil)
				return
			}
			strVal, i = s, next
		case '{', '[':
			i = skipComposite(src, i)
		default:
			for i < len(src) && src[i] != ',' && src[i] != '}' {
				i++
			}
		}
		if !fn(key, strVal) {
			return
		}
		i = skipWS(src, i)
		if i >= len(src) || src[i] != ',' {
			return
		}
		i++
	}
}

func skipWS(src []byte, i int) int {
	for i < len(src) {
		switch src[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

// scanString returns the raw contents of the string starting at src[i]
// (a quote) and the offset after its closing quote.
func scanString(src []byte, i int) ([]byte, int, bool) {
	for j := i + 1; j < len(src); j++ {
		switch src[j] {
		case '\\':
			j++
		case '"':
			return src[i+1 : j], j + 1, true
		}
	}
	return nil, len(src), false
}

// skipComposite skips the object or array starting at src[i] and returns
// the offset after it (len(src) when it is not closed).
func skipComposite(src []byte, i int) int {
	depth := 0
	for ; i < len(src); i++ {
		switch src[i] {
		case '"':
			_, next, ok := scanString(src, i)
			if !ok {
				return len(src)
			}
			i = next - 1
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return len(src)
}
