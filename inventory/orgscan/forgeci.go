package orgscan

import (
	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/scanner/forge"
)

// addListing adds what a forge client listed of one store to ci: its
// variables, its secrets' metadata as inventory records, and its
// problems, which make ci incomplete.
func addListing(ci *CIListing, l forge.CIListing) {
	ci.Vars = append(ci.Vars, l.Vars...)
	for _, s := range l.Secrets {
		ci.Secrets = append(ci.Secrets, inventory.CISecretRecord{Store: s.Store, Scope: s.Scope, Repository: s.Repo, Environment: s.Environment,
			Name: s.Name, Visibility: s.Visibility, Kind: s.Kind, Description: s.Description, UsedBy: s.UsedBy,
			CreatedAt: s.Created, UpdatedAt: s.Updated})
	}
	if len(l.Problems) > 0 {
		ci.Problems = append(ci.Problems, l.Problems...)
		ci.Complete = false
	}
}
