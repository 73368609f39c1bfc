package inventory

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// migration is one forward-only schema step. Statements use {{id}} for an
// auto-increment primary key column, replaced per dialect; everything else
// is SQL that SQLite and PostgreSQL read alike. Times are BIGINT Unix
// nanoseconds (UTC), booleans SMALLINT 0/1.
//
// Never edit a released migration: add a new one.
type migration struct {
	version int
	name    string
	stmts   []string
}

var migrations = []migration{
	{1, "initial schema", []string{
		`CREATE TABLE meta (
			key   TEXT PRIMARY KEY,
			value TEXT NOT NULL
		)`,
		`CREATE TABLE secrets (
			id            {{id}},
			fingerprint   TEXT NOT NULL UNIQUE,
			preview       TEXT NOT NULL,
			rule_id       TEXT NOT NULL,
			rule_name     TEXT NOT NULL,
			severity      INTEGER NOT NULL,
			class         TEXT NOT NULL,
			status        TEXT NOT NULL DEFAULT 'open',
			status_reason TEXT NOT NULL DEFAULT '',
			status_actor  TEXT NOT NULL DEFAULT '',
			status_at     BIGINT,
			first_seen    BIGINT NOT NULL,
			last_seen     BIGINT NOT NULL,
			first_scan_id BIGINT NOT NULL,
			regressed_at  BIGINT
		)`,
		`CREATE INDEX secrets_status ON secrets (status)`,
		`CREATE TABLE locations (
			id               {{id}},
			secret_id        BIGINT NOT NULL REFERENCES secrets (id),
			source           TEXT NOT NULL,
			repository       TEXT NOT NULL,
			path             TEXT NOT NULL,
			line             INTEGER NOT NULL,
			commit_id        TEXT NOT NULL DEFAULT '',
			author           TEXT NOT NULL DEFAULT '',
			committed_at     BIGINT,
			branch           TEXT NOT NULL DEFAULT '',
			at_tip           SMALLINT,
			first_seen       BIGINT NOT NULL,
			last_seen        BIGINT NOT NULL,
			first_scan_id    BIGINT NOT NULL,
			last_scan_id     BIGINT NOT NULL,
			returned_scan_id BIGINT,
			gone_at          BIGINT,
			-- The location identity; its (source, repository) prefix also
			-- serves marking a repository's unseen locations gone.
			UNIQUE (source, repository, path, secret_id)
		)`,
		`CREATE INDEX locations_secret ON locations (secret_id)`,
		`CREATE INDEX locations_scan ON locations (last_scan_id)`,
		`CREATE TABLE scans (
			id            {{id}},
			source        TEXT NOT NULL,
			repository    TEXT NOT NULL,
			branch        TEXT NOT NULL DEFAULT '',
			head_commit   TEXT NOT NULL DEFAULT '',
			started_at    BIGINT NOT NULL,
			finished_at   BIGINT NOT NULL,
			complete      SMALLINT NOT NULL,
			findings      INTEGER NOT NULL DEFAULT 0,
			secrets       INTEGER NOT NULL DEFAULT 0,
			new_secrets   INTEGER NOT NULL DEFAULT 0,
			locations     INTEGER NOT NULL DEFAULT 0,
			new_locations INTEGER NOT NULL DEFAULT 0,
			gone          INTEGER NOT NULL DEFAULT 0,
			regressions   INTEGER NOT NULL DEFAULT 0
		)`,
		`CREATE TABLE repositories (
			source       TEXT NOT NULL,
			repository   TEXT NOT NULL,
			last_commit  TEXT NOT NULL DEFAULT '',
			last_scan_id BIGINT NOT NULL,
			last_scan_at BIGINT NOT NULL,
			PRIMARY KEY (source, repository)
		)`,
		`CREATE TABLE status_history (
			id          {{id}},
			secret_id   BIGINT NOT NULL REFERENCES secrets (id),
			from_status TEXT NOT NULL,
			to_status   TEXT NOT NULL,
			reason      TEXT NOT NULL,
			actor       TEXT NOT NULL,
			at          BIGINT NOT NULL
		)`,
		`CREATE INDEX status_history_secret ON status_history (secret_id, id)`,
		`CREATE TABLE audit_log (
			seq       BIGINT PRIMARY KEY,
			at        BIGINT NOT NULL,
			actor     TEXT NOT NULL,
			action    TEXT NOT NULL,
			data      TEXT NOT NULL,
			prev_hash TEXT NOT NULL,
			hash      TEXT NOT NULL
		)`,
		// The head is the chain's last link as recorded at append time; every
		// mutation locks this row first, which serialises writers.
		`CREATE TABLE audit_head (
			id   INTEGER PRIMARY KEY CHECK (id = 1),
			seq  BIGINT NOT NULL,
			hash TEXT NOT NULL
		)`,
		`INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '')`,
	}},
	{2, "ci secret metadata", []string{
		// Managed CI secrets (GitHub Actions, Dependabot, Codespaces, …):
		// names, scopes and dates only. The providers never return
		// values, and this table has no column that could hold one.
		`CREATE TABLE ci_secrets (
			id          {{id}},
			provider    TEXT NOT NULL,
			store       TEXT NOT NULL,
			scope       TEXT NOT NULL,
			owner       TEXT NOT NULL,
			repository  TEXT NOT NULL DEFAULT '',
			environment TEXT NOT NULL DEFAULT '',
			name        TEXT NOT NULL,
			visibility  TEXT NOT NULL DEFAULT '',
			created_at  BIGINT,
			updated_at  BIGINT,
			first_seen  BIGINT NOT NULL,
			last_seen   BIGINT NOT NULL,
			gone_at     BIGINT,
			UNIQUE (provider, owner, store, scope, repository, environment, name)
		)`,
	}},
	// Version 3: the vault index.
	{3, "vault index", []string{
		// One row per indexed field of a secret held in a secret store
		// (Vault/OpenBao KV v2 or database static role, AWS Secrets
		// Manager, Azure Key Vault). Never a value: only its keyed
		// fingerprint, where it is and its version and dates.
		`CREATE TABLE vault_entries (
			id            {{id}},
			adapter       TEXT NOT NULL,
			store         TEXT NOT NULL,
			engine        TEXT NOT NULL,
			mount         TEXT NOT NULL,
			path          TEXT NOT NULL,
			field         TEXT NOT NULL,
			version       TEXT NOT NULL,
			version_at    BIGINT,
			created_at    BIGINT,
			updated_at    BIGINT,
			fingerprint   TEXT NOT NULL,
			auto_rotation SMALLINT NOT NULL DEFAULT 0,
			-- flag: '' none, 'rotation-required' marked in the store,
			-- 'rotated' a new value was seen and the store's mark awaits
			-- clearing.
			flag          TEXT NOT NULL DEFAULT '',
			flag_reason   TEXT NOT NULL DEFAULT '',
			flag_finding  TEXT NOT NULL DEFAULT '',
			flag_version  TEXT NOT NULL DEFAULT '',
			flagged_at    BIGINT,
			rotated_at    BIGINT,
			first_indexed BIGINT NOT NULL,
			last_indexed  BIGINT NOT NULL,
			gone_at       BIGINT,
			UNIQUE (adapter, store, mount, path, field)
		)`,
		`CREATE INDEX vault_entries_fingerprint ON vault_entries (fingerprint)`,
	}},
	// Version 5: managed secret facts (version 4 is the audit log's).
	{5, "managed secret facts", []string{
		// What each store says about a managed secret's rotation, expiry
		// and use (never a value), and the detection rule its value
		// matched when indexed, which gives its rotation class.
		`ALTER TABLE vault_entries ADD COLUMN rule_id TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE vault_entries ADD COLUMN rule_class TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE vault_entries ADD COLUMN last_rotated BIGINT`,
		`ALTER TABLE vault_entries ADD COLUMN last_changed BIGINT`,
		`ALTER TABLE vault_entries ADD COLUMN last_accessed BIGINT`,
		`ALTER TABLE vault_entries ADD COLUMN access_recorded SMALLINT NOT NULL DEFAULT 0`,
		`ALTER TABLE vault_entries ADD COLUMN next_rotation BIGINT`,
		`ALTER TABLE vault_entries ADD COLUMN rotation_period BIGINT NOT NULL DEFAULT 0`,
		`ALTER TABLE vault_entries ADD COLUMN rotation_schedule TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE vault_entries ADD COLUMN expires_at BIGINT`,
		`ALTER TABLE vault_entries ADD COLUMN not_before BIGINT`,
		`ALTER TABLE vault_entries ADD COLUMN expiry_supported SMALLINT NOT NULL DEFAULT 0`,
		// enabled: NULL when the store has no such attribute.
		`ALTER TABLE vault_entries ADD COLUMN enabled SMALLINT`,
		`ALTER TABLE vault_entries ADD COLUMN versions INTEGER NOT NULL DEFAULT 0`,
		`ALTER TABLE vault_entries ADD COLUMN max_versions INTEGER NOT NULL DEFAULT 0`,
		`ALTER TABLE vault_entries ADD COLUMN delete_version_after BIGINT NOT NULL DEFAULT 0`,
	}},
	// Version 6: class "token" means short-lived; long-lived tokens are
	// api-key. A secret may state its own expiry.
	{6, "short-lived token class and stated expiry", []string{
		`ALTER TABLE secrets ADD COLUMN expires_at BIGINT`,
		// The built-in rules that moved from token to api-key at this
		// version (a frozen list: later rule changes need their own
		// migration). Secrets of users' own rules keep their class; an
		// ingest refreshes it from the rule that found them.
		`UPDATE secrets SET class = 'api-key' WHERE class = 'token' AND rule_id IN (` + sqlStrings(longLivedTokenRulesV6) + `)`,
		`UPDATE vault_entries SET rule_class = 'api-key' WHERE rule_class = 'token' AND rule_id IN (` + sqlStrings(longLivedTokenRulesV6) + `)`,
	}},
	// Version 7: the verification history: what a provider said of a
	// secret each time a scan asked (--verify). Keyed fingerprint only (by
	// secret_id), never the value; identity holds the validator's safe
	// identity fields as JSON.
	{7, "verification history", []string{
		`CREATE TABLE verifications (
			id         {{id}},
			secret_id  BIGINT NOT NULL REFERENCES secrets (id),
			scan_id    BIGINT NOT NULL,
			rule_id    TEXT NOT NULL,
			status     TEXT NOT NULL,
			checked_at BIGINT NOT NULL,
			identity   TEXT NOT NULL DEFAULT '',
			reason     TEXT NOT NULL DEFAULT ''
		)`,
		`CREATE INDEX verifications_secret ON verifications (secret_id, checked_at, id)`,
	}},
	// Version 8: why a location's findings were silenced (version 7 is
	// reserved for the verification history). NULL: they were reported.
	{8, "silenced locations", []string{
		`ALTER TABLE locations ADD COLUMN suppressed TEXT`,
	}},
	// Version 9: what a store says of its own secret objects beside their
	// names: the kind (a Jenkins credential class, a service connection's
	// type and scheme, a Kubernetes Secret type), a description, and what
	// uses them (workloads mounting a Secret, pipelines allowed a service
	// connection), newline-separated. Never a value.
	{9, "store secret kind, description and users", []string{
		`ALTER TABLE ci_secrets ADD COLUMN kind TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE ci_secrets ADD COLUMN description TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE ci_secrets ADD COLUMN used_by TEXT NOT NULL DEFAULT ''`,
	}},
	// Version 10: org scans run as jobs by workers (inventory/queue). A
	// batch is one enqueued scan of an organisation; its items are the
	// repositories and CI stores it covers, each with its state, attempts,
	// last error and the outcome its worker reported. The job engine's own
	// tables (river_*) are migrated by the engine.
	{10, "org scan batches", []string{
		`CREATE TABLE scan_batches (
			id          {{id}},
			provider    TEXT NOT NULL,
			target      TEXT NOT NULL,
			spec        TEXT NOT NULL DEFAULT '',
			created_at  BIGINT NOT NULL,
			created_by  TEXT NOT NULL DEFAULT '',
			items       INTEGER NOT NULL,
			finish_queued SMALLINT NOT NULL DEFAULT 0,
			finished_at BIGINT,
			summary     TEXT NOT NULL DEFAULT ''
		)`,
		`CREATE TABLE scan_batch_items (
			batch_id     BIGINT NOT NULL REFERENCES scan_batches (id),
			name         TEXT NOT NULL,
			kind         TEXT NOT NULL,
			state        TEXT NOT NULL,
			job_id       BIGINT,
			attempts     INTEGER NOT NULL DEFAULT 0,
			worker       TEXT NOT NULL DEFAULT '',
			started_at   BIGINT,
			finished_at  BIGINT,
			prev_scan_id BIGINT,
			recovered    SMALLINT NOT NULL DEFAULT 0,
			message      TEXT NOT NULL DEFAULT '',
			outcome      TEXT NOT NULL DEFAULT '',
			PRIMARY KEY (batch_id, name)
		)`,
		`CREATE INDEX scan_batch_items_state ON scan_batch_items (state, batch_id)`,
	}},
}

