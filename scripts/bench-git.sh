#!/usr/bin/env bash
# Time sprawl's full-history scan against `git cat-file --batch-all-objects
# --batch` on the same repository, and `sprawl scan staged` against
# `git diff --cached -U0` on a three-file staged change.
# Usage: scripts/bench-git.sh BIN REPO [RUNS]
set -euo pipefail
bin=$(realpath "${1:?sprawl binary}"); repo=${2:?repository}; runs=${3:-5}
# check runs "$@" and fails the benchmark unless it exits 0 or 1 (sprawl's
# "findings"): a crash must not be timed as a fast run.
check() {
  local rc=0
  "$@" >/dev/null 2>/tmp/bench-git.err || rc=$?
  if [ "$rc" -gt 1 ]; then
    echo "bench-git: '$*' failed (exit $rc):" >&2; tail -n 5 /tmp/bench-git.err >&2; exit 1
  fi
}
best() {
  local b=999999 t s e
  for _ in $(seq "$runs"); do
    s=$(date +%s.%N); check "$@"; e=$(date +%s.%N)
    b=$(awk -v s="$s" -v e="$e" -v b="$b" 'BEGIN{t=e-s; print (t<b)?t:b}')
  done
  echo "$b"
}
commits=$(git -C "$repo" rev-list --all --count)
blobs=$(git -C "$repo" rev-list --objects --all --filter=object:type=blob | grep -c ' ')
bytes=$(git -C "$repo" cat-file --batch-all-objects --batch-check='%(objecttype) %(objectsize)' | awk '$1=="blob"{s+=$2} END{print s}')
cat_t=$(best git -C "$repo" cat-file --batch-all-objects --batch)
scan_t=$(best "$bin" scan git "$repo" --quiet --format json --output /dev/null --max-file-size 0)
check /usr/bin/time -f '%M' -o /tmp/bench-git.rss "$bin" scan git "$repo" --quiet --format json --output /dev/null
awk -v c="$commits" -v bl="$blobs" -v by="$bytes" -v ct="$cat_t" -v st="$scan_t" -v rss="$(tail -n 1 /tmp/bench-git.rss)" 'BEGIN{
  printf "repo: %d commits, %d blobs, %.1f MiB of blob content\n", c, bl, by/1048576
  printf "git cat-file --batch-all-objects --batch: %.3fs\n", ct
  printf "sprawl scan git:                         %.3fs (%.0f MiB/s, peak RSS %.0f MiB)\n", st, by/1048576/st, rss/1024
  printf "ratio: %.2fx (target <= 4x)\n", st/ct
}'

# Staged: a work tree with three changed files.
wt=$(mktemp -d); trap 'rm -rf "$wt"' EXIT
git clone -q "$repo" "$wt/w" 2>/dev/null
cd "$wt/w"
n=0
for f in $(git ls-files | head -3); do n=$((n+1)); printf '\n// edit %d\nvar x%d = 1\n' "$n" "$n" >> "$f"; done
git add -A
staged=$(git diff --cached --name-only | wc -l)
[ "$staged" = 3 ] || { echo "bench-git: expected 3 staged files, got $staged" >&2; exit 1; }
diff_t=$(best git diff --cached -U0)
staged_t=$(best "$bin" scan staged --quiet)
awk -v d="$diff_t" -v s="$staged_t" 'BEGIN{
  printf "git diff --cached -U0: %.4fs\nsprawl scan staged:    %.4fs\nratio: %.1fx (target <= 10x)\n", d, s, s/d
}'
