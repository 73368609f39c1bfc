package verify

import (
	"context"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/scanner"
)

// SMART on FHIR backend services (Epic, Oracle Health/Cerner, athenahealth
// and any EHR that follows the HL7 profile): the client-credentials grant
// at the token endpoint named beside the credential.
//
//   - A private key (PEM, or a JWK with its private member) signs a JWT
//     client_assertion (RS384 for RSA, ES384 for P-384): iss = sub = the
//     client id, aud = the token endpoint, a fresh jti, exp four minutes
//     ahead (the profile allows at most five). Only the signed assertion
//     is sent, never the key.
//   - A client secret goes with its client id as HTTP basic auth.
//
// 200 with an access token is live (the token is discarded; the granted
// scope and lifetime are shown); invalid_client (400 or 401), or a 401,
// is revoked; anything else is unknown.
//
// The token endpoint comes from scanned content, which may be hostile, so
// it is asked only over https, only at a DNS name, and only when its host
// is an EHR vendor's own domain (smartDomains) or the user named it in
// --verify-hosts: a customer's production endpoint is never asked unless
// the user says so, and a client secret never goes anywhere else.
//
// https://hl7.org/fhir/smart-app-launch/backend-services.html
// https://hl7.org/fhir/smart-app-launch/client-confidential-asymmetric.html
// https://fhir.epic.com/Documentation?docId=oauth2&section=BackendOAuth2Guide
// https://fhir.cerner.com/authorization/
const (
	smartClientCapture   = "client_id"
	smartEndpointCapture = "token_endpoint"
	// smartJWKCapture is the JSON object of a JWK around its private
	// member, smartKidCapture a key id written beside a PEM key.
	smartJWKCapture = "jwk"
	smartKidCapture = "kid"
	// smartLifetime is the assertion's life; the profile caps it at 5 min.
	smartLifetime = 4 * time.Minute
)

// smartDomains are the token endpoint hosts of EHR vendors' own services,
// asked without the user naming them: Epic's (fhir.epic.com, the
// vendorservices sandbox), Oracle Health's authorization server
// (authorization.cerner.com, the older sandboxcerner.com), athenahealth's
// platform (api.platform.athenahealth.com and its preview). A customer's
// own EHR host must be named in --verify-hosts. Oracle Health documents
// no other SMART token host: its cloud services (Clinical Data Exchange,
// Immunization Management) take tokens from the customer's own Oracle
// Cloud identity domain (idcs-….identity.oraclecloud.com), shared by all
// Oracle tenants and named per customer, so that too needs --verify-hosts.
// https://docs.oracle.com/en/industries/health/clinical-data-exchange/ocdex/authenticate_oauth2.html
var smartDomains = []string{"*.epic.com", "*.cerner.com", "*.sandboxcerner.com", "*.athenahealth.com"}

var smartBackend = &program{
	hosts:   smartDomains,
	docs:    "https://hl7.org/fhir/smart-app-launch/backend-services.html",
	run:     runSMART,
	applies: smartApplies,
}

// smartApplies: a credential serves SMART only with a token endpoint
// beside it, and not one of the identity providers with validators of
// their own (a Google key file's token_uri, an Entra authority).
func smartApplies(c Candidate) bool {
	e := c.Captures[smartEndpointCapture]
	if e == "" {
		return false
	}
	u, err := url.Parse(e)
	if err != nil {
		return true // asked, and found malformed: unknown with a reason
	}
	switch strings.ToLower(u.Hostname()) {
	case "oauth2.googleapis.com", "accounts.google.com", "www.googleapis.com", "login.microsoftonline.com":
		return false
	}
	return true
}

// smartKeyRules hold a private key; smartSecretRules a client secret.
var smartKeyRules = map[string]bool{
	"private-key-rsa": true, "private-key-ec": true, "private-key-pkcs8": true, "jwk-private-key": true,
}

var smartClientIDRe = lazyRegexp(`^[A-Za-z0-9._~-]{1,128}$`)

