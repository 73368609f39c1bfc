cd ~/src/popsync
export OPENAI_API_KEY=@@SECRET:openai-api-key@@
python scripts/summarize_notes.py --limit 50
mysql -u root -p
psql "@@SECRET:postgres-uri@@"
export GITHUB_TOKEN=@@SECRET:github-classic-pat@@
gh pr list --author @me
history | grep password
kubectl -n fhir get secret epic-backend -o jsonpath='{.data.EPIC_CLIENT_SECRET}' | base64 -d
