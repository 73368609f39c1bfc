package verify

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/sprawlsec/sprawl/scanner"
)

// Microsoft Entra ID (Azure AD): the OAuth 2.0 client-credentials grant
// with the application's client secret. A token means the secret works.
// https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow
// https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes
const (
	azureHost = "login.microsoftonline.com"
	// The captures naming the application: its directory (tenant id or
	// a verified domain) and its application (client) id.
	azureTenantCapture = "tenant"
	azureClientCapture = "client_id"
)

var azureClientCredentials = &program{
	hosts: []string{azureHost},
	docs:  "https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow",
	run:   runAzure,
}

var guidRe = lazyRegexp(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// azureTenantOK accepts a tenant id (a GUID) or a domain name, nothing
// that could change the token URL's path or host.
func azureTenantOK(t string) bool {
	return guidRe().MatchString(t) || instanceHostOK(t)
}

// Entra error codes (AADSTS…) that say the secret or the application is
// gone: 7000215 invalid secret, 7000222 expired secret, 700016 no such
// application in the directory.
var azureRevoked = map[int]bool{7000215: true, 7000222: true, 700016: true}

func runAzure(ctx context.Context, v *Verifier, c Candidate) scanner.Verification {
	tenant := strings.ToLower(c.Captures[azureTenantCapture])
	client := c.Captures[azureClientCapture]
	if tenant == "" || client == "" {
		return unknown("tenant and client id not found beside the secret")
	}
	if !azureTenantOK(tenant) || !guidRe().MatchString(client) {
		return unknown("tenant or client id malformed")
	}
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {client},
		"client_secret": {c.Secret},
		"scope":         {"https://graph.microsoft.com/.default"},
	}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "https://"+azureHost+"/"+tenant+"/oauth2/v2.0/token", strings.NewReader(form))
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
		return scanner.Verification{Status: scanner.VerifyLive, Identity: map[string]string{"account": tenant, "key_id": client}}
	}
	if r.status == http.StatusBadRequest || r.status == http.StatusUnauthorized {
		for _, code := range body.ErrorCodes {
			if azureRevoked[code] {
				return scanner.Verification{Status: scanner.VerifyRevoked}
			}
		}
	}
	if body.Error != "" {
		return unknown("unexpected response: status %d (%s)", r.status, clean(body.Error))
	}
	return unknown("unexpected response: status %d", r.status)
}
