package corpus

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

func testGen(t *testing.T) *gen {
	t.Helper()
	return &gen{r: rand.New(rand.NewPCG(7, 11)), seed: 7, project: t.Name()}
}

// shapes are the providers' documented token shapes each kind must match.
var shapes = map[string]string{
	"aws-access-key-id":               `^AKIA[A-Z2-7]{16}$`,
	"aws-temp-access-key-id":          `^ASIA[A-Z2-7]{16}$`,
	"aws-secret-access-key":           `^[A-Za-z0-9/+]{40}$`,
	"aws-session-token":               `^IQoJb3JpZ2luX2Vj[A-Za-z0-9/+]{300,}$`,
	"aws-bedrock-api-key":             `^ABSK[A-Za-z0-9+/]{109,269}={0,2}$`,
	"azure-entra-client-secret":       `^[A-Za-z0-9_~.-]{3}8Q~[A-Za-z0-9_~.-]{34}$`,
	"azure-storage-connection-string": `^DefaultEndpointsProtocol=https;AccountName=[a-z0-9]{3,24};AccountKey=[A-Za-z0-9+/]{86}==;EndpointSuffix=core\.windows\.net$`,
	"azure-devops-pat":                `^[2-7a-z]{52}$`,
	"google-api-key":                  `^AIza[\w-]{35}$`,
	"google-oauth-client-secret":      `^GOCSPX-[\w-]{28}$`,
	"github-classic-pat":              `^ghp_[A-Za-z0-9]{36}$`,
	"github-oauth-token":              `^gho_[A-Za-z0-9]{36}$`,
	"github-app-installation-token":   `^ghs_[A-Za-z0-9]{36}$`,
	"github-refresh-token":            `^ghr_[A-Za-z0-9]{36}$`,
	"github-user-to-server-token":     `^ghu_[A-Za-z0-9]{36}$`,
	"github-fine-grained-pat":         `^github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}$`,
	"gitlab-pat":                      `^glpat-[0-9A-Za-z_-]{20}$`,
	"gitlab-pat-routable":             `^glpat-[0-9A-Za-z_-]{27,300}\.[0-9a-z]{2}\.[0-9a-z]{9}$`,
	"gitlab-runner-token":             `^glrt-t\d_[0-9A-Za-z_-]{27,300}\.[0-9a-z]{2}\.[0-9a-z]{9}$`,
	"gitlab-deploy-token":             `^gldt-[0-9A-Za-z_-]{20}$`,
	"gitlab-trigger-token":            `^glptt-[0-9a-f]{40}$`,
	"slack-bot-token":                 `^xoxb-[0-9]{10,13}-[0-9]{10,13}[A-Za-z0-9-]*$`,
	"slack-user-token":                `^xoxp(?:-[0-9]{10,13}){3}-[A-Za-z0-9-]{28,34}$`,
	"slack-app-token":                 `^xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+$`,
	"slack-webhook-url":               `^https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]{23,25}$`,
	"stripe-secret-key":               `^sk_live_[A-Za-z0-9]{10,99}$`,
	"stripe-restricted-key":           `^rk_live_[A-Za-z0-9]{10,99}$`,
	"twilio-api-key":                  `^SK[0-9a-f]{32}$`,
	"sendgrid-api-key":                `^SG\.[\w-]{22}\.[\w-]{43}$`,
	"openai-api-key":                  `^sk-proj-[\w-]+T3BlbkFJ[\w-]+$`,
	"anthropic-api-key":               `^sk-ant-api03-[\w-]{93}AA$`,
	"huggingface-token":               `^hf_[A-Za-z]{34}$`,
	"npm-token":                       `^npm_[A-Za-z0-9]{36}$`,
	"pypi-token":                      `^pypi-AgEIcHlwaS5vcmc[\w-]{50,1000}$`,
	"dockerhub-pat":                   `^dckr_pat_[A-Za-z0-9_-]{27}$`,
	"terraform-cloud-token":           `^[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70}$`,
	"vault-token":                     `^hvs\.[\w-]{90,120}$`,
	"pulumi-access-token":             `^pul-[0-9a-f]{40}$`,
	"databricks-token":                `^dapi[0-9a-f]{32}$`,
	"digitalocean-token":              `^dop_v1_[0-9a-f]{64}$`,
	"grafana-service-account-token":   `^glsa_[A-Za-z0-9]{32}_[0-9a-f]{8}$`,
	"sentry-auth-token":               `^sntrys_eyJ[A-Za-z0-9+/=]+_[A-Za-z0-9+/]{43}$`,
	"sentry-dsn":                      `^https://[0-9a-f]{32}@o\d+\.ingest\.us\.sentry\.io/\d+$`,
	"newrelic-license-key":            `^[0-9a-f]{36}NRAL$`,
	"epic-client-secret":              `^[A-Za-z0-9+/]{86}==$`,
	"epic-access-token":               `^[A-Za-z0-9_-]{128}$`,
	"athena-client-secret":            `^[A-Za-z0-9_-]{40}$`,
	"age-secret-key":                  `^AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}$`,
	"postgres-uri":                    `^postgresql://[^:]+:[A-Za-z0-9]+@`,
	"mongodb-uri":                     `^mongodb\+srv://[^:]+:[A-Za-z0-9]+@`,
	"jwt":                             `^eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$`,
	"k8s-service-account-token":       `^eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$`,
}

