package reports

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/sprawlsec/sprawl/scanner"
)

// junitSuite is the one test suite a junit report holds.
const junitSuite = "sprawl"

type junitTestSuites struct {
	XMLName  xml.Name         `xml:"testsuites"`
	Name     string           `xml:"name,attr"`
	Tests    int              `xml:"tests,attr"`
	Failures int              `xml:"failures,attr"`
	Errors   int              `xml:"errors,attr"`
	Suites   []junitTestSuite `xml:"testsuite"`
}

type junitTestSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitTestCase `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitTestCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Failure   *junitFailure `xml:"failure"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// junitReporter writes JUnit XML for CI test views: one <testsuite> named
// "sprawl" inside <testsuites>, one failing <testcase> per finding (class
// name: rule id; name: location) whose <failure> message names the rule and
// the location, and a single passing <testcase> "sprawl" when there are no
// findings, so that CI shows the check ran.
type junitReporter struct{ opts Options }

// Report implements Reporter.
func (r *junitReporter) Report(w io.Writer, findings []scanner.Finding) error {
	suite := junitTestSuite{Name: junitSuite}
	for _, f := range sorted(findings) {
		suite.Cases = append(suite.Cases, junitTestCase{
			Name:      r.caseName(&f),
			ClassName: f.RuleID,
			File:      f.File,
			Line:      f.Line,
			Failure: &junitFailure{
				Message: fmt.Sprintf("%s in %s", ruleTitle(&f), location(&f)),
				Type:    f.RuleID,
				Text:    r.details(&f),
			},
		})
		suite.Failures++
	}
	if len(suite.Cases) == 0 {
		suite.Cases = []junitTestCase{{Name: junitSuite, ClassName: junitSuite}}
	}
	suite.Tests = len(suite.Cases)
	if r.opts.ToolVersion != "" {
		suite.Properties = []junitProperty{{Name: r.opts.toolName() + ".version", Value: r.opts.ToolVersion}}
	}
	doc := junitTestSuites{
		Name:     r.opts.toolName(),
		Tests:    suite.Tests,
		Failures: suite.Failures,
		Suites:   []junitTestSuite{suite},
	}

	bw := bufio.NewWriter(w)
	if _, err := bw.WriteString(xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(bw)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	if _, err := bw.WriteString("\n"); err != nil {
		return err
	}
	return bw.Flush()
}

// caseName names f's test case: its location, and the commit for history
// scans, where one file and line can hold different secrets over time.
func (r *junitReporter) caseName(f *scanner.Finding) string {
	name := location(f)
	if f.Commit != "" {
		name += "@" + shortCommit(f.Commit)
	}
	return name
}

// details is the body of f's failure: everything a reader needs to find
// and judge the secret, which is redacted unless ShowSecrets.
func (r *junitReporter) details(f *scanner.Finding) string {
	var b strings.Builder
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	line("rule", f.RuleID)
	line("severity", f.Severity.String())
	line("description", f.Description)
	line("location", location(f))
	line("secret", r.opts.secret(f))
	line("fingerprint", f.Fingerprint)
	line("commit", f.Commit)
	line("author", f.Author)
	line("date", formatDate(f.Date))
	line("message", r.opts.scrub(f, f.Message))
	return b.String()
}

// ruleTitle is the rule's name for people, falling back to its id.
func ruleTitle(f *scanner.Finding) string {
	if f.RuleName != "" {
		return f.RuleName
	}
	return f.RuleID
}
