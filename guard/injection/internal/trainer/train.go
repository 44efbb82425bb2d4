package trainer

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/aigis-dev/aigis/guard/injection/internal/engine"
)

// Config controls training.
type Config struct {
	Bits       uint32  // hashed buckets = 1<<Bits (default 18)
	Epochs     int     // default 4
	LR         float64 // AdaGrad learning rate (default 0.2)
	Seed       uint64  // shuffle seed (default 1)
	SourceCap  int     // benign rows per source family kept for training (default 3000)
	HardWeight float64 // weight multiplier for hard benign rows (default 3)
	// PersonaWeight multiplies the weight of the hand-written benign persona
	// prompts (BenignPersonas; default 4).
	PersonaWeight float64
	// FramingOnlyWeight multiplies the weight of user-mode attack rows
	// whose only lexicon evidence is persona framing (engine.FramingOnly):
	// label-ambiguous rows, such as deepset's copies of
	// awesome-chatgpt-prompts personas ("I want you to act as a linux
	// terminal") labeled as attacks (0 means the default, 0.25).
	FramingOnlyWeight float64
	// Indirect inserts the hand-written indirect-injection snippets and
	// their benign look-alikes (IndirectSnippets) into benign training
	// documents.
	Indirect bool
	// IndirectWeight multiplies the weight of those documents (default 0.5:
	// 77 snippets repeated over thousands of carriers should teach the
	// shape, not dominate the shared n-gram weights).
	IndirectWeight float64
	// Target false-positive rates on the calibration split, per level.
	TargetFPR [engine.NumLevels]float64
	Logf      func(format string, args ...any)
}

