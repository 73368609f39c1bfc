#!/usr/bin/env bash
# Time `sprawl scan image` on an OCI layout of 10 layers / 50,000 files
# against extracting the same layers with `tar -xzf` into a tmpfs
# directory, base layer first, as a container runtime unpacks them; print
# both (wall and CPU) and sprawl's peak RSS.
# Usage: scripts/bench-image.sh BIN [FROM] [RUNS]
#   FROM: a directory tree whose first 50,000 regular files (<= 1 MiB)
#         make the image's files (default /usr: a real system's files);
#         "synthetic" generates text files instead.
set -euo pipefail
bin=$(realpath "${1:?sprawl binary}"); from=${2:-/usr}; runs=${3:-3}
work=$(mktemp -d); tmpfs=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'rm -rf "$work" "$tmpfs"' EXIT
[ "$from" = synthetic ] && from=""
SPRAWL_BENCH_IMAGE_DIR=$work SPRAWL_BENCH_IMAGE_FROM=$from \
  go test -count=1 -run '^TestWriteBenchImage$' ./scanner/image/ >/dev/null
# timed CMD… prints "wall cpu rss_kb" for one run (CPU: user+sys of the
# command and its children) and fails unless the exit code is 0 or 1.
timed() {
  local rc=0
  /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" >/dev/null 2>"$work/err" || rc=$?
  if [ "$rc" -gt 1 ]; then echo "bench-image: '$*' failed (exit $rc):" >&2; tail -n 5 "$work/err" >&2; exit 1; fi
  awk '{print $1, $2+$3, $4}' "$work/time" | tail -n 1
}
extract() { rm -rf "$tmpfs/x"; mkdir "$tmpfs/x"; while read -r f; do tar -xzf "$f" -C "$tmpfs/x"; done < "$work/layers.txt"; }
export -f extract; export tmpfs work
best_tar="" best_scan=""
for _ in $(seq "$runs"); do
  t=$(timed bash -c extract); s=$(timed "$bin" scan image "$work/oci" --quiet --format json --output /dev/null)
  best_tar=$(printf '%s\n%s\n' "$best_tar" "$t" | awk 'NF' | sort -n | head -n 1)
  best_scan=$(printf '%s\n%s\n' "$best_scan" "$s" | awk 'NF' | sort -n | head -n 1)
done
files=$(find "$tmpfs/x" -type f ! -name '.wh.*' | wc -l)
bytes=$(du -sb "$tmpfs/x" | cut -f1)
read -r tw tc _ <<<"$best_tar"; read -r sw sc rss <<<"$best_scan"
awk -v f="$files" -v by="$bytes" -v tw="$tw" -v tc="$tc" -v sw="$sw" -v sc="$sc" -v rss="$rss" -v src="${from:-synthetic}" 'BEGIN{
  printf "image: 10 layers, 50,000 files from %s (tar leaves %d files, %.0f MiB)\n", src, f, by/1048576
  printf "tar -xzf each layer to tmpfs: %.2fs wall, %.2fs CPU\n", tw, tc
  printf "sprawl scan image:            %.2fs wall, %.2fs CPU, peak RSS %.0f MiB\n", sw, sc, rss/1024
  printf "ratio: %.2fx wall, %.2fx CPU (target <= 2x wall; RSS <= 300 MB)\n", sw/tw, sc/tc
}'
