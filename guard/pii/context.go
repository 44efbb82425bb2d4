package pii

import (
	"bytes"

	"github.com/aigis-dev/aigis/guard/match"
)

// Context windows in bytes around a candidate.
const (
	ctxBefore = 64
	ctxAfter  = 32
	ctxBoost  = 0.35
)

// hasContext reports whether a keyword (lower-case ASCII) starts at a word
// boundary within the context window of text[start:end].
func hasContext(text string, start, end int, kws []string) bool {
	w := newCtxWin(text, start, end)
	return w.has(kws)
}

// ctxWin is the context window of one candidate, ASCII-lowered once so that
// each keyword is a byte search (bytes.IndexByte) instead of a fold loop.
type ctxWin struct {
	text           string
	lo, start, end int
	nb, na         int
	before         [ctxBefore]byte
	after          [ctxAfter]byte
	bigrams        [8]uint64 // hashed byte pairs of both segments: most keywords are ruled out in O(1)
}

func bigramHash(a, b byte) uint { return (uint(a)*31 + uint(b)) & 511 }

func newCtxWin(text string, start, end int) (w ctxWin) {
	w.text, w.start, w.end = text, start, end
	w.lo = max(start-ctxBefore, 0)
	hi := min(end+ctxAfter, len(text))
	for i := w.lo; i < start; i++ {
		w.before[w.nb] = match.Lower(text[i])
		w.nb++
	}
	for i := end; i < hi; i++ {
		w.after[w.na] = match.Lower(text[i])
		w.na++
	}
	for i := 1; i < w.nb; i++ {
		h := bigramHash(w.before[i-1], w.before[i])
		w.bigrams[h>>6] |= 1 << (h & 63)
	}
	for i := 1; i < w.na; i++ {
		h := bigramHash(w.after[i-1], w.after[i])
		w.bigrams[h>>6] |= 1 << (h & 63)
	}
	return w
}

// has reports whether a keyword starts at a word boundary in the window.
func (w *ctxWin) has(kws []string) bool {
	for _, k := range kws {
		if len(k) >= 2 {
			if h := bigramHash(k[0], k[1]); w.bigrams[h>>6]&(1<<(h&63)) == 0 {
				continue
			}
		}
		if findLowered(w.text, w.lo, w.before[:w.nb], k) || findLowered(w.text, w.end, w.after[:w.na], k) {
			return true
		}
	}
	return false
}

// boost adds the context boost to score when a keyword is in the window.
func (w *ctxWin) boost(score float64, kws []string) float64 {
	if len(kws) > 0 && w.has(kws) {
		score += ctxBoost
	}
	return min(score, 1)
}

// findLowered reports whether k occurs in seg (text[base:base+len(seg)],
// lowered) at a word boundary of text.
func findLowered(text string, base int, seg []byte, k string) bool {
	n := len(k)
	for off := 0; off+n <= len(seg); {
		i := bytes.IndexByte(seg[off:len(seg)-n+1], k[0])
		if i < 0 {
			return false
		}
		p := off + i
		if string(seg[p:p+n]) == k {
			if q := base + p; q == 0 || !match.IsAlnum(text[q-1]) {
				return true
			}
		}
		off = p + 1
	}
	return false
}

// findWordFold finds k in text[lo:hi] case-insensitively starting at a word
// boundary.
func findWordFold(text string, lo, hi int, k string) bool {
	seg := text[lo:hi]
	off := 0
	for {
		i := match.IndexFold(seg[off:], k)
		if i < 0 {
			return false
		}
		p := lo + off + i
		if p == 0 || !match.IsAlnum(text[p-1]) {
			return true
		}
		off += i + 1
		if off >= len(seg) {
			return false
		}
	}
}

