#!/usr/bin/env bash
set -euo pipefail
GITLAB_TOKEN="@@BAIT:env-reference@@${GITLAB_TOKEN:-}"
if [ -z "$GITLAB_TOKEN" ]; then
  glab auth login --hostname gitlab.com --token @@SECRET:gitlab-pat@@
fi
glab release create "v$(cat VERSION)" --notes-file CHANGELOG.md
