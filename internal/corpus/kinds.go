package corpus

import (
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/rand/v2"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// value is a generated text. off is where the secret proper starts inside
// text (0 for most kinds; a GCP service-account document or a JWK object
// carries its secret member further in, and the label points there).
type value struct {
	text string
	off  int
}

// gen is the per-project generation state handed to generators.
type gen struct {
	r       *rand.Rand
	seed    uint64
	project string
	keys    int
}

// rsa returns a fresh 2048-bit key for this project; keys are cached per
// (seed, project, ordinal) so regenerating a corpus is cheap.
func (g *gen) rsa() *rsa.PrivateKey {
	g.keys++
	return rsaKey(g.seed, fmt.Sprintf("%s#%d", g.project, g.keys), 2048)
}

type genFunc func(g *gen) value

// kindSpec describes one kind of item: the family it is scored under, its
// default generator, and optional named variants ("kind/variant" in a
// marker). A variant not listed here may name a generic shape (see shape).
type kindSpec struct {
	family   string
	gen      genFunc
	variants map[string]genFunc
}

func str(f func(r *rand.Rand) string) genFunc {
	return func(g *gen) value { return value{text: f(g.r)} }
}

func fixed(s string) genFunc { return func(*gen) value { return value{text: s} } }

// shape returns a generic generator for variants such as pw, pwsym24,
// pwhuman, hex32, alnum40, b64n32 (32 random bytes, std base64), b64u32,
// b62n30, digits12, uuid. ok is false for an unknown shape.
func shape(v string) (genFunc, bool) {
	i := strings.IndexAny(v, "0123456789")
	name, n := v, 0
	if i > 0 {
		name = v[:i]
		var err error
		if n, err = strconv.Atoi(v[i:]); err != nil {
			return nil, false
		}
	}
	def := func(d int) int {
		if n == 0 {
			return d
		}
		return n
	}
	switch name {
	case "pw": // URL-safe: letters and digits only
		return str(func(r *rand.Rand) string { return randPassword(r, def(20), false) }), true
	case "pwsym":
		return str(func(r *rand.Rand) string { return randPassword(r, def(20), true) }), true
	case "pwhuman":
		return str(humanPassword), true
	case "hex":
		return str(func(r *rand.Rand) string { return randString(r, hexABC, def(32)) }), true
	case "alnum":
		return str(func(r *rand.Rand) string { return randString(r, alnumABC, def(32)) }), true
	case "b62n":
		return str(func(r *rand.Rand) string { return randString(r, base62ABC, def(32)) }), true
	case "b64n":
		return str(func(r *rand.Rand) string { return b64(randBytes(r, def(32))) }), true
	case "b64u":
		return str(func(r *rand.Rand) string { return b64url(randBytes(r, def(32))) }), true
	case "digits":
		return str(func(r *rand.Rand) string { return randDigits(r, def(12)) }), true
	case "uuid":
		return str(randUUID), true
	}
	return nil, false
}

func userPass(r *rand.Rand) string {
	return pick(r, []string{"svc-fhir", "deploy", "integration", "ci-bot", "mirth", "etl_user", "build"}) +
		":" + randPassword(r, 20, false)
}

func dbURI(scheme, user, host, path string) genFunc {
	return str(func(r *rand.Rand) string {
		return scheme + "://" + user + ":" + randPassword(r, 22, false) + "@" + host + path
	})
}

var hostWords = []string{"aurora", "beacon", "cobalt", "delta", "ember", "fjord", "garnet", "helix", "iris", "jasper", "kestrel", "lumen", "mesa", "nova", "onyx", "polaris"}

func accountName(r *rand.Rand) string {
	return pick(r, hostWords) + pick(r, []string{"fhir", "ehr", "clin", "phi", "data"}) + randString(r, digits+lowerABC, 4)
}

func jwtDefault(r *rand.Rand) string {
	now := int64(1767225600 + r.IntN(1e7)) // 2026
	return jwtToken(r, map[string]any{"alg": "HS256", "typ": "JWT"}, map[string]any{
		"sub":   randUUID(r),
		"iss":   "https://auth." + pick(r, hostWords) + "-health.example/",
		"role":  pick(r, []string{"service", "admin", "integration"}),
		"scope": "system/Patient.read system/Observation.read",
		"iat":   now,
		"exp":   now + 10*365*86400,
	}, 32, nil)
}

func awsSessionToken(r *rand.Rand) string {
	return "IQoJb3JpZ2luX2Vj" + randString(r, b64ABC, 300+4*r.IntN(20))
}

func bedrockKey(r *rand.Rand) string {
	inner := "BedrockAPIKey-" + randString(r, lowerABC+digits, 4) + "-at-" + randDigits(r, 12) + ":" + b64(randBytes(r, 45))
	return "ABSK" + b64([]byte(inner))
}

func sentryAuthToken(r *rand.Rand) string {
	claims := fmt.Sprintf(`{"iat":%d.%06d,"url":"https://sentry.io","region_url":"https://us.sentry.io","org":"%s-health"}`,
		1740000000+r.IntN(3e7), r.IntN(1e6), pick(r, hostWords))
	return "sntrys_" + b64([]byte(claims)) + "_" + strings.TrimRight(b64(randBytes(r, 32)), "=")
}

func gcpServiceAccount(g *gen) value {
	r := g.r
	proj := pick(r, hostWords) + "-" + pick(r, []string{"fhir", "health", "ehr", "analytics"}) + "-" + randDigits(r, 6)
	sa := pick(r, []string{"fhir-etl", "bulk-export", "dataflow-runner", "healthcare-sync"})
	key := strings.ReplaceAll(pkcs8PEM(g.rsa()), "\n", `\n`) + `\n`
	head := "{\n" +
		`  "type": "service_account",` + "\n" +
		`  "project_id": "` + proj + `",` + "\n" +
		`  "private_key_id": "` + randString(r, hexABC, 40) + `",` + "\n" +
		`  "private_key": "`
	tail := `",` + "\n" +
		`  "client_email": "` + sa + "@" + proj + `.iam.gserviceaccount.com",` + "\n" +
		`  "client_id": "` + randDigits(r, 21) + `",` + "\n" +
		`  "auth_uri": "https://accounts.google.com/o/oauth2/auth",` + "\n" +
		`  "token_uri": "https://oauth2.googleapis.com/token",` + "\n" +
		`  "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",` + "\n" +
		`  "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/` + sa + "%40" + proj + `.iam.gserviceaccount.com",` + "\n" +
		`  "universe_domain": "googleapis.com"` + "\n}"
	return value{text: head + key + tail, off: len(head)}
}

func jwkGen(kind string, private, oneLine bool) genFunc {
	return func(g *gen) value {
		kid := randString(g.r, hexABC, 32)
		var f []jwkField
		switch kind {
		case "rsa":
			f = rsaJWK(g.rsa(), kid, "RS384", private)
		case "ec384":
			f = ecJWK(ecKey(g.r, elliptic.P384()), kid, "ES384", private)
		case "ec256":
			f = ecJWK(ecKey(g.r, elliptic.P256()), kid, "ES256", private)
		}
		s, off := renderJWK(f, oneLine)
		if off < 0 {
			off = 0
		}
		return value{text: s, off: off}
	}
}

func pass(r *rand.Rand) string { return randPassword(r, 18, true) }

// secretKinds lists every kind of true secret the corpus can contain.
var secretKinds = map[string]kindSpec{
	// aws
	"aws-access-key-id":      {family: "aws", gen: str(func(r *rand.Rand) string { return awsKeyID(r, "AKIA") })},
	"aws-temp-access-key-id": {family: "aws", gen: str(func(r *rand.Rand) string { return awsKeyID(r, "ASIA") })},
	"aws-secret-access-key":  {family: "aws", gen: str(func(r *rand.Rand) string { return randString(r, alnumABC+"+/", 40) })},
	"aws-session-token":      {family: "aws", gen: str(awsSessionToken)},
	"aws-bedrock-api-key":    {family: "aws", gen: str(bedrockKey)},

	// azure
	"azure-entra-client-secret": {family: "azure", gen: str(func(r *rand.Rand) string {
		const a = alnumABC + "_~.-"
		return randString(r, alnumABC, 3) + "8Q~" + randString(r, a, 33) + randString(r, alnumABC, 1)
	})},
	"azure-storage-connection-string": {family: "azure", gen: str(func(r *rand.Rand) string {
		return "DefaultEndpointsProtocol=https;AccountName=" + accountName(r) + ";AccountKey=" + b64(randBytes(r, 64)) + ";EndpointSuffix=core.windows.net"
	}), variants: map[string]genFunc{"key": str(func(r *rand.Rand) string { return b64(randBytes(r, 64)) })}},
	"azure-storage-sas-token": {family: "azure", gen: str(func(r *rand.Rand) string {
		return "sv=2022-11-02&ss=b&srt=co&sp=rl&se=2026-12-31T17:00:00Z&st=2025-09-01T09:00:00Z&spr=https&sig=" + url.QueryEscape(b64(randBytes(r, 32)))
	})},
	"azure-cosmosdb-key": {family: "azure", gen: str(func(r *rand.Rand) string {
		return "AccountEndpoint=https://" + accountName(r) + ".documents.azure.com:443/;AccountKey=" + b64(randBytes(r, 64)) + ";"
	}), variants: map[string]genFunc{"key": str(func(r *rand.Rand) string { return b64(randBytes(r, 64)) })}},
	"azure-servicebus-connection-string": {family: "azure", gen: str(func(r *rand.Rand) string {
		return "Endpoint=sb://" + accountName(r) + ".servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=" + b64(randBytes(r, 32))
	})},
	"azure-storage-account-key": {family: "azure", gen: str(func(r *rand.Rand) string { return b64(randBytes(r, 64)) })},
	"azure-cache-redis-key":     {family: "azure", gen: str(func(r *rand.Rand) string { return b64(randBytes(r, 32)) })},
	"azure-devops-pat":          {family: "azure", gen: str(func(r *rand.Rand) string { return randString(r, lowerABC+"234567", 52) })},

	// gcp
	"gcp-service-account":        {family: "gcp", gen: gcpServiceAccount},
	"google-api-key":             {family: "gcp", gen: str(func(r *rand.Rand) string { return "AIza" + randString(r, alnumABC+"_-", 35) })},
	"google-oauth-client-secret": {family: "gcp", gen: str(func(r *rand.Rand) string { return "GOCSPX-" + randString(r, alnumABC+"_-", 28) })},
	"gcp-refresh-token": {family: "gcp", gen: str(func(r *rand.Rand) string {
		return "1//0" + randString(r, alnumABC, 1) + randString(r, alnumABC+"_-", 98)
	})},

	// github
	"github-classic-pat":            {family: "github", gen: str(func(r *rand.Rand) string { return crc32Token(r, "ghp_") })},
	"github-oauth-token":            {family: "github", gen: str(func(r *rand.Rand) string { return crc32Token(r, "gho_") })},
	"github-app-installation-token": {family: "github", gen: str(func(r *rand.Rand) string { return crc32Token(r, "ghs_") })},
	"github-refresh-token":          {family: "github", gen: str(func(r *rand.Rand) string { return crc32Token(r, "ghr_") })},
	"github-user-to-server-token":   {family: "github", gen: str(func(r *rand.Rand) string { return crc32Token(r, "ghu_") })},
	"github-fine-grained-pat":       {family: "github", gen: str(fineGrainedPAT)},

	// gitlab
	"gitlab-pat": {family: "gitlab", gen: str(func(r *rand.Rand) string { return "glpat-" + randString(r, alnumABC+"_-", 20) })},
	"gitlab-pat-routable": {family: "gitlab", gen: str(func(r *rand.Rand) string {
		return gitlabRoutable(r, "glpat-", map[string]string{"c": "1", "o": base36Encode(uint64(1+r.IntN(1e6)), 0), "u": base36Encode(uint64(1+r.IntN(1e7)), 0)})
	})},
	"gitlab-runner-token": {family: "gitlab", gen: str(func(r *rand.Rand) string {
		return gitlabRoutable(r, "glrt-t2_", map[string]string{"c": "1", "g": base36Encode(uint64(1+r.IntN(1e6)), 0), "o": base36Encode(uint64(1+r.IntN(1e6)), 0), "t": "2"})
	})},
	"gitlab-deploy-token":  {family: "gitlab", gen: str(func(r *rand.Rand) string { return "gldt-" + randString(r, alnumABC+"_-", 20) })},
	"gitlab-trigger-token": {family: "gitlab", gen: str(func(r *rand.Rand) string { return "glptt-" + randString(r, hexABC, 40) })},

	// slack
	"slack-bot-token": {family: "slack", gen: str(func(r *rand.Rand) string {
		return "xoxb-" + randDigits(r, 12) + "-" + randDigits(r, 13) + "-" + randString(r, alnumABC, 24)
	})},
	"slack-user-token": {family: "slack", gen: str(func(r *rand.Rand) string {
		return "xoxp-" + randDigits(r, 12) + "-" + randDigits(r, 12) + "-" + randDigits(r, 13) + "-" + randString(r, hexABC, 32)
	})},
	"slack-app-token": {family: "slack", gen: str(func(r *rand.Rand) string {
		return "xapp-1-A" + randString(r, upperABC+digits, 10) + "-" + randDigits(r, 13) + "-" + randString(r, hexABC, 64)
	})},
	"slack-signing-secret": {family: "slack", gen: str(func(r *rand.Rand) string { return randString(r, hexABC, 32) })},
	"slack-webhook-url": {family: "slack", gen: str(func(r *rand.Rand) string {
		return "https://hooks.slack.com/services/T" + randString(r, upperABC+digits, 8) + "/B" + randString(r, upperABC+digits, 10) + "/" + randString(r, alnumABC, 24)
	})},

	// stripe
	"stripe-secret-key":     {family: "stripe", gen: str(func(r *rand.Rand) string { return "sk_live_51" + randString(r, alnumABC, 97) })},
	"stripe-restricted-key": {family: "stripe", gen: str(func(r *rand.Rand) string { return "rk_live_51" + randString(r, alnumABC, 97) })},
	"stripe-webhook-secret": {family: "stripe", gen: str(func(r *rand.Rand) string { return "whsec_" + randString(r, alnumABC, 32) })},

	// messaging
	"twilio-auth-token": {family: "messaging", gen: str(func(r *rand.Rand) string { return randString(r, hexABC, 32) })},
	"twilio-api-key":    {family: "messaging", gen: str(func(r *rand.Rand) string { return "SK" + randString(r, hexABC, 32) })},
	"twilio-api-secret": {family: "messaging", gen: str(func(r *rand.Rand) string { return randString(r, alnumABC, 32) })},
	"sendgrid-api-key": {family: "messaging", gen: str(func(r *rand.Rand) string {
		return "SG." + randString(r, alnumABC+"_-", 22) + "." + randString(r, alnumABC+"_-", 43)
	})},
	"mailgun-api-key": {family: "messaging", gen: str(func(r *rand.Rand) string { return "key-" + randString(r, hexABC, 32) })},

	// ai
	"openai-api-key": {family: "ai", gen: str(func(r *rand.Rand) string {
		return "sk-proj-" + randString(r, alnumABC+"_-", 74) + "T3BlbkFJ" + randString(r, alnumABC+"_-", 74)
	}), variants: map[string]genFunc{
		"legacy": str(func(r *rand.Rand) string {
			return "sk-" + randString(r, alnumABC, 20) + "T3BlbkFJ" + randString(r, alnumABC, 20)
		}),
		"svcacct": str(func(r *rand.Rand) string {
			return "sk-svcacct-" + randString(r, alnumABC+"_-", 74) + "T3BlbkFJ" + randString(r, alnumABC+"_-", 74)
		}),
	}},
	"anthropic-api-key": {family: "ai", gen: str(func(r *rand.Rand) string { return "sk-ant-api03-" + randString(r, alnumABC+"_-", 93) + "AA" })},
	"huggingface-token": {family: "ai", gen: str(func(r *rand.Rand) string { return "hf_" + randString(r, upperABC+lowerABC, 34) })},
	"azure-openai-key":  {family: "ai", gen: str(func(r *rand.Rand) string { return randString(r, hexABC, 32) })},
	"wandb-api-key":     {family: "ai", gen: str(func(r *rand.Rand) string { return randString(r, hexABC, 40) })},

	// devtools
	"npm-token":          {family: "devtools", gen: str(func(r *rand.Rand) string { return crc32Token(r, "npm_") })},
	"npm-auth":           {family: "devtools", gen: str(func(r *rand.Rand) string { return b64([]byte(userPass(r))) })},
	"pypi-token":         {family: "devtools", gen: str(func(r *rand.Rand) string { return pypiToken(r, "pypi.org") })},
	"dockerhub-pat":      {family: "devtools", gen: str(func(r *rand.Rand) string { return "dckr_pat_" + randString(r, alnumABC+"_-", 27) })},
	"docker-config-auth": {family: "devtools", gen: str(func(r *rand.Rand) string { return b64([]byte(userPass(r))) })},
	"terraform-cloud-token": {family: "devtools", gen: str(func(r *rand.Rand) string {
		return randString(r, alnumABC, 14) + ".atlasv1." + randString(r, alnumABC, 67)
	})},
	"vault-token":         {family: "devtools", gen: str(func(r *rand.Rand) string { return "hvs.CAESI" + randString(r, alnumABC+"_-", 86) })},
	"pulumi-access-token": {family: "devtools", gen: str(func(r *rand.Rand) string { return "pul-" + randString(r, hexABC, 40) })},
	"databricks-token":    {family: "devtools", gen: str(func(r *rand.Rand) string { return "dapi" + randString(r, hexABC, 32) })},
	"digitalocean-token":  {family: "devtools", gen: str(func(r *rand.Rand) string { return "dop_v1_" + randString(r, hexABC, 64) })},
	"grafana-service-account-token": {family: "devtools", gen: str(func(r *rand.Rand) string {
		return "glsa_" + randString(r, alnumABC, 32) + "_" + randString(r, hexABC, 8)
	})},
	"okta-api-token":    {family: "devtools", gen: str(func(r *rand.Rand) string { return "00" + randString(r, alnumABC+"_-", 40) })},
	"sentry-auth-token": {family: "devtools", gen: str(sentryAuthToken)},

	// observability
	"datadog-api-key": {family: "observability", gen: str(func(r *rand.Rand) string { return randString(r, hexABC, 32) })},
	"datadog-app-key": {family: "observability", gen: str(func(r *rand.Rand) string { return randString(r, hexABC, 40) })},
	"sentry-dsn": {family: "observability", gen: str(func(r *rand.Rand) string {
		return "https://" + randString(r, hexABC, 32) + "@o" + randDigits(r, 6) + ".ingest.us.sentry.io/" + randDigits(r, 7)
	})},
	"newrelic-license-key":      {family: "observability", gen: str(func(r *rand.Rand) string { return randString(r, hexABC, 36) + "NRAL" })},
	"newrelic-user-key":         {family: "observability", gen: str(func(r *rand.Rand) string { return "NRAK-" + randString(r, upperABC+digits, 27) })},
	"pagerduty-integration-key": {family: "observability", gen: str(func(r *rand.Rand) string { return randString(r, hexABC, 32) })},

	// healthcare
	"epic-client-secret":       {family: "healthcare", gen: str(func(r *rand.Rand) string { return b64(randBytes(r, 64)) })},
	"epic-access-token":        {family: "healthcare", gen: str(func(r *rand.Rand) string { return randString(r, b64urlABC, 128) })},
	"cerner-client-secret":     {family: "healthcare", gen: str(func(r *rand.Rand) string { return b64url(randBytes(r, 32)) })},
	"athena-client-secret":     {family: "healthcare", gen: str(func(r *rand.Rand) string { return randString(r, alnumABC+"_-", 40) })},
	"redox-api-secret":         {family: "healthcare", gen: str(func(r *rand.Rand) string { return randString(r, alnumABC, 40) })},
	"oneup-client-secret":      {family: "healthcare", gen: str(func(r *rand.Rand) string { return randString(r, hexABC, 32) })},
	"fhir-client-secret":       {family: "healthcare", gen: str(func(r *rand.Rand) string { return randString(r, alnumABC, 48) })},
	"mirth-db-password":        {family: "healthcare", gen: str(pass)},
	"mirth-keystore-password":  {family: "healthcare", gen: str(func(r *rand.Rand) string { return randPassword(r, 16, false) })},
	"mirth-connector-password": {family: "healthcare", gen: str(pass)},
	"orthanc-password":         {family: "healthcare", gen: str(pass)},

	// private keys
	"rsa-private-key": {family: "private-key", gen: func(g *gen) value { return value{text: pkcs1PEM(g.rsa())} },
		variants: map[string]genFunc{
			// der-b64: bare base64 DER on one line, as Keycloak realm exports keep it.
			"der-b64": func(g *gen) value { return value{text: b64(x509.MarshalPKCS1PrivateKey(g.rsa()))} },
		}},
	"ec-private-key": {family: "private-key", gen: func(g *gen) value { return value{text: sec1PEM(ecKey(g.r, elliptic.P256()))} },
		variants: map[string]genFunc{"p384": func(g *gen) value { return value{text: sec1PEM(ecKey(g.r, elliptic.P384()))} }}},
	"pkcs8-private-key": {family: "private-key", gen: func(g *gen) value { return value{text: pkcs8PEM(g.rsa())} },
		variants: map[string]genFunc{
			"ec":      func(g *gen) value { return value{text: pkcs8PEM(ecKey(g.r, elliptic.P256()))} },
			"ed25519": func(g *gen) value { return value{text: pkcs8PEM(ed25519Key(g.r))} },
		}},
	"openssh-private-key": {family: "private-key", gen: func(g *gen) value {
		return value{text: sshEd25519(ed25519Key(g.r)).openssh(g.r, pick(g.r, []string{"deploy@ci", "ops@bastion", "mirth@interface01", "jenkins"}), false)}
	}, variants: map[string]genFunc{
		"ecdsa": func(g *gen) value {
			return value{text: sshECDSA(ecKey(g.r, elliptic.P256())).openssh(g.r, "root@fhir-gw", false)}
		},
		"rsa": func(g *gen) value { return value{text: sshRSA(g.rsa()).openssh(g.r, "svc-sftp@lab-results", false)} },
	}},
	"openssh-private-key-encrypted": {family: "private-key", gen: func(g *gen) value {
		return value{text: sshEd25519(ed25519Key(g.r)).openssh(g.r, "release@build", true)}
	}},
	"pkcs8-encrypted-private-key": {family: "private-key", gen: func(g *gen) value {
		return value{text: pkcs8EncryptedPEM(g.r, g.rsa(), pass(g.r))}
	}},
	"rsa-private-key-encrypted": {family: "private-key", gen: func(g *gen) value {
		k := g.rsa()
		return value{text: legacyEncryptedPEM(g.r, "RSA PRIVATE KEY", pkcs1DER(k), pass(g.r))}
	}},
	"jwk-private-key": {family: "private-key", gen: jwkGen("rsa", true, false), variants: map[string]genFunc{
		"ec384":       jwkGen("ec384", true, false),
		"ec256":       jwkGen("ec256", true, false),
		"ec384-line":  jwkGen("ec384", true, true),
		"rsa-oneline": jwkGen("rsa", true, true),
	}},
	"age-secret-key": {family: "private-key", gen: func(g *gen) value {
		priv, _ := x25519Pair(g.r)
		return value{text: strings.ToUpper(bech32("age-secret-key-", priv))}
	}},
	// base64-private-key is a PEM key base64-encoded once more, as in
	// kubeconfig client-key-data or a Kubernetes TLS Secret's tls.key.
	"base64-private-key": {family: "private-key", gen: func(g *gen) value {
		return value{text: b64([]byte(sec1PEM(ecKey(g.r, elliptic.P256())) + "\n"))}
	}, variants: map[string]genFunc{
		"rsa": func(g *gen) value { return value{text: b64([]byte(pkcs1PEM(g.rsa()) + "\n"))} },
	}},

	// database
	"postgres-uri":                {family: "database", gen: dbURI("postgresql", "fhir_app", "db.internal:5432", "/fhir")},
	"mysql-uri":                   {family: "database", gen: dbURI("mysql", "ehr_rw", "mysql.internal:3306", "/ehr")},
	"mongodb-uri":                 {family: "database", gen: dbURI("mongodb+srv", "appUser", "cluster0.x7k2p.mongodb.net", "/?retryWrites=true&w=majority")},
	"redis-uri":                   {family: "database", gen: dbURI("redis", "default", "cache.internal:6379", "/0")},
	"amqp-uri":                    {family: "database", gen: dbURI("amqp", "hl7", "rabbitmq.internal:5672", "/interfaces")},
	"jdbc-url-password":           {family: "database", gen: str(func(r *rand.Rand) string { return randPassword(r, 20, false) })},
	"sqlserver-connection-string": {family: "database", gen: str(pass)},
	"basic-auth-url":              {family: "database", gen: str(func(r *rand.Rand) string { return randPassword(r, 20, false) })},

	// kubernetes
	"k8s-secret-data": {family: "kubernetes", gen: str(func(r *rand.Rand) string { return b64([]byte(pass(r))) })},
	"k8s-service-account-token": {family: "kubernetes", gen: str(func(r *rand.Rand) string {
		now := int64(1767225600 + r.IntN(1e7))
		return jwtToken(r, map[string]any{"alg": "RS256", "kid": b64url(randBytes(r, 32))}, map[string]any{
			"aud": []string{"https://kubernetes.default.svc.cluster.local"},
			"exp": now + 365*86400, "iat": now, "nbf": now,
			"iss": "https://kubernetes.default.svc.cluster.local",
			"kubernetes.io": map[string]any{
				"namespace":      "fhir",
				"serviceaccount": map[string]string{"name": "deployer", "uid": randUUID(r)},
			},
			"sub": "system:serviceaccount:fhir:deployer",
		}, 256, nil)
	})},

	// generic
	"generic-password":  {family: "generic", gen: str(pass)},
	"generic-api-key":   {family: "generic", gen: str(func(r *rand.Rand) string { return randString(r, alnumABC, 32) })},
	"generic-secret":    {family: "generic", gen: str(func(r *rand.Rand) string { return b64url(randBytes(r, 32)) })},
	"django-secret-key": {family: "generic", gen: str(func(r *rand.Rand) string { return randString(r, lowerABC+digits+"!@#%^&*(-_=+)", 50) })},
	"flask-secret-key":  {family: "generic", gen: str(func(r *rand.Rand) string { return randString(r, hexABC, 64) })},
	"rails-secret-key-base": {family: "generic", gen: str(func(r *rand.Rand) string {
		return randString(r, hexABC, 128)
	})},
	"rails-master-key": {family: "generic", gen: str(func(r *rand.Rand) string { return randString(r, hexABC, 32) })},
	"jwt-hmac-secret":  {family: "generic", gen: str(func(r *rand.Rand) string { return randString(r, alnumABC, 48) })},
	"jwt":              {family: "generic", gen: str(jwtDefault)},
	"supabase-service-role-key": {family: "generic", gen: str(func(r *rand.Rand) string {
		return jwtToken(r, map[string]any{"alg": "HS256", "typ": "JWT"}, map[string]any{
			"iss": "supabase", "ref": randString(r, lowerABC, 20), "role": "service_role",
			"iat": 1735689600, "exp": 2051265600,
		}, 32, nil)
	})},
	"netrc-password":      {family: "generic", gen: str(func(r *rand.Rand) string { return randPassword(r, 24, false) })},
	"curl-basic-auth":     {family: "generic", gen: str(userPass)},
	"http-basic-auth":     {family: "generic", gen: str(func(r *rand.Rand) string { return b64([]byte(userPass(r))) })},
	"bearer-token":        {family: "generic", gen: str(func(r *rand.Rand) string { return randString(r, alnumABC, 40) })},
	"smtp-password":       {family: "generic", gen: str(pass)},
	"ldap-bind-password":  {family: "generic", gen: str(pass)},
	"kafka-sasl-password": {family: "generic", gen: str(func(r *rand.Rand) string { return randPassword(r, 24, false) })},
	"ansible-password":    {family: "generic", gen: str(humanPassword)},
	"android-keystore-password": {family: "generic", gen: str(func(r *rand.Rand) string {
		return randPassword(r, 16, true)
	})},
	"nuget-password": {family: "generic", gen: str(func(r *rand.Rand) string { return randPassword(r, 24, false) })},
	"wordpress-salt": {family: "generic", gen: str(func(r *rand.Rand) string {
		return randString(r, alnumABC+"!#%()*+,-./:;<=>?@[]^_{|}~", 64)
	})},
	"encryption-key":     {family: "generic", gen: str(func(r *rand.Rand) string { return base64.URLEncoding.EncodeToString(randBytes(r, 32)) })},
	"snowflake-password": {family: "database", gen: str(pass)},

	// Held-out kinds (testdata/corpus/heldout-*): passwords in files whose
	// format exists to hold credentials, in shapes the tuning templates
	// never emit, and password hashes.
	"credfile-password": {family: "credential-file", gen: str(weakPassword), variants: map[string]genFunc{
		"passphrase": str(passphrase),
		"wordyear":   str(wordYear),
		"product":    str(productPassword),
		"short":      str(shortPassword),
		"userpass": str(func(r *rand.Rand) string {
			return pick(r, []string{"deploy", "jdoe", "backup", "ci"}) + ":" + weakPassword(r)
		}),
	}},
	"password-hash": {family: "password-hash", gen: str(bcryptHash), variants: map[string]genFunc{
		"bcrypt":      str(bcryptHash),
		"md5crypt":    str(md5cryptHash),
		"apr1":        str(apr1Hash),
		"sha512crypt": str(sha512cryptHash),
	}},
	"jenkins-encrypted-secret": {family: "credential-file", gen: str(func(r *rand.Rand) string {
		return "{AQAAABAAAAAQ" + b64(randBytes(r, 36)) + "}"
	})},
	"firefox-encrypted-login": {family: "credential-file", gen: str(func(r *rand.Rand) string {
		return "MDoEEPgAAAAAAAAAAAAAAAAAAAEwFAYIKoZIhvcNAwcECA" + b64(randBytes(r, 24))
	})},
}

func pkcs1DER(k *rsa.PrivateKey) []byte { return x509.MarshalPKCS1PrivateKey(k) }

// baitKinds lists the kinds of bait. Kinds with a generator may appear
// as @@FAKE:kind@@ (generated); all may label a literal with @@BAIT:kind@@.
var baitKinds = map[string]kindSpec{
	// literal-only bait
	"placeholder":              {family: "placeholder"},
	"empty-value":              {family: "placeholder"},
	"masked-value":             {family: "placeholder"},
	"env-reference":            {family: "reference"},
	"ci-secret-reference":      {family: "reference"},
	"template-reference":       {family: "reference"},
	"secret-manager-reference": {family: "reference"},
	"file-reference":           {family: "reference"},
	"doc-example":              {family: "known-public"},
	"identifier":               {family: "identifier"},
	"i18n-string":              {family: "code"},
	"code-identifier":          {family: "code"},
	"regex":                    {family: "code"},
	"pem-header-only":          {family: "code"},
	"url-without-credentials":  {family: "code"},
	"low-entropy-value":        {family: "placeholder"},

	// generated identifiers
	"uuid":               {family: "identifier", gen: str(randUUID)},
	"fhir-id":            {family: "identifier", gen: str(func(r *rand.Rand) string { return "e" + randString(r, base62ABC, 22) + "3" })},
	"aws-account-id":     {family: "identifier", gen: str(func(r *rand.Rand) string { return randDigits(r, 12) })},
	"twilio-account-sid": {family: "identifier", gen: str(func(r *rand.Rand) string { return "AC" + randString(r, hexABC, 32) })},
	"okta-client-id":     {family: "identifier", gen: str(func(r *rand.Rand) string { return "0oa" + randString(r, alnumABC, 14) + "297" })},
	"google-client-id": {family: "identifier", gen: str(func(r *rand.Rand) string {
		return randDigits(r, 12) + "-" + randString(r, lowerABC+digits, 32) + ".apps.googleusercontent.com"
	})},
	"stripe-publishable-key": {family: "identifier", gen: str(func(r *rand.Rand) string { return "pk_live_51" + randString(r, alnumABC, 97) })},
	"datadog-client-token":   {family: "identifier", gen: str(func(r *rand.Rand) string { return "pub" + randString(r, hexABC, 32) })},
	"mapbox-public-token": {family: "identifier", gen: str(func(r *rand.Rand) string {
		return "pk." + b64url([]byte(`{"u":"`+pick(r, hostWords)+`-health","a":"cl`+randString(r, lowerABC+digits, 23)+`"}`)) + "." + randString(r, alnumABC+"_-", 22)
	})},
	"openai-org-id": {family: "identifier", gen: str(func(r *rand.Rand) string { return "org-" + randString(r, alnumABC, 24) })},
	"supabase-anon-key": {family: "identifier", gen: str(func(r *rand.Rand) string {
		return jwtToken(r, map[string]any{"alg": "HS256", "typ": "JWT"}, map[string]any{
			"iss": "supabase", "ref": randString(r, lowerABC, 20), "role": "anon",
			"iat": 1735689600, "exp": 2051265600,
		}, 32, nil)
	})},
	"object-id":    {family: "identifier", gen: str(func(r *rand.Rand) string { return randString(r, hexABC, 24) })},
	"azure-tenant": {family: "identifier", gen: str(randUUID)},

	// hashes and encoded data
	"git-sha":     {family: "hash", gen: str(func(r *rand.Rand) string { return randString(r, hexABC, 40) })},
	"sha256-hex":  {family: "hash", gen: str(func(r *rand.Rand) string { return randString(r, hexABC, 64) })},
	"sha1-hex":    {family: "hash", gen: str(func(r *rand.Rand) string { return randString(r, hexABC, 40) })},
	"sri-sha512":  {family: "hash", gen: str(func(r *rand.Rand) string { return "sha512-" + b64(randBytes(r, 64)) })},
	"sri-sha384":  {family: "hash", gen: str(func(r *rand.Rand) string { return "sha384-" + b64(randBytes(r, 48)) })},
	"sri-sha1":    {family: "hash", gen: str(func(r *rand.Rand) string { return "sha1-" + b64(randBytes(r, 20)) })},
	"go-sum-hash": {family: "hash", gen: str(func(r *rand.Rand) string { return "h1:" + b64(randBytes(r, 32)) })},
	"docker-digest": {family: "hash", gen: str(func(r *rand.Rand) string {
		return "sha256:" + randString(r, hexABC, 64)
	})},
	"nuget-hash":      {family: "hash", gen: str(func(r *rand.Rand) string { return b64(randBytes(r, 64)) })},
	"tf-lock-zh":      {family: "hash", gen: str(func(r *rand.Rand) string { return "zh:" + randString(r, hexABC, 64) })},
	"cert-thumbprint": {family: "hash", gen: str(func(r *rand.Rand) string { return strings.ToUpper(randString(r, hexABC, 40)) })},
	"png-base64":      {family: "hash", gen: str(func(r *rand.Rand) string { return "iVBORw0KGgoAAAANSUhEUgAAA" + b64(randBytes(r, 240)) })},

	// encrypted values
	"sops-enc": {family: "encrypted", gen: str(func(r *rand.Rand) string {
		return "ENC[AES256_GCM,data:" + b64(randBytes(r, 12+r.IntN(60))) + ",iv:" + b64(randBytes(r, 32)) + ",tag:" + b64(randBytes(r, 16)) + ",type:str]"
	})},
	"sops-age-block": {family: "encrypted", gen: str(func(r *rand.Rand) string {
		return wrapArmor("AGE ENCRYPTED FILE", []byte("age-encryption.org/v1\n-> X25519 "+b64(randBytes(r, 32))+"\n"+b64(randBytes(r, 32))+"\n--- "+b64(randBytes(r, 32))+"\n"), randBytes(r, 64))
	})},
	"sealed-secret": {family: "encrypted", gen: str(func(r *rand.Rand) string { return "AgB" + b64(randBytes(r, 540+3*r.IntN(40))) })},
	"ansible-vault": {family: "encrypted", gen: str(func(r *rand.Rand) string {
		hexed := fmt.Sprintf("%x", []byte(randString(r, hexABC, 64)+"\n"+randString(r, hexABC, 64)+"\n"+randString(r, hexABC, 32+32*r.IntN(3))))
		var sb strings.Builder
		sb.WriteString("$ANSIBLE_VAULT;1.1;AES256")
		for len(hexed) > 0 {
			n := min(80, len(hexed))
			sb.WriteString("\n" + hexed[:n])
			hexed = hexed[n:]
		}
		return sb.String()
	})},
	"pulumi-secure": {family: "encrypted", gen: str(func(r *rand.Rand) string {
		return "v1:" + b64(randBytes(r, 12)) + ":" + b64(randBytes(r, 24+r.IntN(40)))
	})},
	"renovate-encrypted": {family: "encrypted", gen: str(func(r *rand.Rand) string { return "wcFMA" + b64(randBytes(r, 330)) })},
	// The public OAuth client secret built into the gcloud CLI, as found
	// in every application_default_credentials.json.
	"gcloud-adc-client-secret": {family: "known-public", gen: fixed("d-FL95Q19q7" + "MQmFpd7hHD0Ty")},
	"jasypt-enc":               {family: "encrypted", gen: str(func(r *rand.Rand) string { return "ENC(" + b64(randBytes(r, 48)) + ")" })},
	"maven-enc":                {family: "encrypted", gen: str(func(r *rand.Rand) string { return "{" + b64(randBytes(r, 32)) + "}" })},
	"rails-credentials-enc": {family: "encrypted", gen: str(func(r *rand.Rand) string {
		return b64(randBytes(r, 180)) + "--" + b64(randBytes(r, 12)) + "--" + b64(randBytes(r, 16))
	})},

	// public keys and certificates
	"ssh-ed25519-public": {family: "public-key", gen: func(g *gen) value {
		return value{text: sshEd25519(ed25519Key(g.r)).authorizedKey(pick(g.r, []string{"alice@laptop", "bob@workstation", "deploy@ci", "ops"}))}
	}, variants: map[string]genFunc{"bare": func(g *gen) value { return value{text: sshEd25519(ed25519Key(g.r)).authorizedKey("")} }}},
	"ssh-rsa-public": {family: "public-key", gen: func(g *gen) value {
		return value{text: sshRSA(g.rsa()).authorizedKey("carol@clinic-mac")}
	}},
	"ssh-ecdsa-public": {family: "public-key", gen: func(g *gen) value {
		return value{text: sshECDSA(ecKey(g.r, elliptic.P256())).authorizedKey("")}
	}},
	"pem-public-key": {family: "public-key", gen: func(g *gen) value {
		return value{text: publicPEM(&ecKey(g.r, elliptic.P256()).PublicKey)}
	}, variants: map[string]genFunc{"rsa": func(g *gen) value { return value{text: publicPEM(&g.rsa().PublicKey)} }}},
	"pem-certificate": {family: "public-key", gen: func(g *gen) value {
		k := ed25519Key(g.r)
		return value{text: selfSignedPEM(g.r, k, k.Public(), pick(g.r, hostWords)+".fhir.example.org")}
	}, variants: map[string]genFunc{"rsa": func(g *gen) value {
		k := g.rsa()
		return value{text: selfSignedPEM(g.r, k, &k.PublicKey, "epic-backend.example.org")}
	}}},
	"cert-b64": {family: "public-key", gen: func(g *gen) value {
		k := ed25519Key(g.r)
		return value{text: b64([]byte(selfSignedPEM(g.r, k, k.Public(), "kubernetes") + "\n"))}
	}},
	"jwk-public": {family: "public-key", gen: jwkGen("rsa", false, false), variants: map[string]genFunc{
		"ec384": jwkGen("ec384", false, false),
	}},
	"cert-der-b64": {family: "public-key", gen: func(g *gen) value {
		k := ed25519Key(g.r)
		b, _ := pem.Decode([]byte(selfSignedPEM(g.r, k, k.Public(), "keycloak")))
		return value{text: b64(b.Bytes)}
	}},
	"dh-params": {family: "public-key", gen: str(func(r *rand.Rand) string {
		return wrapArmor("DH PARAMETERS", []byte{0x30, 0x82, 0x01, 0x08, 0x02, 0x82, 0x01, 0x01, 0x00}, append(randBytes(r, 256), 0x02, 0x01, 0x02))
	})},
	"age-recipient": {family: "public-key", gen: func(g *gen) value {
		_, pub := x25519Pair(g.r)
		return value{text: bech32("age", pub)}
	}},

	// test vectors: secret-shaped on purpose, public or invalid
	"jwt-io-example": {family: "test-vector", gen: fixed(jwtOrdered(`{"alg":"HS256","typ":"JWT"}`,
		`{"sub":"1234567890","name":"John Doe","iat":1516239022}`, []byte("your-256-bit-secret")))},
	"github-pat-bad-checksum": {family: "test-vector", gen: str(func(r *rand.Rand) string { return badCRC32Token(r, "ghp_") })},
	"npm-token-bad-checksum":  {family: "test-vector", gen: str(func(r *rand.Rand) string { return badCRC32Token(r, "npm_") })},
	// The NIST SP 800-38A AES-128 key and the RFC 4231 test case 1 HMAC key.
	"aes-test-vector": {family: "test-vector", gen: fixed(fmt.Sprintf("%x", []byte{0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c}))},
	"hmac-test-key":   {family: "test-vector", gen: fixed(strings.Repeat("0b", 20))},
	"aws-doc-secret":  {family: "known-public", gen: fixed(strings.Join([]string{"wJalrXUtnFEMI", "K7MDENG", "bPxRfiCY" + "EXAMPLEKEY"}, "/"))},
}

func wrapArmor(typ string, head, body []byte) string {
	enc := base64.StdEncoding.EncodeToString(append(head, body...))
	var sb strings.Builder
	sb.WriteString("-----BEGIN " + typ + "-----\n")
	for len(enc) > 64 {
		sb.WriteString(enc[:64] + "\n")
		enc = enc[64:]
	}
	sb.WriteString(enc + "\n-----END " + typ + "-----")
	return sb.String()
}

// lookupGen resolves "kind" or "kind/variant" in table.
func lookupGen(table map[string]kindSpec, kind, variant string) (kindSpec, genFunc, error) {
	spec, ok := table[kind]
	if !ok {
		return kindSpec{}, nil, fmt.Errorf("unknown kind %q", kind)
	}
	if variant == "" {
		if spec.gen == nil {
			return spec, nil, fmt.Errorf("kind %q has no generator", kind)
		}
		return spec, spec.gen, nil
	}
	if f, ok := spec.variants[variant]; ok {
		return spec, f, nil
	}
	if f, ok := shape(variant); ok {
		return spec, f, nil
	}
	return spec, nil, fmt.Errorf("kind %q has no variant %q", kind, variant)
}

// SecretKinds returns the names of all true-secret kinds the generators
// know, sorted; KindFamily maps a kind (secret or bait) to its family.
func SecretKinds() []string {
	out := make([]string, 0, len(secretKinds))
	for k := range secretKinds {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// KindFamily returns the family of a secret or bait kind, or "".
func KindFamily(kind string) string {
	if s, ok := secretKinds[kind]; ok {
		return s.family
	}
	return baitKinds[kind].family
}