func (c *Config) defaults() {
	if c.Bits == 0 {
		c.Bits = 18
	}
	if c.Epochs == 0 {
		c.Epochs = 4
	}
	if c.LR == 0 {
		c.LR = 0.2
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.IndirectWeight == 0 {
		c.IndirectWeight = 0.5
	}
	if c.FramingOnlyWeight == 0 {
		c.FramingOnlyWeight = 0.25
	}
	if c.PersonaWeight == 0 {
		c.PersonaWeight = 4
	}
	if c.HardWeight == 0 {
		c.HardWeight = 3
	}
	if c.SourceCap == 0 {
		c.SourceCap = 3000
	}
	if c.TargetFPR == [engine.NumLevels]float64{} {
		c.TargetFPR = [engine.NumLevels]float64{0.03, 0.01, 0.003}
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
}

type example struct {
	row    *Row
	text   string // when set, replaces row.Text (augmented example)
	label  int
	mode   int
	weight float64
	span   string // injected span when known
	// persona marks the hand-written benign persona prompts; they weigh
	// PersonaWeight times a benign row.
	persona bool
	// indirect marks documents carrying a hand-written indirect snippet
	// (IndirectSnippets); they weigh IndirectWeight times.
	indirect bool
}

// Train fits a model on the rows for which use returns true, calibrates it on
// calib rows and returns it quantized.
func Train(ctx context.Context, rows []Row, use func(*Row) bool, calib []*Row, cfg Config) (*engine.Model, error) {
	cfg.defaults()
	var exs []example
	perRepo := map[string]int{}
	var modeCount [2][2]float64
	for i := range rows {
		r := &rows[i]
		if !use(r) {
			continue
		}
		if r.Label == 0 {
			perRepo[r.Repo]++
			if perRepo[r.Repo] > cfg.SourceCap && keepHash(r.Text)%4 != 0 {
				continue // thin out huge easy benign sources deterministically
			}
		}
		exs = append(exs, example{row: r, label: r.Label, mode: r.Mode})
		modeCount[r.Mode][r.Label]++
		if r.Label == 0 {
			h := keepHash(r.Text)
			switch {
			case r.Mode == 0 && h%4 == 1:
				// A benign prompt quoted in a document is benign in document mode too.
				exs = append(exs, example{row: r, text: r.Text, label: 0, mode: 1})
				modeCount[1][0]++
			case r.Mode == 1 && len(r.Text) > 600 && h%2 == 1:
				// Short benign snippets: tool results and emails are often short.
				cut := 200 + int(h%300)
				for cut < len(r.Text) && r.Text[cut]&0xC0 == 0x80 {
					cut++
				}
				exs = append(exs, example{row: r, text: r.Text[:cut], label: 0, mode: 1})
				modeCount[1][0]++
			}
		}
		// The same document with the injected span removed is benign: it
		// teaches the model that the carrier text is not the attack.
		if r.Label == 1 && r.Span != "" && strings.Contains(r.Text, r.Span) {
			exs = append(exs, example{row: r, text: strings.Replace(r.Text, r.Span, "", 1), label: 0, mode: r.Mode})
			modeCount[r.Mode][0]++
		}
	}
	if len(exs) == 0 {
		return nil, fmt.Errorf("no training rows")
	}
	// Hand-written benign persona prompts (BenignPersonas): role-play
	// framing without rule-breaking language is benign.
	personas := BenignPersonas()
	for i := range personas {
		exs = append(exs, example{row: &personas[i], label: 0, mode: 0, persona: true})
		modeCount[0][0]++
	}
	// Synthetic indirect injections: short attack prompts from the training
	// rows inserted into benign training documents, so that document mode
	// learns injections in many carriers, not only garak's templates.
	var pool []*Row
	for i := range rows {
		r := &rows[i]
		if use(r) && r.Label == 1 && r.Mode == 0 && len(r.Text) <= 600 {
			pool = append(pool, r)
		}
	}
	if len(pool) > 0 {
		n := len(exs)
		for i := 0; i < n; i++ {
			r := exs[i].row
			if exs[i].text != "" || r.Label != 0 || r.Mode != 1 || len(r.Text) < 200 {
				continue
			}
			h := keepHash(r.Text)
			if h%3 != 0 {
				continue
			}
			atk := pool[(h/3)%uint64(len(pool))]
			// plain or as an HTML comment (the other carrier styles of
			// SyntheticDocs are left for evaluation).
			text := Embed(r.Text, atk.Text, int(h>>40)%2, h>>20)
			synth := &Row{Text: text, Label: 1, Mode: 1, Source: "synthetic", Repo: r.Repo, Span: strings.TrimSpace(atk.Text)}
			exs = append(exs, example{row: synth, text: text, label: 1, mode: 1, span: synth.Span})
			modeCount[1][1]++
		}
		cfg.Logf("added synthetic indirect injections; document attacks now %v", modeCount[1][1])
	}
	// Hand-written indirect injections (IndirectSnippets: text addressed to
	// the model reading the document, fake turns, in several languages) in
	// one benign training document of six, and their benign look-alikes
	// (instructions to a human reader, AI as a topic) in another, so that
	// document mode learns the shape of an indirect injection and not the
	// mere insertion of a sentence.
	if cfg.Indirect {
		atks, bens := IndirectSnippets()
		n := len(exs)
		added := 0
		for i := 0; i < n; i++ {
			r := exs[i].row
			if exs[i].text != "" || r.Label != 0 || r.Mode != 1 || len(r.Text) < 200 {
				continue
			}
			h := keepHash("indirect|" + r.Text)
			var snip string
			label := 0
			switch h % 6 {
			case 1:
				snip, label = atks[(h/6)%uint64(len(atks))], 1
			case 4:
				snip = bens[(h/6)%uint64(len(bens))]
			default:
				continue
			}
			text := Embed(r.Text, snip, int(h>>40)%2, h>>20)
			row := &Row{Text: text, Label: label, Mode: 1, Source: "synthetic-indirect", Repo: r.Repo}
			if label == 1 {
				row.Span = snip
			}
			exs = append(exs, example{row: row, text: text, label: label, mode: 1, span: row.Span, indirect: true})
			modeCount[1][label]++
			added++
		}
		cfg.Logf("added %d hand-written indirect snippets (attacks and look-alikes)", added)
	}
	eng, err := engine.New(nil)
	if err != nil {
		return nil, err
	}
	var frameScratch engine.Scratch
	framed := 0
	for i := range exs {
		r := exs[i].row
		mo := exs[i].mode
		n := modeCount[mo][0] + modeCount[mo][1]
		exs[i].weight = n / (2 * math.Max(modeCount[mo][exs[i].label], 1))
		if exs[i].label == 0 && exs[i].text == "" && HardNegative(r.Text) {
			exs[i].weight *= cfg.HardWeight
		}
		if exs[i].persona {
			exs[i].weight *= cfg.PersonaWeight
		}
		if exs[i].indirect {
			exs[i].weight *= cfg.IndirectWeight
		}
		if exs[i].label == 0 && r.Repo == "NVIDIA/garak" {
			exs[i].weight *= cfg.HardWeight // the same documents without the injection
		}
		if exs[i].label == 1 && mo == 0 && exs[i].text == "" {
			if a := eng.Analyze(r.Text, 0, &frameScratch); engine.FramingOnly(&a) {
				exs[i].weight *= cfg.FramingOnlyWeight
				framed++
			}
		}
	}
	cfg.Logf("%d user attack rows whose only lexicon evidence is persona framing weigh x%g", framed, cfg.FramingOnlyWeight)
	cfg.Logf("training on %d examples (user %v/%v, document %v/%v benign/attack)", len(exs),
		modeCount[0][0], modeCount[0][1], modeCount[1][0], modeCount[1][1])

	nb := 1 << cfg.Bits
	mask := uint32(nb - 1)
	w := make([]float32, nb)
	g2 := make([]float32, nb)
	var dw [2][engine.NumDense]float64
	var dg2 [2][engine.NumDense]float64
	s := &engine.Scratch{}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5eed))
	order := make([]int, len(exs))
	for i := range order {
		order[i] = i
	}
	var feats []uint32
	var wins, segs [][2]int
	const l2 = 1e-4
	for ep := 0; ep < cfg.Epochs; ep++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		var loss float64
		for k, oi := range order {
			if k%4096 == 0 && ctx.Err() != nil {
				return nil, ctx.Err()
			}
			ex := &exs[oi]
			r := ex.row
			text := r.Text
			if ex.text != "" {
				text = ex.text
			}
			a := eng.Analyze(text, ex.mode, s)
			if ex.span == "" && ex.label == 1 {
				ex.span = r.Span
			}
			if ex.label == 1 {
				wins = trainWindows(s.Low(), r, wins[:0])
			} else {
				wins = trainWindows(s.Low(), &Row{Label: 0}, wins[:0])
			}
			prior := engine.RulePrior(&a, ex.mode)
			// The n-gram part is trained at full scale: engine.NgramTrust
			// damps it at inference only. Scaling it in training too would
			// let the weights of n-grams seen only in non-English rows grow
			// to undo the damping (a few German attack rows then made
			// ordinary German prompts look like attacks).
			const trust = 1.0
			y := float64(ex.label)
			update := func(ws, we int, frac float64) {
				feats = engine.WindowFeatures(s, ws, we, feats[:0])
				inv := 0.0
				if len(feats) > 0 {
					inv = trust / math.Sqrt(float64(len(feats)))
				}
				var z float64
				for _, f := range feats {
					z += float64(w[f&mask])
				}
				z *= inv
				for i, v := range a.Dense {
					z += dw[ex.mode][i] * float64(v)
				}
				z += prior
				p := 1 / (1 + math.Exp(-z))
				if y == 1 {
					loss -= frac * ex.weight * math.Log(math.Max(p, 1e-12))
				} else {
					loss -= frac * ex.weight * math.Log(math.Max(1-p, 1e-12))
				}
				g := (p - y) * ex.weight * frac
				gf := float32(g * inv)
				for _, f := range feats {
					b := f & mask
					g2[b] += gf * gf
					w[b] -= float32(cfg.LR) * gf / float32(math.Sqrt(float64(g2[b]))+1e-6)
				}
				for i, v := range a.Dense {
					gi := g*float64(v) + l2*dw[ex.mode][i]
					dg2[ex.mode][i] += gi * gi
					dw[ex.mode][i] -= cfg.LR * gi / (math.Sqrt(dg2[ex.mode][i]) + 1e-6)
					if ex.mode == engine.ModeDocument && engine.MonotoneDense[i] && dw[ex.mode][i] < 0 {
						dw[ex.mode][i] = 0 // projected: signals never count as benign evidence
					}
				}
			}
			for _, win := range wins {
				update(win[0], win[1], 1/float64(len(wins)))
			}
			// Document mode also scores sentence-level segments and keeps the
			// highest (engine.Segments): train the highest-scoring segment
			// under the current weights (multiple-instance learning with max
			// pooling), within the injected span when it is known.
			if ex.mode == engine.ModeDocument {
				segs = engine.Segments(s.Low(), segs[:0])
				lo, hi := 0, len(s.Low())
				if ex.label == 1 && ex.span != "" {
					// Folded like the analysis (NFKC, lower case, Arabic
					// letter variants, collapsed spaces), or spans with
					// such text would not be found in Low.
					span := engine.Fold(strings.TrimSpace(ex.span))
					probe := span
					if len(probe) > 48 {
						probe = probe[:48]
					}
					if i := strings.Index(string(s.Low()), probe); probe != "" && i >= 0 {
						lo, hi = i, i+len(span)
					}
				}
				best, bz := -1, math.Inf(-1)
				for k, sg := range segs {
					if sg[1] <= lo || sg[0] >= hi {
						continue
					}
					feats = engine.WindowFeatures(s, sg[0], sg[1], feats[:0])
					if len(feats) == 0 {
						continue
					}
					var z float64
					for _, f := range feats {
						z += float64(w[f&mask])
					}
					z /= math.Sqrt(float64(len(feats)))
					if z > bz {
						best, bz = k, z
					}
				}
				if best >= 0 && (len(wins) > 1 || segs[best] != wins[0]) {
					update(segs[best][0], segs[best][1], 1)
				}
			}
		}
		cfg.Logf("epoch %d: weighted log loss %.4f", ep+1, loss/float64(len(exs)))
	}
	m := quantize(w, cfg.Bits)
	for mode := range 2 {
		for i := range dw[mode] {
			m.Dense[mode][i] = float32(dw[mode][i])
		}
		m.Platt[mode] = [2]float32{1, 0}
	}
	if err := Calibrate(ctx, m, calib, cfg.TargetFPR, cfg.Logf); err != nil {
		return nil, err
	}
	return m, nil
}

