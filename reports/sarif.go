package reports

import (
	"bufio"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"unicode"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/scanner"
)

// SARIF constants. GitHub code scanning accepts SARIF 2.1.0 and resolves
// %SRCROOT% against the checkout.
const (
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
	sarifVersion = "2.1.0"
	sarifSrcRoot = "%SRCROOT%"
	// sarifLineHashKey is the partial fingerprint GitHub uses to follow an
	// alert across commits.
	sarifLineHashKey = "primaryLocationLineHash"
	// sarifSecurityTag makes GitHub treat a rule as a security rule, which
	// is what gives "security-severity" its meaning.
	sarifSecurityTag = "security"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool               sarifTool                        `json:"tool"`
	ColumnKind         string                           `json:"columnKind"`
	OriginalURIBaseIDs map[string]sarifArtifactLocation `json:"originalUriBaseIds,omitempty"`
	Results            []sarifResult                    `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string             `json:"id"`
	Name                 string             `json:"name"`
	ShortDescription     sarifMessage       `json:"shortDescription"`
	FullDescription      sarifMessage       `json:"fullDescription"`
	Help                 sarifMessage       `json:"help"`
	HelpURI              string             `json:"helpUri,omitempty"`
	DefaultConfiguration sarifConfiguration `json:"defaultConfiguration"`
	Properties           sarifRuleProps     `json:"properties"`
}

type sarifMessage struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifConfiguration struct {
	Level string `json:"level"`
}

type sarifRuleProps struct {
	Tags             []string `json:"tags"`
	Precision        string   `json:"precision"`
	SecuritySeverity string   `json:"security-severity,omitempty"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifMessage      `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          *sarifResultProps `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysicalLocation `json:"physicalLocation"`
}

type sarifPhysicalLocation struct {
	ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
	Region           *sarifRegion          `json:"region,omitempty"`
}

type sarifArtifactLocation struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

// sarifRegion omits zero fields: SARIF lines and columns start at 1, and 0
// means the scanner did not know.
type sarifRegion struct {
	StartLine   int `json:"startLine,omitempty"`
	StartColumn int `json:"startColumn,omitempty"`
	EndLine     int `json:"endLine,omitempty"`
	EndColumn   int `json:"endColumn,omitempty"`
}

type sarifResultProps struct {
	Commit string `json:"commit,omitempty"`
	Author string `json:"author,omitempty"`
	Date   string `json:"date,omitempty"`
	// Verification is set when the scan ran with --verify.
	Verification *scanner.Verification `json:"verification,omitempty"`
}

// sarifReporter writes SARIF 2.1.0 as GitHub code scanning expects it.
//
// Rules: only rules with findings, sorted by id, with help that says what
// the secret is, why it matters and how to fix it, plus the rule's
// references. Metadata comes from Options.Rules; a rule missing there is
// described from its findings. Rule tags always include "security", and
// "security-severity" is 9.0, 7.0, 5.0 or 3.0 for critical, high, medium
// and low (absent for info).
//
// Results: level error for critical and high, warning for medium (and
// unknown), note for low and info. The message names the rule and the
// location and carries the secret only with ShowSecrets. Artifact URIs are
// relative, percent-encoded and based on %SRCROOT%, which is mapped to
// Options.Root when that is an absolute path (it should name a directory).
// The partial fingerprint primaryLocationLineHash is derived from rule id,
// file and secret fingerprint, not the line, so alerts survive edits that
// move lines; repeats of one rule+file+fingerprint are numbered :1, :2, …
// in report order.
type sarifReporter struct{ opts Options }

// Report implements Reporter.
func (r *sarifReporter) Report(w io.Writer, findings []scanner.Finding) error {
	findings = sorted(findings)
	rules, index := r.rules(findings)

	results := make([]sarifResult, 0, len(findings))
	seen := make(map[string]int)
	for _, f := range findings {
		hash := lineHash(&f)
		seen[hash]++
		results = append(results, r.result(&f, index[f.RuleID], rules[index[f.RuleID]].DefaultConfiguration.Level,
			fmt.Sprintf("%s:%d", hash, seen[hash])))
	}

	run := sarifRun{
		ColumnKind: "utf16CodeUnits",
		Tool: sarifTool{Driver: sarifDriver{
			Name:           r.opts.toolName(),
			Version:        r.opts.ToolVersion,
			InformationURI: r.opts.InformationURI,
			Rules:          rules,
		}},
		Results: results,
	}
	if root, ok := rootURI(r.opts.Root); ok {
		run.OriginalURIBaseIDs = map[string]sarifArtifactLocation{sarifSrcRoot: {URI: root}}
	}
	doc := sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{run}}

	bw := bufio.NewWriter(w)
	enc := newJSONEncoder(bw)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	return bw.Flush()
}