// longLivedTokenRulesV6 are the built-in rules whose class changed from
// token (short-lived, an hour) to api-key at schema version 6: personal
// access tokens, bot tokens, API and machine tokens, refresh tokens.
var longLivedTokenRulesV6 = []string{
	"1password-service-account-token", "airtable-personal-access-token",
	"asana-personal-access-token", "atlassian-api-token", "atlassian-api-token-legacy",
	"atlassian-datacenter-pat", "aws-mws-auth-token", "azure-devops-pat", "azure-devops-pat-legacy",
	"azure-sas-token", "bitbucket-access-token", "braintree-production-access-token",
	"braintree-sandbox-access-token", "buildkite-agent-token", "buildkite-agent-token-legacy",
	"buildkite-packages-token", "buildkite-user-access-token", "cerner-refresh-token",
	"circleci-personal-token", "circleci-project-token", "circleci-token-legacy",
	"cloudflare-api-token", "cloudflare-api-token-legacy", "cloudflare-tunnel-token",
	"consul-acl-token", "contentful-delivery-token", "contentful-personal-access-token",
	"crates-io-api-token", "credentials-in-url-query", "curl-auth-header",
	"databricks-personal-access-token", "digitalocean-pat", "digitalocean-refresh-token",
	"discord-bot-token", "docker-hub-organization-access-token", "docker-hub-personal-access-token",
	"docker-swarm-join-token", "doppler-audit-token", "doppler-cli-token", "doppler-personal-token",
	"doppler-scim-token", "doppler-service-account-token", "doppler-service-token",
	"dropbox-long-lived-token", "dynatrace-token", "elastic-apm-secret-token", "epic-refresh-token",
	"facebook-access-token", "facebook-app-access-token", "figma-legacy-access-token",
	"figma-personal-access-token", "fly-io-access-token", "fly-io-oauth-token",
	"gcp-oauth-refresh-token", "generic-token", "github-fine-grained-pat", "github-oauth-token",
	"github-pat", "github-refresh-token", "gitlab-deploy-token", "gitlab-feature-flag-client-token",
	"gitlab-feed-token", "gitlab-incoming-mail-token", "gitlab-kubernetes-agent-token", "gitlab-pat",
	"gitlab-pat-routable", "gitlab-pipeline-trigger-token", "gitlab-runner-authentication-token",
	"gitlab-runner-authentication-token-routable", "gitlab-runner-registration-token",
	"gitlab-runner-registration-token-legacy", "gitlab-scim-token", "grafana-cloud-access-token",
	"grafana-service-account-token", "http-authorization-bearer-token", "hubspot-private-app-token",
	"huggingface-access-token", "huggingface-org-api-token", "infisical-service-token",
	"intercom-access-token", "jfrog-access-token", "jfrog-reference-token", "kubeconfig-user-token",
	"launchdarkly-access-token", "linear-oauth-token", "linode-personal-access-token",
	"logzio-shipping-token", "mapbox-secret-token", "netlify-access-token-legacy",
	"netlify-personal-access-token", "nomad-acl-token", "notion-integration-token",
	"notion-legacy-integration-token", "npm-access-token", "npm-legacy-auth-token", "okta-api-token",
	"packagist-token", "plaid-access-token", "planetscale-oauth-token", "planetscale-service-token",
	"postmark-account-token", "postmark-server-token", "pulumi-access-token",
	"pypi-test-upload-token", "pypi-upload-token", "salesforce-refresh-token",
	"segment-public-api-token", "sentry-legacy-auth-token", "sentry-org-auth-token",
	"sentry-user-auth-token", "shopify-admin-access-token", "shopify-custom-app-access-token",
	"slack-app-token", "slack-bot-token", "slack-legacy-token", "slack-legacy-workspace-token",
	"slack-refresh-token", "slack-session-cookie", "slack-session-token", "slack-user-token",
	"smart-refresh-token", "snowflake-programmatic-access-token", "snyk-api-token",
	"sonar-token-legacy", "sonarqube-global-analysis-token", "sonarqube-project-analysis-token",
	"sonarqube-user-token", "splunk-hec-token", "splunk-observability-token", "square-access-token",
	"square-legacy-access-token", "supabase-personal-access-token", "telegram-bot-token",
	"terraform-cloud-api-token", "travis-ci-api-token", "twilio-auth-token", "twilio-credential-pair",
	"twitter-access-token", "twitter-access-token-secret", "twitter-bearer-token",
	"typeform-personal-access-token", "vault-legacy-token", "vault-service-token", "vercel-token",
	"vercel-token-legacy",
}