func runSMART(ctx context.Context, v *Verifier, c Candidate) scanner.Verification {
	client, endpoint := c.Captures[smartClientCapture], c.Captures[smartEndpointCapture]
	if client == "" || endpoint == "" {
		return unknown("client id and token endpoint not found beside the credential")
	}
	if !smartClientIDRe().MatchString(client) {
		return unknown("client id malformed")
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "https" || u.User != nil || u.Port() != "" || u.Fragment != "" || u.Opaque != "" {
		return unknown("token endpoint is not a plain https URL: not asked")
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if !instanceHostOK(host) {
		return unknown("token endpoint host %s is not a DNS name: not asked", clean(host))
	}
	named := false
	for _, h := range v.o.Hosts {
		named = named || strings.EqualFold(h, host)
	}
	if !named && !detectors.MatchDomain(host, smartDomains) {
		return unknown("token endpoint %s is not an EHR vendor's: add it to --verify-hosts to ask it", host)
	}
	u.Host = host
	aud := u.String()
	form := url.Values{"grant_type": {"client_credentials"}}
	basic := false
	if smartKeyRules[c.Rule.ID] {
		signer, alg, err := smartKey(c)
		if err != nil {
			return unknown("private key: %v", err)
		}
		now := v.o.Now().UTC()
		jti := make([]byte, 16)
		if _, err := rand.Read(jti); err != nil {
			return unknown("jti: %v", err)
		}
		header := map[string]string{"alg": alg, "typ": "JWT"}
		if kid := c.Captures[smartKidCapture]; kid != "" && len(kid) <= 200 {
			header["kid"] = kid
		}
		assertion, err := signJWS(signer, alg, header, map[string]any{
			"iss": client, "sub": client, "aud": aud, "jti": hex.EncodeToString(jti),
			"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(smartLifetime).Unix(),
		})
		if err != nil {
			return unknown("sign assertion: %v", err)
		}
		form.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
		form.Set("client_assertion", assertion)
	} else {
		basic = true
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, aud, strings.NewReader(form.Encode()))
	if err != nil {
		return unknown("build request: %s", redactErr(err, c.Secret))
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if basic {
		// client_secret_basic: both parts form-encoded, then joined.
		pair := url.QueryEscape(client) + ":" + url.QueryEscape(c.Secret)
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(pair)))
	}
	r, fail := v.send(ctx, host, req, c.Secret)
	if fail != nil {
		return *fail
	}
	var body struct {
		AccessToken string          `json:"access_token"`
		Scope       string          `json:"scope"`
		ExpiresIn   json.RawMessage `json:"expires_in"`
		Error       string          `json:"error"`
	}
	_ = json.Unmarshal(r.body, &body)
	switch {
	case r.status == http.StatusOK && body.AccessToken != "":
		// The token itself is never kept or shown.
		id := map[string]string{"key_id": client}
		if s := clean(body.Scope); s != "" && !strings.Contains(s, c.Secret) {
			id["scopes"] = s
		}
		if e := strings.Trim(string(body.ExpiresIn), `"`); e != "" && len(e) < 12 {
			id["expiry"] = "token expires_in " + clean(e) + "s"
		}
		return scanner.Verification{Status: scanner.VerifyLive, Identity: id}
	case (r.status == http.StatusBadRequest || r.status == http.StatusUnauthorized) && body.Error == "invalid_client",
		r.status == http.StatusUnauthorized:
		return scanner.Verification{Status: scanner.VerifyRevoked}
	case body.Error != "":
		return unknown("unexpected response: status %d (%s)", r.status, clean(body.Error))
	}
	return unknown("unexpected response: status %d", r.status)
}

// smartKey reads the candidate's private key: the PEM block it matched,
// or the JWK object around the private member it matched.
func smartKey(c Candidate) (crypto.Signer, string, error) {
	if c.Rule.ID == "jwk-private-key" {
		return jwkKey(c.Captures[smartJWKCapture], c.Secret)
	}
	return pemKey(c.Secret)
}

// pemKey parses a PEM private key as found in text: newlines possibly
// escaped, lines possibly indented or quoted.
func pemKey(s string) (crypto.Signer, string, error) {
	key, err := parsePEMKey(s)
	if err != nil {
		return nil, "", err
	}
	return smartAlg(key)
}

// parsePEMKey reads a PEM private key (PKCS #1, SEC 1 or PKCS #8) as
// found in text.
func parsePEMKey(s string) (any, error) {
	block, _ := pem.Decode([]byte(pemText(s)))
	if block == nil {
		return nil, keyError("not a PEM private key")
	}
	var key any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	}
	if err != nil {
		return nil, keyError("unreadable private key")
	}
	return key, nil
}

// pemText undoes what text around a PEM block does to it: newlines
// escaped (a JSON or .env value), lines indented (YAML) or quoted and
// concatenated (source code).
func pemText(s string) string {
	s = strings.ReplaceAll(s, `\r`, "")
	s = strings.ReplaceAll(s, `\n`, "\n")
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if strings.ContainsAny(line, `"'`) {
			// A quoted line of source code, possibly concatenated: "…" +
			line = strings.TrimSpace(strings.TrimSuffix(line, "+"))
			line = strings.Trim(line, " \t\"',")
		}
		if line != "" {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// smartAlg picks the profile's algorithm for a key: RS384 for RSA, ES384
// for P-384.
func smartAlg(key any) (crypto.Signer, string, error) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return k, "RS384", nil
	case *ecdsa.PrivateKey:
		if k.Curve == elliptic.P384() {
			return k, "ES384", nil
		}
	}
	return nil, "", keyError("not an RSA or P-384 key (RS384, ES384)")
}

