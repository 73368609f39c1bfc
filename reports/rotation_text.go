package reports

import (
	"fmt"
	"io"
	"strings"

	"github.com/sprawlsec/sprawl/internal/plural"
	"github.com/sprawlsec/sprawl/inventory/rotation"
)

// The text of 'sprawl rotate': its plan (or what it did) as a table, and
// why a plan is empty. Paths, stores and reasons come from the stores and
// the inventory; RenderTable escapes their control characters.

// WriteRotationTable writes the rotation plan items as the 'sprawl rotate'
// table within width display columns (0: no limit): one row per store
// path (ACTION, STORE, PATH with its mount, FIELDS, the leaked secrets'
// short fingerprints, PLAN), with a LIVE column when any item was
// verified ("-" for those that were not) and a RESULT column once
// applied. An unmanaged secret is listed where it was found, in no store.
// A dry run ends with how many paths it would mark; no items is one line
// saying there is nothing to rotate.
func WriteRotationTable(w io.Writer, width int, items []*rotation.Item, apply bool) error {
	if len(items) == 0 {
		_, err := fmt.Fprintln(w, "nothing to rotate: no open leaked secret in the inventory")
		return err
	}
	header := []string{"ACTION", "STORE", "PATH", "FIELDS", "SECRETS", "PLAN"}
	verified := false
	for _, it := range items {
		verified = verified || it.Live != ""
	}
	if verified {
		header = append(header, "LIVE")
	}
	if apply {
		header = append(header, "RESULT")
	}
	rows := make([][]string, 0, len(items))
	flags := 0
	for _, it := range items {
		secs := make([]string, len(it.Secrets))
		for i, fp := range it.Secrets {
			secs[i] = ShortFingerprint(fp)
		}
		store, path := it.Adapter+" "+it.Store, it.Path
		if it.Mount != "" {
			path = it.Mount + "/" + path
		}
		if it.Action == "unmanaged" {
			store, path = "-", it.Where
		}
		if it.Action == "flag" {
			flags++
		}
		row := []string{it.Action, store, path, strings.Join(it.Fields, ","), strings.Join(secs, " "), it.Plan}
		if verified {
			live := it.Live
			if live == "" {
				live = "-"
			}
			row = append(row, live)
		}
		if apply {
			row = append(row, it.Result)
		}
		rows = append(rows, row)
	}
	if err := RenderTable(w, width, header, rows); err != nil {
		return err
	}
	if !apply {
		_, err := fmt.Fprintf(w, "dry run: %d paths to mark for rotation; run with --apply to do it\n", flags)
		return err
	}
	return nil
}

// WriteNothingToRotate says why a rotation plan for the stores of kind
// is empty while open leaked secrets remain, without claiming there are
// no leaks when kind (--adapter) only left them out: they may be held in
// no store of that kind, or its index may be stale (a failed 'vault index'
// leaves the previous one in place, and says so in the audit log). With
// no open leaked secret it says just that.
func WriteNothingToRotate(w io.Writer, kind string, open int) error {
	if open == 0 {
		_, err := fmt.Fprintln(w, "nothing to rotate: no open leaked secret in the inventory")
		return err
	}
	_, err := fmt.Fprintf(w, "nothing to mark in %s stores: %s open, none held in an indexed %s store "+
		"(run 'sprawl rotate' without --adapter to list them; if the index is stale or the last 'vault index' failed, see 'sprawl audit log')\n",
		kind, plural.Count(open, "leaked secret"), kind)
	return err
}