func keepHash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// trainWindows picks the windows of a training text: the whole text when it
// fits; for a long attack, the window around the injected span when known;
// otherwise the first and last windows.
func trainWindows(low []byte, r *Row, dst [][2]int) [][2]int {
	n := len(low)
	if n <= engine.WindowBytes {
		return append(dst, [2]int{0, n})
	}
	if r.Label == 1 && r.Span != "" {
		probe := strings.ToLower(strings.TrimSpace(r.Span))
		if len(probe) > 48 {
			probe = probe[:48]
		}
		if i := strings.Index(string(low), probe); probe != "" && i >= 0 {
			st := max(0, min(i-engine.WindowBytes/4, n-engine.WindowBytes))
			return append(dst, [2]int{st, st + engine.WindowBytes})
		}
	}
	// first, middle and last windows (a fourth for long benign texts).
	mid := (n - engine.WindowBytes) / 2
	dst = append(dst, [2]int{0, engine.WindowBytes}, [2]int{mid, mid + engine.WindowBytes}, [2]int{n - engine.WindowBytes, n})
	if r.Label == 0 && n > 4*engine.WindowBytes {
		q := (n - engine.WindowBytes) / 4
		dst = append(dst, [2]int{q, q + engine.WindowBytes})
	}
	return dst
}

