package reports

import (
	_ "embed"
	"fmt"
	"html"
	"html/template"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

//go:embed inventory_report.html.tmpl
var inventoryHTMLSource string

// inventoryHTML is parsed on first use: parsing it at start would cost
// every command, a pre-commit hook included, for a report few runs write.
var inventoryHTML = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report").Funcs(template.FuncMap{
		"day":          day,
		"live":         liveRows,
		"liveEmpty":    liveEmpty,
		"short":        shortFP,
		"maxage":       maxAge,
		"envs":         envs,
		"repos":        repoList,
		"median":       median,
		"ts":           func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
		"lastday":      func(t time.Time) string { return day(t.Add(-time.Nanosecond)) },
		"unix":         func(t time.Time) int64 { return t.Unix() },
		"sevclass":     func(s string) string { return "sev-" + s },
		"bars":         barChart,
		"barsOr":       barChartOr,
		"wherePlaces":  whereLocations,
		"whereSecrets": whereSecrets,
		"whereStores":  whereStores,
		"wherePHead":   func() []string { return wherePlaceHeader },
		"wherePRows":   wherePlaceRows,
		"whereSHead":   func() []string { return whereStoreHeader },
		"whereSRows":   whereStoreRows,
		"whereNote":    func() string { return whereNote },
		"wherePEmpty":  func() string { return wherePlacesEmpty },
		"whereSEmpty":  func() string { return whereStoresEmpty },
		"whereTotals":  whereTotals,
		"trend":        trendChart,
		"headline":     headline,
		"managed":      managedRows,
		"managedEmpty": managedEmpty,
		"ciHeader":     func() []string { return ciHeader },
		"ciRows":       ciRows,
		"ciEmpty":      ciEmpty,
		"capRows":      capRows,
		"mStoreHeader": func() []string { return managedStoreHeader },
		"mStoreRows":   managedStoreRows,
		"mChangeHead":  func() []string { return managedChangeHeader },
		"mChangeRows":  managedChangeRows,
		"mChangeEmpty": managedChangeEmpty,
		"mListHeader":  func() []string { return managedListHeader },
		"mListRows":    managedListRows,
		"mEmpty":       managedSectionEmpty,
		"mLine":        managedLine,
		"percent":      percent,
		"more":         moreRows,
		"wrap":         breakable,
		"noscheme":     noScheme,
		"where":        whereList,
		"scansCount":   scansCount,
		"decHeader":    func() []string { return decisionHeader },
		"decRows":      decisionRows,
		"decEmpty":     func() string { return decisionsEmpty },
		"overby": func(s SecretRow) string {
			over := float64(s.AgeDays) - s.MaxAgeDays
			if over < 1 {
				return "< 1 d"
			}
			return strconv.Itoa(int(over)) + " d"
		},
	}).Parse(inventoryHTMLSource))
})

// docRows caps each table of the HTML and Markdown reports: a document
// people read; the CSV and JSON formats carry every row.
const docRows = 200

// capRows returns at most docRows elements of a slice.
func capRows(v any) any {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Slice && rv.Len() > docRows {
		return rv.Slice(0, docRows).Interface()
	}
	return v
}

// moreRows says how many rows a capped table left out.
func moreRows(n int) template.HTML {
	if n <= docRows {
		return ""
	}
	return template.HTML(fmt.Sprintf(`<p class="small more">Showing the first %d of %d, most severe first; the CSV and JSON formats list every one.</p>`, docRows, n))
}

// breakable escapes s and lets the browser break it after path
// separators only (a <wbr> after each '/', '\\', '#' and ':'), so paths
// and repository URLs wrap between their elements, never inside a name.
func breakable(s string) template.HTML {
	var b strings.Builder
	for _, r := range s {
		b.WriteString(html.EscapeString(string(r)))
		if r == '/' || r == '\\' || r == '#' || r == ':' {
			b.WriteString("<wbr>")
		}
	}
	return template.HTML(b.String())
}

