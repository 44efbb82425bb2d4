package pii

import "github.com/aigis-dev/aigis/guard/match"

// Context windows in bytes around a candidate.
const (
	ctxBefore = 64
	ctxAfter  = 32
	ctxBoost  = 0.35
)

// hasContext reports whether a keyword (lower-case ASCII) starts at a word
// boundary within the context window of text[start:end].
func hasContext(text string, start, end int, kws []string) bool {
	lo := start - ctxBefore
	if lo < 0 {
		lo = 0
	}
	hi := end + ctxAfter
	if hi > len(text) {
		hi = len(text)
	}
	for _, k := range kws {
		if findWordFold(text, lo, start, k) || findWordFold(text, end, hi, k) {
			return true
		}
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
	kwPhone    = []string{"phone", "call", "tel", "mobile", "cell", "fax", "contact", "reach", "text me", "whatsapp", "dial", "registered", "landline"}
	kwSSN      = []string{"ssn", "social security", "social sec", "ss#", "ss #", "ssns"}
	kwITIN     = []string{"itin", "taxpayer", "tax id", "tax identification"}
	kwBank     = []string{"account", "acct", "bank", "routing", "checking", "savings", "iban", "debit"}
	kwPassport = []string{"passport", "travel document"}
	kwDL       = []string{"driver", "driving", "license", "licence", "dl#", "dl #", "dl:", "dmv", "permit"}
	kwNHS      = []string{"nhs", "health service", "national health", "patient", "health number", "medical record"}
	kwABN      = []string{"abn", "australian business", "business number"}
	kwACN      = []string{"acn", "australian company", "company number"}
	kwTFN      = []string{"tfn", "tax file"}
	kwMedicare = []string{"medicare"}
	kwAadhaar  = []string{"aadhaar", "aadhar", "uidai", "uid"}
	kwPESEL    = []string{"pesel"}
	kwTNIN     = []string{"thai", "national id", "tnin", "citizen id", "id card"}
	kwKRRRN    = []string{"rrn", "resident registration", "주민등록번호", "korean"}
	kwDate     = []string{"born", "birth", "dob", "d.o.b", "date", "since", "year", "in", "on", "until", "from", "during", "expires", "expiry", "dated", "as of"}
	kwDOB      = []string{"born", "birth", "dob", "d.o.b"}
	kwNIF      = []string{"nif", "dni", "documento", "identidad", "fiscal"}
	kwNIE      = []string{"nie", "extranjero", "foreigner"}
	kwNRIC     = []string{"nric", "fin", "singapore", "ic number", "identity card"}
	kwPAN      = []string{"pan", "permanent account", "income tax"}
	kwMedical  = []string{"dea", "medical license", "medical licence", "prescriber", "physician", "license", "licence"}
	kwCrypto   = []string{"wallet", "btc", "bitcoin", "eth", "ethereum", "crypto", "address", "send"}
	kwCard     = []string{"card", "credit", "visa", "mastercard", "amex", "debit", "cc", "payment"}
	kwNotPhone = []string{"zip", "postal", "postcode", "post code", "license", "licence", "passport", "account", "ssn", "social security", "card", "iban", "invoice", "order"}
	kwNINO     = []string{"national insurance", "nino", "ni number", "ni no"}
)
