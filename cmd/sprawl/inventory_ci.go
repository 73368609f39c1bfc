package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/reports"
)

func newInventoryCISecretsCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "ci-secrets",
		Short: "List store secret objects (CI secrets, credentials, Kubernetes Secrets: names and dates) with their age against the rotation policy",
		Long: `List the secret objects the CI and deployment stores hold, as the scans
recorded them with --inventory: GitHub Actions, Dependabot and Codespaces
secrets at organisation, repository and environment level ('sprawl scan
github'); Azure DevOps secret variables of variable groups and pipelines,
Key Vault-linked variable groups and service connections ('sprawl scan
azure-devops'); Bitbucket secured Pipelines variables of workspaces,
repositories and deployment environments ('sprawl scan bitbucket');
Jenkins credentials ('sprawl scan jenkins'); Kubernetes Secrets ('sprawl
scan kubernetes', one place per namespace). Providers are not asked for
values, so this is names, scopes, kinds and dates only.

KIND is what the store says the object is: a Jenkins credential class, a
service connection's type and scheme, a Kubernetes Secret's type, a
secret or Key Vault variable. USED BY names what may use it, where the
store says: the workloads that mount a Kubernetes Secret, the pipelines
allowed to use an Azure DevOps variable group or service connection.

Age runs from the last update; a secret not updated within its maximum
age (rule-max-age 'ci-secret:actions', …, else the api-key class) is
overdue. A name set at more than one level (an organisation secret a
repository secret overrides) is listed with the other levels under SAME
NAME, as is a Kubernetes Secret name present in several namespaces. On a
narrow terminal USED BY, then SAME NAME, then KIND give way first.

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
				out := inventory.FilterCISecrets(inventory.EvaluateCISecrets(cs, p, time.Now()), overdue, dup)
				if format == "json" {
					if out == nil {
						out = []inventory.CISecretEntry{}
					}
					return writeJSON(cmd.OutOrStdout(), out)
				}
				w := cmd.OutOrStdout()
				if err := reports.WriteCISecretsTable(w, tableWidth(w), out); err != nil {
					return failure(err)
				}
				fmt.Fprintln(cmd.ErrOrStderr(), reports.CISecretsLine(out))
				return nil
			})
		},
	}
	c.Flags().String("provider", "", "only this provider (github, gitlab, azure-devops, bitbucket, jenkins, kubernetes)")
	c.Flags().String("owner", "", "only this organisation or user")
	c.Flags().Bool("overdue", false, "only secrets older than their maximum age")
	c.Flags().Bool("same-name", false, "only names set at more than one level")
	c.Flags().Bool("all", false, "include secrets no longer listed by the provider")
	c.Flags().StringP("format", "f", "table", "output format: table or json")
	return c
}
