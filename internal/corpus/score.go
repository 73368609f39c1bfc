package corpus

import (
	"fmt"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
)

// Found is one scanner finding, reduced to what scoring needs.
type Found struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	RuleID string `json:"rule_id"`
}

// Report is the outcome of scoring findings against labels.
type Report struct {
	Secrets int `json:"secrets"`
	// Findings is the number of findings scored (Ignored excluded).
	Findings int `json:"findings"`
	TP       int `json:"tp"`
	FP       int `json:"fp"`
	FN       int `json:"fn"`
	// Duplicates are further findings on an already-counted secret: neither
	// true nor false positives.
	Duplicates int `json:"duplicates"`
	// Ignored are findings in files that are not part of the corpus.
	Ignored   int     `json:"ignored"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`

	// GenericHits counts secrets of a provider's kind that only a
	// neutral rule (generic, credential-file, URL …) reported, and
	// OtherHits those that only a rule of another kind reported (a
	// vendor's rule claiming a generic password or another vendor's
	// secret). Both are missed secrets (FN), not false positives.
	GenericHits int `json:"generic_hits"`
	OtherHits   int `json:"other_hits"`
	// RecallAnyRule is the recall the lenient way: secrets reported by
	// any rule (TP + GenericHits + OtherHits) over Secrets.
	RecallAnyRule float64 `json:"recall_any_rule"`

	Families       []FamilyScore   `json:"families"`
	Kinds          []KindScore     `json:"kinds"`
	Missed         []Label         `json:"missed"`
	Misfits        []Misfit        `json:"misfits"`
	FalsePositives []FalsePositive `json:"false_positives"`
}

// Misfit is a secret reported only by rules not of its kind: the first
// such rule, and whether it was a neutral one.
type Misfit struct {
	Label   Label  `json:"label"`
	RuleID  string `json:"rule_id"`
	Generic bool   `json:"generic"`
}

// FamilyScore is the score of one family. FP counts false positives that
// landed on a labelled bait item of the family (bait families have no
// secrets); false positives on unlabelled lines fall under "unlabelled".
// Generic and Other count the family's missed secrets that a rule not of
// their kind did report (see Report.GenericHits).
type FamilyScore struct {
	Family  string  `json:"family"`
	Secrets int     `json:"secrets"`
	TP      int     `json:"tp"`
	FN      int     `json:"fn"`
	FP      int     `json:"fp"`
	Recall  float64 `json:"recall"`
	Generic int     `json:"generic,omitempty"`
	Other   int     `json:"other,omitempty"`
}

// KindScore is the recall of one kind of true secret.
type KindScore struct {
	Kind    string  `json:"kind"`
	Family  string  `json:"family"`
	Secrets int     `json:"secrets"`
	TP      int     `json:"tp"`
	FN      int     `json:"fn"`
	Recall  float64 `json:"recall"`
}

// FalsePositive is a finding that matched no secret. Bait is the bait
// label it landed on, if any.
type FalsePositive struct {
	Found
	Bait *Label `json:"bait,omitempty"`
}