// whereList names a secret's distinct repository and file pairs
// ("REPOSITORY PATH"), at most two: the new-leaks table's one column for
// both, which leaves its preview room on a laptop's screen.
func whereList(s SecretRow) string {
	var out []string
	seen := map[string]bool{}
	for _, l := range s.Locations {
		w := l.Repository + " " + l.Path
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	if len(out) > 2 {
		return strings.Join(out[:2], ", ") + fmt.Sprintf(" (+%d)", len(out)-2)
	}
	return strings.Join(out, ", ")
}

// noScheme drops "https://" and "http://" from repository names in a
// table cell: they say nothing a reader needs and cost a narrow column
// its width. The CSV and JSON formats keep the full URLs.
func noScheme(s string) string {
	return strings.NewReplacer("https://", "", "http://", "").Replace(s)
}

func writeInventoryHTML(w io.Writer, r *InventoryReport) error {
	return inventoryHTML().Execute(w, r)
}

// barColors names the CSS class of a bar by its label, so statuses and
// severities keep their colours in every chart.
var barColors = map[string]string{
	"critical": "c-critical", "high": "c-high", "medium": "c-medium", "low": "c-low", "info": "c-info",
	"open": "c-high", "rotation-required": "c-critical", "rotated": "c-ok", "revoked": "c-ok",
	"false-positive": "c-info", "accepted-risk": "c-medium", "production": "c-critical",
}

// barChart draws a horizontal bar chart as inline SVG. Labels are escaped;
// the result contains no external reference.
func barChart(title string, cs []Count) template.HTML {
	return barChartOr(title, cs, "Nothing to chart: the inventory holds no secrets.")
}

// barChartOr is barChart saying empty when there is nothing to chart.
// The label column widens for long labels ("Azure DevOps variable
// group"), at 6.5 pixels a character of the 12-pixel font, so none
// is cut at the chart's left edge.
func barChartOr(title string, cs []Count, empty string) template.HTML {
	const rowH, barW, pad = 22, 220, 6
	labelW, total, peak := 130, 0, 0
	for _, c := range cs {
		total += c.Count
		peak = max(peak, c.Count)
		labelW = max(labelW, 13*utf8.RuneCountInString(c.Name)/2+12)
	}
	h := len(cs)*rowH + 2*pad
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart bars" role="img" aria-label="%s" viewBox="0 0 %d %d" width="%d" height="%d">`,
		html.EscapeString(title), labelW+barW+60, h, labelW+barW+60, h)
	fmt.Fprintf(&b, `<title>%s</title>`, html.EscapeString(title))
	for i, c := range cs {
		y := pad + i*rowH
		w := 0
		if peak > 0 {
			w = int(math.Round(float64(c.Count) / float64(peak) * barW))
		}
		if c.Count > 0 && w < 2 {
			w = 2
		}
		cls := barColors[c.Name]
		if cls == "" {
			cls = "c-neutral"
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="lbl" text-anchor="end">%s</text>`, labelW-8, y+15, html.EscapeString(c.Name))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" rx="3" class="bar %s" data-count="%d"><title>%s: %d</title></rect>`,
			labelW, y+3, w, rowH-6, cls, c.Count, html.EscapeString(c.Name), c.Count)
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="val">%d</text>`, labelW+w+6, y+15, c.Count)
	}
	b.WriteString(`</svg>`)
	if total == 0 {
		return template.HTML(`<p class="empty">` + html.EscapeString(empty) + `</p>`)
	}
	return template.HTML(b.String())
}

// trendChart draws open leaks over the period as an inline SVG line with
// one marked point per day (or week) with scans.
func trendChart(r *InventoryReport) template.HTML {
	if len(r.Trend) == 0 {
		return template.HTML(`<p class="empty">No scans were recorded in this period, so there is no trend to draw.</p>`)
	}
	const w, h, left, right, top, bottom = 720, 220, 44, 16, 14, 30
	peak := 1
	for _, p := range r.Trend {
		peak = max(peak, p.Open)
	}
	// A tidy axis: the smallest step of 1, 2, 5, 10, 20, 50, … giving at
	// most five intervals.
	step := 1
	for m := 1; ; m *= 10 {
		if step = m; peak <= 5*step {
			break
		}
		if step = 2 * m; peak <= 5*step {
			break
		}
		if step = 5 * m; peak <= 5*step {
			break
		}
	}
	ymax := (peak + step - 1) / step * step
	span := r.Until.Sub(r.Since).Seconds()
	x := func(t time.Time) float64 {
		f := t.Sub(r.Since).Seconds() / span
		return left + math.Max(0, math.Min(1, f))*(w-left-right)
	}
	y := func(v int) float64 { return top + (1-float64(v)/float64(ymax))*(h-top-bottom) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart trend" role="img" aria-label="Open leaks over the period" viewBox="0 0 %d %d" width="100%%" preserveAspectRatio="xMidYMid meet">`, w, h)
	b.WriteString(`<title>Open leaks over the period</title>`)
	for v := 0; v <= ymax; v += step {
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" class="grid"/><text x="%d" y="%.1f" class="axis" text-anchor="end">%d</text>`,
			left, w-right, y(v), y(v), left-6, y(v)+4, v)
	}
	if first, last := day(r.Since), day(r.Until.Add(-time.Nanosecond)); first == last {
		// A one-day period: one date, under the middle.
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="axis" text-anchor="middle">%s</text>`, (left+w-right)/2, h-8, first)
	} else {
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="axis">%s</text><text x="%d" y="%d" class="axis" text-anchor="end">%s</text>`,
			left, h-8, first, w-right, h-8, last)
	}
	if len(r.Trend) == 1 {
		// A lone point says nothing by its position alone: label it.
		p := r.Trend[0]
		anchor, dx := "start", 8.0
		if x(p.At) > w/2 {
			anchor, dx = "end", -8
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="lone" text-anchor="%s">%d open on %s (%s)</text>`,
			x(p.At)+dx, y(p.Open)-8, anchor, p.Open, day(p.At), scansCount(p.Scans))
	}
	var pts []string
	for _, p := range r.Trend {
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(p.At), y(p.Open)))
	}
	fmt.Fprintf(&b, `<polyline class="line" points="%s"/>`, strings.Join(pts, " "))
	for _, p := range r.Trend {
		fmt.Fprintf(&b, `<circle class="pt" cx="%.1f" cy="%.1f" r="3.5"><title>%s: %d open, %d new, %d scan(s)</title></circle>`,
			x(p.At), y(p.Open), day(p.At), p.Open, p.New, p.Scans)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
