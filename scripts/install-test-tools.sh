#!/usr/bin/env bash
# install-test-tools.sh — the programs `make test` drives besides Go:
# headless Chromium for the HTML report test and Debian's pre-commit for the
# hook-manifest test (cmd/sprawl/precommit_test.go). As root it installs the
# Debian packages that are missing; otherwise it only reports.
set -euo pipefail
cd "$(dirname "$0")"
./install-chromium.sh
if command -v pre-commit >/dev/null 2>&1; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-test-tools: no pre-commit on PATH and not root; install Debian's pre-commit package" >&2
	exit 1
fi
echo "install-test-tools: installing Debian's pre-commit package" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends pre-commit >/dev/null
command -v pre-commit >/dev/null
