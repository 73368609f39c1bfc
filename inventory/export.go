package inventory

import (
	"context"
	"time"
)

// Export is the whole inventory as one document, as 'inventory export'
// writes it: everything needed to reproduce a report, and no secret
// values (the inventory holds none).
type Export struct {
	Version     int       `json:"version"`
	GeneratedAt time.Time `json:"generated_at"`
	// Inventory names the store, without its password; the caller
	// fills it in.
	Inventory    string             `json:"inventory"`
	Policy       Policy             `json:"policy"`
	AuditHead    ExportHead         `json:"audit_head"`
	Stats        Stats              `json:"stats"`
	Secrets      []Entry            `json:"secrets"`
	Scans        []ScanRecord       `json:"scans"`
	Repositories []RepositoryRecord `json:"repositories"`
}

// ExportHead is the audit chain's head in an Export, which anchors the
// document to the log.
type ExportHead struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
	// Head is SEQ:HASH, as 'audit head' prints and --expect-head takes.
	Head string `json:"head"`
}

// ExportVersion is Export.Version: the version of the document's shape.
const ExportVersion = 1

// BuildExport reads s into an Export generated at now: every secret
// judged under the stored policy at now with its locations, the policy,
// the counts, every scan, the repositories and the audit chain's head.
// Inventory is left empty for the caller to name the store. The store's
// errors are returned as they are.
func BuildExport(ctx context.Context, s Store, now time.Time) (Export, error) {
	doc := Export{Version: ExportVersion, GeneratedAt: now}
	var err error
	if doc.Secrets, doc.Policy, err = List(ctx, s, Filter{}, now); err != nil {
		return doc, err
	}
	doc.Stats = Summarize(doc.Secrets)
	if doc.Scans, err = s.Scans(ctx, 0); err != nil {
		return doc, err
	}
	if doc.Repositories, err = s.Repositories(ctx); err != nil {
		return doc, err
	}
	if doc.AuditHead.Seq, doc.AuditHead.Hash, err = s.AuditHead(ctx); err != nil {
		return doc, err
	}
	doc.AuditHead.Head = Head{Seq: doc.AuditHead.Seq, Hash: doc.AuditHead.Hash}.String()
	return doc, nil
}
