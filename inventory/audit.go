package inventory

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// AuditEntry is one link of the audit chain.
type AuditEntry struct {
	Seq    int64     `json:"seq"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"` // "ingest", "status", "policy"
	// Data is the entry's details as compact JSON, hashed byte for byte.
	Data     string `json:"data"`
	PrevHash string `json:"prev_hash"`
	Hash     string `json:"hash"`
}

// Audit actions.
const (
	ActionIngest = "ingest"
	ActionStatus = "status"
	ActionPolicy = "policy"
	// ActionVaultIndex records an index of a secret store.
	ActionVaultIndex = "vault-index"
	// ActionVault records an action in a secret store (flag, rotate,
	// clear), done or failed.
	ActionVault = "vault"
)

// ErrTampered is wrapped by the *TamperError Verify returns.
var ErrTampered = errors.New("audit log tampered")

// TamperError names the first entry at which the chain breaks.
type TamperError struct {
	Seq    int64
	Reason string
}

func (e *TamperError) Error() string {
	return fmt.Sprintf("audit log tampered: entry %d: %s", e.Seq, e.Reason)
}

// Unwrap lets errors.Is(err, ErrTampered) match.
func (e *TamperError) Unwrap() error { return ErrTampered }

// canonicalEntry is the byte form an entry is hashed in: JSON of a fixed
// struct (fixed field order; Data as a string, so it is hashed exactly as
// stored). Version 1.
func canonicalEntry(e AuditEntry) []byte {
	b, err := json.Marshal(struct {
		V      int    `json:"v"`
		Seq    int64  `json:"seq"`
		At     int64  `json:"at"`
		Actor  string `json:"actor"`
		Action string `json:"action"`
		Data   string `json:"data"`
	}{1, e.Seq, e.At.UnixNano(), e.Actor, e.Action, e.Data})
	if err != nil {
		panic(err) // strings and integers always marshal
	}
	return b
}

// chainHash is SHA-256(previous hash ‖ canonical entry bytes), hex. The
// first entry's previous hash is 32 zero bytes.
func chainHash(prevHex string, e AuditEntry) (string, error) {
	prev := make([]byte, sha256.Size)
	if prevHex != "" {
		p, err := hex.DecodeString(prevHex)
		if err != nil || len(p) != sha256.Size {
			return "", fmt.Errorf("malformed previous hash %q", prevHex)
		}
		prev = p
	}
	h := sha256.New()
	h.Write(prev)
	h.Write(canonicalEntry(e))
	return hex.EncodeToString(h.Sum(nil)), nil
}

// nextEntry fills in the chain fields of a new entry following head.
func nextEntry(headSeq int64, headHash string, at time.Time, actor, action string, data any) (AuditEntry, error) {
	d, err := json.Marshal(data)
	if err != nil {
		return AuditEntry{}, fmt.Errorf("audit entry: %w", err)
	}
	e := AuditEntry{Seq: headSeq + 1, At: time.Unix(0, at.UnixNano()).UTC(), Actor: actor, Action: action, Data: string(d), PrevHash: headHash}
	if e.PrevHash == "" {
		e.PrevHash = hex.EncodeToString(make([]byte, sha256.Size))
	}
	if e.Hash, err = chainHash(e.PrevHash, e); err != nil {
		return AuditEntry{}, err
	}
	return e, nil
}

// VerifyResult describes an intact chain.
type VerifyResult struct {
	Entries  int64  `json:"entries"`
	HeadSeq  int64  `json:"head_seq"`
	HeadHash string `json:"head_hash"`
}

// verifyPage is how many entries Verify reads at a time.
const verifyPage = 1000

// Verify walks the whole audit chain. It returns a *TamperError (wrapping
// ErrTampered) naming the first bad entry if an entry was edited (its hash
// no longer matches its contents), reordered (its previous hash is not its
// predecessor's), deleted (a sequence number is missing, or the chain ends
// before the recorded head), or appended without the head. Other errors are
// store failures.
//
// Publishing VerifyResult.HeadHash elsewhere (a ticket, a commit) anchors
// the chain: an attacker who rewrites the database can rebuild a
// consistent chain, but not one ending in the published hash.
func Verify(ctx context.Context, s Store) (VerifyResult, error) {
	var res VerifyResult
	prev := hex.EncodeToString(make([]byte, sha256.Size))
	var after int64
	for {
		page, err := s.AuditLog(ctx, after, verifyPage)
		if err != nil {
			return res, err
		}
		for _, e := range page {
			want := after + 1
			if e.Seq != want {
				if e.Seq > want {
					return res, &TamperError{want, "missing (deleted)"}
				}
				return res, &TamperError{e.Seq, "out of order"}
			}
			if e.PrevHash != prev {
				return res, &TamperError{e.Seq, fmt.Sprintf("previous hash does not match entry %d (reordered or rewritten)", e.Seq-1)}
			}
			h, err := chainHash(e.PrevHash, e)
			if err != nil || h != e.Hash {
				return res, &TamperError{e.Seq, "contents do not match its hash (edited)"}
			}
			prev, after = e.Hash, e.Seq
			res.Entries++
		}
		if len(page) < verifyPage {
			break
		}
	}
	headSeq, headHash, err := s.AuditHead(ctx)
	if err != nil {
		return res, err
	}
	switch {
	case headSeq > after:
		return res, &TamperError{after + 1, fmt.Sprintf("missing: the chain ends at %d but its head records %d (deleted)", after, headSeq)}
	case headSeq < after:
		return res, &TamperError{headSeq + 1, fmt.Sprintf("not recorded in the chain head (head is %d)", headSeq)}
	case after > 0 && headHash != prev:
		return res, &TamperError{after, "hash differs from the chain head's (rewritten)"}
	}
	res.HeadSeq, res.HeadHash = after, headHash
	return res, nil
}
