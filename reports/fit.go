package reports

import (
	"io"
	"strings"

	"github.com/olekukonko/tablewriter/pkg/twwidth"
)

// Cut says how a column's cells give way when a table must fit a width.
type Cut int

const (
	// CutNone: the column is never shortened (a secret preview, a
	// severity).
	CutNone Cut = iota
	// CutEnd keeps the start of a cell: "github-fine-grained-p…".
	CutEnd
	// CutMiddle keeps both ends of a cell, which is what a path needs:
	// its top directory and its file name ("services/…/config.yaml:12").
	CutMiddle
)

// Fit is how one column narrows: Cut, down to Min display columns (a Min
// below 4 counts as 4). A column with Drop > 0 may be left out when the
// minimums cannot fit otherwise; the lowest Drop goes first. When even
// that is not enough, columns that may be cut go below their Min.
type Fit struct {
	Cut  Cut
	Min  int
	Drop int
	// Last: below its Min, this column gives way only after all others.
	Last bool
}

// tableOverhead is what the house table style adds to its cells: a
// border, and a space either side of each cell plus its separator.
func tableOverhead(cols int) int { return 3*cols + 1 }

// FitRows shortens cells, and if it must leaves out droppable columns,
// so that Table draws header and rows within width display columns
// (counted as terminals do: East Asian wide characters take two). fits
// gives each column's rule; missing entries are CutEnd with the header's
// width as minimum. width <= 0 means no limit: everything is returned
// unchanged. The names of the columns left out are returned too, so the
// caller can say what it hid. Cells must already be printable.
func FitRows(width int, header []string, rows [][]string, fits []Fit) (h []string, out [][]string, dropped []string) {
	if width <= 0 || len(header) == 0 {
		return header, rows, nil
	}
	fitOf := func(i int) Fit {
		if i < len(fits) {
			return fits[i]
		}
		return Fit{Cut: CutEnd, Min: twwidth.Width(header[i])}
	}
	keep := make([]int, len(header))
	for i := range keep {
		keep[i] = i
	}
	natural := func(i int) int {
		w := twwidth.Width(header[i])
		for _, r := range rows {
			if i < len(r) {
				w = max(w, twwidth.Width(r[i]))
			}
		}
		return w
	}
	floor := func(i int) int {
		f := fitOf(i)
		if f.Cut == CutNone {
			return natural(i)
		}
		return min(natural(i), max(f.Min, 4))
	}
	// Leave out droppable columns while even the minimums do not fit.
	for {
		need := tableOverhead(len(keep))
		for _, i := range keep {
			need += floor(i)
		}
		if need <= width {
			break
		}
		victim := -1
		for k, i := range keep {
			if d := fitOf(i).Drop; d > 0 && (victim < 0 || d < fitOf(keep[victim]).Drop) {
				victim = k
			}
		}
		if victim < 0 {
			break
		}
		dropped = append(dropped, header[keep[victim]])
		keep = append(keep[:victim], keep[victim+1:]...)
	}
	widths := make([]int, len(keep))
	total := tableOverhead(len(keep))
	for k, i := range keep {
		widths[k] = natural(i)
		total += widths[k]
	}
	// Narrow the widest column that may still give way, one column at a
	// time, until the table fits or nothing can give.
	for total > width {
		best := -1
		for k, i := range keep {
			if widths[k] > floor(i) && (best < 0 || widths[k]-floor(i) > widths[best]-floor(keep[best])) {
				best = k
			}
		}
		if best < 0 {
			break
		}
		widths[best]--
		total--
	}
	// Still too wide: everything that may give goes below its minimum,
	// widest first, down to four columns (three characters and "…").
	for _, last := range []bool{false, true} {
		for total > width {
			best := -1
			for k, i := range keep {
				f := fitOf(i)
				if f.Cut != CutNone && f.Last == last && widths[k] > 4 && (best < 0 || widths[k] > widths[best]) {
					best = k
				}
			}
			if best < 0 {
				break
			}
			widths[best]--
			total--
		}
	}
	h = make([]string, len(keep))
	for k, i := range keep {
		h[k] = shorten(header[i], widths[k], CutEnd)
	}
	out = make([][]string, len(rows))
	for r, row := range rows {
		out[r] = make([]string, len(keep))
		for k, i := range keep {
			if i < len(row) {
				cut := fitOf(i).Cut
				if cut == CutNone {
					cut = CutEnd
				}
				out[r][k] = shorten(row[i], widths[k], cut)
			}
		}
	}
	return h, out, dropped
}

// shorten cuts s to at most w display columns, marking the cut with "…".
func shorten(s string, w int, cut Cut) string {
	if twwidth.Width(s) <= w {
		return s
	}
	if w < 1 {
		return ""
	}
	rs := []rune(s)
	if cut == CutMiddle {
		// Keep more of the end: the file name and line.
		head := (w - 1) / 3
		tail := w - 1 - head
		return takeWidth(rs, head) + "…" + takeWidthFromEnd(rs, tail)
	}
	return takeWidth(rs, w-1) + "…"
}

func takeWidth(rs []rune, w int) string {
	var b strings.Builder
	n := 0
	for _, r := range rs {
		rw := twwidth.Width(string(r))
		if n+rw > w {
			break
		}
		n += rw
		b.WriteRune(r)
	}
	return b.String()
}

func takeWidthFromEnd(rs []rune, w int) string {
	n, i := 0, len(rs)
	for i > 0 {
		rw := twwidth.Width(string(rs[i-1]))
		if n+rw > w {
			break
		}
		n += rw
		i--
	}
	return string(rs[i:])
}

// TableFit is Table drawn within width display columns (FitRows); width
// <= 0 draws it at full width. It returns the columns it left out.
func TableFit(w io.Writer, width int, header []string, rows [][]string, fits []Fit) ([]string, error) {
	clean := make([][]string, len(rows))
	for i, row := range rows {
		clean[i] = make([]string, len(row))
		for j, c := range row {
			clean[i][j] = Printable(c)
		}
	}
	h, fitted, dropped := FitRows(width, header, clean, fits)
	return dropped, Table(w, h, fitted)
}