func TestKindShapes(t *testing.T) {
	g := testGen(t)
	for kind, re := range shapes {
		rx := regexp.MustCompile(re)
		spec, f, err := lookupGen(secretKinds, kind, "")
		if err != nil {
			t.Fatal(err)
		}
		if spec.family == "" {
			t.Errorf("%s: no family", kind)
		}
		for i := 0; i < 20; i++ {
			v := f(g).text
			if !rx.MatchString(v) {
				t.Errorf("%s: %q does not match %s", kind, v, re)
				break
			}
		}
	}
}

func TestEveryKindGenerates(t *testing.T) {
	g := testGen(t)
	for _, table := range []map[string]kindSpec{secretKinds, baitKinds} {
		for kind, spec := range table {
			if spec.family == "" {
				t.Errorf("%s: no family", kind)
			}
			if spec.gen == nil {
				continue
			}
			if v := spec.gen(g); v.text == "" || v.off < 0 || v.off >= len(v.text) {
				t.Errorf("%s: bad value %+v", kind, v)
			}
			for name, f := range spec.variants {
				if v := f(g); v.text == "" {
					t.Errorf("%s/%s: empty", kind, name)
				}
			}
		}
	}
	for kind := range secretKinds {
		if _, ok := baitKinds[kind]; ok {
			t.Errorf("%s is both a secret and a bait kind", kind)
		}
	}
}

func TestCRC32Checksums(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, prefix := range []string{"ghp_", "gho_", "ghs_", "ghr_", "ghu_", "npm_"} {
		for i := 0; i < 200; i++ {
			tok := crc32Token(r, prefix)
			if !validCRC32Token(tok) {
				t.Fatalf("%s fails its own checksum", tok)
			}
			if c := tok[len(tok)-6]; c < '0' || c > '4' {
				t.Fatalf("%s: checksum must start with 0-4", tok)
			}
			if bad := badCRC32Token(r, prefix); validCRC32Token(bad) {
				t.Fatalf("%s should fail its checksum", bad)
			}
		}
	}
	// Leading zeros: a CRC below 62^5 pads with '0'.
	if got := base62Encode(61, 6); got != "00000z" {
		t.Errorf("base62Encode(61) = %q", got)
	}
	if got := base62Encode(1<<32-1, 6); got != "4gfFC3" {
		t.Errorf("max CRC encodes to %q, want 4gfFC3", got)
	}
}

func TestFineGrainedAndGitLabChecks(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 50; i++ {
		if tok := fineGrainedPAT(r); !validFineGrainedPAT(tok) || len(tok) != 93 {
			t.Fatalf("fine-grained PAT %s fails", tok)
		}
		tok := gitlabRoutable(r, "glpat-", map[string]string{"o": "1z", "u": "abc"})
		if !validGitlabRoutable(tok) {
			t.Fatalf("gitlab token %s fails its CRC", tok)
		}
		// decode the payload: random(16) + "o:1z\nu:abc" + len
		body := tok[len("glpat-"):strings.Index(tok, ".")]
		raw, err := base64.RawURLEncoding.DecodeString(body)
		if err != nil {
			t.Fatal(err)
		}
		if p := string(raw[16 : len(raw)-1]); p != "o:1z\nu:abc" || int(raw[len(raw)-1]) != len(p) {
			t.Fatalf("payload %q", p)
		}
	}
}

func TestAWSKeyIDEncodesAccount(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 100; i++ {
		id := awsKeyID(r, "AKIA")
		acct, ok := awsAccountFromKeyID(id)
		if !ok || acct < 100000000000 || acct > 999999999999 {
			t.Fatalf("%s decodes to %d, %v", id, acct, ok)
		}
	}
}

func TestJWTsDecode(t *testing.T) {
	g := testGen(t)
	for _, kind := range []string{"jwt", "k8s-service-account-token", "supabase-service-role-key"} {
		tok := secretKinds[kind].gen(g).text
		parts := strings.Split(tok, ".")
		if len(parts) != 3 {
			t.Fatalf("%s: %d parts", kind, len(parts))
		}
		for _, p := range parts[:2] {
			b, err := base64.RawURLEncoding.DecodeString(p)
			if err != nil {
				t.Fatalf("%s: %v", kind, err)
			}
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatalf("%s: %v", kind, err)
			}
		}
	}
	// The jwt.io example is rebuilt bit for bit from its documented key.
	got := baitKinds["jwt-io-example"].gen(g).text
	if !strings.HasSuffix(got, ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c") {
		t.Errorf("jwt.io example = %s", got)
	}
}

func TestPyPIMacaroon(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	tok := pypiToken(r, "pypi.org")
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tok, "pypi-"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(raw), "\x02\x01\x08pypi.org\x02\x24") {
		t.Errorf("macaroon header %q", raw[:16])
	}
}

