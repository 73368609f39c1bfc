#!/usr/bin/env bash
set -euo pipefail
: "@@BAIT:env-reference@@${EPIC_CLIENT_SECRET:?EPIC_CLIENT_SECRET must be set}"
: "${DATABASE_URL:?DATABASE_URL must be set}"
aws ecs update-service --cluster clinic --service portal --force-new-deployment
