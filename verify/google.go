package verify

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sprawlsec/sprawl/scanner"
)

// Google service-account key: a JWT assertion signed with the key (RS256),
// exchanged at the OAuth 2.0 token endpoint; a token means the key works.
// https://developers.google.com/identity/protocols/oauth2/service-account#httprest
const (
	googleHost     = "oauth2.googleapis.com"
	googleTokenURL = "https://" + googleHost + "/token"
	// The captures beside the private_key_id a rule must provide: the
	// account's e-mail and its PEM private key (as in the JSON key file,
	// newlines possibly escaped as \n).
	googleEmailCapture = "client_email"
	googleKeyCapture   = "private_key"
	// googleTokenURICapture is the key file's token_uri: a file naming
	// another endpoint belongs to another universe (or is not Google's),
	// and its key is not asked about at Google's.
	googleTokenURICapture = "token_uri"
)

// googleTokenURIs are the token endpoints Google's key files name.
var googleTokenURIs = map[string]bool{
	googleTokenURL: true,
	"https://accounts.google.com/o/oauth2/token": true,
	"https://www.googleapis.com/oauth2/v4/token": true,
}

var googleServiceAccount = &program{
	hosts: []string{googleHost},
	docs:  "https://developers.google.com/identity/protocols/oauth2/service-account#httprest",
	run:   runGoogle,
}

var googleKeyIDRe = lazyRegexp(`^[0-9a-f]{40}$`)

var googleEmailRe = lazyRegexp(`^[a-z0-9][a-z0-9-]{0,62}@[a-z0-9][a-z0-9.-]{0,120}\.iam\.gserviceaccount\.com$`)

func runGoogle(ctx context.Context, v *Verifier, c Candidate) scanner.Verification {
	email, pemKey := c.Captures[googleEmailCapture], c.Captures[googleKeyCapture]
	if email == "" || pemKey == "" {
		return unknown("client e-mail and private key not found beside the key id")
	}
	if !googleEmailRe().MatchString(email) {
		return unknown("client e-mail malformed")
	}
	if t := c.Captures[googleTokenURICapture]; t != "" && !googleTokenURIs[t] {
		return unknown("the key file names another token endpoint (%s): not asked at %s", clean(t), googleHost)
	}
	key, err := parseRSAKey(pemKey)
	if err != nil {
		return unknown("private key: %v", err)
	}
	now := v.o.Now().UTC()
	header := map[string]string{"alg": "RS256", "typ": "JWT"}
	if googleKeyIDRe().MatchString(c.Secret) {
		header["kid"] = c.Secret
	}
	assertion, err := signJWT(key, crypto.SHA256, header, map[string]any{
		"iss":   email,
		"scope": "https://www.googleapis.com/auth/cloud-platform.read-only",
		"aud":   googleTokenURL,
		"iat":   now.Unix(),
		"exp":   now.Add(5 * time.Minute).Unix(),
	})
	if err != nil {
		return unknown("sign assertion: %v", err)
	}
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {assertion}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, googleTokenURL, strings.NewReader(form))
	if err != nil {
		return unknown("build request: %v", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r, fail := v.send(ctx, googleHost, req, c.Secret)
	if fail != nil {
		return *fail
	}
	var body struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal(r.body, &body)
	if r.status == http.StatusOK && body.AccessToken != "" {
		id := map[string]string{"account": email}
		if header["kid"] != "" {
			id["key_id"] = header["kid"]
		}
		return scanner.Verification{Status: scanner.VerifyLive, Identity: id}
	}
	// invalid_grant with these descriptions: the key was deleted (its
	// signature no longer checks) or the account is gone. Other
	// invalid_grant answers (a clock off by minutes) say nothing of the key.
	if r.status == http.StatusBadRequest && body.Error == "invalid_grant" &&
		(strings.Contains(body.Description, "Invalid JWT Signature") || strings.Contains(body.Description, "account not found")) {
		return scanner.Verification{Status: scanner.VerifyRevoked}
	}
	if body.Error != "" {
		return unknown("unexpected response: status %d (%s)", r.status, clean(body.Error))
	}
	return unknown("unexpected response: status %d", r.status)
}

// parseRSAKey reads a PEM RSA private key (PKCS #8 or PKCS #1), its
// newlines possibly escaped as in a JSON string.
func parseRSAKey(s string) (*rsa.PrivateKey, error) {
	s = strings.ReplaceAll(s, `\n`, "\n")
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, errNotRSA
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		if rk, ok := k.(*rsa.PrivateKey); ok {
			return rk, nil
		}
		return nil, errNotRSA
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	return nil, errNotRSA
}

type keyError string

func (e keyError) Error() string { return string(e) }

const errNotRSA = keyError("not a PEM RSA private key")

// signJWT returns a compact JWS of claims, signed with RSASSA-PKCS1-v1_5
// and hash h (RS256 or RS384).
func signJWT(key *rsa.PrivateKey, h crypto.Hash, header map[string]string, claims map[string]any) (string, error) {
	hb, err := json.Marshal(header)
	if err != nil {
		return "", err
	}
	cb, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	input := enc.EncodeToString(hb) + "." + enc.EncodeToString(cb)
	hasher := h.New()
	hasher.Write([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, h, hasher.Sum(nil))
	if err != nil {
		return "", err
	}
	return input + "." + enc.EncodeToString(sig), nil
}