func TestPrivateKeysParse(t *testing.T) {
	g := testGen(t)
	parse := func(kind, variant string) *pem.Block {
		_, f, err := lookupGen(secretKinds, kind, variant)
		if err != nil {
			t.Fatal(err)
		}
		txt := f(g).text
		b, rest := pem.Decode([]byte(txt))
		if b == nil || len(strings.TrimSpace(string(rest))) != 0 {
			t.Fatalf("%s/%s: not one PEM block:\n%s", kind, variant, txt)
		}
		return b
	}
	if k, err := x509.ParsePKCS1PrivateKey(parse("rsa-private-key", "").Bytes); err != nil || k.N.BitLen() != 2048 {
		t.Errorf("pkcs1: %v", err)
	}
	if _, err := x509.ParseECPrivateKey(parse("ec-private-key", "p384").Bytes); err != nil {
		t.Errorf("sec1: %v", err)
	}
	for _, v := range []string{"", "ec", "ed25519"} {
		if _, err := x509.ParsePKCS8PrivateKey(parse("pkcs8-private-key", v).Bytes); err != nil {
			t.Errorf("pkcs8/%s: %v", v, err)
		}
	}
	if b := parse("rsa-private-key-encrypted", ""); b.Headers["Proc-Type"] != "4,ENCRYPTED" || !strings.HasPrefix(b.Headers["DEK-Info"], "AES-256-CBC,") {
		t.Errorf("legacy encrypted headers %v", b.Headers)
	}
	if b := parse("pkcs8-encrypted-private-key", ""); b.Type != "ENCRYPTED PRIVATE KEY" {
		t.Errorf("type %s", b.Type)
	}
	for _, v := range []string{"", "ecdsa", "rsa"} {
		b := parse("openssh-private-key", v)
		if !strings.HasPrefix(string(b.Bytes), "openssh-key-v1\x00\x00\x00\x00\x04none") {
			t.Errorf("openssh/%s header %q", v, b.Bytes[:24])
		}
	}
	if b := parse("openssh-private-key-encrypted", ""); !strings.Contains(string(b.Bytes[:40]), "aes256-ctr") {
		t.Errorf("encrypted openssh header %q", b.Bytes[:40])
	}
	// A base64-wrapped key decodes to PEM.
	raw, err := base64.StdEncoding.DecodeString(secretKinds["base64-private-key"].gen(g).text)
	if err != nil || !strings.HasPrefix(string(raw), "-----BEGIN EC PRIVATE KEY-----") {
		t.Errorf("base64-private-key: %v %q", err, raw)
	}
}

func TestJWKPrivateMember(t *testing.T) {
	g := testGen(t)
	for _, v := range []string{"", "ec384", "ec256", "rsa-oneline"} {
		_, f, _ := lookupGen(secretKinds, "jwk-private-key", v)
		val := f(g)
		var m map[string]string
		if err := json.Unmarshal([]byte(val.text), &m); err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		if m["d"] == "" || !strings.HasPrefix(val.text[val.off:], m["d"]) {
			t.Errorf("%s: offset %d does not point at d", v, val.off)
		}
	}
	sa := gcpServiceAccount(g)
	var m map[string]string
	if err := json.Unmarshal([]byte(sa.text), &m); err != nil {
		t.Fatal(err)
	}
	if m["type"] != "service_account" || !strings.HasPrefix(sa.text[sa.off:], "-----BEGIN PRIVATE KEY-----") {
		t.Errorf("service account: off %d", sa.off)
	}
	b, _ := pem.Decode([]byte(m["private_key"]))
	if b == nil {
		t.Fatal("service account key is not PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := k.(*rsa.PrivateKey); !ok {
		t.Errorf("service account key is %T", k)
	}
}

func TestBaitPublicMaterialParses(t *testing.T) {
	g := testGen(t)
	b, _ := pem.Decode([]byte(baitKinds["pem-certificate"].gen(g).text))
	if _, err := x509.ParseCertificate(b.Bytes); err != nil {
		t.Errorf("certificate: %v", err)
	}
	b, _ = pem.Decode([]byte(baitKinds["pem-public-key"].gen(g).text))
	if k, err := x509.ParsePKIXPublicKey(b.Bytes); err != nil {
		t.Errorf("public key: %v", err)
	} else if _, ok := k.(*ecdsa.PublicKey); !ok {
		t.Errorf("public key is %T", k)
	}
	if s := baitKinds["age-recipient"].gen(g).text; !regexp.MustCompile(`^age1[02-9ac-hj-np-z]{58}$`).MatchString(s) {
		t.Errorf("age recipient %s", s)
	}
}

func TestRSAKeyDeterministic(t *testing.T) {
	a := rsaKey(99, "x", 2048)
	rsaCache.Delete("99/x/2048")
	b := rsaKey(99, "x", 2048)
	if !a.Equal(b) {
		t.Error("same seed and id gave different RSA keys")
	}
	if rsaKey(99, "y", 2048).Equal(a) {
		t.Error("different ids gave the same key")
	}
}
