#!/usr/bin/env bash
# Scan Go's own source tree with sprawl and count ripgrep's keyword
# matches in it, runs alternating between the two; print the medians,
# throughput, peak memory and the ratio.
# Usage: scripts/bench-goroot.sh BIN DIR [RUNS]
set -euo pipefail
bin=${1:?sprawl binary}; dir=${2:?directory}; runs=${3:-5}
[ -d "$dir" ] || { echo "bench-goroot: $dir is not a directory" >&2; exit 1; }
command -v rg >/dev/null || { echo "bench-goroot: ripgrep (rg) not installed" >&2; exit 1; }
bytes=$(du -sb --apparent-size "$dir" | cut -f1)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# Warm the page cache (files over 20 MB are not scanned by either).
find "$dir" -type f -size -20M -exec cat {} + >/dev/null

# timed NAME CMD...: appends "seconds peak-RSS-KB cpu-seconds" of one run to
# $tmp/NAME. Exit 0 or 1 (findings / no matches) only: a crash must not
# be timed as a fast run.
timed() {
  local name=$1 rc=0; shift
  /usr/bin/time -f '%e %M %U %S' -o "$tmp/time" "$@" >/dev/null 2>"$tmp/err" || rc=$?
  if [ "$rc" -gt 1 ]; then
    echo "bench-goroot: '$*' failed (exit $rc):" >&2; tail -n 5 "$tmp/err" >&2; exit 1
  fi
  tail -n 1 "$tmp/time" | awk '{print $1, $2, $3+$4}' >>"$tmp/$name"
}
for _ in $(seq "$runs"); do
  timed rg rg -c -i 'key|secret|token|password|passwd|auth|credential' "$dir"
  timed sprawl "$bin" scan dir "$dir" --quiet --format json --output /dev/null --max-file-size 0
done
# median FILE: the median time, the largest peak RSS and the median CPU
# time (user+system, which a busy machine disturbs less).
median() {
  local cpu
  cpu=$(awk '{print $3}' "$1" | sort -n | awk '{c[NR]=$1} END{print c[int((NR+1)/2)]}')
  sort -n "$1" | awk -v cpu="$cpu" '{t[NR]=$1; if ($2>m) m=$2} END{print t[int((NR+1)/2)], m, cpu}'
}
read -r rg_t rg_rss rg_cpu < <(median "$tmp/rg")
read -r sp_t sp_rss sp_cpu < <(median "$tmp/sprawl")
mib=$(awk -v b="$bytes" 'BEGIN{printf "%.1f", b/1048576}')
awk -v rg="$rg_t" -v sp="$sp_t" -v rgc="$rg_cpu" -v spc="$sp_cpu" -v mib="$mib" -v rrss="$rg_rss" -v srss="$sp_rss" -v n="$runs" 'BEGIN{
  printf "tree:    %s MiB; medians of %d alternating runs\n", mib, n
  printf "ripgrep: %.2fs  %.0f MiB/s  cpu %.2fs  peak RSS %.0f MiB\n", rg, mib/rg, rgc, rrss/1024
  printf "sprawl:  %.2fs  %.0f MiB/s  cpu %.2fs  peak RSS %.0f MiB\n", sp, mib/sp, spc, srss/1024
  printf "ratio trees: %.2f× ripgrep (target <= 3×, peak RSS < 300 MiB); cpu %.2f×\n", sp/rg, spc/rgc
}'
