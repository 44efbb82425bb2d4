// Package checksum implements the check-digit algorithms that validate
// identifiers: Luhn, ISO 7064 mod 97-10, mod 11 and Verhoeff.
package checksum

// Luhn checks the Luhn (mod 10) checksum of a digit string.
func Luhn(d string) bool {
	if len(d) < 2 {
		return false
	}
	sum := 0
	dbl := false
	for i := len(d) - 1; i >= 0; i-- {
		c := d[i]
		if c < '0' || c > '9' {
			return false
		}
		n := int(c - '0')
		if dbl {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
		dbl = !dbl
	}
	return sum%10 == 0
}

// Mod97 checks an ISO 7064 mod 97-10 checksum (IBAN style: the first four
// characters move to the end, letters count as 10..35).
func Mod97(s string) bool {
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isAlnum(c) {
			b = append(b, c)
		}
	}
	if len(b) < 5 {
		return false
	}
	b = append(b[4:], b[:4]...)
	rem := 0
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			rem = (rem*10 + int(c-'0')) % 97
		default:
			v := int(lower(c)-'a') + 10
			rem = (rem*100 + v) % 97
		}
	}
	return rem == 1
}

// Mod11 checks a weighted mod 11 check digit (weights n..2 over the leading
// digits, as UK NHS numbers use); the check value 10 is invalid.
func Mod11(d string) bool {
	if len(d) < 2 {
		return false
	}
	sum := 0
	n := len(d)
	for i := 0; i < n-1; i++ {
		sum += int(d[i]-'0') * (n - i)
	}
	c := 11 - sum%11
	if c == 11 {
		c = 0
	}
	return c != 10 && c == int(d[n-1]-'0')
}

var verhoeffD = [10][10]int{
	{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5},
	{2, 3, 4, 0, 1, 7, 8, 9, 5, 6}, {3, 4, 0, 1, 2, 8, 9, 5, 6, 7},
	{4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
	{6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3},
	{8, 7, 6, 5, 9, 3, 2, 1, 0, 4}, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0},
}

var verhoeffP = [8][10]int{
	{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 5, 7, 6, 2, 8, 3, 0, 9, 4},
	{5, 8, 0, 3, 7, 9, 6, 1, 4, 2}, {8, 9, 1, 6, 0, 4, 3, 5, 2, 7},
	{9, 4, 5, 3, 1, 2, 6, 8, 7, 0}, {4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
	{2, 7, 9, 3, 8, 0, 6, 4, 1, 5}, {7, 0, 4, 6, 9, 1, 3, 2, 5, 8},
}

// Verhoeff checks a Verhoeff check digit (Aadhaar).
func Verhoeff(d string) bool {
	if len(d) < 2 {
		return false
	}
	c := 0
	for i := 0; i < len(d); i++ {
		x := d[len(d)-1-i]
		if x < '0' || x > '9' {
			return false
		}
		c = verhoeffD[c][verhoeffP[i%8][int(x-'0')]]
	}
	return c == 0
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 32
	}
	return c
}
