package pii

import (
	"crypto/sha256"
	"strings"

	"github.com/aigis-dev/aigis/guard/checksum"
)

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return -1
		}
		n = n*10 + int(s[i]-'0')
		if n > 1e9 {
			return -1
		}
	}
	return n
}

func validIPv4Groups(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if len(p) == 0 || len(p) > 3 || (len(p) > 1 && p[0] == '0') {
			return false
		}
		if v := atoi(p); v < 0 || v > 255 {
			return false
		}
	}
	return true
}

// dateScore scores numeric dates and times (0 = not a date).
func dateScore(s string, sh shape) float64 {
	g := sh.groups
	if sh.ext || sh.plus || sh.paren {
		return 0
	}
	// Split the digits back into group values.
	vals := make([]int, len(g))
	off := 0
	for i, n := range g {
		vals[i] = atoi(string(sh.digits[off : off+n]))
		off += n
	}
	okDM := func(d, m int) bool { return d >= 1 && d <= 31 && m >= 1 && m <= 12 }
	okTime := func(h, m int) bool { return h >= 0 && h <= 23 && m >= 0 && m <= 59 }
	dateSep := func(a, b byte) bool { return a == b && (a == '/' || a == '-' || a == '.') }
	if len(g) >= 3 && dateSep(sh.seps[0], sh.seps[1]) {
		var dateOK bool
		switch {
		case g[0] == 4 && g[1] <= 2 && g[2] <= 2:
			dateOK = vals[0] >= 1800 && vals[0] <= 2199 && okDM(vals[2], vals[1])
		case g[0] <= 2 && g[1] <= 2 && (g[2] == 4 || g[2] == 2):
			dateOK = okDM(vals[0], vals[1]) || okDM(vals[1], vals[0])
			if g[2] == 4 {
				dateOK = dateOK && vals[2] >= 1800 && vals[2] <= 2199
			}
		}
		if !dateOK {
			return 0
		}
		if len(g) == 3 {
			if sh.seps[0] == '.' && g[2] == 2 {
				return 0.5
			}
			return 0.85
		}
		// Date followed by a time.
		if (len(g) == 5 || len(g) == 6) && sh.seps[2] == ' ' && sh.seps[3] == ':' && okTime(vals[3], vals[4]) {
			return 0.9
		}
		return 0
	}
	if (len(g) == 2 || len(g) == 3) && sh.sepsAll(":") && g[0] <= 2 && g[1] == 2 && okTime(vals[0], vals[1]) {
		if len(g) == 3 && (g[2] != 2 || vals[2] > 59) {
			return 0
		}
		return 0.55
	}
	return 0
}

func ssnValid(d string) bool {
	area, group, serial := atoi(d[:3]), atoi(d[3:5]), atoi(d[5:])
	if area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 {
		return false
	}
	// Well-known invalid/advertising numbers.
	return d != "078051120" && d != "219099999"
}

func itinValid(d string) bool {
	if d[0] != '9' {
		return false
	}
	g := atoi(d[3:5])
	return g >= 50 && g <= 65 || g >= 70 && g <= 88 || g >= 90 && g <= 92 || g >= 94 && g <= 99
}

func weighted(d string, w []int) int {
	s := 0
	for i, x := range w {
		s += int(d[i]-'0') * x
	}
	return s
}

func krRRNValid(d string) bool {
	mm, dd := atoi(d[2:4]), atoi(d[4:6])
	if mm < 1 || mm > 12 || dd < 1 || dd > 31 || d[6] < '1' || d[6] > '8' {
		return false
	}
	s := weighted(d, []int{2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5})
	return (11-s%11)%10 == int(d[12]-'0')
}

func medicareValid(d string) bool {
	if d[0] < '2' || d[0] > '6' {
		return false
	}
	return weighted(d, []int{1, 3, 7, 9, 1, 3, 7, 9})%10 == int(d[8]-'0')
}

func abnValid(d string) bool {
	b := []byte(d)
	if b[0] == '0' {
		return false
	}
	b[0]--
	return weighted(string(b), []int{10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19})%89 == 0
}

func acnValid(d string) bool {
	s := weighted(d, []int{8, 7, 6, 5, 4, 3, 2, 1})
	return (10-s%10)%10 == int(d[8]-'0')
}

func tfnValid(d string) bool {
	return weighted(d, []int{1, 4, 3, 7, 5, 8, 6, 9, 10})%11 == 0
}

func peselValid(d string) bool {
	mm, dd := atoi(d[2:4])%20, atoi(d[4:6])
	if mm < 1 || mm > 12 || dd < 1 || dd > 31 {
		return false
	}
	s := weighted(d, []int{1, 3, 7, 9, 1, 3, 7, 9, 1, 3})
	return (10-s%10)%10 == int(d[10]-'0')
}

