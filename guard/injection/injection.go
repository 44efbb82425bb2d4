// Package injection detects prompt injection and jailbreaks in user prompts
// (direct) and in content the model reads (indirect: documents, tool results).
//
// Detection runs in layers: Unicode normalization (guard/textnorm) with
// hidden-text reporting; bounded decoding of embedded payloads (base64, hex,
// URL encoding, rot13, leetspeak) that are scanned again; signals from a
// multilingual lexicon and from structure (chat-template tokens, fake turns,
// adversarial suffixes, payload splitting, many-shot dialogues); and a compact
// linear model over hashed character and word n-grams, trained reproducibly by
// `go run ./guard/injection/cmd/train-injection` and embedded in the binary.
// Scores are calibrated to 0..1 per mode; each Level maps to a threshold per
// mode chosen on validation data.
package injection

import (
	_ "embed"
	"fmt"
	"sync"

	"github.com/aigis-dev/aigis/guard/injection/internal/engine"
)

// Mode selects the feature set and thresholds.
type Mode string

// Modes.
const (
	ModeUser     Mode = "user"     // a user's own prompt (direct injection, jailbreak)
	ModeDocument Mode = "document" // content the model reads: tool results, documents, emails
)

// ParseMode parses "user" or "document" ("" means user).
func ParseMode(s string) (Mode, error) {
	switch s {
	case "", "user", "direct", "prompt":
		return ModeUser, nil
	case "document", "indirect", "tool", "tool_result":
		return ModeDocument, nil
	}
	return "", fmt.Errorf("unknown injection mode %q: use user or document", s)
}

// Level picks a threshold preset.
type Level string

// Threshold presets.
const (
	Strict     Level = "strict"
	Balanced   Level = "balanced"
	Permissive Level = "permissive"
)

// ParseLevel parses a level name ("" means balanced).
func ParseLevel(s string) (Level, error) {
	switch Level(s) {
	case "", Balanced:
		return Balanced, nil
	case Strict, Permissive:
		return Level(s), nil
	}
	return "", fmt.Errorf("unknown injection level %q: use strict, balanced or permissive", s)
}

// Options configure a Detector.
type Options struct {
	Level Level // default Balanced
	// Model replaces the embedded model (a file written by the training
	// command). Nil uses the embedded model.
	Model []byte
}

// Result is a verdict with its explanation.
type Result struct {
	Detected bool     `json:"detected"`
	Score    float64  `json:"score"`   // calibrated 0..1
	Signals  []string `json:"signals"` // which signals fired
}

// Stable signal names. A verdict lists every signal that fired, whether or
// not the text was detected; "classifier" is listed when the n-gram model
// supports a positive verdict.
const (
	SignalOverride      = "override"
	SignalRoleSpoof     = "role_spoof"
	SignalTemplateToken = "template_token"
	SignalPersona       = "persona_jailbreak"
	SignalGibberish     = "gibberish_suffix"
	SignalPromptLeak    = "prompt_leak"
	SignalPayloadSplit  = "payload_split"
	SignalManyShot      = "many_shot"
	SignalInvisible     = "invisible_chars"
	SignalSmuggling     = "ascii_smuggling"
	SignalHomoglyphs    = "homoglyphs"
	SignalDirective     = "model_directive"
	SignalHarmful       = "harmful_request"
	SignalClassifier    = "classifier"
	// Encoded payloads are reported as "encoded_payload:<kind>" with kind one
	// of base64, hex, url, rot13, leetspeak.
	SignalEncodedPrefix = "encoded_payload:"
)

//go:embed model.bin
var embeddedModel []byte

// Detector is safe for concurrent use.
type Detector struct {
	opts  Options
	level int
	eng   *engine.Engine
	pool  sync.Pool
}

// New returns a Detector.
func New(opts Options) (*Detector, error) {
	lv, err := ParseLevel(string(opts.Level))
	if err != nil {
		return nil, err
	}
	opts.Level = lv
	data := opts.Model
	if data == nil {
		data = embeddedModel
	}
	m, err := engine.UnmarshalModel(data)
	if err != nil {
		return nil, fmt.Errorf("load injection model: %w", err)
	}
	eng, err := engine.New(m)
	if err != nil {
		return nil, fmt.Errorf("compile injection lexicon: %w", err)
	}
	d := &Detector{opts: opts, eng: eng}
	switch lv {
	case Strict:
		d.level = engine.LevelStrict
	case Permissive:
		d.level = engine.LevelPermissive
	default:
		d.level = engine.LevelBalanced
	}
	d.pool.New = func() any { return &engine.Scratch{} }
	return d, nil
}

// Level returns the detector's threshold preset.
func (d *Detector) Level() Level { return d.opts.Level }

// Threshold returns the score at or above which Detect reports an attack in
// the given mode.
func (d *Detector) Threshold(mode Mode) float64 {
	return d.eng.Threshold(modeIndex(mode), d.level)
}

func modeIndex(m Mode) int {
	if m == ModeDocument {
		return engine.ModeDocument
	}
	return engine.ModeUser
}

// Detect scores text in the given mode (anything but ModeDocument is user).
func (d *Detector) Detect(text string, mode Mode) Result {
	mi := modeIndex(mode)
	s := d.pool.Get().(*engine.Scratch)
	a := d.eng.Analyze(text, mi, s)
	d.eng.Score(&a, mi, s)
	d.pool.Put(s)
	res := Result{Score: a.Prob}
	res.Detected = a.Prob >= d.eng.Threshold(mi, d.level)
	res.Signals = a.Fired(make([]string, 0, 4))
	if res.Detected && a.NgramZ > 0 {
		res.Signals = append(res.Signals, SignalClassifier)
	}
	return res
}