// jwkKey reads an RSA or P-384 JWK whose private member d is secret, and
// checks that its public members belong to it.
func jwkKey(obj, secret string) (crypto.Signer, string, error) {
	var j struct {
		Kty, Crv, X, Y, N, E, D, P, Q string
	}
	if obj == "" || json.Unmarshal([]byte(obj), &j) != nil || j.D != secret {
		return nil, "", keyError("JWK not found around the private member")
	}
	num := func(s string) (*big.Int, bool) {
		b, err := base64.RawURLEncoding.DecodeString(s)
		return new(big.Int).SetBytes(b), err == nil && len(b) > 0
	}
	switch j.Kty {
	case "RSA":
		n, ok1 := num(j.N)
		e, ok2 := num(j.E)
		d, ok3 := num(j.D)
		p, ok4 := num(j.P)
		q, ok5 := num(j.Q)
		if !(ok1 && ok2 && ok3 && ok4 && ok5) || !e.IsInt64() {
			return nil, "", keyError("RSA JWK without n, e, d, p and q")
		}
		k := &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: n, E: int(e.Int64())}, D: d, Primes: []*big.Int{p, q}}
		if k.Validate() != nil {
			return nil, "", keyError("RSA JWK does not hold together")
		}
		k.Precompute()
		return k, "RS384", nil
	case "EC":
		if j.Crv != "P-384" {
			return nil, "", keyError("not an RSA or P-384 key (RS384, ES384)")
		}
		d, err := base64.RawURLEncoding.DecodeString(j.D)
		if err != nil {
			return nil, "", keyError("EC JWK: bad d")
		}
		priv, err := ecdh.P384().NewPrivateKey(d)
		if err != nil {
			return nil, "", keyError("EC JWK: bad d")
		}
		x, ok1 := num(j.X)
		y, ok2 := num(j.Y)
		pub := priv.PublicKey().Bytes() // 0x04 ‖ X ‖ Y, 48 bytes each
		if !ok1 || !ok2 || new(big.Int).SetBytes(pub[1:49]).Cmp(x) != 0 || new(big.Int).SetBytes(pub[49:]).Cmp(y) != 0 {
			return nil, "", keyError("EC JWK: x and y are not d's")
		}
		der, err := x509.MarshalPKCS8PrivateKey(priv)
		if err != nil {
			return nil, "", keyError("EC JWK: bad d")
		}
		k, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return nil, "", keyError("EC JWK: bad d")
		}
		return smartAlg(k)
	}
	return nil, "", keyError("not an RSA or P-384 key (RS384, ES384)")
}

// signJWS returns a compact JWS of claims: RS256/RS384 (RSASSA-PKCS1-v1_5),
// PS256 (RSASSA-PSS, salt as long as the hash, RFC 7518 §3.5) or ES384
// (ECDSA P-384, r ‖ s as RFC 7518 §3.4 has it).
func signJWS(signer crypto.Signer, alg string, header map[string]string, claims map[string]any) (string, error) {
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
	var h crypto.Hash
	switch alg {
	case "RS256", "PS256":
		h = crypto.SHA256
	case "RS384", "ES384":
		h = crypto.SHA384
	default:
		return "", fmt.Errorf("algorithm %s", alg)
	}
	hasher := h.New()
	hasher.Write([]byte(input))
	digest := hasher.Sum(nil)
	var sig []byte
	switch k := signer.(type) {
	case *rsa.PrivateKey:
		if alg == "PS256" {
			sig, err = rsa.SignPSS(rand.Reader, k, h, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		} else {
			sig, err = rsa.SignPKCS1v15(rand.Reader, k, h, digest)
		}
	case *ecdsa.PrivateKey:
		var r, s *big.Int
		r, s, err = ecdsa.Sign(rand.Reader, k, digest)
		if err == nil {
			sig = make([]byte, 96)
			r.FillBytes(sig[:48])
			s.FillBytes(sig[48:])
		}
	default:
		err = fmt.Errorf("key type %T", signer)
	}
	if err != nil {
		return "", err
	}
	return input + "." + enc.EncodeToString(sig), nil
}
