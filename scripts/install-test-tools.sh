#!/usr/bin/env bash
# install-test-tools.sh — the programs `make test` drives besides Go:
# headless Chromium for the HTML report test and Debian's pre-commit for the
# hook-manifest test (cmd/sprawl/precommit_test.go); and ripgrep, the
# yardstick of scripts/bench-goroot.sh (`make bench`). As root it installs
# the Debian packages that are missing; otherwise it only reports.
set -euo pipefail
cd "$(dirname "$0")"
./install-chromium.sh
missing=()
command -v pre-commit >/dev/null 2>&1 || missing+=(pre-commit)
command -v rg >/dev/null 2>&1 || missing+=(ripgrep)
if [ "${#missing[@]}" -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-test-tools: not root; install Debian's ${missing[*]} package(s)" >&2
	# make test needs pre-commit; ripgrep only make bench.
	[ "${missing[*]}" = ripgrep ] && exit 0
	exit 1
fi
echo "install-test-tools: installing Debian's ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
command -v pre-commit >/dev/null
command -v rg >/dev/null