func hits(l Label, f Found) bool {
	return l.File == f.File && f.Line >= l.Line-l.Pre && f.Line <= l.Line+l.Span
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Score matches findings to labels with the embedded catalogue's rule
// kinds (see ScoreWith).
func Score(labels Labels, findings []Found) Report {
	return ScoreWith(labels, findings, BuiltinRuleKinds())
}

// ScoreWith matches findings to labels. A finding is a true positive when
// it is in the file of a true label, its line is within
// [Line-Pre, Line+Span] and rk accepts its rule for the label; each
// label counts once, and further findings on a counted label are
// Duplicates. A finding on a label whose kind does not accept its rule is
// neither: the label stays missed unless another finding counts for it,
// and is listed in Misfits. Other findings are false positives, except
// those in files outside labels.Files (Ignored). When several unmatched
// labels qualify, the one whose Line is nearest wins. Precision is 0 when
// nothing was found.
func ScoreWith(labels Labels, findings []Found, rk RuleKinds) Report {
	var rep Report
	known := map[string]bool{}
	for _, f := range labels.Files {
		known[f] = true
	}
	byFile := map[string][]int{}
	baitByFile := map[string][]int{}
	for i, l := range labels.Items {
		if l.Bait {
			baitByFile[l.File] = append(baitByFile[l.File], i)
		} else {
			byFile[l.File] = append(byFile[l.File], i)
			rep.Secrets++
		}
	}
	fs := append([]Found(nil), findings...)
	sort.SliceStable(fs, func(i, j int) bool {
		if fs[i].File != fs[j].File {
			return fs[i].File < fs[j].File
		}
		if fs[i].Line != fs[j].Line {
			return fs[i].Line < fs[j].Line
		}
		return fs[i].RuleID < fs[j].RuleID
	})
	matched := make([]bool, len(labels.Items))
	misfit := map[int]Misfit{}
	famFP := map[string]int{}
	for _, f := range fs {
		if len(known) > 0 && !known[f.File] {
			rep.Ignored++
			continue
		}
		rep.Findings++
		best, anyHit, other := -1, false, -1
		for _, i := range byFile[f.File] {
			l := labels.Items[i]
			if !hits(l, f) {
				continue
			}
			if !rk.Accepts(l, f.RuleID) {
				if other < 0 || abs(f.Line-l.Line) < abs(f.Line-labels.Items[other].Line) {
					other = i
				}
				continue
			}
			anyHit = true
			if matched[i] {
				continue
			}
			if best < 0 || abs(f.Line-l.Line) < abs(f.Line-labels.Items[best].Line) {
				best = i
			}
		}
		switch {
		case best >= 0:
			matched[best] = true
			rep.TP++
		case anyHit:
			rep.Duplicates++
		case other >= 0:
			if _, ok := misfit[other]; !ok {
				misfit[other] = Misfit{Label: labels.Items[other], RuleID: f.RuleID, Generic: rk.Neutral(f.RuleID)}
			}
		default:
			rep.FP++
			fp := FalsePositive{Found: f}
			for _, i := range baitByFile[f.File] {
				if hits(labels.Items[i], f) {
					b := labels.Items[i]
					fp.Bait = &b
					break
				}
			}
			if fp.Bait != nil {
				famFP[fp.Bait.Family]++
			} else {
				famFP["unlabelled"]++
			}
			rep.FalsePositives = append(rep.FalsePositives, fp)
		}
	}
	fam := map[string]*FamilyScore{}
	kinds := map[string]*KindScore{}
	for i, l := range labels.Items {
		if l.Bait {
			continue
		}
		fsx := fam[l.Family]
		if fsx == nil {
			fsx = &FamilyScore{Family: l.Family}
			fam[l.Family] = fsx
		}
		ks := kinds[l.Kind]
		if ks == nil {
			ks = &KindScore{Kind: l.Kind, Family: l.Family}
			kinds[l.Kind] = ks
		}
		fsx.Secrets++
		ks.Secrets++
		if matched[i] {
			fsx.TP++
			ks.TP++
		} else {
			fsx.FN++
			ks.FN++
			rep.FN++
			rep.Missed = append(rep.Missed, l)
			if m, ok := misfit[i]; ok {
				rep.Misfits = append(rep.Misfits, m)
				if m.Generic {
					fsx.Generic++
					rep.GenericHits++
				} else {
					fsx.Other++
					rep.OtherHits++
				}
			}
		}
	}
	for f, n := range famFP {
		if fam[f] == nil {
			fam[f] = &FamilyScore{Family: f}
		}
		fam[f].FP += n
	}
	for _, f := range fam {
		f.Recall = ratio(f.TP, f.Secrets)
		rep.Families = append(rep.Families, *f)
	}
	sort.Slice(rep.Families, func(i, j int) bool {
		a, b := rep.Families[i], rep.Families[j]
		if (a.Secrets == 0) != (b.Secrets == 0) {
			return a.Secrets > 0
		}
		return a.Family < b.Family
	})
	for _, k := range kinds {
		k.Recall = ratio(k.TP, k.Secrets)
		rep.Kinds = append(rep.Kinds, *k)
	}
	sort.Slice(rep.Kinds, func(i, j int) bool { return rep.Kinds[i].Kind < rep.Kinds[j].Kind })
	rep.Precision = ratio(rep.TP, rep.TP+rep.FP)
	rep.Recall = ratio(rep.TP, rep.Secrets)
	rep.RecallAnyRule = ratio(rep.TP+rep.GenericHits+rep.OtherHits, rep.Secrets)
	if rep.Precision+rep.Recall > 0 {
		rep.F1 = 2 * rep.Precision * rep.Recall / (rep.Precision + rep.Recall)
	}
	return rep
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// String prints the report as plain-text tables: totals, per family, the
// kinds with misses, then every missed secret and false positive.
func (r Report) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "secrets %d  findings %d  (duplicates %d, ignored %d)\n", r.Secrets, r.Findings, r.Duplicates, r.Ignored)
	fmt.Fprintf(&sb, "TP %d  FP %d  FN %d  (of the FN, found by a rule not of their kind: generic %d, other %d)\n", r.TP, r.FP, r.FN, r.GenericHits, r.OtherHits)
	fmt.Fprintf(&sb, "precision %.3f  recall %.3f  F1 %.3f  (recall counting any rule's hit: %.3f)\n\n", r.Precision, r.Recall, r.F1, r.RecallAnyRule)

	tw := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "family\tsecrets\tTP\tFN\trecall\tFP\tgeneric hit\tother rule\t")
	for _, f := range r.Families {
		rec := "-"
		if f.Secrets > 0 {
			rec = fmt.Sprintf("%.3f", f.Recall)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%d\t%d\t%d\t\n", f.Family, f.Secrets, f.TP, f.FN, rec, f.FP, f.Generic, f.Other)
	}
	tw.Flush()

	var weak []KindScore
	for _, k := range r.Kinds {
		if k.FN > 0 {
			weak = append(weak, k)
		}
	}
	if len(weak) > 0 {
		sb.WriteString("\nkinds with misses\n")
		tw = tabwriter.NewWriter(&sb, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "kind\tfamily\tsecrets\tTP\tFN\trecall\t")
		for _, k := range weak {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%.3f\t\n", k.Kind, k.Family, k.Secrets, k.TP, k.FN, k.Recall)
		}
		tw.Flush()
	}
	if len(r.Missed) > 0 {
		fit := map[Label]Misfit{}
		for _, m := range r.Misfits {
			fit[m.Label] = m
		}
		fmt.Fprintf(&sb, "\nmissed (%d)\n", len(r.Missed))
		for _, l := range r.Missed {
			by := ""
			if m, ok := fit[l]; ok && m.Generic {
				by = "  found only by generic rule " + m.RuleID
			} else if ok {
				by = "  found only by rule " + m.RuleID + " of another kind"
			}
			fmt.Fprintf(&sb, "  %s:%d  %s (%s)%s\n", l.File, l.Line, l.Kind, l.Family, by)
		}
	}
	if len(r.FalsePositives) > 0 {
		fmt.Fprintf(&sb, "\nfalse positives (%d)\n", len(r.FalsePositives))
		for _, f := range r.FalsePositives {
			bait := ""
			if f.Bait != nil {
				bait = "  on bait " + f.Bait.Kind
			}
			fmt.Fprintf(&sb, "  %s:%d  %s%s\n", f.File, f.Line, f.RuleID, bait)
		}
	}
	return sb.String()
}

// NormalizeFindings rewrites finding paths relative to root (the corpus
// directory) as slash paths, so that findings from a scan of root — printed
// relative to root, relative to the working directory, or absolute — line up
// with label paths. A relative path that does not resolve under root is
// taken to be relative to root already.
func NormalizeFindings(root string, fs []Found) []Found {
	absRoot, err := filepath.Abs(root)
	if err != nil {
		absRoot = filepath.Clean(root)
	}
	out := make([]Found, len(fs))
	for i, f := range fs {
		p := filepath.FromSlash(f.File)
		abs := p
		if !filepath.IsAbs(p) {
			if a, err := filepath.Abs(p); err == nil {
				abs = a
			}
		}
		if rel, err := filepath.Rel(absRoot, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			p = rel
		}
		f.File = strings.TrimPrefix(path.Clean(filepath.ToSlash(p)), "./")
		out[i] = f
	}
	return out
}
