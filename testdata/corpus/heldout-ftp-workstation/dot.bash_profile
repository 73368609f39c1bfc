# ~/.bash_profile
export PATH="$HOME/bin:$PATH"
export EDITOR=vim
export PORTAL_DB_PASSWORD=@@SECRET:credfile-password/passphrase@@
export LDAP_BIND_PASSWORD='@@SECRET:credfile-password/wordyear@@'
export SMTP_PASSWORD="$(pass show clinic/smtp)"
export VAULT_ADDR=https://vault.stmarys.internal
