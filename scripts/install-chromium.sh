#!/usr/bin/env bash
# install-chromium.sh — make sure a headless Chromium is on PATH for the
# HTML report test (reports/quarterly_browser_test.go). As root it installs
# Debian's chromium package when missing; otherwise it only reports.
set -euo pipefail
for b in chromium chromium-browser google-chrome; do
	if command -v "$b" >/dev/null 2>&1; then
		exit 0
	fi
done
if [ "$(id -u)" -ne 0 ]; then
	echo "install-chromium: no chromium on PATH and not root; install Debian's chromium package" >&2
	exit 1
fi
echo "install-chromium: installing Debian's chromium package" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
command -v chromium >/dev/null