// rules returns the SARIF rules for the rules that have findings, sorted by
// id, and each rule id's index in that list.
func (r *sarifReporter) rules(findings []scanner.Finding) ([]sarifRule, map[string]int) {
	known := make(map[string]*detectors.Rule, len(r.opts.Rules))
	for _, rule := range r.opts.Rules {
		if rule != nil && known[rule.ID] == nil {
			known[rule.ID] = rule
		}
	}
	// first finding of each rule, for rules missing from Options.Rules
	first := make(map[string]*scanner.Finding)
	for i := range findings {
		if first[findings[i].RuleID] == nil {
			first[findings[i].RuleID] = &findings[i]
		}
	}
	ids := make([]string, 0, len(first))
	for id := range first {
		ids = append(ids, id)
	}
	slices.Sort(ids)

	rules := make([]sarifRule, 0, len(ids))
	index := make(map[string]int, len(ids))
	for i, id := range ids {
		index[id] = i
		rules = append(rules, sarifRuleFor(known[id], first[id]))
	}
	return rules, index
}

// sarifRuleFor describes a rule from its metadata, or from f when the rule
// is unknown (rule == nil).
func sarifRuleFor(rule *detectors.Rule, f *scanner.Finding) sarifRule {
	precision := "medium"
	if rule == nil {
		rule = &detectors.Rule{
			ID:          f.RuleID,
			Name:        f.RuleName,
			Description: f.Description,
			Severity:    f.Severity,
			Tags:        f.Tags,
		}
	} else {
		switch {
		case rule.Checksum != "":
			precision = "very-high"
		case rule.Generic:
			precision = "medium"
		default:
			precision = "high"
		}
	}
	name := rule.Name
	if name == "" {
		name = rule.ID
	}
	severity := rule.Severity
	if severity == detectors.SeverityUnknown {
		severity = f.Severity
	}
	tags := slices.Clone(rule.Tags)
	if !slices.Contains(tags, sarifSecurityTag) {
		tags = append(tags, sarifSecurityTag)
	}
	text, markdown := sarifHelp(rule, name)
	out := sarifRule{
		ID:                   rule.ID,
		Name:                 pascalName(name),
		ShortDescription:     sarifMessage{Text: name},
		FullDescription:      sarifMessage{Text: cmp.Or(rule.Description, name)},
		Help:                 sarifMessage{Text: text, Markdown: markdown},
		DefaultConfiguration: sarifConfiguration{Level: sarifLevel(severity)},
		Properties: sarifRuleProps{
			Tags:             tags,
			Precision:        precision,
			SecuritySeverity: securitySeverity(severity),
		},
	}
	if len(rule.References) > 0 {
		out.HelpURI = rule.References[0]
	}
	return out
}

// Remediation advice shared by every rule's help, in text and Markdown.
const (
	sarifWhyText = "A secret in a repository can be read by everyone with access to the repository, " +
		"its forks, clones, CI logs and backups, and it stays in the history after the line is deleted. " +
		"Treat it as compromised."
	sarifFixText = "1. Rotate it: revoke the secret where it was issued, replace it with a new one, " +
		"and check the issuer's logs for use you do not recognise.\n" +
		"2. Remove it from the code and from the version-control history (for example with git filter-repo), " +
		"then force-push; deleting it in a new commit leaves it in the history.\n" +
		"3. Move it into a vault or secret manager (HashiCorp Vault, a cloud secret manager, your CI's secret store) " +
		"and read it at run time, so it does not come back."
	sarifFixMarkdown = "1. **Rotate** it: revoke the secret where it was issued, replace it with a new one, " +
		"and check the issuer's logs for use you do not recognise.\n" +
		"2. **Remove** it from the code and from the version-control history (for example with `git filter-repo`), " +
		"then force-push; deleting it in a new commit leaves it in the history.\n" +
		"3. **Move** it into a vault or secret manager (HashiCorp Vault, a cloud secret manager, your CI's secret store) " +
		"and read it at run time, so it does not come back."
)

// sarifHelp writes a rule's help: what the secret is, why it matters, how
// to fix it, and the rule's references.
func sarifHelp(rule *detectors.Rule, name string) (text, markdown string) {
	what := rule.Description
	if what == "" {
		what = fmt.Sprintf("A credential found by the %s rule.", name)
	}
	var t, m strings.Builder
	fmt.Fprintf(&t, "%s (%s)\n\n%s\n\nWhy it matters: %s\n\nHow to fix:\n%s\n", name, rule.ID, what, sarifWhyText, sarifFixText)
	fmt.Fprintf(&m, "**%s** (`%s`)\n\n%s\n\n#### Why it matters\n\n%s\n\n#### How to fix\n\n%s\n",
		mdText(name), rule.ID, mdText(what), sarifWhyText, sarifFixMarkdown)
	if len(rule.References) > 0 {
		t.WriteString("\nReferences:\n")
		m.WriteString("\n#### References\n\n")
		for _, ref := range rule.References {
			fmt.Fprintf(&t, "- %s\n", ref)
			fmt.Fprintf(&m, "- %s\n", ref)
		}
	}
	return t.String(), m.String()
}

