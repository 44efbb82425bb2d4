package pii

import (
	"testing"

	"github.com/aigis-dev/aigis/guard/match"
)

func best(ms []match.Match, text, value string) (string, float64) {
	for _, m := range ms {
		if text[m.Start:m.End] == value {
			return m.Type, m.Score
		}
	}
	return "", 0
}

func TestRecognizers(t *testing.T) {
	r := New(Options{})
	cases := []struct{ text, value, typ string }{
		{"codice fiscale RSSMRA85T10A562S ok", "RSSMRA85T10A562S", "IT_FISCAL_CODE"},
		{"mi DNI es 12345678Z", "12345678Z", "ES_NIF"},
		{"NIE X1234567L", "X1234567L", "ES_NIE"},
		{"NHS number 943 476 5919", "943 476 5919", "UK_NHS"},
		{"ABN 51 824 753 556", "51 824 753 556", "AU_ABN"},
		{"ACN 000 000 019", "000 000 019", "AU_ACN"},
		{"my tax file number (TFN) is 123456782", "123456782", "AU_TFN"},
		{"NRIC S1234567D", "S1234567D", "SG_NRIC_FIN"},
		{"PESEL 44051401359", "44051401359", "PL_PESEL"},
		{"henkilötunnus 131052-308T", "131052-308T", "FI_PERSONAL_IDENTITY_CODE"},
		{"send to 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "CRYPTO"},
		{"btc 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "CRYPTO"},
		{"btc bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "CRYPTO"},
		{"IBAN DE89 3704 0044 0532 0130 00", "DE89 3704 0044 0532 0130 00", "IBAN_CODE"},
		{"IBAN DE89370400440532013000.", "DE89370400440532013000", "IBAN_CODE"},
		{"DEA license AB1234563", "AB1234563", "MEDICAL_LICENSE"},
		{"NI number AB123456C", "AB123456C", "UK_NINO"},
		{"Aadhaar 2341 2341 2346", "2341 2341 2346", "IN_AADHAAR"},
		{"aadhaar 234123412346", "234123412346", "IN_AADHAAR"},
		{"PAN ABCPE1234F", "ABCPE1234F", "IN_PAN"},
		{"GSTIN 27AAPFU0939F1ZV", "27AAPFU0939F1ZV", "IN_GSTIN"},
		{"RRN 850315-1234566", "850315-1234566", "KR_RRN"},
		{"TNIN 1101700123456", "1101700123456", "TH_TNIN"},
		{"medicare 2123 45670 1", "2123 45670 1", "AU_MEDICARE"},
		{"ITIN 912-70-1234", "912-70-1234", "US_ITIN"},
		{"SSN 123-45-6789", "123-45-6789", "US_SSN"},
		{"partita IVA 01234567897", "01234567897", "IT_VAT_CODE"},
		{"numero patente AB1234567C", "AB1234567C", "IT_DRIVER_LICENSE"},
		{"passaporto YA1234567", "YA1234567", "IT_PASSPORT"},
		{"carta d'identità CA12345AB", "CA12345AB", "IT_IDENTITY_CARD"},
		{"our UEN is 201912345A", "201912345A", "SG_UEN"},
		{"UEN T09LL0001B", "T09LL0001B", "SG_UEN"},
		{"passport number J8369854", "J8369854", "IN_PASSPORT"},
		{"voter id ABC1234567", "ABC1234567", "IN_VOTER"},
		{"vehicle MH12AB1234 parked", "MH12AB1234", "IN_VEHICLE_REGISTRATION"},
		{"account number 123456789012", "123456789012", "US_BANK_NUMBER"},
		{"driver license D1234567", "D1234567", "US_DRIVER_LICENSE"},
		{"card 3782 822463 10005", "3782 822463 10005", "CREDIT_CARD"},
		{"ip 10.1.2.3.", "10.1.2.3", "IP_ADDRESS"},
		{"call (415) 555-2671", "(415) 555-2671", "PHONE_NUMBER"},
		{"mobile +447700677662", "+447700677662", "PHONE_NUMBER"},
		{"call me on 555-2671", "555-2671", "PHONE_NUMBER"},
		{"DOB: 03/04/1985", "03/04/1985", "DATE_TIME"},
		{"mail jörg@example.com", "jörg@example.com", "EMAIL_ADDRESS"},
		{"mail müller.hans@bücher.de.", "müller.hans@bücher.de", "EMAIL_ADDRESS"},
		{"write to 6750 Koskikatu 25 Apt. 864\nArtilleros", "6750 Koskikatu 25 Apt. 864\nArtilleros", "STREET_ADDRESS"},
		{"PSC 0413, Box 8144\nAPO AA 42323", "PSC 0413, Box 8144\nAPO AA 42323", "STREET_ADDRESS"},
		{"send it to 0912 P.O. Box 287, Tallinn", "0912 P.O. Box 287, Tallinn", "STREET_ADDRESS"},
		// A contact line after an address is not part of it.
		{"50668 Kiannonkatu 98 Apt. 105, ISHAM\nMobile: 03.93.92.16.85", "50668 Kiannonkatu 98 Apt. 105, ISHAM", "STREET_ADDRESS"},
		{"PSC 3294, Box 9168\nAPO AA 61487\n416 60 039 office", "PSC 3294, Box 9168\nAPO AA 61487", "STREET_ADDRESS"},
		// A street named after a person is an address, not a PERSON inside one.
		{"541 Avenida Pedro Ulisses 888\n Apt. 120", "541 Avenida Pedro Ulisses 888\n Apt. 120", "STREET_ADDRESS"},
		{"tel 555 2671 221 Baker Street", "221 Baker Street", "STREET_ADDRESS"},
		{"at 1987 74 Diakou Street", "1987 74 Diakou Street", "STREET_ADDRESS"},
		{"a great Norwegian film", "Norwegian", "NRP"},
		{"i am cambodian but", "cambodian", "NRP"},
		{"Buddhists and Republicans", "Republicans", "NRP"},
		{"she works at Acme Holdings Ltd. in town", "Acme Holdings Ltd.", "ORGANIZATION"},
		{"Thomas and Sons is a bank", "Thomas and Sons", "ORGANIZATION"},
		{"a letter from Jones, Smith and Davis", "Jones", "PERSON"},
		{"mac 00:1A:2B:3C:4D:5E", "00:1A:2B:3C:4D:5E", "MAC_ADDRESS"},
		{"ip 2001:db8::8a2e:370:7334", "2001:db8::8a2e:370:7334", "IP_ADDRESS"},
		{"see https://example.com/a?b=c.", "https://example.com/a?b=c", "URL"},
		{"born on 4 July 1990", "4 July 1990", "DATE_TIME"},
		{"passport number 123456789", "123456789", "US_PASSPORT"},
		{"Dr. Ada Lovelace wrote", "Ada Lovelace", "PERSON"},
		{"ship to 221 Baker Street, London", "221 Baker Street, London", "STREET_ADDRESS"},
	}
	for _, c := range cases {
		ms := r.Find(c.text, nil)
		typ, sc := best(ms, c.text, c.value)
		if typ != c.typ || sc < 0.5 {
			t.Errorf("%q: got %s (%.2f), want %s; all %+v", c.text, typ, sc, c.typ, ms)
		}
	}
}

func TestNegatives(t *testing.T) {
	r := New(Options{})
	for _, text := range []string{
		"version 1.2.3.4.5 and build 20240101",
		"order 4111111111111112 failed", // Luhn-invalid
		"GB82WEST12345698765433",        // bad mod 97
		"the quick brown fox",
		"0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",         // bad EIP-55 case
		"room 43 73313 on the left",                          // short digit groups without a phone word
		"the order 1234567 is ready",                         // 7 digits after an order word
		"reference 123456789012 attached",                    // no account context
		"item 01234567897 and ref AB1234567C",                // IT shapes without context
		"build MH12AB1234 in 201912345A",                     // IN/SG shapes without context
		"please answer in English and translate into French", // languages, not NRP
		"the Spanish translation is fine",
	} {
		for _, m := range r.Find(text, nil) {
			if m.Score >= 0.5 && m.Type != "DATE_TIME" {
				t.Errorf("%q: unexpected %s %q (%.2f)", text, m.Type, text[m.Start:m.End], m.Score)
			}
		}
	}
}

func TestKeccak(t *testing.T) {
	h := keccak256(nil)
	const want = "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
	const hexd = "0123456789abcdef"
	var got []byte
	for _, b := range h {
		got = append(got, hexd[b>>4], hexd[b&15])
	}
	if string(got) != want {
		t.Fatalf("keccak256(\"\") = %s", got)
	}
}

func BenchmarkFind4KB(b *testing.B) {
	r := New(Options{})
	text := ""
	for len(text) < 4096 {
		text += "Maria Lopez (maria@example.org, +44 20 7946 0958) paid with 4111 1111 1111 1111 on 2024-03-18. The customer has been with us for years. "
	}
	text = text[:4096]
	b.SetBytes(4096)
	for b.Loop() {
		r.Find(text, nil)
	}
}
