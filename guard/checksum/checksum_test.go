package checksum

import "testing"

func TestChecksums(t *testing.T) {
	for _, c := range []struct {
		name string
		fn   func(string) bool
		in   string
		want bool
	}{
		{"luhn", Luhn, "4111111111111111", true},
		{"luhn", Luhn, "4111111111111112", false},
		{"luhn", Luhn, "79927398713", true},
		{"luhn", Luhn, "1", false},
		{"mod97", Mod97, "GB82WEST12345698765432", true},
		{"mod97", Mod97, "GB82 WEST 1234 5698 7654 33", false},
		{"mod97", Mod97, "DE89370400440532013000", true},
		{"mod11", Mod11, "9434765919", true},
		{"mod11", Mod11, "9434765918", false},
		{"verhoeff", Verhoeff, "2363", true},
		{"verhoeff", Verhoeff, "2364", false},
		{"verhoeff", Verhoeff, "x", false},
	} {
		if got := c.fn(c.in); got != c.want {
			t.Errorf("%s(%q) = %v, want %v", c.name, c.in, got, c.want)
		}
	}
}