func quantize(w []float32, bits uint32) *engine.Model {
	var maxAbs float64
	for _, v := range w {
		maxAbs = math.Max(maxAbs, math.Abs(float64(v)))
	}
	if maxAbs == 0 {
		maxAbs = 1
	}
	scale := maxAbs / 127
	m := &engine.Model{Bits: bits, Scale: float32(scale), W: make([]int8, len(w))}
	for i, v := range w {
		q := math.Round(float64(v) / scale)
		m.W[i] = int8(max(-127, min(127, q)))
	}
	return m
}

// Calibrate fits Platt scaling per mode on the calibration rows (class
// balanced) and picks each level's threshold as the lowest probability whose
// false-positive rate on the calibration benign rows stays within target.
func Calibrate(ctx context.Context, m *engine.Model, calib []*Row, target [engine.NumLevels]float64, logf func(string, ...any)) error {
	m.Platt = [2][2]float32{{1, 0}, {1, 0}}
	eng, err := engine.New(m)
	if err != nil {
		return err
	}
	s := &engine.Scratch{}
	var zs [2][]float64
	var ys [2][]float64
	for i, r := range calib {
		if i%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		a := eng.Analyze(r.Text, r.Mode, s)
		eng.Score(&a, r.Mode, s)
		zs[r.Mode] = append(zs[r.Mode], a.Z)
		ys[r.Mode] = append(ys[r.Mode], float64(r.Label))
	}
	for mode := range 2 {
		a, b := platt(zs[mode], ys[mode])
		m.Platt[mode] = [2]float32{float32(a), float32(b)}
		var neg []float64
		var pos int
		for i, z := range zs[mode] {
			if ys[mode][i] == 0 {
				neg = append(neg, sigmoid(a*z+b))
			} else {
				pos++
			}
		}
		sort.Float64s(neg)
		for lv := range engine.NumLevels {
			t := 0.5
			if len(neg) > 0 {
				k := int(math.Floor(float64(len(neg)) * (1 - target[lv])))
				if k >= len(neg) {
					k = len(neg) - 1
				}
				t = math.Min(0.999, math.Max(neg[k]+1e-6, 0.05))
			}
			m.Thresholds[mode][lv] = float32(t)
		}
		logf("calibration mode %d: %d benign, %d attack rows; platt a=%.3f b=%.3f; thresholds %v", mode, len(neg), pos, a, b, m.Thresholds[mode])
	}
	return nil
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// platt fits p = sigmoid(a*z+b) by Newton's method with class-balanced
// weights and Platt's smoothed targets.
func platt(z, y []float64) (float64, float64) {
	var np, nn float64
	for _, v := range y {
		if v == 1 {
			np++
		} else {
			nn++
		}
	}
	if np == 0 || nn == 0 {
		return 1, 0
	}
	tp, tn := (np+1)/(np+2), 1/(nn+2)
	wp, wn := (np+nn)/(2*np), (np+nn)/(2*nn)
	loss := func(a, b float64) float64 {
		var l float64
		for i := range z {
			t, w := tn, wn
			if y[i] == 1 {
				t, w = tp, wp
			}
			p := math.Min(math.Max(sigmoid(a*z[i]+b), 1e-12), 1-1e-12)
			l -= w * (t*math.Log(p) + (1-t)*math.Log(1-p))
		}
		return l
	}
	a, b := 1.0, 0.0
	cur := loss(a, b)
	for it := 0; it < 100; it++ {
		var g0, g1, h00, h01, h11 float64
		for i := range z {
			t, w := tn, wn
			if y[i] == 1 {
				t, w = tp, wp
			}
			p := sigmoid(a*z[i] + b)
			d := (p - t) * w
			g0 += d * z[i]
			g1 += d
			hh := p * (1 - p) * w
			h00 += hh * z[i] * z[i]
			h01 += hh * z[i]
			h11 += hh
		}
		h00 += 1e-6
		h11 += 1e-6
		det := h00*h11 - h01*h01
		if det <= 0 {
			break
		}
		da := (h11*g0 - h01*g1) / det
		db := (h00*g1 - h01*g0) / det
		step := 1.0
		improved := false
		for k := 0; k < 30; k++ {
			na, nb := a-step*da, b-step*db
			if l := loss(na, nb); l < cur {
				a, b, cur, improved = na, nb, l, true
				break
			}
			step /= 2
		}
		if !improved || math.Abs(step*da)+math.Abs(step*db) < 1e-9 {
			break
		}
	}
	return a, b
}
