package detectors

import (
	"regexp/syntax"
	"slices"
	"strings"
)

// exprFacts is what the matcher derives from one expression of the
// catalogue by parsing it (latin1Blind, lineMinLen). A small scan
// parses each expression it meets three times (for Go's regexp, for
// these two facts): so `go generate ./detectors` derives them for every
// pattern, allow and context expression of the catalogue, into
// catalogueFacts in catalogue_gen.go, sorted by expression.
type exprFacts struct {
	expr    string
	blind   bool // latin1Blind(expr)
	lineMin int  // lineMinLen(expr)
}

// ExpressionFacts returns the facts catalogue_gen.go records for expr,
// for the generator.
func ExpressionFacts(expr string) (blind bool, lineMin int) {
	return latin1Blind(expr), parseLineMinLen(expr)
}

// CatalogueExpressions returns the distinct expressions of rules whose
// facts catalogue_gen.go records, sorted: each rule's pattern as handed
// to the engines, and its allow and context expressions.
func CatalogueExpressions(rules []*Rule) []string {
	var out []string
	for _, r := range rules {
		expr := r.Compiled
		if expr == "" {
			expr = simplifyRepeats(r.Pattern)
		}
		out = append(out, expr)
		out = append(out, r.Allow...)
		if r.Context != "" {
			out = append(out, r.Context)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// facts returns the recorded facts of expr, if it is the catalogue's.
func facts(expr string) (exprFacts, bool) {
	i, ok := slices.BinarySearchFunc(catalogueFacts[:], expr, func(f exprFacts, e string) int {
		return strings.Compare(f.expr, e)
	})
	if !ok {
		return exprFacts{}, false
	}
	return catalogueFacts[i], true
}

// blindExpr is latin1Blind(expr), looked up where recorded.
func blindExpr(expr string) bool {
	if f, ok := facts(expr); ok {
		return f.blind
	}
	return latin1Blind(expr)
}

// lineMinLen returns, for an expression that matches within one line
// only, the fewest bytes a match takes, and 0 for any other (see
// lineLocal).
func lineMinLen(expr string) int {
	if f, ok := facts(expr); ok {
		return f.lineMin
	}
	return parseLineMinLen(expr)
}

// parseLineMinLen is lineMinLen, derived from expr itself.
func parseLineMinLen(expr string) int {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil || !withinLine(re) {
		return 0
	}
	return max(minMatchLen(re), 0)
}
