// Package detectors turns bytes into matches: it owns the rule model, the
// embedded rule catalogue (rules/*.yaml, one file per provider), the
// keyword prefilter, the RE2 patterns, entropy, checksum validators and the
// false-positive filters.
//
// The package is pure: no I/O beyond reading its own embedded files or a
// rule file the caller names, no logging, no goroutines. A Matcher is safe
// for concurrent use; rules compile lazily on first use behind a sync.Once,
// so a scan that never meets a rule's keywords never pays for its pattern.
//
// Matching runs in stages. An Aho-Corasick automaton (keywords.go) finds
// every keyword in the input, ignoring ASCII case without copying or
// lowering the input; each rule whose keyword occurs runs its
// pattern only on windows around those hits (DefaultWindow bytes each side,
// widened to whole lines). A candidate must then pass the rule's minimum
// length and entropy, its checksum validator if it names one, its context
// expression if it has one, the shared false-positive filters (placeholders,
// templates, environment lookups, published example values) and the
// allowlists. A generic rule's match gives way to a provider rule's match
// of the same secret.
//
// MatchMemo is Match for inputs that repeat each other, such as the
// versions of a file through a history: through a Memo (memo.go) it reuses
// the keyword hits and decoded runs of blocks of lines, and a pattern's
// matches in windows and lines, it met before, with the same result.
//
// Credential-file rules (Rule.CredentialFile) match formats that exist to
// hold credentials and replace those filters with a narrow one
// (Placeholder): every other value is reported, and a weak one (Weak, or
// one failing the rule's length, entropy or allow list) is reported as the
// rule's weak twin, tagged TagWeak one severity lower. Rule.Decode names a
// decoder in Decoders for formats that encode the password (FileZilla,
// WinSCP, stored URLs). Password-class findings of any rule that are weak
// carry the tag too.
package detectors
