#!/usr/bin/env bash
# Time `sprawl scan staged` against `git diff --cached -U0` on what a
# pre-commit hook typically sees: three staged files, one of them a large
# source file (Go's net/http/server.go, about 130 KB), one a YAML file
# with a password added, one a small text file. Runs alternate between the
# two commands; the medians are compared.
# Usage: scripts/bench-staged.sh BIN [RUNS]
set -euo pipefail
bin=$(realpath "${1:?sprawl binary}"); runs=${2:-31}
src=$(go env GOROOT)/src/net/http/server.go
[ -f "$src" ] || { echo "bench-staged: $src not found" >&2; exit 1; }

wt=$(mktemp -d); trap 'rm -rf "$wt"' EXIT
cd "$wt"
git init -q .
git config user.name bench; git config user.email bench@example.invalid
cp "$src" server.go
printf 'db:\n  host: db.internal\n' > config.yaml
printf '# notes\n' > NOTES.md
git add -A && git commit -qm base
printf '\n// edited\nvar benchEdited = 1\n' >> server.go
# A synthetic password, built here so that no file holds it.
printf '  password: "%s"\n' "Zq8vL2mN$((4000 + RANDOM % 1000))xR7tK9w" >> config.yaml
printf 'more notes\n' >> NOTES.md
git add -A
staged=$(git diff --cached --name-only | wc -l)
[ "$staged" = 3 ] || { echo "bench-staged: expected 3 staged files, got $staged" >&2; exit 1; }

# The scan must find exactly the password: exit 1 and one finding. Any
# other outcome (a crash, a usage error, nothing found) fails the bench
# instead of being timed.
rc=0
"$bin" scan staged --quiet --format json --output "$wt/findings.json" 2>"$wt/err" || rc=$?
if [ "$rc" != 1 ]; then
  echo "bench-staged: sprawl scan staged exited $rc, want 1 (the staged password):" >&2
  tail -n 5 "$wt/err" >&2; exit 1
fi
n=$(grep -o '"rule_id"' "$wt/findings.json" | wc -l)
[ "$n" = 1 ] || { echo "bench-staged: $n findings, want 1" >&2; exit 1; }

# timed CMD...: microseconds of one run; fails unless the exit code is
# the expected one ($want).
timed() {
  local s e rc=0
  s=$EPOCHREALTIME
  "$@" >/dev/null 2>"$wt/err" || rc=$?
  e=$EPOCHREALTIME
  if [ "$rc" != "$want" ]; then
    echo "bench-staged: '$*' exited $rc, want $want:" >&2; tail -n 5 "$wt/err" >&2; exit 1
  fi
  echo $(( (${e/./} - ${s/./}) ))
}
: >"$wt/diff"; : >"$wt/scan"
for _ in $(seq "$runs"); do
  want=0 timed git diff --cached -U0 >>"$wt/diff"
  want=1 timed "$bin" scan staged --quiet >>"$wt/scan"
done
median() { sort -n "$1" | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
d=$(median "$wt/diff"); s=$(median "$wt/scan")
awk -v d="$d" -v s="$s" -v n="$runs" -v kb="$(( $(stat -c %s server.go) / 1024 ))" 'BEGIN{
  printf "staged: 3 files (server.go %d KB, config.yaml with a password, NOTES.md); medians of %d alternating runs\n", kb, n
  printf "git diff --cached -U0: %6.1f ms\n", d/1000
  printf "sprawl scan staged:    %6.1f ms\n", s/1000
  printf "ratio staged: %.2f× git diff (target <= 5×, and under 25 ms)\n", s/d
}'
