package verify

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sprawlsec/sprawl/scanner"
)

// Microsoft Entra ID (Azure AD) certificate credentials: the OAuth 2.0
// client-credentials grant with a client assertion, a JWT the
// application signs with its certificate's private key. A token means
// the key, and the certificate registered on the application, work.
//
//	POST https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token
//	grant_type=client_credentials&client_id={client}&scope=https://graph.microsoft.com/.default
//	&client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer&client_assertion={JWT}
//
// The assertion's header names the certificate: "x5t#S256", the
// base64url SHA-256 of its DER encoding, signed PS256 (the current
// documentation), or, when only a SHA-1 thumbprint is written beside the
// key, "x5t", its base64url SHA-1 thumbprint, signed RS256 (the form the
// documentation gave before, still accepted). Claims: aud = the token
// URL, iss = sub = the client id, a random jti, nbf, iat and exp five
// minutes ahead (Entra takes at most ten). Only the signed assertion is
// sent, never the key.
//
// https://learn.microsoft.com/en-us/entra/identity-platform/certificate-credentials
// https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow#second-case-access-token-request-with-a-certificate
// https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes
const (
	// azureCertCapture is the PEM certificate found beside the key (a PEM
	// bundle holds both); azureThumbprintCapture a thumbprint written
	// beside it instead (appsettings' "CertificateThumbprint"): 40 hex
	// digits of SHA-1, as the Azure portal shows, or 64 of SHA-256.
	azureCertCapture       = "certificate"
	azureThumbprintCapture = "thumbprint"
	// azureSovereignCapture is a national cloud's authority host written
	// beside the key (Azure Government, Azure operated by 21Vianet): its
	// tenants are unknown to login.microsoftonline.com, which would answer
	// AADSTS90002, so the key is not asked there.
	azureSovereignCapture = "sovereign_authority"
	// azureCertLifetime is the assertion's life; Entra accepts up to 10 min.
	azureCertLifetime = 5 * time.Minute
	azureCertDocs     = "https://learn.microsoft.com/en-us/entra/identity-platform/certificate-credentials"
)

// keyCredential serves the PEM private-key rules: a key beside an Entra
// ID tenant is an application's certificate credential, a key beside a
// SMART token endpoint a backend client's; a key beside neither (a TLS
// server's) has no validator.
var keyCredential = &program{
	hosts: append([]string{azureHost}, smartDomains...),
	docs:  azureCertDocs, // and smartBackend.docs for a SMART key
	run: func(ctx context.Context, v *Verifier, c Candidate) scanner.Verification {
		if smartApplies(c) {
			return runSMART(ctx, v, c)
		}
		return runAzureCert(ctx, v, c)
	},
	applies: func(c Candidate) bool { return smartApplies(c) || azureCertApplies(c) },
}

// azureCertApplies: a private key is an Entra ID certificate credential
// when the text beside it names a tenant, a certificate thumbprint, or
// Entra's token endpoint as its token URL. A certificate alone does not
// make it one: a TLS server's key sits beside its certificate too.
func azureCertApplies(c Candidate) bool {
	if e := c.Captures[smartEndpointCapture]; e != "" {
		u, err := url.Parse(e)
		return err == nil && strings.EqualFold(u.Hostname(), azureHost)
	}
	return c.Captures[azureTenantCapture] != "" || c.Captures[azureThumbprintCapture] != ""
}

// azureRevokedCert are the Entra error codes that say the credential does
// not work: 7000215 invalid client credential, 700027 the certificate is
// not registered on the application (or the assertion's signature fails
// against it), 700016 no such application in the directory. 90002 (no
// such tenant) is not among them: the tenant beside the key was only
// guessed to be Entra's (a GUID beside a key may name another provider's
// tenant, where the key may well work), so it reads unknown.
var azureRevokedCert = map[int]bool{7000215: true, 700027: true, 700016: true}

// azureNoTenant is Entra's "tenant not found".
const azureNoTenant = 90002

var thumbprintRe = lazyRegexp(`^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$`)

// azureTenantFromEndpoint reads the tenant from an Entra token URL
// written as the key's token endpoint.
func azureTenantFromEndpoint(e string) string {
	u, err := url.Parse(e)
	if err != nil || !strings.EqualFold(u.Hostname(), azureHost) {
		return ""
	}
	t, _, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	return t
}

