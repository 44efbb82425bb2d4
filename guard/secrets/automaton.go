package secrets

import "slices"

// automaton is an Aho-Corasick matcher over lower-case ASCII keywords,
// matching case-insensitively (ASCII), compiled to a dense DFA.
type automaton struct {
	next  [][256]int32 // state x byte -> state (while building)
	out   [][]int      // state -> keyword indexes ending here
	class [256]int32   // byte -> class
	width int32        // number of classes
	// table maps state*width + class to the next state, stored premultiplied
	// (next*width) and negated when the next state has output, so the scan
	// loop is one load and one sign test per byte.
	table  []int32
	maxLen int // longest keyword, bytes
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 32
	}
	return c
}

func newAutomaton(kws []string) *automaton {
	a := &automaton{next: make([][256]int32, 1), out: make([][]int, 1)}
	for i := range a.next[0] {
		a.next[0][i] = -1
	}
	for ki, k := range kws {
		a.maxLen = max(a.maxLen, len(k))
		st := int32(0)
		for j := 0; j < len(k); j++ {
			c := lower(k[j])
			if a.next[st][c] < 0 {
				var row [256]int32
				for x := range row {
					row[x] = -1
				}
				a.next = append(a.next, row)
				a.out = append(a.out, nil)
				a.next[st][c] = int32(len(a.next) - 1)
			}
			st = a.next[st][c]
		}
		a.out[st] = append(a.out[st], ki)
	}
	// BFS to fill failure transitions.
	fail := make([]int32, len(a.next))
	var queue []int32
	for c := 0; c < 256; c++ {
		if s := a.next[0][c]; s >= 0 {
			fail[s] = 0
			queue = append(queue, s)
		} else {
			a.next[0][c] = 0
		}
	}
	for len(queue) > 0 {
		r := queue[0]
		queue = queue[1:]
		a.out[r] = append(a.out[r], a.out[fail[r]]...)
		for c := 0; c < 256; c++ {
			s := a.next[r][c]
			if s >= 0 {
				fail[s] = a.next[fail[r]][c]
				queue = append(queue, s)
			} else {
				a.next[r][c] = a.next[fail[r]][c]
			}
		}
	}
	// Make upper-case bytes behave like lower-case ones.
	for st := range a.next {
		for c := 'A'; c <= 'Z'; c++ {
			a.next[st][c] = a.next[st][c+32]
		}
	}
	a.compress()
	return a
}

// compress rewrites the DFA over byte classes (bytes that occur in no
// keyword share one class), shrinking the table to fit in cache.
func (a *automaton) compress() {
	var seen [256]bool
	for st := range a.next {
		for c := 0; c < 256; c++ {
			if a.next[st][c] != 0 {
				seen[c] = true
			}
		}
	}
	n := int32(1) // class 0: bytes that lead back to the root from every state
	for c := 0; c < 256; c++ {
		if seen[c] {
			a.class[c] = n
			n++
		}
	}
	a.width = n
	a.table = make([]int32, int(n)*len(a.next))
	for st := range a.next {
		for c := 0; c < 256; c++ {
			nx := a.next[st][c]
			v := nx * n
			if len(a.out[nx]) > 0 {
				v = -v // state 0 (the root) never has output, so -v != 0
			}
			a.table[int32(st)*n+a.class[c]] = v
		}
	}
	a.next = nil
}

// scan calls fn(keyword, endOffset) for every keyword occurrence; fn
// returning false stops the scan.
func (a *automaton) scan(text string, fn func(kw, end int) bool) {
	st := int32(0) // premultiplied: state*width
	table, class, w := a.table, &a.class, a.width
	for i := 0; i < len(text); i++ {
		st = table[st+class[text[i]]]
		if st < 0 {
			st = -st
			for _, k := range a.out[st/w] {
				if !fn(k, i+1) {
					return
				}
			}
		}
	}
}

// hit is one keyword occurrence: keyword index and end offset.
type hit struct{ kw, end int32 }