func tninValid(d string) bool {
	if d[0] < '1' || d[0] > '8' {
		return false
	}
	s := weighted(d, []int{13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2})
	return (11-s%11)%10 == int(d[12]-'0')
}

// ibanLen is the IBAN length per country (SWIFT IBAN registry).
var ibanLen = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
	"BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
	"EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
	"GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
	"JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25,
	"MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18,
	"NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33,
	"SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
	"TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}

// ibanValid checks country length and mod 97 of a compact upper-case IBAN.
func ibanValid(s string) bool {
	if len(s) < 15 || len(s) > 34 {
		return false
	}
	if n, ok := ibanLen[s[:2]]; !ok || n != len(s) {
		return false
	}
	return checksum.Mod97(s)
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isDig(c byte) bool   { return c >= '0' && c <= '9' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDig(s[i]) {
			return false
		}
	}
	return len(s) > 0
}

func allUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isUpper(s[i]) {
			return false
		}
	}
	return len(s) > 0
}

// ninoValid checks a compact UK National Insurance number.
func ninoValid(s string) bool {
	if len(s) != 9 || !isUpper(s[0]) || !isUpper(s[1]) || !allDigits(s[2:8]) || s[8] < 'A' || s[8] > 'D' {
		return false
	}
	if strings.ContainsAny(s[:1], "DFIQUV") || strings.ContainsAny(s[1:2], "DFIOQUV") {
		return false
	}
	switch s[:2] {
	case "BG", "GB", "NK", "KN", "TN", "NT", "ZZ":
		return false
	}
	return true
}

const nifLetters = "TRWAGMYFPDXBNJZSQVHLCKE"

func nifValid(s string) bool { // 8 digits + letter
	return len(s) == 9 && allDigits(s[:8]) && nifLetters[atoi(s[:8])%23] == s[8]
}

func nieValid(s string) bool { // X/Y/Z + 7 digits + letter
	if len(s) != 9 || !allDigits(s[1:8]) {
		return false
	}
	p := strings.IndexByte("XYZ", s[0])
	if p < 0 {
		return false
	}
	return nifLetters[(p*10000000+atoi(s[1:8]))%23] == s[8]
}

// itFiscalValid checks an Italian codice fiscale (16 chars, omocodia allowed).
func itFiscalValid(s string) bool {
	if len(s) != 16 {
		return false
	}
	// Positions: 0-5 letters, 6-7 digit, 8 month letter, 9-10 digit, 11 letter, 12-14 digit, 15 letter.
	omo := "LMNPQRSTUV"
	dg := func(c byte) bool { return isDig(c) || strings.IndexByte(omo, c) >= 0 }
	if !allUpper(s[:6]) || !dg(s[6]) || !dg(s[7]) || strings.IndexByte("ABCDEHLMPRST", s[8]) < 0 ||
		!dg(s[9]) || !dg(s[10]) || !isUpper(s[11]) || !dg(s[12]) || !dg(s[13]) || !dg(s[14]) || !isUpper(s[15]) {
		return false
	}
	odd := [...]int{1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23}
	sum := 0
	for i := 0; i < 15; i++ {
		c := s[i]
		v := 0
		if isDig(c) {
			v = int(c - '0')
		} else {
			v = int(c - 'A')
		}
		if i%2 == 0 { // odd position (1-based)
			sum += odd[v]
		} else {
			sum += v
		}
	}
	return byte('A'+sum%26) == s[15]
}

// nricValid checks a Singapore NRIC/FIN.
func nricValid(s string) bool {
	if len(s) != 9 || strings.IndexByte("STFGM", s[0]) < 0 || !allDigits(s[1:8]) || !isUpper(s[8]) {
		return false
	}
	w := []int{2, 7, 6, 5, 4, 3, 2}
	sum := 0
	for i, x := range w {
		sum += int(s[1+i]-'0') * x
	}
	switch s[0] {
	case 'T', 'G':
		sum += 4
	case 'M':
		sum += 3
	}
	r := sum % 11
	var table string
	switch s[0] {
	case 'S', 'T':
		table = "JZIHGFEDCBA"
	case 'F', 'G':
		table = "XWUTRQPNMLK"
	case 'M':
		table = "KLJNPQRTUWX"
	}
	return table[r] == s[8]
}

func panValid(s string) bool {
	return len(s) == 10 && allUpper(s[:5]) && strings.IndexByte("ABCFGHLJPT", s[3]) >= 0 && allDigits(s[5:9]) && isUpper(s[9])
}

