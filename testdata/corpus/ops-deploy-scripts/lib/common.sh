#!/usr/bin/env bash
PASSWORD_PROMPT="@@BAIT:i18n-string@@Password: "

get_password() {
  # @@BAIT:code-identifier@@get_password NAME -> reads NAME from the vault, never echoes it
  vault kv get -field=password "secret/$1"
}

require_token() {
  [ -n "@@BAIT:env-reference@@${VAULT_TOKEN:-}" ] || { echo "VAULT_TOKEN not set" >&2; exit 1; }
}