// scanHits appends every keyword occurrence in text to dst, ordered by end
// offset (then as scan reports them), at most limit of them. Long texts are
// scanned as two interleaved halves: the DFA step is a dependent load, so two
// independent cursors nearly double the throughput. The second cursor starts
// maxLen-1 bytes before the middle and reports only hits ending after it.
func (a *automaton) scanHits(text string, dst []hit, limit int) []hit {
	n := len(text)
	if n >= 4096 && a.maxLen > 0 && n/4 > a.maxLen {
		return a.scanHits4(text, dst, limit)
	}
	if n < 256 || a.maxLen == 0 {
		a.scan(text, func(kw, end int) bool {
			dst = append(dst, hit{int32(kw), int32(end)})
			return len(dst) < limit
		})
		return dst
	}
	mid := n / 2
	b0 := mid - (a.maxLen - 1)
	var second []hit
	table, class := a.table, &a.class
	s1, s2 := int32(0), int32(0)
	i, j := 0, b0
	// Both cursors run the same number of steps; the second has mid-b0 more
	// bytes to cover, so it finishes the tail alone.
	steps := mid
	if rest := n - b0; rest < steps {
		steps = rest
	}
	for k := 0; k < steps; k++ {
		s1 = table[s1+class[text[i]]]
		s2 = table[s2+class[text[j]]]
		i++
		j++
		if s1|s2 < 0 {
			if s1 < 0 {
				s1 = -s1
				dst = a.emitHits(dst, s1, i)
			}
			if s2 < 0 {
				s2 = -s2
				if j > mid {
					second = a.emitHits(second, s2, j)
				}
			}
			if len(dst)+len(second) >= limit {
				return append(dst, second...)[:limit]
			}
		}
	}
	for ; i < mid; i++ {
		s1 = table[s1+class[text[i]]]
		if s1 < 0 {
			s1 = -s1
			dst = a.emitHits(dst, s1, i+1)
		}
	}
	for ; j < n; j++ {
		s2 = table[s2+class[text[j]]]
		if s2 < 0 {
			s2 = -s2
			if j+1 > mid {
				second = a.emitHits(second, s2, j+1)
			}
		}
	}
	dst = append(dst, second...)
	if len(dst) > limit {
		dst = dst[:limit]
	}
	return dst
}

// scanHits4 is scanHits with four interleaved cursors, for long texts: the
// text is cut into quarters at q, 2q and 3q; cursor k > 0 starts maxLen-1
// bytes before its quarter (a keyword ending inside the quarter starts no
// earlier) and reports only hits ending inside it. All cursors append to
// dst; the quarters' end offsets are disjoint ranges, so a stable sort by end
// offset gives scan's order (hits with one end come from one cursor, in its
// order). If limit is reached, the plain scan answers (its first limit
// hits), so the result never depends on how the cursors were interleaved.
func (a *automaton) scanHits4(text string, dst []hit, limit int) []hit {
	n := len(text)
	q := n / 4
	back := a.maxLen - 1
	b1, b2, b3 := q, 2*q, 3*q
	// Cursor k covers text[p_k:e_k]; the first q steps run all four.
	t0 := text[:q]
	t1 := text[b1-back : b2]
	t2 := text[b2-back : b3]
	t3 := text[b3-back:]
	t1c, t2c, t3c := t1[:q], t2[:q], t3[:q]
	table, class := a.table, &a.class
	base := len(dst)
	s0, s1, s2, s3 := int32(0), int32(0), int32(0), int32(0)
	for k := 0; k < len(t0); k++ {
		s0 = table[s0+class[t0[k]]]
		s1 = table[s1+class[t1c[k]]]
		s2 = table[s2+class[t2c[k]]]
		s3 = table[s3+class[t3c[k]]]
		if s0|s1|s2|s3 < 0 {
			if s0 < 0 {
				s0 = -s0
				dst = a.emitHits(dst, s0, k+1)
			}
			if s1 < 0 {
				s1 = -s1
				if k+1 > back {
					dst = a.emitHits(dst, s1, b1-back+k+1)
				}
			}
			if s2 < 0 {
				s2 = -s2
				if k+1 > back {
					dst = a.emitHits(dst, s2, b2-back+k+1)
				}
			}
			if s3 < 0 {
				s3 = -s3
				if k+1 > back {
					dst = a.emitHits(dst, s3, b3-back+k+1)
				}
			}
			if len(dst)-base >= limit {
				return a.scanLimit(text, dst[:base], limit)
			}
		}
	}
	// Tails: cursors 1-3 have back (and cursor 3 up to 3 more) bytes left.
	dst = a.scanTail(t1, s1, q, back, b1-back, dst)
	dst = a.scanTail(t2, s2, q, back, b2-back, dst)
	dst = a.scanTail(t3, s3, q, back, b3-back, dst)
	if len(dst)-base >= limit {
		return a.scanLimit(text, dst[:base], limit)
	}
	if h := dst[base:]; !slices.IsSortedFunc(h, cmpEnd) {
		slices.SortStableFunc(h, cmpEnd)
	}
	return dst
}

func cmpEnd(x, y hit) int { return int(x.end) - int(y.end) }

// scanTail continues a cursor of scanHits4 over t[from:] from state st,
// appending the hits ending after back bytes of t (at offset off+end).
func (a *automaton) scanTail(t string, st int32, from, back, off int, dst []hit) []hit {
	table, class := a.table, &a.class
	for k := from; k < len(t); k++ {
		st = table[st+class[t[k]]]
		if st < 0 {
			st = -st
			if k+1 > back {
				dst = a.emitHits(dst, st, off+k+1)
			}
		}
	}
	return dst
}

// scanLimit appends the first limit hits of the plain scan to dst.
func (a *automaton) scanLimit(text string, dst []hit, limit int) []hit {
	base := len(dst)
	a.scan(text, func(kw, end int) bool {
		dst = append(dst, hit{int32(kw), int32(end)})
		return len(dst)-base < limit
	})
	return dst
}

func (a *automaton) emitHits(dst []hit, st int32, end int) []hit {
	for _, k := range a.out[st/a.width] {
		dst = append(dst, hit{int32(k), int32(end)})
	}
	return dst
}
