package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sprawlsec/sprawl/inventory"
)

func newInventoryCISecretsCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "ci-secrets",
		Short: "List managed CI secrets (names and dates) with their age against the rotation policy",
		Long: `List the managed CI secrets that 'sprawl scan github' recorded: Actions,
Dependabot and Codespaces secrets at organisation, repository and
environment level; likewise Jenkins credentials ('sprawl scan jenkins') and
Kubernetes Secrets ('sprawl scan kubernetes', one place per namespace).
Providers never return secret values, so this is names, scopes and dates
only. Age runs from the last update; a secret not updated
within its maximum age (rule-max-age 'ci-secret:actions', …, else the
api-key class) is overdue. A name set at more than one level (an
organisation secret a repository secret overrides) is listed with the
other levels under SAME NAME, as is a Kubernetes Secret name present in
several namespaces.

Exit codes: 0 ok (also with overdue secrets), 2 bad flag, 3 store failure.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := tableOrJSON(cmd)
			if err != nil {
				return err
			}
			var q inventory.CISecretQuery
			q.Provider, _ = cmd.Flags().GetString("provider")
			q.Owner, _ = cmd.Flags().GetString("owner")
			q.IncludeGone, _ = cmd.Flags().GetBool("all")
			overdue, _ := cmd.Flags().GetBool("overdue")
			dup, _ := cmd.Flags().GetBool("same-name")
			return withInventory(cmd, func(s inventory.Store) error {
				ctx := cmd.Context()
				cs, err := s.CISecrets(ctx, q)
				if err != nil {
					return inventoryErr(err)
				}
				p, err := s.Policy(ctx)
				if err != nil {
					return inventoryErr(err)
				}
				var out []inventory.CISecretEntry
				for _, e := range inventory.EvaluateCISecrets(cs, p, time.Now()) {
					if (overdue && !e.Overdue) || (dup && len(e.SameName) == 0) {
						continue
					}
					out = append(out, e)
				}
				if format == "json" {
					if out == nil {
						out = []inventory.CISecretEntry{}
					}
					return writeJSON(cmd.OutOrStdout(), out)
				}
				rows := make([][]string, 0, len(out))
				for _, e := range out {
					state := ""
					switch {
					case !e.GoneAt.IsZero():
						state = "gone " + e.GoneAt.Format("2006-01-02")
					case e.Overdue:
						state = "OVERDUE"
					}
					rows = append(rows, []string{e.Provider + ":" + e.Owner, e.Store, e.Place(), e.Name, when(e.UpdatedAt),
						inventory.HumanAge(e.Age), e.MaxAge.String(), state, strings.Join(e.SameName, "; ")})
				}
				if err := renderTable(cmd.OutOrStdout(), []string{"OWNER", "STORE", "SCOPE", "NAME", "UPDATED", "AGE", "MAX AGE", "STATE", "SAME NAME"}, rows); err != nil {
					return err
				}
				n := 0
				for _, e := range out {
					if e.Overdue {
						n++
					}
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "sprawl: %s, %d overdue\n", plural(len(out), "CI secret"), n)
				return nil
			})
		},
	}
	c.Flags().String("provider", "", "only this provider (github, gitlab, jenkins, kubernetes)")
	c.Flags().String("owner", "", "only this organisation or user")
	c.Flags().Bool("overdue", false, "only secrets older than their maximum age")
	c.Flags().Bool("same-name", false, "only names set at more than one level")
	c.Flags().Bool("all", false, "include secrets no longer listed by the provider")
	c.Flags().StringP("format", "f", "table", "output format: table or json")
	return c
}
