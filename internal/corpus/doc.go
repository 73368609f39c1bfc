// Package corpus builds the labelled accuracy corpus that sprawl's recall
// and precision are measured on, and scores findings against it.
//
// The corpus is about thirty small repository-like projects of the kind
// healthcare vendors keep (SMART on FHIR backends for Epic and Oracle
// Health, Mirth Connect channels, Terraform, Kubernetes, notebooks,
// developer dotfiles …). Their templates live in testdata/corpus/<project>/
// and contain no secret: every true secret is produced at generation time
// by a per-kind generator seeded from math/rand/v2, so the repository's own
// self-scan stays clean and the same seed always yields the same bytes.
//
// # Templates
//
// A template is the file as it will be written, with markers:
//
//	@@SECRET:kind[/variant][:name][|filter…]@@  a generated true secret, labelled
//	@@FAKE:kind[/variant][:name][|filter…]@@    a generated bait value (a UUID,
//	                                            a lockfile hash, a public key, a
//	                                            test vector …), labelled Bait
//	@@BAIT:kind@@                               zero-width: labels the literal
//	                                            that follows as bait
//
// A name makes later markers of the same kind and variant in the same
// project reuse the value (the same password in .env and in a Kubernetes
// Secret). Variants select a sub-shape (jwk-private-key/ec384) or a generic
// one (pw, pwsym24, hex32, alnum40, b64n32, uuid …). Filters re-encode the
// value for its surroundings: json, escnl, xml, url, b64, b64url, indentN,
// ipynbN (see applyFilters).
//
// Template paths map to output paths by OutputName: a path element "dot.X"
// becomes ".X" and a trailing ".tmpl" is dropped.
//
// Private keys are real, valid keys built from deterministic primes and
// scalars (crypto/rsa and crypto/ecdsa ignore caller randomness since Go
// 1.26); OpenSSH keys are assembled by hand (openssh-key-v1), encrypted ones
// carry random bytes in place of a bcrypt-derived ciphertext.
//
// # Tuning and held-out families
//
// Projects whose directory starts with HeldOutPrefix ("heldout-") are the
// held-out family: credential files and password shapes (lower-case
// passphrases, Word+year, product names, short dictionary words, crypt
// hashes) that were written before the rules that find them and are not
// used to tune rules. Labels.Split separates the two families; cmd/accuracy
// and the accuracy tests score them apart, each against its own floors.
//
// # Scoring
//
// Score counts a finding as a true positive when it is in a labelled
// secret's file, its line lies within [Line-Pre, Line+Span] and its rule is
// of the label's kind (RuleKinds: a provider's secret needs that provider's
// rule; a generic or credential-file secret accepts generic, credential-file
// and other format rules); each label counts once and further hits on it
// are duplicates. A secret reported only by rules of another kind stays
// missed and is listed apart as a generic or other-rule hit. Everything
// else is a false positive (attributed to a bait label when it landed on
// one).
//
// # Concurrency
//
// Generate writes only under its destination directory and may run
// concurrently with itself; generated RSA keys are cached process-wide in a
// sync.Map. Score and the Labels methods are pure.
package corpus