// gstinValid checks an Indian GSTIN (15 chars, mod-36 check character).
func gstinValid(s string) bool {
	if len(s) != 15 || !allDigits(s[:2]) || !panValid(s[2:12]) || s[13] != 'Z' {
		return false
	}
	const cs = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	sum := 0
	for i := 0; i < 14; i++ {
		v := strings.IndexByte(cs, s[i])
		if v < 0 {
			return false
		}
		f := 1
		if i%2 == 1 {
			f = 2
		}
		p := v * f
		sum += p/36 + p%36
	}
	return cs[(36-sum%36)%36] == s[14]
}

// fiHetuValid checks a Finnish personal identity code DDMMYYCNNNX.
func fiHetuValid(s string) bool {
	if len(s) != 11 || !allDigits(s[:6]) || !allDigits(s[7:10]) || strings.IndexByte("+-AUVWXYBCDEF", s[6]) < 0 {
		return false
	}
	dd, mm := atoi(s[:2]), atoi(s[2:4])
	if dd < 1 || dd > 31 || mm < 1 || mm > 12 {
		return false
	}
	const chk = "0123456789ABCDEFHJKLMNPRSTUVWXY"
	return chk[atoi(s[:6]+s[7:10])%31] == s[10]
}

// deaValid checks a US DEA registration number (medical licence).
func deaValid(s string) bool {
	if len(s) != 9 || !isUpper(s[0]) || !(isUpper(s[1]) || s[1] == '9') || !allDigits(s[2:]) {
		return false
	}
	d := s[2:]
	sum := int(d[0]-'0') + int(d[2]-'0') + int(d[4]-'0') + 2*(int(d[1]-'0')+int(d[3]-'0')+int(d[5]-'0'))
	return sum%10 == int(d[6]-'0')
}

const b58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// base58CheckValid checks a Base58Check string (legacy Bitcoin addresses).
func base58CheckValid(s string) bool {
	if len(s) < 26 || len(s) > 35 {
		return false
	}
	var num [40]byte // big-endian accumulator
	for i := 0; i < len(s); i++ {
		v := strings.IndexByte(b58, s[i])
		if v < 0 {
			return false
		}
		carry := v
		for j := len(num) - 1; j >= 0; j-- {
			carry += int(num[j]) * 58
			num[j] = byte(carry)
			carry >>= 8
		}
		if carry != 0 {
			return false
		}
	}
	// Leading '1's are leading zero bytes.
	zeros := 0
	for zeros < len(s) && s[zeros] == '1' {
		zeros++
	}
	k := 0
	for k < len(num) && num[k] == 0 {
		k++
	}
	raw := append(make([]byte, zeros), num[k:]...)
	if len(raw) != 25 {
		return false
	}
	h1 := sha256.Sum256(raw[:21])
	h2 := sha256.Sum256(h1[:])
	return string(h2[:4]) == string(raw[21:])
}

// bech32Valid checks a Bitcoin segwit address (bech32 or bech32m).
func bech32Valid(s string) bool {
	s = strings.ToLower(s)
	if len(s) < 14 || len(s) > 90 || !strings.HasPrefix(s, "bc1") {
		return false
	}
	const charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
	hrp, data := s[:2], s[3:]
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	chk := uint32(1)
	poly := func(v uint32) {
		b := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ v
		for i := 0; i < 5; i++ {
			if (b>>uint(i))&1 == 1 {
				chk ^= gen[i]
			}
		}
	}
	for i := 0; i < len(hrp); i++ {
		poly(uint32(hrp[i]) >> 5)
	}
	poly(0)
	for i := 0; i < len(hrp); i++ {
		poly(uint32(hrp[i]) & 31)
	}
	for i := 0; i < len(data); i++ {
		v := strings.IndexByte(charset, data[i])
		if v < 0 {
			return false
		}
		poly(uint32(v))
	}
	return chk == 1 || chk == 0x2bc830a3
}

// eip55Valid checks an Ethereum address's mixed-case checksum; all-lower or
// all-upper addresses carry no checksum and return ok=false, valid=true.
func eip55Valid(addr string) (checked, valid bool) {
	hexpart := addr[2:]
	lower := strings.ToLower(hexpart)
	if hexpart == lower || hexpart == strings.ToUpper(hexpart) {
		return false, true
	}
	h := keccak256([]byte(lower))
	for i := 0; i < 40; i++ {
		c := hexpart[i]
		if c >= '0' && c <= '9' {
			continue
		}
		nib := h[i/2]
		if i%2 == 0 {
			nib >>= 4
		}
		upper := nib&0xf >= 8
		if upper != (c >= 'A' && c <= 'F') {
			return true, false
		}
	}
	return true, true
}
