#!/usr/bin/env bash
# Deploy the portal bundle to the legacy app servers.
set -euo pipefail

export AWS_ACCESS_KEY_ID=@@SECRET:aws-access-key-id@@
export AWS_SECRET_ACCESS_KEY=@@SECRET:aws-secret-access-key@@
export AWS_DEFAULT_REGION=us-east-1

DB_PASSWORD="@@BAIT:env-reference@@${DB_PASSWORD:?DB_PASSWORD must be set}"
RELEASE=$(git rev-parse --short HEAD)

curl -sf -u "@@SECRET:curl-basic-auth@@" -T "build/portal-${RELEASE}.tar.gz" https://nexus.stmarys.internal/repository/releases/

# smoke test against the sandbox
curl -sf -H "Authorization: Bearer @@SECRET:epic-access-token@@" \
  "https://fhir.epic.com/interconnect-fhir-oauth/api/FHIR/R4/Patient/@@BAIT:doc-example@@erXuFYUfucBZaryVksYEcMg3"

mysql -h reporting.stmarys.internal -u report -p'@@SECRET:generic-password@@' -e "CALL refresh_dashboards();"
sshpass -p '@@SECRET:generic-password/pwhuman@@' scp "build/portal-${RELEASE}.tar.gz" deploy@legacy-app01:/opt/portal/
echo "deployed ${RELEASE}"