// contextDistance returns the distance in bytes between text[start:end] and
// the nearest keyword (at a word boundary) within the context window, or -1.
func contextDistance(text string, start, end int, kws []string) int {
	lo := max(start-ctxBefore, 0)
	hi := min(end+ctxAfter, len(text))
	best := -1
	for _, k := range kws {
		// Before: the last occurrence is the nearest.
		for off := lo; off < start; {
			i := match.IndexFold(text[off:start], k)
			if i < 0 {
				break
			}
			p := off + i
			if p == 0 || !match.IsAlnum(text[p-1]) {
				if d := start - (p + len(k)); d >= 0 && (best < 0 || d < best) {
					best = d
				}
			}
			off = p + 1
		}
		// After: the first occurrence is the nearest.
		for off := end; off < hi; {
			i := match.IndexFold(text[off:hi], k)
			if i < 0 {
				break
			}
			p := off + i
			if !match.IsAlnum(text[p-1]) {
				if d := p - end; best < 0 || d < best {
					best = d
				}
				break
			}
			off = p + 1
		}
	}
	return best
}

func boost(score float64, text string, start, end int, kws []string) float64 {
	if len(kws) > 0 && hasContext(text, start, end, kws) {
		score += ctxBoost
	}
	if score > 1 {
		score = 1
	}
	return score
}

// Context keywords per type (lower case).
var (
	kwPhone      = []string{"phone", "call", "tel", "mobile", "cell", "fax", "contact", "reach", "text me", "whatsapp", "dial", "registered", "landline"}
	kwSSN        = []string{"ssn", "social security", "social sec", "ss#", "ss #", "ssns"}
	kwITIN       = []string{"itin", "taxpayer", "tax id", "tax identification"}
	kwBank       = []string{"account", "acct", "bank", "routing", "checking", "savings", "iban", "debit"}
	kwPassport   = []string{"passport", "travel document"}
	kwDL         = []string{"driver", "driving", "license", "licence", "dl#", "dl #", "dl:", "dmv", "permit"}
	kwNHS        = []string{"nhs", "health service", "national health", "patient", "health number", "medical record"}
	kwABN        = []string{"abn", "australian business", "business number"}
	kwACN        = []string{"acn", "australian company", "company number"}
	kwTFN        = []string{"tfn", "tax file"}
	kwMedicare   = []string{"medicare"}
	kwAadhaar    = []string{"aadhaar", "aadhar", "uidai", "uid"}
	kwPESEL      = []string{"pesel"}
	kwTNIN       = []string{"thai", "national id", "tnin", "citizen id", "id card"}
	kwKRRRN      = []string{"rrn", "resident registration", "주민등록번호", "korean"}
	kwDate       = []string{"born", "birth", "dob", "d.o.b", "date", "since", "year", "in", "on", "until", "from", "during", "expires", "expiry", "dated", "as of"}
	kwDOB        = []string{"born", "birth", "dob", "d.o.b"}
	kwNIF        = []string{"nif", "dni", "documento", "identidad", "fiscal"}
	kwNIE        = []string{"nie", "extranjero", "foreigner"}
	kwNRIC       = []string{"nric", "fin", "singapore", "ic number", "identity card"}
	kwPAN        = []string{"pan", "permanent account", "income tax"}
	kwMedical    = []string{"dea", "medical license", "medical licence", "prescriber", "physician", "license", "licence"}
	kwCrypto     = []string{"wallet", "btc", "bitcoin", "eth", "ethereum", "crypto", "address", "send"}
	kwCard       = []string{"card", "credit", "visa", "mastercard", "amex", "debit", "cc", "payment"}
	kwNotPhone   = []string{"zip", "postal", "postcode", "post code", "license", "licence", "passport", "account", "ssn", "social security", "card", "iban", "invoice", "order"}
	kwNINO       = []string{"national insurance", "nino", "ni number", "ni no"}
	kwITVAT      = []string{"partita iva", "p.iva", "p. iva", "piva", "iva", "vat"}
	kwITDL       = []string{"patente", "licenza di guida", "driving licence", "driver's license", "driver license"}
	kwITPassport = []string{"passaporto", "passport"}
	kwITID       = []string{"carta d'identità", "carta di identità", "carta identità", "documento d'identità", "identity card", "id card", "cie"}
	kwINPassport = []string{"passport"}
	kwINVoter    = []string{"voter", "epic", "electoral", "election commission", "elector"}
	kwINVehicle  = []string{"vehicle", "registration", "number plate", "licence plate", "license plate", "rto", "scooter", "motorcycle"}
	kwSGUEN      = []string{"uen", "unique entity", "business registration", "company registration", "registration number", "acra"}
)
