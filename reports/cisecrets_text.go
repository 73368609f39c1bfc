package reports

import (
	"fmt"
	"io"
	"strings"

	"github.com/sprawlsec/sprawl/internal/plural"
	"github.com/sprawlsec/sprawl/inventory"
)

// ciSecretHeader is the 'inventory ci-secrets' table's header.
var ciSecretHeader = []string{"OWNER", "STORE", "SCOPE", "NAME", "KIND", "UPDATED", "AGE", "MAX AGE", "STATE", "USED BY", "SAME NAME"}

// ciSecretFits are the ci-secrets table's own rules where they differ
// from ColumnFit: what uses a secret, the other levels of its name and
// its kind, cut at their end, are left out in that order before the
// scope and the update date (KIND means something else in other tables).
var ciSecretFits = map[string]Fit{
	"OWNER":     {Cut: CutEnd, Min: 12},
	"USED BY":   {Cut: CutEnd, Min: 16, Drop: 1},
	"SAME NAME": {Cut: CutEnd, Min: 40, Drop: 2},
	"KIND":      {Cut: CutEnd, Min: 12, Drop: 3},
	"SCOPE":     {Cut: CutEnd, Min: 40, Drop: 4},
	"UPDATED":   {Cut: CutEnd, Min: 40, Drop: 5},
}

// WriteCISecretsTable writes es as the 'inventory ci-secrets' table, one
// row per secret object with its place, kind, dates, age against its
// maximum, state (gone since a day, or OVERDUE), what uses it and the
// other places its name is set, drawn within width display columns (0:
// no limit) with a line naming any column left out. Names, kinds and
// places come from the stores; TableFit escapes their control characters.
func WriteCISecretsTable(w io.Writer, width int, es []inventory.CISecretEntry) error {
	rows := make([][]string, 0, len(es))
	for _, e := range es {
		state := ""
		switch {
		case !e.GoneAt.IsZero():
			state = "gone " + e.GoneAt.Format("2006-01-02")
		case e.Overdue:
			state = "OVERDUE"
		}
		rows = append(rows, []string{e.Provider + ":" + e.Owner, e.Store, e.Place(), e.Name, e.Kind, When(e.UpdatedAt),
			inventory.HumanAge(e.Age), e.MaxAge.String(), state, strings.Join(e.UsedBy, ", "), strings.Join(e.SameName, "; ")})
	}
	fits := make([]Fit, len(ciSecretHeader))
	for i, h := range ciSecretHeader {
		f, ok := ciSecretFits[h]
		if !ok {
			f = ColumnFit(h)
		}
		fits[i] = f
	}
	dropped, err := TableFit(w, width, ciSecretHeader, rows, fits)
	if err != nil {
		return err
	}
	if len(dropped) > 0 {
		_, err = fmt.Fprintln(w, strings.TrimPrefix(HiddenNote(dropped), "\n"))
	}
	return err
}

// CISecretsLine is the one-line summary, for standard error, of the
// secret objects 'inventory ci-secrets' listed: how many, and how many of
// them are overdue.
func CISecretsLine(es []inventory.CISecretEntry) string {
	n := 0
	for _, e := range es {
		if e.Overdue {
			n++
		}
	}
	return fmt.Sprintf("sprawl: %s, %d overdue", plural.Count(len(es), "CI secret"), n)
}
