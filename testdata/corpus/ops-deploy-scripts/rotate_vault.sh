#!/usr/bin/env bash
set -euo pipefail
export VAULT_ADDR=https://vault.stmarys.internal:8200
export VAULT_TOKEN=@@SECRET:vault-token@@

current=$(vault kv get -field=password secret/fhir/db)
read -rsp "@@BAIT:i18n-string@@Enter new DB password: " NEW_PASSWORD
echo
vault kv put secret/fhir/db password="@@BAIT:env-reference@@$NEW_PASSWORD"
