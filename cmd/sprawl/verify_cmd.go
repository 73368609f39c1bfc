package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sprawlsec/sprawl/internal/plural"
	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/reports"
	"github.com/sprawlsec/sprawl/scanner"
)

// newVerifyCmd is `sprawl verify --inventory DSN --rescan PATH`: re-verify
// the inventory's secrets. The inventory holds keyed fingerprints, never
// values, so nothing in it can be sent to a provider: the values come from
// rescanning where they are, and the rescan records each verification
// with its secret (as `scan … --verify --inventory` does).
func newVerifyCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "verify --inventory DSN --rescan PATH|URL [--git] [--fingerprint PREFIX]",
		Short: "Re-verify the inventory's secrets by rescanning where they are",
		Long: `Ask each provider again whether the inventory's leaked secrets still work.

The inventory stores keyed fingerprints and redacted previews, never a
secret's value, so it cannot re-verify on its own: verify rescans PATH (a
working tree; with --git, its history, or a repository URL) with --verify
and records every verification in the inventory, in the same transaction
and audit entry chain as the scan. This is the same as

  sprawl scan dir PATH --verify --inventory DSN
  sprawl scan git PATH --verify --inventory DSN   (with --git)

'sprawl inventory list --live live' then lists the secrets still live, and
'sprawl rotate' plans them first. Exit codes are the scan's.

With --fingerprint PREFIX (a unique prefix of the inventory fingerprint, as
'sprawl inventory show' takes), only that secret is sent to its provider,
asked afresh (the result cache is not used), and its answer printed; the
rescan must find its value, or verify fails with exit code 2.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			target, _ := f.GetString("rescan")
			dsn, _ := f.GetString("inventory")
			if target == "" {
				return usageErr("verify needs --rescan PATH|URL: the inventory holds no secret values to send, so they are read again from where they are (or run 'sprawl scan dir|git PATH --verify --inventory DSN')")
			}
			kind := "dir"
			if g, _ := f.GetBool("git"); g || scanner.IsRemote(target) {
				kind = "git"
			}
			args := []string{"scan", kind, target, "--verify"}
			var one *inventory.Secret
			if prefix, _ := f.GetString("fingerprint"); prefix != "" {
				sec, err := inventorySecret(cmd, dsn, prefix)
				if err != nil {
					return err
				}
				one = &sec
				args = append(args, "--verify-fingerprint", sec.Fingerprint, "--verify-cache", "off")
			}
			if dsn != "" {
				args = append(args, "--inventory", dsn)
			} else {
				args = append(args, "--inventory", "default")
			}
			if q, _ := f.GetBool("quiet"); q {
				args = append(args, "--quiet")
			}
			if f.Changed("verify-cache") && one == nil {
				c, _ := f.GetString("verify-cache")
				args = append(args, "--verify-cache", c)
			}
			if f.Changed("verify-hosts") {
				hosts, _ := f.GetStringSlice("verify-hosts")
				args = append(args, "--verify-hosts", strings.Join(hosts, ","))
			}
			dbHosts, _ := f.GetStringArray("verify-db-host")
			for _, h := range dbHosts {
				args = append(args, "--verify-db-host", h)
			}
			root := newRootCmd(cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr())
			root.SetArgs(args)
			err := root.ExecuteContext(cmd.Context())
			if err != nil && !errors.Is(err, errFindings) {
				return err
			}
			if one != nil {
				if oneErr := oneSummary(cmd, dsn, *one, target); oneErr != nil {
					return oneErr
				}
				return err
			}
			if sumErr := liveSummary(cmd, dsn); sumErr != nil {
				return sumErr
			}
			return err
		},
	}
	fl := c.Flags()
	fl.String("rescan", "", "the working tree, repository or URL to rescan for the secrets' values")
	fl.Bool("git", false, "rescan the git history of PATH, not its working tree")
	fl.String("inventory", "", "the inventory to record the verifications in (default: $SPRAWL_INVENTORY, else the default SQLite file)")
	fl.BoolP("quiet", "q", false, "print only the findings and the live summary")
	fl.StringSlice("verify-hosts", nil, "contact only these hosts (default: every host a validator declares)")
	fl.String("verify-cache", "", "the result cache file ('off' for none)")
	fl.String("fingerprint", "", "re-verify only the secret with this inventory fingerprint (a unique prefix of at least 4 hex digits)")
	fl.StringArray("verify-db-host", nil, "log in to the database server HOST[:PORT] with the database URIs found for it (repeatable)")
	return c
}

// liveSummary prints how the inventory's active secrets stand after the
// rescan: live, revoked, unknown, never verified.
func liveSummary(cmd *cobra.Command, dsn string) error {
	s, err := openInventory(cmd.Context(), dsn)
	if err != nil {
		return err
	}
	defer s.Close()
	secs, err := s.Secrets(cmd.Context(), inventory.Query{Statuses: []inventory.Status{inventory.StatusOpen, inventory.StatusRotationRequired}})
	if err != nil {
		return inventoryErr(err)
	}
	n := map[string]int{}
	for _, sec := range secs {
		n[sec.LiveStatus()]++
	}
	_, err = fmt.Fprintf(cmd.ErrOrStderr(), "sprawl: inventory: of %s, %d live, %d revoked, %d unknown, %d never verified\n",
		plural.Count(len(secs), "open secret"), n[scanner.VerifyLive], n[scanner.VerifyRevoked], n[scanner.VerifyUnknown], n[""])
	return failure(err)
}

// inventorySecret finds one secret by fingerprint prefix.
func inventorySecret(cmd *cobra.Command, dsn, prefix string) (inventory.Secret, error) {
	s, err := openInventory(cmd.Context(), dsn)
	if err != nil {
		return inventory.Secret{}, err
	}
	defer s.Close()
	sec, err := s.Secret(cmd.Context(), prefix)
	switch {
	case errors.Is(err, inventory.ErrNotFound):
		return sec, usageErr("%v: no secret with that inventory fingerprint", err)
	case errors.Is(err, inventory.ErrAmbiguous), errors.Is(err, inventory.ErrInvalid):
		return sec, usageErr("%v", err)
	case err != nil:
		return sec, inventoryErr(err)
	}
	return sec, nil
}

// oneSummary prints the re-verified secret's new answer, or fails if the
// rescan did not find its value (nothing was asked).
func oneSummary(cmd *cobra.Command, dsn string, before inventory.Secret, target string) error {
	s, err := openInventory(cmd.Context(), dsn)
	if err != nil {
		return err
	}
	defer s.Close()
	after, err := s.Secret(cmd.Context(), before.Fingerprint)
	if err != nil {
		return inventoryErr(err)
	}
	if len(after.Verifications) <= len(before.Verifications) {
		return usageErr("secret %s was not found under %s: not re-verified (its history keeps the last answer)", reports.ShortFingerprint(before.Fingerprint), target)
	}
	v := after.Latest()
	line := fmt.Sprintf("sprawl: inventory: secret %s is %s", reports.ShortFingerprint(before.Fingerprint), v.Status)
	if id := reports.IdentityText(v.Identity); id != "" {
		line += " (" + id + ")"
	}
	if v.Reason != "" {
		line += ": " + v.Reason
	}
	// The identity and the reason come from the provider's answer.
	_, err = fmt.Fprintln(cmd.ErrOrStderr(), reports.Printable(line))
	return failure(err)
}
