package inventory

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
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
	// ActionVerify records the verifications a scan made (--verify), in
	// the same transaction as its ingest.
	ActionVerify = "verify"
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

// Head is a position of the chain as published: the sequence number of an
// entry and its hash, written "SEQ:HASH". The head of an empty chain is
// 0 and 64 zeros (the first entry's previous hash).
type Head struct {
	Seq  int64
	Hash string
}

// zeroHash is the previous hash of the first entry.
var zeroHash = hex.EncodeToString(make([]byte, sha256.Size))

// String is "SEQ:HASH".
func (h Head) String() string {
	hash := h.Hash
	if hash == "" {
		hash = zeroHash
	}
	return strconv.FormatInt(h.Seq, 10) + ":" + hash
}

// ParseHead reads "SEQ:HASH" as Head.String writes it.
func ParseHead(s string) (Head, error) {
	seq, hash, ok := strings.Cut(strings.TrimSpace(s), ":")
	n, err := strconv.ParseInt(seq, 10, 64)
	hash = strings.ToLower(hash)
	if !ok || err != nil || n < 0 || len(hash) != 2*sha256.Size || !hexPrefix().MatchString(hash) {
		return Head{}, fmt.Errorf("%w: audit head %q: want SEQ:HASH (as 'sprawl audit head' prints it)", ErrInvalid, s)
	}
	return Head{n, hash}, nil
}

// VerifyResult describes an intact chain whose state the tables agree with.
type VerifyResult struct {
	Entries  int64  `json:"entries"`
	HeadSeq  int64  `json:"head_seq"`
	HeadHash string `json:"head_hash"`
	// Secrets and Scans count the table rows checked against the chain.
	Secrets int `json:"secrets_checked"`
	Scans   int `json:"scans_checked"`
}

// Head is the verified chain's head.
func (r VerifyResult) Head() Head { return Head{r.HeadSeq, r.HeadHash} }

// Mismatch is a table row that disagrees with what the audit chain says.
type Mismatch struct {
	Table string `json:"table"`
	// Row names the row: a secret's fingerprint, a scan's id.
	Row    string `json:"row"`
	Reason string `json:"reason"`
}

func (m Mismatch) String() string { return m.Table + " " + m.Row + ": " + m.Reason }

// StateError lists the table rows that disagree with the chain: changed
// behind the store's back (direct SQL), or written without their entry.
type StateError struct {
	Rows []Mismatch
}

func (e *StateError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "audit log tampered: %d table rows disagreeing with the audit log", len(e.Rows))
	for i, m := range e.Rows {
		if i == 10 {
			fmt.Fprintf(&b, "; and %d more", len(e.Rows)-i)
			break
		}
		b.WriteString("; ")
		b.WriteString(m.String())
	}
	return b.String()
}

// Unwrap lets errors.Is(err, ErrTampered) match.
func (e *StateError) Unwrap() error { return ErrTampered }

// verifyPage is how many entries Verify reads at a time.
const verifyPage = 1000

// VerifyOptions refine Verify.
type VerifyOptions struct {
	// ExpectHead, when set, is a head published earlier (a CI log, a
	// ticket): the chain must still hold that entry with that hash, which
	// catches a truncated or reset log that is otherwise self-consistent.
	ExpectHead *Head
}

// Verify walks the whole audit chain, then checks the tables against it.
//
// It returns a *TamperError (wrapping ErrTampered) naming the first bad
// entry if an entry was edited (its hash no longer matches its contents),
// reordered (its previous hash is not its predecessor's), deleted (a
// sequence number is missing, or the chain ends before the recorded head),
// or appended without the head.
//
// The chain's entries carry the state they changed, so Verify replays
// them: every secret's status, reason, actor and time and its status
// history, and every scan record, must be what the chain says, and every
// secret must come from a scan the chain records. Rows that disagree are
// returned together as a *StateError (also wrapping ErrTampered). Other
// errors are store failures.
//
// A consistent rewrite of the whole database (chain included) is caught
// only by comparing with a head published elsewhere: VerifyWith and
// VerifyOptions.ExpectHead.
func Verify(ctx context.Context, s Store) (VerifyResult, error) {
	return VerifyWith(ctx, s, VerifyOptions{})
}

// VerifyWith is Verify with options.
func VerifyWith(ctx context.Context, s Store, o VerifyOptions) (VerifyResult, error) {
	var res VerifyResult
	// The rows first, with the head they reflect: entries appended while
	// the chain is walked are checked as links but not replayed.
	rows, err := s.AuditedState(ctx)
	if err != nil {
		return res, err
	}
	st := newReplay()
	prev := zeroHash
	var after int64
	var expectSeen bool
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
			if o.ExpectHead != nil && e.Seq == o.ExpectHead.Seq {
				if e.Hash != o.ExpectHead.Hash {
					return res, &TamperError{e.Seq, fmt.Sprintf("hash %s differs from the published head %s (the log was reset or rewritten)", e.Hash, o.ExpectHead)}
				}
				expectSeen = true
			}
			if e.Seq <= rows.HeadSeq {
				st.apply(e)
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
	if o.ExpectHead != nil && !expectSeen && o.ExpectHead.Seq > 0 {
		return res, &TamperError{o.ExpectHead.Seq, fmt.Sprintf("missing: the chain ends at %d but the published head %s is later (the log was truncated or reset)", after, o.ExpectHead)}
	}
	if o.ExpectHead != nil && o.ExpectHead.Seq == 0 && o.ExpectHead.Hash != zeroHash {
		return res, &TamperError{0, fmt.Sprintf("published head %s is not the empty chain's", o.ExpectHead)}
	}
	res.HeadSeq, res.HeadHash = after, headHash
	res.Secrets, res.Scans = len(rows.Secrets), len(rows.Scans)
	if bad := st.compare(rows); len(bad) > 0 {
		return res, &StateError{bad}
	}
	return res, nil
}

// TrustedSuppressed is Store.Suppressed vouched for by the audit chain,
// for a CI gate. When the store would suppress none of fingerprints it
// returns at once (the usual case costs one lookup); otherwise it verifies
// the chain and the tables against it (Verify) before trusting any
// suppression. If that fails it suppresses nothing and returns an error
// wrapping ErrTampered that names the problem: a status nobody can account
// for must not turn a failing gate into a passing one.
func TrustedSuppressed(ctx context.Context, s Store, fingerprints []string) (map[string]bool, error) {
	sup, err := s.Suppressed(ctx, fingerprints)
	if err != nil || len(sup) == 0 {
		return sup, err
	}
	if _, err := Verify(ctx, s); err != nil {
		if errors.Is(err, ErrTampered) {
			return map[string]bool{}, fmt.Errorf("the inventory marks %d of these secrets false-positive or accepted-risk, but its audit check failed, so none is suppressed: %w", len(sup), err)
		}
		return map[string]bool{}, err
	}
	return sup, nil
}