// result converts one finding.
func (r *sarifReporter) result(f *scanner.Finding, ruleIndex int, ruleLevel, lineHash string) sarifResult {
	level := ruleLevel
	if f.Severity != detectors.SeverityUnknown {
		level = sarifLevel(f.Severity)
	}
	msg := fmt.Sprintf("%s in %s", ruleTitle(f), location(f))
	if r.opts.ShowSecrets {
		msg += ": " + f.Secret
	}

	art := sarifArtifactLocation{URI: f.File}
	switch {
	case f.File == "":
		// stdin has no file; GitHub still wants a location
		art.URI = cmp.Or(f.Source, "input")
	default:
		var relative bool
		art.URI, relative = artifactURI(f.File)
		if relative {
			art.URIBaseID = sarifSrcRoot
		}
	}
	loc := sarifPhysicalLocation{ArtifactLocation: art}
	if f.Line > 0 {
		loc.Region = &sarifRegion{
			StartLine:   f.Line,
			StartColumn: max(f.Column, 0),
			EndLine:     max(f.EndLine, 0),
		}
		// SARIF columns count UTF-16 code units (the run's columnKind) and
		// the end column is the one after the region.
		if f.Column16 > 0 {
			loc.Region.StartColumn = f.Column16
		}
		switch {
		case f.EndColumn16 > 0:
			loc.Region.EndColumn = f.EndColumn16
		case f.EndColumn > 0:
			loc.Region.EndColumn = f.EndColumn + 1
		}
	}

	res := sarifResult{
		RuleID:              f.RuleID,
		RuleIndex:           ruleIndex,
		Level:               level,
		Message:             sarifMessage{Text: msg},
		Locations:           []sarifLocation{{PhysicalLocation: loc}},
		PartialFingerprints: map[string]string{sarifLineHashKey: lineHash},
	}
	if f.Commit != "" || f.Author != "" || !f.Date.IsZero() || f.Verification != nil {
		res.Properties = &sarifResultProps{Commit: f.Commit, Author: f.Author, Date: formatDate(f.Date), Verification: f.Verification}
	}
	return res
}

// lineHashLen is how many hex digits of the SHA-256 go into
// primaryLocationLineHash.
const lineHashLen = 16

// lineHash identifies a finding independently of its line: the first 16
// hex digits of SHA-256 over rule id, file and secret fingerprint. The
// fingerprint is already a keyed hash, so this reveals nothing about the
// secret.
func lineHash(f *scanner.Finding) string {
	sum := sha256.Sum256([]byte(f.RuleID + "\x00" + f.File + "\x00" + f.Fingerprint))
	return hex.EncodeToString(sum[:])[:lineHashLen]
}

// sarifLevel maps a severity onto SARIF's levels.
func sarifLevel(s detectors.Severity) string {
	switch s {
	case detectors.SeverityCritical, detectors.SeverityHigh:
		return "error"
	case detectors.SeverityLow, detectors.SeverityInfo:
		return "note"
	default:
		return "warning"
	}
}

// securitySeverity maps a severity onto GitHub's 0–10 security-severity
// scale, whose bands are critical ≥ 9.0, high ≥ 7.0, medium ≥ 4.0, low >
// 0. Info and unknown get none, so GitHub falls back to the level.
func securitySeverity(s detectors.Severity) string {
	switch s {
	case detectors.SeverityCritical:
		return "9.0"
	case detectors.SeverityHigh:
		return "7.0"
	case detectors.SeverityMedium:
		return "5.0"
	case detectors.SeverityLow:
		return "3.0"
	default:
		return ""
	}
}

// pascalName turns a rule name into the PascalCase identifier SARIF's
// rule "name" wants: words split at anything but letters and digits, each
// word's first letter upper-cased, the rest kept ("GitHub personal token"
// becomes "GitHubPersonalToken").
func pascalName(s string) string {
	var b strings.Builder
	upper := true
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			upper = true
			continue
		}
		if upper {
			r = unicode.ToUpper(r)
			upper = false
		}
		b.WriteRune(r)
	}
	if b.Len() == 0 {
		return "Secret"
	}
	return b.String()
}

// artifactURI encodes a finding's file as a SARIF artifact URI: a
// percent-encoded relative reference (relative is true) for the usual
// slash-separated path under the root, or a file: URI for an absolute one.
func artifactURI(file string) (uri string, relative bool) {
	for strings.HasPrefix(file, "./") {
		file = file[2:]
	}
	if path.IsAbs(file) {
		return (&url.URL{Scheme: "file", Path: file}).String(), false
	}
	// url.URL.String percent-encodes the path and prefixes "./" when the
	// first segment holds a colon, which would otherwise read as a scheme.
	return (&url.URL{Path: file}).String(), true
}

// rootURI returns the file: URI, with a trailing slash as SARIF requires
// for a base, of an absolute root directory; ok is false for anything else
// (empty, relative, a URL).
func rootURI(root string) (uri string, ok bool) {
	if root == "" || strings.Contains(root, "://") || !filepath.IsAbs(root) {
		return "", false
	}
	p := filepath.ToSlash(filepath.Clean(root))
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive path, C:/src → /C:/src
	}
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return (&url.URL{Scheme: "file", Path: p}).String(), true
}
