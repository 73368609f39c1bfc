// Package storescan turns what a store scan read of a store's own secret
// objects (Jenkins credentials, Kubernetes Secrets) into inventory
// records, and records them: their metadata as store secrets
// (inventory.Store.RecordCISecrets), and, where values were read to be
// fingerprinted (Kubernetes with ReadSecretValues), the fingerprints as a
// store index (RecordVaultIndex), so a leak of the same value elsewhere
// is known to be a live store secret. No value is ever stored.
//
// The functions are synchronous and start no goroutines.
package storescan

import (
	"context"
	"fmt"
	"time"

	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/scanner/jenkins"
	"github.com/sprawlsec/sprawl/scanner/kube"
)

// Provider names and stores the records carry.
const (
	ProviderJenkins    = "jenkins"
	ProviderKubernetes = "kubernetes"
	StoreCredentials   = "credentials" // a Jenkins credentials store
	StoreSecret        = "secret"      // Kubernetes Secrets
)

// Secrets is what one store scan found of the store's secret objects.
type Secrets struct {
	Batch inventory.CISecretBatch
	// Index holds the fingerprints of the values, when they were read.
	Index *inventory.VaultIndexBatch
}

// Jenkins records a controller's credentials: the system store's at
// organisation scope, a folder's at the folder's (repository) scope.
// complete: every store was read, so what is missing is gone.
func Jenkins(host string, creds []jenkins.Credential, complete bool) Secrets {
	b := inventory.CISecretBatch{Provider: ProviderJenkins, Owner: host, Complete: complete, Secrets: []inventory.CISecretRecord{}}
	for _, c := range creds {
		r := inventory.CISecretRecord{Store: StoreCredentials, Scope: inventory.ScopeOrg, Name: c.ID, Kind: c.TypeName, Description: c.Description}
		if c.Folder {
			r.Scope, r.Repository = inventory.ScopeRepo, c.Store
		}
		b.Secrets = append(b.Secrets, r)
	}
	return Secrets{Batch: b}
}

// Kubernetes records a cluster's Secrets, each at the environment scope
// CONTEXT/NAMESPACE (the same name in two namespaces is flagged by
// inventory.EvaluateCISecrets), and, when the values were read
// (kube.Options.ReadSecretValues), an index of their fingerprints
// (adapter "kubernetes", store the context, mount the namespace, path the
// Secret, field the key). keyCheck is inventory.KeyCheck of the
// fingerprint key when values were read, "" otherwise; complete: every
// namespace was read.
func Kubernetes(context string, res *kube.Result, complete bool, keyCheck string) Secrets {
	b := inventory.CISecretBatch{Provider: ProviderKubernetes, Owner: context, Complete: complete, Secrets: []inventory.CISecretRecord{}}
	var idx *inventory.VaultIndexBatch
	if keyCheck != "" {
		idx = &inventory.VaultIndexBatch{Adapter: ProviderKubernetes, Store: context, KeyCheck: keyCheck, Complete: complete, Mounts: res.Namespaces}
		for _, p := range res.Problems {
			idx.Errors = append(idx.Errors, p.String())
		}
	}
	for _, s := range res.Secrets {
		b.Secrets = append(b.Secrets, inventory.CISecretRecord{Store: StoreSecret, Scope: inventory.ScopeEnvironment, Repository: context,
			Environment: s.Namespace, Name: s.Name, Kind: s.Type, UsedBy: s.UsedBy, CreatedAt: s.Created, UpdatedAt: s.Updated})
		if idx == nil {
			continue
		}
		version := s.Updated
		if version.IsZero() {
			version = s.Created
		}
		for _, f := range s.Fields {
			idx.Entries = append(idx.Entries, inventory.VaultEntryRecord{Mount: s.Namespace, Path: s.Name, Field: f.Key, Engine: StoreSecret,
				Version: version.UTC().Format(time.RFC3339), VersionAt: version, Created: s.Created, Updated: s.Updated, Fingerprint: f.Fingerprint})
		}
	}
	return Secrets{Batch: b, Index: idx}
}

// Recorded is what Record changed.
type Recorded struct {
	CISecrets *inventory.CISecretSummary
	Index     *inventory.VaultIndexSummary
}

// Record records s in st as actor: the secret objects' metadata (unless
// the listing is empty and incomplete, which says nothing), then the
// index of fingerprinted values, if any.
func Record(ctx context.Context, st inventory.Store, s Secrets, actor string) (Recorded, error) {
	var rec Recorded
	if len(s.Batch.Secrets) > 0 || s.Batch.Complete {
		b := s.Batch
		b.Actor = actor
		sum, err := st.RecordCISecrets(ctx, b)
		if err != nil {
			return rec, err
		}
		rec.CISecrets = &sum
	}
	if s.Index != nil {
		idx := *s.Index
		idx.Actor = actor
		sum, err := st.RecordVaultIndex(ctx, &idx)
		if err != nil {
			return rec, fmt.Errorf("record %s value fingerprints: %w", s.Index.Adapter, err)
		}
		rec.Index = &sum
	}
	return rec, nil
}
