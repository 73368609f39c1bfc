#!/usr/bin/env bash
# Time `sprawl scan staged` against `git diff --cached -U0` on what a
# pre-commit hook typically sees: three staged files, one of them a large
# source file (Go's net/http/server.go, about 130 KB), one a YAML file
# with a password added, one a small text file. Runs alternate between the
# two commands; the medians are compared. Given a second binary (BASE, an
# earlier build), it runs in the same rotation, for before/after figures
# from one run. CPU time (user+system, the git children included) is
# reported beside wall time: load from other work disturbs it less.
# Usage: scripts/bench-staged.sh BIN [RUNS] [BASE]
set -euo pipefail
bin=$(realpath "${1:?sprawl binary}"); runs=${2:-31}
base=""; [ -n "${3:-}" ] && base=$(realpath "$3")
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
for b in "$bin" ${base:+"$base"}; do
  rc=0
  "$b" scan staged --quiet --format json --output "$wt/findings.json" 2>"$wt/err" || rc=$?
  if [ "$rc" != 1 ]; then
    echo "bench-staged: $b scan staged exited $rc, want 1 (the staged password):" >&2
    tail -n 5 "$wt/err" >&2; exit 1
  fi
  n=$(grep -o '"rule_id"' "$wt/findings.json" | wc -l)
  [ "$n" = 1 ] || { echo "bench-staged: $b: $n findings, want 1" >&2; exit 1; }
done

# cpu: sets $cpu_ms to this shell's children's CPU time so far, in
# milliseconds, from bash's `times`, without starting a process (whose
# time would count; a $(…) subshell would count its own children, none).
cpu() {
  local u s
  times >"$wt/times"
  { read -r _ _; read -r u s; } <"$wt/times"
  ms "$u"; cpu_ms=$ms_v
  ms "$s"; cpu_ms=$(( cpu_ms + ms_v ))
}
# ms 1m2.345s: sets $ms_v to 62345.
ms() { local m=${1%%m*} x=${1#*m}; x=${x%s}; ms_v=$(( m * 60000 + 10#${x/./} )); }

# timed NAME CMD...: appends the wall and CPU microseconds/milliseconds of
# one run to $wt/NAME.wall and $wt/NAME.cpu; fails unless the exit code is
# the expected one ($want).
timed() {
  local name=$1 s e c0 rc=0; shift
  cpu; c0=$cpu_ms; s=$EPOCHREALTIME
  "$@" >/dev/null 2>"$wt/err" || rc=$?
  e=$EPOCHREALTIME; cpu
  if [ "$rc" != "$want" ]; then
    echo "bench-staged: '$*' exited $rc, want $want:" >&2; tail -n 5 "$wt/err" >&2; exit 1
  fi
  echo $(( (${e/./} - ${s/./}) )) >>"$wt/$name.wall"
  echo $(( cpu_ms - c0 )) >>"$wt/$name.cpu"
}
: >"$wt/diff.wall"; : >"$wt/diff.cpu"; : >"$wt/scan.wall"; : >"$wt/scan.cpu"; : >"$wt/base.wall"; : >"$wt/base.cpu"
for _ in $(seq "$runs"); do
  want=0 timed diff git diff --cached -U0
  want=1 timed scan "$bin" scan staged --quiet
  [ -z "$base" ] || want=1 timed base "$base" scan staged --quiet
done
median() { sort -n "$1" | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
d=$(median "$wt/diff.wall"); s=$(median "$wt/scan.wall")
dc=$(median "$wt/diff.cpu"); sc=$(median "$wt/scan.cpu")
awk -v d="$d" -v s="$s" -v dc="$dc" -v sc="$sc" -v n="$runs" -v kb="$(( $(stat -c %s server.go) / 1024 ))" 'BEGIN{
  printf "staged: 3 files (server.go %d KB, config.yaml with a password, NOTES.md); medians of %d alternating runs\n", kb, n
  printf "git diff --cached -U0: %6.1f ms (cpu %d ms)\n", d/1000, dc
  printf "sprawl scan staged:    %6.1f ms (cpu %d ms)\n", s/1000, sc
}'
if [ -n "$base" ]; then
  b=$(median "$wt/base.wall"); bc=$(median "$wt/base.cpu")
  awk -v d="$d" -v b="$b" -v bc="$bc" 'BEGIN{
    printf "base scan staged:      %6.1f ms (cpu %d ms), ratio %.2f× git diff\n", b/1000, bc, b/d
  }'
fi
awk -v d="$d" -v s="$s" 'BEGIN{
  printf "ratio staged: %.2f× git diff (target <= 5×, and under 25 ms)\n", s/d
}'
