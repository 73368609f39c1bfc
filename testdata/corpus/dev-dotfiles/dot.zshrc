export EDITOR=nvim
export PATH="$HOME/.local/bin:$PATH"
export NVM_DIR="$HOME/.nvm"
export ANTHROPIC_API_KEY="@@SECRET:anthropic-api-key@@"
export HOMEBREW_GITHUB_API_TOKEN=@@SECRET:github-classic-pat@@
alias k=kubectl
alias tf=terraform
[ -f ~/.secrets ] && source @@BAIT:file-reference@@~/.secrets
