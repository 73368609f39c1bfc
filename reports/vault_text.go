package reports

import (
	"fmt"
	"io"
	"strings"

	"github.com/sprawlsec/sprawl/internal/plural"
	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/inventory/vault"
)

// WriteVaultIndex writes what one `vault index` of a store (its adapter
// kind and name) read and recorded: a line with the counts, called a
// PARTIAL index when some items could not be listed or read and a FAILED
// one when nothing could, then each flagged path seen holding a new
// value, each rewritten with the same value, and each leaked secret the
// index moved to rotated. Fingerprints are shortened; an index holds no
// value. The items' errors are the caller's to report. The store's name
// and its paths are escaped (Printable): the store's writers choose them.
func WriteVaultIndex(w io.Writer, kind, store string, res vault.IndexResult, sum inventory.VaultIndexSummary) error {
	var b strings.Builder
	what := "indexed"
	switch {
	case !res.Complete() && len(res.Entries) == 0 && res.Secrets == 0:
		what = fmt.Sprintf("FAILED index (%s, nothing could be read; the previous index stands) of", plural.Count(len(res.Errors), "error"))
	case !res.Complete():
		what = fmt.Sprintf("PARTIAL index (%s) of", plural.Count(len(res.Errors), "error"))
	}
	fmt.Fprintf(&b, "%s %s %s: %s, %s (%d new, %d changed, %d unchanged, %d gone)\n",
		what, kind, Printable(store), plural.Count(res.Secrets, "secret"), plural.Count(sum.Entries, "value"), sum.New, sum.Changed, sum.Unchanged, sum.Gone)
	for _, r := range sum.Rotated {
		fmt.Fprintf(&b, "rotated: %s now holds a new value (version %s); the leaked value %s is gone from it\n", Printable(r.VaultKey.String()), Printable(r.Version), shortFP(r.OldFingerprint))
	}
	for _, k := range sum.Rewritten {
		fmt.Fprintf(&b, "still leaked: %s has a new version with the same value; rotate it\n", Printable(k.String()))
	}
	for _, fp := range sum.SecretsRotated {
		fmt.Fprintf(&b, "secret %s: status rotated\n", shortFP(fp))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteVaultEntriesTable writes es as the 'vault list' table within
// width display columns (0: no limit): one row per indexed field with its
// store, path (under its mount), version, short fingerprint, rotation
// flag ("gone" added for an entry gone from its store) and when it was
// last indexed. Never a value: the index holds none.
func WriteVaultEntriesTable(w io.Writer, width int, es []inventory.VaultEntry) error {
	rows := make([][]string, 0, len(es))
	for _, e := range es {
		p := e.Path
		if e.Mount != "" {
			p = e.Mount + "/" + p
		}
		flag := string(e.Flag)
		if !e.GoneAt.IsZero() {
			flag = strings.TrimSpace(flag + " gone")
		}
		rows = append(rows, []string{e.Adapter, e.Store, p, e.Field, e.Version, ShortFingerprint(e.Fingerprint), flag, When(e.LastIndexed)})
	}
	return RenderTable(w, width, []string{"ADAPTER", "STORE", "PATH", "FIELD", "VERSION", "FINGERPRINT", "FLAG", "INDEXED"}, rows)
}
