package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/reports"
	"golang.org/x/term"
)

// tableWidth is the width a table written to w must fit: $COLUMNS when it
// holds a positive number (so a script or a test can ask for a width),
// else the terminal's width when w is a terminal, else 0, no limit: piped
// or redirected output keeps every character for grep and friends.
func tableWidth(w io.Writer) int {
	if n, err := strconv.Atoi(strings.TrimSpace(os.Getenv("COLUMNS"))); err == nil && n > 0 {
		return n
	}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if n, _, err := term.GetSize(int(f.Fd())); err == nil && n > 0 {
			return n
		}
	}
	return 0
}

// columnFits says how each of the command tables' columns gives way on a
// narrow terminal, by header: paths and places are cut in the middle,
// names at the end; identifiers, severities and previews stay whole.
// Drop ranks the columns that may be left out when even that is not
// enough (lowest first); the summary line then says which.
var columnFits = map[string]reports.Fit{
	"FINGERPRINT": {Cut: reports.CutNone},
	"PREVIEW":     {Cut: reports.CutNone},
	"SEVERITY":    {Cut: reports.CutNone, Drop: 9},
	"AGE/MAX":     {Cut: reports.CutNone},
	"FINISHED":    {Cut: reports.CutNone},
	"TIME":        {Cut: reports.CutNone},
	"WHEN":        {Cut: reports.CutNone},
	"RULE":        {Cut: reports.CutEnd, Min: 10},
	"FLAGS":       {Cut: reports.CutEnd, Min: 7},
	"STATUS":      {Cut: reports.CutEnd, Min: 6, Drop: 5},
	"STATE":       {Cut: reports.CutEnd, Min: 7},
	"STATES":      {Cut: reports.CutEnd, Min: 7},
	"PATH":        {Cut: reports.CutMiddle, Min: 12},
	"PATH:LINE":   {Cut: reports.CutMiddle, Min: 24},
	"REPOSITORY":  {Cut: reports.CutMiddle, Min: 16},
	"STORE":       {Cut: reports.CutMiddle, Min: 10},
	"SECRET":      {Cut: reports.CutMiddle, Min: 12},
	"NAME":        {Cut: reports.CutMiddle, Min: 10},
	"DETAILS":     {Cut: reports.CutEnd, Min: 12},
	"REASON":      {Cut: reports.CutEnd, Min: 10},
	"APPLIES TO":  {Cut: reports.CutEnd, Min: 10},

	"PRESENT/LOCATIONS": {Cut: reports.CutEnd, Min: 40, Drop: 1},
	"REPOS":             {Cut: reports.CutEnd, Min: 40, Drop: 2},
	"ENVIRONMENTS":      {Cut: reports.CutEnd, Min: 40, Drop: 3},
	"AUTHOR":            {Cut: reports.CutEnd, Min: 40, Drop: 1},
	"AT TIP":            {Cut: reports.CutEnd, Min: 40, Drop: 2},
	"SOURCE":            {Cut: reports.CutEnd, Min: 40, Drop: 3},
	"ENVIRONMENT":       {Cut: reports.CutEnd, Min: 40, Drop: 4},
	"LOCATIONS":         {Cut: reports.CutEnd, Min: 40, Drop: 1},
	"GONE":              {Cut: reports.CutEnd, Min: 40, Drop: 2},
	"SECRETS":           {Cut: reports.CutEnd, Min: 40, Drop: 3},
	"HEAD":              {Cut: reports.CutEnd, Min: 40, Drop: 4},
	"SCAN":              {Cut: reports.CutEnd, Min: 40, Drop: 5},
	"HASH":              {Cut: reports.CutEnd, Min: 40, Drop: 1},
	"SAME NAME":         {Cut: reports.CutEnd, Min: 40, Drop: 1},
	"SCOPE":             {Cut: reports.CutEnd, Min: 40, Drop: 2},
	"UPDATED":           {Cut: reports.CutEnd, Min: 40, Drop: 3},
	"VERSION":           {Cut: reports.CutEnd, Min: 40, Drop: 1},
	"INDEXED":           {Cut: reports.CutEnd, Min: 40, Drop: 2},
	"ADAPTER":           {Cut: reports.CutEnd, Min: 40, Drop: 3},
	"LAST READ":         {Cut: reports.CutEnd, Min: 40, Drop: 1},
	"CLASS":             {Cut: reports.CutEnd, Min: 40, Drop: 2},
}

// renderTableFit draws a command table within the width tableWidth gives
// for w and returns the columns it left out.
func renderTableFit(w io.Writer, header []string, rows [][]string) ([]string, error) {
	fits := make([]reports.Fit, len(header))
	for i, h := range header {
		f, ok := columnFits[h]
		if !ok {
			f = reports.Fit{Cut: reports.CutEnd, Min: min(len(h), 10)}
		}
		fits[i] = f
	}
	dropped, err := reports.TableFit(w, tableWidth(w), header, rows, fits)
	return dropped, failure(err)
}

// hiddenNote ends a table's summary line with a line naming the columns
// left out to fit the terminal, if any.
func hiddenNote(dropped []string) string {
	if len(dropped) == 0 {
		return ""
	}
	return fmt.Sprintf("\n(not shown at this width: %s)", strings.Join(dropped, ", "))
}

// expiryText says when a credential's stated expiry is or was:
// "expires in 5h", "expired 2d ago".
func expiryText(exp, now time.Time) string {
	if now.Before(exp) {
		return "expires in " + inventory.HumanAge(inventory.Duration(exp.Sub(now)))
	}
	return "expired " + inventory.HumanAge(inventory.Duration(now.Sub(exp))) + " ago"
}
