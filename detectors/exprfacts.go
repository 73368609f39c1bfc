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
	whole   bool // wholeSecret(expr)
}

// ExpressionFacts returns the facts catalogue_gen.go records for expr,
// for the generator.
func ExpressionFacts(expr string) (blind bool, lineMin int, whole bool) {
	return latin1Blind(expr), parseLineMinLen(expr), parseWholeSecret(expr)
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

// wholeSecret reports whether expr's secret group spans every match of
// it: the expression is that group, with at most zero-width assertions
// (\b, ^, $, …) around it. Its matches' bounds are then the secret's,
// which RE2 finds with its DFAs alone: asked for submatches, it also
// runs its NFA over each match, which for a long match of a large
// pattern (an armored PGP key under [\s\S]{0,400}?) costs twenty times
// the search.
func wholeSecret(expr string) bool {
	if f, ok := facts(expr); ok {
		return f.whole
	}
	return parseWholeSecret(expr)
}

// parseWholeSecret is wholeSecret, derived from expr itself.
func parseWholeSecret(expr string) bool {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return false
	}
	subs := []*syntax.Regexp{re}
	if re.Op == syntax.OpConcat {
		subs = re.Sub
	}
	groups := 0
	for _, sub := range subs {
		switch sub.Op {
		case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
			syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		case syntax.OpCapture:
			if sub.Name != SecretGroup {
				return false
			}
			groups++
		default:
			return false
		}
	}
	return groups == 1
}
