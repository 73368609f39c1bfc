#!/usr/bin/env bash
# Time sprawl's full-history scan against `git cat-file --batch-all-objects
# --batch` on the same repository (runs interleaved, medians compared), and
# `sprawl scan staged` against `git diff --cached -U0` on a three-file
# staged change. With GITLEAKS or BETTERLEAKS naming a binary, their
# history scans are timed beside.
# Usage: scripts/bench-git.sh BIN REPO [RUNS]
# Prints, among others, the line `ratio history: X.XX× cat-file`.
set -euo pipefail
bin=$(realpath "${1:?sprawl binary}"); repo=$(realpath "${2:?repository}"); runs=${3:-5}
err=$(mktemp); tmp=$(mktemp -d); trap 'rm -rf "$err" "$tmp"' EXIT
# check runs "$@" and fails the benchmark unless it exits 0, or 1 when
# that is the command's "findings" (sprawl, gitleaks and Betterleaks): a
# crash must never be timed as a fast run.
check() {
  local ok=$1 rc=0; shift
  "$@" >/dev/null 2>"$err" || rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -gt "$ok" ]; then
    echo "bench-git: '$*' failed (exit $rc):" >&2; tail -n 5 "$err" >&2; exit 1
  fi
}
# timed prints the seconds one checked run of "$@" takes.
timed() {
  local s e
  s=$(date +%s.%N); check "$@"; e=$(date +%s.%N)
  awk -v s="$s" -v e="$e" 'BEGIN{printf "%.4f\n", e-s}'
}
# cputimed prints the wall seconds of one checked run of "$@" and, after
# a comma, the CPU seconds (user and system) of it and its children,
# which load on a shared machine disturbs less.
cputimed() {
  local ok=$1 s e c rc=0; shift
  if [ ! -x /usr/bin/time ]; then echo "$(timed "$ok" "$@"),nan"; return; fi
  s=$(date +%s.%N)
  /usr/bin/time -f '%U %S' -o "$tmp/cpu" "$@" >/dev/null 2>"$err" || rc=$?
  e=$(date +%s.%N)
  if [ "$rc" -ne 0 ] && [ "$rc" -gt "$ok" ]; then
    echo "bench-git: '$*' failed (exit $rc):" >&2; tail -n 5 "$err" >&2; exit 1
  fi
  c=$(awk 'NF==2 && $1 ~ /^[0-9.]+$/ {print $1+$2}' "$tmp/cpu" | tail -n 1)
  awk -v s="$s" -v e="$e" -v c="${c:-nan}" 'BEGIN{printf "%.4f,%s\n", e-s, c}'
}
median() { sort -g | awk '{a[NR]=$1} END{print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

commits=$(git -C "$repo" rev-list --all --count)
blobs=$(git -C "$repo" rev-list --objects --all --filter=object:type=blob | awk 'NF>1{n++} END{print n+0}')
bytes=$(git -C "$repo" cat-file --batch-all-objects --batch-check='%(objecttype) %(objectsize)' | awk '$1=="blob"{s+=$2} END{print s+0}')
[ "$commits" -gt 0 ] || { echo "bench-git: $repo has no commits" >&2; exit 1; }

names=(cat-file sprawl)
cmds=("0 git -C $repo cat-file --batch-all-objects --batch"
      "1 $bin scan git $repo --quiet --format json --output /dev/null --max-file-size 0")
# Their reports go to a scratch file: gitleaks removes its report path
# after checking it can create it, which would take /dev/null away.
if [ -n "${GITLEAKS:-}" ]; then
  names+=(gitleaks); cmds+=("1 $(realpath "$GITLEAKS") git $repo --no-banner --log-level error --report-path $tmp/gitleaks.json --log-opts=--all")
fi
if [ -n "${BETTERLEAKS:-}" ]; then
  names+=(betterleaks); cmds+=("1 $(realpath "$BETTERLEAKS") git $repo --no-banner --log-level error --report-path $tmp/betterleaks.json --log-opts=--all")
fi
declare -A times cpus
for _ in $(seq "$runs"); do
  for i in "${!cmds[@]}"; do
    # shellcheck disable=SC2086 # the command lines are word lists
    r=$(cputimed ${cmds[$i]})
    times[$i]+="${r%,*} "; cpus[$i]+="${r#*,} "
  done
done
declare -A med cpu
for i in "${!cmds[@]}"; do
  med[$i]=$(tr ' ' '\n' <<<"${times[$i]}" | grep . | median)
  cpu[$i]=$(tr ' ' '\n' <<<"${cpus[$i]}" | grep . | median)
done
# Peak resident memory of the whole process tree (sprawl and its git
# children), sampled by scripts/treerss.
treerss=$(mktemp); (cd "$(dirname "$0")/.." && go build -o "$treerss" ./scripts/treerss)
rc=0; out=$("$treerss" -- "$bin" scan git "$repo" --quiet --format json --output /dev/null 2>&1 >/dev/null) || rc=$?
rm -f "$treerss"
[ "$rc" -le 1 ] || { echo "bench-git: sprawl scan git failed (exit $rc) under treerss: $out" >&2; exit 1; }
rss=$(grep '^peak RSS' <<<"$out")

printf 'repo: %d commits, %d blobs, %.1f MiB of blob content; medians of %d interleaved runs\n' "$commits" "$blobs" "$(awk -v b="$bytes" 'BEGIN{print b/1048576}')" "$runs"
for i in "${!cmds[@]}"; do
  awk -v n="${names[$i]}" -v t="${med[$i]}" -v c="${med[0]}" -v by="$bytes" -v cpu="${cpu[$i]}" 'BEGIN{
    printf "%-12s %.3fs  %6.0f MiB/s  %.2f× cat-file  (CPU %ss)\n", n, t, by/1048576/t, t/c, cpu }'
done
echo "sprawl ${rss:-peak RSS: not measured}"
awk -v s="${med[1]}" -v c="${med[0]}" 'BEGIN{printf "ratio history: %.2f× cat-file\n", s/c}'

# Staged: a work tree with three changed files.
wt=$(mktemp -d); trap 'rm -rf "$wt" "$err" "$tmp"' EXIT
git clone -q "$repo" "$wt/w"
cd "$wt/w"
n=0
for f in $(git ls-files | head -3); do n=$((n+1)); printf '\n// edit %d\nvar x%d = 1\n' "$n" "$n" >> "$f"; done
git add -A
staged=$(git diff --cached --name-only | wc -l)
[ "$staged" = 3 ] || { echo "bench-git: expected 3 staged files, got $staged" >&2; exit 1; }
d=""; s=""
for _ in $(seq "$runs"); do
  d+="$(timed 0 git diff --cached -U0) "; s+="$(timed 1 "$bin" scan staged --quiet) "
done
d=$(tr ' ' '\n' <<<"$d" | grep . | median); s=$(tr ' ' '\n' <<<"$s" | grep . | median)
awk -v d="$d" -v s="$s" 'BEGIN{
  printf "git diff --cached -U0: %.4fs\nsprawl scan staged:    %.4fs\nratio staged: %.1f× git diff\n", d, s, s/d
}'