// sqlStrings writes ids as a list of SQL string literals.
func sqlStrings(ids []string) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = "'" + strings.ReplaceAll(id, "'", "''") + "'"
	}
	return strings.Join(q, ", ")
}

// SchemaVersion is the schema version this sprawl writes.
// It is the highest version known, whatever order parallel changes left
// the list in.
func SchemaVersion() int {
	v := 0
	for _, m := range migrations {
		v = max(v, m.version)
	}
	return v
}

// migrate applies pending migrations, each in its own transaction with its
// row in schema_migrations, so a crash leaves the schema at a whole version.
func (s *sqlStore) migrate(ctx context.Context) error {
	if err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.d.lockMigrations(ctx, tx); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_at BIGINT NOT NULL
		)`)
		return err
	}); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, m := range migrations {
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			if err := s.d.lockMigrations(ctx, tx); err != nil {
				return err
			}
			var cur sql.NullInt64
			if err := tx.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&cur); err != nil {
				return err
			}
			if int(cur.Int64) > SchemaVersion() {
				return fmt.Errorf("%w: database is at version %d, this sprawl knows up to %d", ErrSchemaTooNew, cur.Int64, SchemaVersion())
			}
			// Versions are applied by presence, not by the maximum: when
			// parallel changes take versions 2 and 3 and 3 lands first, a
			// database at 3 still gets 2 once it exists.
			var applied int
			if err := tx.QueryRowContext(ctx, s.d.rebind(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), m.version).Scan(&applied); err != nil {
				return err
			}
			if applied > 0 {
				return nil
			}
			for _, st := range m.stmts {
				if _, err := tx.ExecContext(ctx, strings.ReplaceAll(st, "{{id}}", s.d.idColumn)); err != nil {
					return fmt.Errorf("version %d (%s): %w", m.version, m.name, err)
				}
			}
			_, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
				m.version, m.name, time.Now().UnixNano())
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	return nil
}
