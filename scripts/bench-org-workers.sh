#!/usr/bin/env bash
# bench-org-workers.sh BIN — 200 repositories × 400 commits behind a fake
# GitHub, enqueued on a throwaway PostgreSQL and scanned by 1, 2 and 4
# `sprawl worker` processes running BIN; prints wall time, jobs/s and the
# peak RSS of each worker. Fails on any failed command or test.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:?usage: $0 path/to/sprawl}
test -x "$BIN" || { echo "bench-org-workers: $BIN is not an executable" >&2; exit 2; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
if ! SPRAWL_BENCH_ORG_WORKERS=1 SPRAWL_BENCH_BIN="$BIN" SPRAWL_BENCH_ORG_COMMITS="${SPRAWL_BENCH_ORG_COMMITS:-400}" \
	scripts/with-postgres.sh go test -count=1 -timeout 90m -run '^TestOrgWorkersBench$' -v ./cmd/sprawl/ >"$out" 2>&1; then
	cat "$out" >&2
	echo "bench-org-workers: FAILED" >&2
	exit 1
fi
grep -E 'generated|single process|workers=|^(ok|FAIL|---)' "$out"
