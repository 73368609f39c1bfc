#!/usr/bin/env bash
# compare-gitleaks.sh: does 'sprawl rules import' of gitleaks's own default
# config find what gitleaks finds? Builds gitleaks from the Go module proxy
# into a temporary directory (never part of this module), imports the
# config that gitleaks ships, generates the accuracy corpus, scans it with
# both (sprawl with the imported rules only) and compares the sets of
# (file, line) findings.
#
#   scripts/compare-gitleaks.sh [WORKDIR]
#
# Needs go and jq. Prints the import summary and the counts; the lists of
# differences stay in WORKDIR (only-gitleaks.txt, only-sprawl.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-$(mktemp -d)}
mkdir -p "$work"
export GOBIN="$work/bin"
version=${GITLEAKS_VERSION:-latest}
GOFLAGS=-mod=mod go install "github.com/zricethezav/gitleaks/v8@$version"
gl="$GOBIN/gitleaks"
modver=$(go version -m "$gl" | awk '$1 == "mod" {print $3}')
cfg="$(go env GOMODCACHE)/github.com/zricethezav/gitleaks/v8@$modver/config/gitleaks.toml"
echo "gitleaks $modver, config $cfg"

go build -o "$work/sprawl" ./cmd/sprawl
sp="$work/sprawl"
rm -rf "$work/corpus"
go run ./internal/corpus/cmd/accuracy -gen "$work/corpus" >/dev/null

# Import, keeping the summary: nothing may be dropped without a line in it.
"$sp" rules import "$cfg" -o "$work/gitleaks-rules.yaml" 2>"$work/import.txt"
cat "$work/import.txt"

# sprawl with the imported rules only: every built-in rule disabled.
{
	echo "rules: [$work/gitleaks-rules.yaml]"
	echo "disable-rules:"
	"$sp" rules list -f json -c /dev/null | jq -r '.[].id | "  - " + .'
} >"$work/sprawl.yaml"

(cd "$work/corpus" && "$gl" dir . --config "$cfg" --no-banner --exit-code 0 \
	--report-format json --report-path "$work/gitleaks.json" --log-level error)
"$sp" scan dir "$work/corpus" -c "$work/sprawl.yaml" -f json -o "$work/sprawl.json" -q || [ $? -eq 1 ]

# A finding is the same place in both when sprawl's line (the secret's)
# lies within gitleaks's StartLine..EndLine (the whole match's).
jq -r '.[] | [(.File | ltrimstr("./")), .StartLine, .EndLine] | @tsv' "$work/gitleaks.json" | grep -v '^labels.json' | sort -u >"$work/gitleaks.tsv"
jq -r '(if type == "array" then . else .findings end) | .[] | [.file, .line] | @tsv' "$work/sprawl.json" | grep -v '^labels.json' | sort -u >"$work/sprawl.tsv"
awk -F'\t' -v out="$work" '
	FNR == NR { n[$1]++; s[$1, n[$1]] = $2; e[$1, n[$1]] = $3; next }
	{ sp[++m] = $0; f[m] = $1; l[m] = $2 }
	END {
		for (k in n) for (i = 1; i <= n[k]; i++) hit[k, i] = 0
		for (j = 1; j <= m; j++) {
			found = 0
			for (i = 1; i <= n[f[j]]; i++) if (l[j] >= s[f[j], i] && l[j] <= e[f[j], i]) { hit[f[j], i] = 1; found = 1 }
			if (!found) { onlysp++; print f[j] ":" l[j] > (out "/only-sprawl.txt") }
		}
		for (k in n) for (i = 1; i <= n[k]; i++) { total++; if (hit[k, i]) both++; else { onlygl++; print k ":" s[k, i] "-" e[k, i] > (out "/only-gitleaks.txt") } }
		printf "places: gitleaks %d, sprawl with the imported rules %d; gitleaks places sprawl also reports %d, only gitleaks %d, only sprawl %d\n", total, m, both, onlygl, onlysp
	}' "$work/gitleaks.tsv" "$work/sprawl.tsv"
touch "$work/only-gitleaks.txt" "$work/only-sprawl.txt"
sort -o "$work/only-gitleaks.txt" "$work/only-gitleaks.txt"
sort -o "$work/only-sprawl.txt" "$work/only-sprawl.txt"
echo "differences: $work/only-gitleaks.txt, $work/only-sprawl.txt"
