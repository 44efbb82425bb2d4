package secrets

// automaton is an Aho-Corasick matcher over lower-case ASCII keywords,
// matching case-insensitively (ASCII), compiled to a dense DFA.
type automaton struct {
	next  [][256]int32 // state x byte -> state (while building)
	out   [][]int      // state -> keyword indexes ending here
	class [256]int32   // byte -> class
	width int32        // number of classes
	table []int32      // state*width + class -> state
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
			a.table[int32(st)*n+a.class[c]] = a.next[st][c]
		}
	}
	a.next = nil
}

// scan calls fn(keyword, endOffset) for every keyword occurrence; fn
// returning false stops the scan.
func (a *automaton) scan(text string, fn func(kw, end int) bool) {
	st := int32(0)
	for i := 0; i < len(text); i++ {
		st = a.table[st*a.width+a.class[text[i]]]
		if o := a.out[st]; len(o) > 0 {
			for _, k := range o {
				if !fn(k, i+1) {
					return
				}
			}
		}
	}
}
