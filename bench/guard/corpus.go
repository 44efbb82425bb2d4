// Package main is the guard DLP benchmark harness: it measures the latency of
// a full DLP inspection (PII + secrets + organisation rules) on a 4 KB prompt,
// the throughput on text with no candidates, and compares secret scanning
// throughput with the gitleaks CLI when one is available.
//
//	go run ./bench/guard [-iter 2000] [-gitleaks /tmp/gitleaks]
//	go run ./bench/guard -eval-pii ../shared/datasets/pii/presidio_synth_dataset_v2.json
package main

import "strings"

// benchPolicy is the DLP policy measured: every PII and secret detector plus
// a few organisation rules and a dictionary; injection off (measured by the
// injection benchmarks).
const benchPolicy = `
injection: {enabled: false}
org:
  rules:
    - {type: EMPLOYEE_ID, pattern: "\\bEMP-\\d{6}\\b", keywords: [employee, staff], window: 40}
    - {type: CONTRACT_NO, pattern: "\\bCT-[A-Z]{2}-\\d{5}\\b"}
    - {type: ACCOUNT_REF, pattern: "\\b\\d{4}-\\d{4}-\\d{4}\\b", validator: luhn}
  dictionaries:
    - {type: PROJECT, terms: ["Project Nightjar", "Blue Falcon", "Orion Ledger"]}
`

// prompt4K builds a ~4 KB prompt with realistic prose, code and a handful
// of sensitive values.
func prompt4K() string {
	parts := []string{
		"You are a helpful assistant for the customer support team. Summarise the ticket below, ",
		"draft a polite reply and list the follow-up actions. Keep the answer under 200 words.\n\n",
		"Ticket #48213 opened on 2024-03-18 by Maria Lopez (maria.lopez@example.org, +44 20 7946 0958).\n",
		"She reports that her card 4111 1111 1111 1111 was charged twice for order 77812 and asks for a refund ",
		"to IBAN GB82WEST12345698765432. Her employee contact is EMP-004211 in the billing team.\n\n",
		"Internal notes: the issue appeared after the deployment of the payments service v2.14.3 on the ",
		"eu-west cluster. Logs show retries from 10.20.30.40 with the header X-Request-Id set twice. ",
		"The config snippet pasted by the engineer was:\n\n```yaml\npayments:\n  endpoint: https://payments.internal.example.com/v2\n",
		"  retries: 3\n  timeout_ms: 2500\n  api_key: ${PAYMENTS_API_KEY}\n```\n\n",
		"and the following environment line, which should not have been shared: AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLF\n\n",
	}
	filler := "The customer has been with us for several years and usually pays on time. " +
		"Our policy is to refund duplicate charges within five business days once the bank confirms the duplicate. " +
		"Please make sure the reply explains the timeline, apologises for the inconvenience and offers a direct contact. " +
		"Do not promise compensation beyond the refund unless a team lead approves it in writing. "
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p)
	}
	for b.Len() < 4096-len(filler) {
		b.WriteString(filler)
	}
	for b.Len() < 4096 {
		b.WriteByte(' ')
	}
	return b.String()[:4096]
}

// noCandidates builds n bytes of plain prose with no digits, no '@', no
// capitalised words and no secret keywords.
func noCandidates(n int) string {
	const s = "the quick brown fox jumps over the lazy dog while a gentle breeze moves across the quiet valley and birds sing softly in the morning light "
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(s)
	}
	return b.String()[:n]
}
