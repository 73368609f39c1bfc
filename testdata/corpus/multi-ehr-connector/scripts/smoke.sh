#!/usr/bin/env bash
# Cerner system-account token smoke test.
set -euo pipefail
curl -sf -X POST \
  -H "Authorization: Basic @@SECRET:http-basic-auth@@" \
  -H "Content-Type: application/x-www-form-urlencoded" \
  -d "grant_type=client_credentials&scope=system%2FPatient.read" \
  "https://authorization.cerner.com/tenants/$CERNER_TENANT/protocols/oauth2/profiles/smart-v1/token"
