package discover

import (
	"bytes"
	"context"
	"path"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aigis-dev/aigis/internal/finding"
)

var datasetExts = map[string]string{
	".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet",
	".arrow": "arrow", ".feather": "feather", ".avro": "avro", ".json": "json",
}

var dataDirNames = map[string]bool{"data": true, "dataset": true, "datasets": true, "train": true, "training": true, "eval": true, "evaluation": true, "corpus": true, "fine-tune": true, "finetune": true, "fine_tuning": true}

// isDatasetFile reports data files: by extension, and for .json only inside
// a data-like folder (plain JSON is mostly configuration).
func isDatasetFile(rel, ext string) bool {
	if _, ok := datasetExts[ext]; !ok {
		return false
	}
	if ext != ".json" {
		return true
	}
	for _, seg := range strings.Split(strings.ToLower(path.Dir(rel)), "/") {
		if dataDirNames[seg] {
			return true
		}
	}
	return false
}

// dataset records a data file with a sample-based classification.
func (w *worker) dataset(ctx context.Context, j fileJob, head []byte, ext string) {
	format := datasetExts[ext]
	if bytes.HasPrefix(head, []byte("PAR1")) {
		format = "parquet"
	}
	props := map[string]string{"format": format, "size": strconv.FormatInt(j.size, 10)}
	a := Asset{Kind: KindDataset, Name: path.Base(j.rel), File: j.rel, Evidence: format, Properties: props}
	textual := format == "csv" || format == "tsv" || format == "jsonl" || format == "json"
	if !textual || looksBinary(head) {
		props["classification"] = "not sampled (binary format)"
		w.c.asset(a)
		return
	}
	sample := head
	if i := bytes.LastIndexByte(sample, '\n'); i > 0 && int64(len(sample)) < j.size {
		sample = sample[:i] // whole lines only
	}
	if !utf8.Valid(sample) {
		sample = bytes.ToValidUTF8(sample, []byte("?"))
	}
	props["sampled_bytes"] = strconv.Itoa(len(sample))
	props["sampled_rows"] = strconv.Itoa(bytes.Count(sample, []byte("\n")))
	if format == "csv" || format == "tsv" {
		if i := bytes.IndexByte(sample, '\n'); i > 0 {
			props["columns"] = truncate(strings.TrimSpace(string(sample[:i])), 200)
		}
	}
	var cl Classification
	var err error
	if w.s.opts.Classifier != nil {
		props["classifier"] = "guard"
		cl, err = w.s.opts.Classifier.Classify(ctx, string(sample))
		if err != nil {
			w.c.warn(j.rel, "dataset classifier: %v", err)
		}
	} else {
		props["classifier"] = "builtin"
		cl = builtinClassify(string(sample))
	}
	if cl.Label != "" {
		props["classification"] = cl.Label
	}
	if len(cl.Entities) > 0 {
		props["entities"] = strings.Join(cl.Entities, ",")
	}
	w.c.asset(a)
	if sensitiveLabel(cl.Label) {
		w.c.finding(finding.Finding{
			ID: "AIGIS-DATA-001", Title: "Dataset contains sensitive data", Severity: finding.Medium,
			File: j.rel, Evidence: "classification " + cl.Label + "; entity types: " + strings.Join(cl.Entities, ", ") + " (values not shown)",
			Remediation: "Remove or pseudonymise personal data before training or fine-tuning; keep the dataset out of the repository and restrict access.",
			ATLAS:       []string{"AML.T0036", "AML.T0057", "AML.T0024.000"}, OWASP: []string{"LLM02:2025", "LLM04:2025"},
		})
	}
}

func sensitiveLabel(l string) bool {
	switch strings.ToLower(l) {
	case "confidential", "restricted", "secret", "highly-confidential", "highly_confidential", "sensitive":
		return true
	}
	return false
}

var (
	emailRe = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)
	ssnRe   = regexp.MustCompile(`\b[0-9]{3}-[0-9]{2}-[0-9]{4}\b`)
	ccRe    = regexp.MustCompile(`\b(?:[0-9][ -]?){13,19}\b`)
	ibanRe  = regexp.MustCompile(`\b[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}\b`)
)

// builtinClassify is the fallback when no DLP classifier is wired: e-mail
// addresses make a sample internal; SSNs, payment cards (Luhn-checked), IBANs
// or AI provider keys make it confidential.
func builtinClassify(s string) Classification {
	var ents []string
	label := "public"
	if emailRe.MatchString(s) {
		ents = append(ents, "EMAIL_ADDRESS")
		label = "internal"
	}
	if ssnRe.MatchString(s) {
		ents = append(ents, "US_SSN")
		label = "confidential"
	}
	for _, m := range ccRe.FindAllString(s, 50) {
		if luhn(m) {
			ents = append(ents, "CREDIT_CARD")
			label = "confidential"
			break
		}
	}
	if ibanRe.MatchString(s) {
		ents = append(ents, "IBAN_CODE")
		label = "confidential"
	}
	if keyPattern(s) != "" {
		ents = append(ents, "API_KEY")
		label = "confidential"
	}
	return Classification{Label: label, Entities: ents}
}

func luhn(s string) bool {
	var digits []int
	for _, r := range s {
		if r >= '0' && r <= '9' {
			digits = append(digits, int(r-'0'))
		}
	}
	if len(digits) < 13 || len(digits) > 19 {
		return false
	}
	sum := 0
	for i := len(digits) - 1; i >= 0; i-- {
		d := digits[i]
		if (len(digits)-1-i)%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}
