package reports

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"

	"github.com/sprawlsec/sprawl/scanner"
)

// record is one finding as the json, jsonl and csv formats write it. It is
// a struct rather than a map so that keys come out in this fixed order.
type record struct {
	RuleID      string   `json:"rule_id"`
	RuleName    string   `json:"rule_name"`
	Description string   `json:"description"`
	Severity    string   `json:"severity"`
	Tags        []string `json:"tags"`
	Source      string   `json:"source"`
	Root        string   `json:"root,omitempty"`
	File        string   `json:"file"`
	Line        int      `json:"line"`
	Column      int      `json:"column"`
	EndLine     int      `json:"end_line"`
	EndColumn   int      `json:"end_column"`
	// Secret is the redacted secret unless Options.ShowSecrets is set.
	Secret      string `json:"secret"`
	Fingerprint string `json:"fingerprint"`
	// InventoryFingerprint is set when the scan recorded into an
	// inventory; `sprawl inventory show` takes it.
	InventoryFingerprint string  `json:"inventory_fingerprint,omitempty"`
	Entropy              float64 `json:"entropy"`
	Encoding             string  `json:"encoding,omitempty"`
	Blob                 string  `json:"blob,omitempty"`
	Commit               string  `json:"commit,omitempty"`
	Author               string  `json:"author,omitempty"`
	Email                string  `json:"email,omitempty"`
	Date                 string  `json:"date,omitempty"`
	Message              string  `json:"message,omitempty"`
	// Count is set on an aggregate finding: how many findings of its rule
	// in its file it stands for (itself included).
	Count int `json:"count,omitempty"`
	// Expires is the expiry the credential states (JWT exp, STS
	// Expiration), RFC 3339; absent when it states none.
	Expires string `json:"expires,omitempty"`
	// Verification is set when the scan ran with --verify.
	Verification *scanner.Verification `json:"verification,omitempty"`
	// Suppressed says why the finding is not reported as one; set only
	// for the suppressed candidates --include-suppressed lists.
	Suppressed string `json:"suppressed,omitempty"`
}

// newRecord converts f for output under o.
func (o Options) newRecord(f *scanner.Finding) record {
	tags := f.Tags
	if tags == nil {
		tags = []string{} // [] rather than null for consumers that iterate
	}
	return record{
		RuleID:               f.RuleID,
		RuleName:             f.RuleName,
		Description:          f.Description,
		Severity:             f.Severity.String(),
		Tags:                 tags,
		Source:               f.Source,
		Root:                 f.Root,
		File:                 f.File,
		Line:                 f.Line,
		Column:               f.Column,
		EndLine:              f.EndLine,
		EndColumn:            f.EndColumn,
		Secret:               o.secret(f),
		Fingerprint:          f.Fingerprint,
		InventoryFingerprint: f.InventoryFingerprint,
		Entropy:              round2(f.Entropy),
		Encoding:             f.Encoding,
		Blob:                 f.Blob,
		Commit:               f.Commit,
		Author:               f.Author,
		Email:                f.Email,
		Date:                 formatDate(f.Date),
		Message:              o.scrub(f, f.Message),
		Count:                f.Count,
		Expires:              formatDate(f.Expires),
		Verification:         f.Verification,
		Suppressed:           f.Suppressed,
	}
}

// newJSONEncoder returns an encoder that leaves <, > and & alone: the
// output is read by tools and people, never embedded in HTML.
func newJSONEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}

// jsonReporter writes one indented JSON array of records; "[]" when there
// are no findings, never null. Records are encoded and written one at a
// time, never all held at once.
type jsonReporter struct{ opts Options }

// Report implements Reporter.
func (r *jsonReporter) Report(w io.Writer, findings []scanner.Finding) error {
	bw := bufio.NewWriter(w)
	if len(findings) == 0 {
		if _, err := bw.WriteString("[]\n"); err != nil {
			return err
		}
		return bw.Flush()
	}
	// The same bytes as encoding the whole array with two-space indent:
	// each element indented by one level, separated by commas.
	var buf bytes.Buffer
	enc := newJSONEncoder(&buf)
	enc.SetIndent("  ", "  ")
	bw.WriteString("[\n")
	for i, f := range sortedRefs(findings) {
		buf.Reset()
		if err := enc.Encode(r.opts.newRecord(f)); err != nil {
			return err
		}
		bw.WriteString("  ")
		bw.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
		if i < len(findings)-1 {
			bw.WriteString(",")
		}
		if _, err := bw.WriteString("\n"); err != nil {
			return err
		}
	}
	if _, err := bw.WriteString("]\n"); err != nil {
		return err
	}
	return bw.Flush()
}

// jsonlReporter writes JSON Lines: one compact record per line, nothing at
// all when there are no findings.
type jsonlReporter struct{ opts Options }

// Report implements Reporter.
func (r *jsonlReporter) Report(w io.Writer, findings []scanner.Finding) error {
	bw := bufio.NewWriter(w)
	enc := newJSONEncoder(bw)
	for _, f := range sortedRefs(findings) {
		if err := enc.Encode(r.opts.newRecord(f)); err != nil {
			return err
		}
	}
	return bw.Flush()
}