func runAzureCert(ctx context.Context, v *Verifier, c Candidate) scanner.Verification {
	tenant := strings.ToLower(c.Captures[azureTenantCapture])
	if tenant == "" {
		tenant = strings.ToLower(azureTenantFromEndpoint(c.Captures[smartEndpointCapture]))
	}
	client := c.Captures[azureClientCapture]
	if tenant == "" || client == "" {
		return unknown("tenant and client id not found beside the key")
	}
	if !azureTenantOK(tenant) || !guidRe().MatchString(client) {
		return unknown("tenant or client id malformed")
	}
	if h := c.Captures[azureSovereignCapture]; h != "" {
		return unknown("a national cloud's application (%s): not asked at %s", clean(strings.ToLower(h)), azureHost)
	}
	parsed, err := parsePEMKey(c.Secret)
	if err != nil {
		return unknown("private key: %v", err)
	}
	key, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return unknown("private key: Entra ID certificate credentials are RSA")
	}
	header := map[string]string{"typ": "JWT"}
	alg := ""
	id := map[string]string{"account": tenant, "key_id": client}
	if p := c.Captures[azureCertCapture]; p != "" {
		cert, err := pemCertificate(p)
		if err != nil {
			return unknown("certificate: %v", err)
		}
		if pub, ok := cert.PublicKey.(*rsa.PublicKey); !ok || !pub.Equal(&key.PublicKey) {
			return unknown("the certificate beside the key is not the key's: not asked")
		}
		s256 := sha256.Sum256(cert.Raw)
		s1 := sha1.Sum(cert.Raw)
		alg, header["x5t#S256"] = "PS256", base64.RawURLEncoding.EncodeToString(s256[:])
		id["key_name"] = "certificate " + strings.ToUpper(hex.EncodeToString(s1[:]))
		id["expiry"] = "certificate expires " + cert.NotAfter.UTC().Format(time.DateOnly)
	} else if t := c.Captures[azureThumbprintCapture]; t != "" {
		if !thumbprintRe().MatchString(t) {
			return unknown("certificate thumbprint malformed")
		}
		raw, _ := hex.DecodeString(t)
		if len(raw) == sha1.Size {
			alg, header["x5t"] = "RS256", base64.RawURLEncoding.EncodeToString(raw)
		} else {
			alg, header["x5t#S256"] = "PS256", base64.RawURLEncoding.EncodeToString(raw)
		}
		id["key_name"] = "certificate " + strings.ToUpper(t)
	} else {
		return unknown("certificate or its thumbprint not found beside the key")
	}
	header["alg"] = alg
	tokenURL := "https://" + azureHost + "/" + tenant + "/oauth2/v2.0/token"
	now := v.o.Now().UTC()
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return unknown("jti: %v", err)
	}
	assertion, err := signJWS(key, alg, header, map[string]any{
		"aud": tokenURL, "iss": client, "sub": client, "jti": hex.EncodeToString(jti),
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(azureCertLifetime).Unix(),
	})
	if err != nil {
		return unknown("sign assertion: %v", err)
	}
	form := url.Values{
		"grant_type":            {"client_credentials"},
		"client_id":             {client},
		"scope":                 {"https://graph.microsoft.com/.default"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {assertion},
	}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, strings.NewReader(form))
	if err != nil {
		return unknown("build request: %s", redactErr(err, c.Secret))
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r, fail := v.send(ctx, azureHost, req, c.Secret)
	if fail != nil {
		return *fail
	}
	var body struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
		ErrorCodes  []int  `json:"error_codes"`
	}
	_ = json.Unmarshal(r.body, &body)
	if r.status == http.StatusOK && body.AccessToken != "" {
		// The token itself is never kept or shown.
		return scanner.Verification{Status: scanner.VerifyLive, Identity: id}
	}
	if r.status == http.StatusBadRequest || r.status == http.StatusUnauthorized {
		for _, code := range body.ErrorCodes {
			if azureRevokedCert[code] {
				return scanner.Verification{Status: scanner.VerifyRevoked}
			}
			if code == azureNoTenant {
				return unknown("Entra ID knows no such tenant (AADSTS90002): the key may belong to another provider's tenant")
			}
		}
	}
	if body.Error != "" {
		return unknown("unexpected response: status %d (%s)", r.status, clean(body.Error))
	}
	return unknown("unexpected response: status %d", r.status)
}

// pemCertificate parses a PEM certificate as found in text: newlines
// possibly escaped, lines possibly indented or quoted.
func pemCertificate(s string) (*x509.Certificate, error) {
	block, _ := pem.Decode([]byte(pemText(s)))
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, keyError("not a PEM certificate")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, keyError("unreadable certificate")
	}
	return cert, nil
}
