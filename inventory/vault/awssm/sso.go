package awssm

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ssoProvider is an IAM Identity Center profile: the token that `aws sso
// login` cached in ~/.aws/sso/cache, exchanged for the account role's
// credentials by the portal's GetRoleCredentials. The token is not
// refreshed here: an expired one asks for `aws sso login`.
// https://docs.aws.amazon.com/sdkref/latest/guide/feature-sso-credentials.html
type ssoProvider struct {
	profile   string
	cacheFile string
	endpoint  string
	account   string
	role      string
	hc        *http.Client
	now       func() time.Time
}

func (sc *shared) ssoProvider(name string, prof section) (CredentialsProvider, error) {
	startURL, region, key := prof["sso_start_url"], prof["sso_region"], prof["sso_start_url"]
	if sess := prof["sso_session"]; sess != "" {
		s, ok := sc.sso[sess]
		if !ok {
			return nil, fmt.Errorf("aws: profile %q: sso-session %q not found in the config file", name, sess)
		}
		startURL, region, key = firstNonEmpty(s["sso_start_url"], startURL), firstNonEmpty(s["sso_region"], region), sess
	}
	if startURL == "" || region == "" || prof["sso_account_id"] == "" || prof["sso_role_name"] == "" {
		return nil, fmt.Errorf("aws: profile %q: IAM Identity Center needs sso_start_url, sso_region, sso_account_id and sso_role_name", name)
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return nil, fmt.Errorf("aws: profile %q: %w", name, err)
	}
	sum := sha1.Sum([]byte(key))
	ep := "https://portal.sso." + region + ".amazonaws.com"
	if strings.HasPrefix(region, "cn-") {
		ep += ".cn"
	}
	if v := firstEnv("AWS_ENDPOINT_URL_SSO"); v != "" && !strings.EqualFold(firstEnv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true") {
		ep = v
	}
	return newCache(&ssoProvider{profile: name, cacheFile: filepath.Join(home, ".aws", "sso", "cache", hex.EncodeToString(sum[:])+".json"),
		endpoint: strings.TrimRight(ep, "/"), account: prof["sso_account_id"], role: prof["sso_role_name"], hc: sc.hc, now: time.Now}), nil
}

func (p *ssoProvider) Retrieve(ctx context.Context) (Credentials, error) {
	login := fmt.Sprintf("run `aws sso login --profile %s`, or export credentials (eval \"$(aws configure export-credentials --profile %s --format env)\")", p.profile, p.profile)
	b, err := os.ReadFile(p.cacheFile)
	if errors.Is(err, os.ErrNotExist) {
		return Credentials{}, fmt.Errorf("profile %q: no cached IAM Identity Center token: %s", p.profile, login)
	}
	if err != nil {
		return Credentials{}, fmt.Errorf("profile %q: %w", p.profile, err)
	}
	var tok struct {
		AccessToken string `json:"accessToken"`
		ExpiresAt   string `json:"expiresAt"`
	}
	if err := json.Unmarshal(b, &tok); err != nil || tok.AccessToken == "" {
		return Credentials{}, fmt.Errorf("profile %q: unreadable IAM Identity Center token cache %s: %s", p.profile, p.cacheFile, login)
	}
	if exp, err := time.Parse(time.RFC3339, tok.ExpiresAt); err != nil || !p.now().Before(exp) {
		return Credentials{}, fmt.Errorf("profile %q: the IAM Identity Center token has expired: %s", p.profile, login)
	}
	q := url.Values{"account_id": {p.account}, "role_name": {p.role}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.endpoint+"/federation/credentials?"+q.Encode(), nil)
	if err != nil {
		return Credentials{}, err
	}
	req.Header.Set("X-Amz-Sso_bearer_token", tok.AccessToken)
	var v struct {
		RoleCredentials struct {
			AccessKeyID     string `json:"accessKeyId"`
			SecretAccessKey string `json:"secretAccessKey"`
			SessionToken    string `json:"sessionToken"`
			Expiration      int64  `json:"expiration"`
		} `json:"roleCredentials"`
		Message string `json:"message"`
	}
	status, err := getJSON(p.hc, req, &v)
	if err != nil {
		return Credentials{}, fmt.Errorf("profile %q: sso GetRoleCredentials: %w", p.profile, err)
	}
	if status == http.StatusUnauthorized {
		return Credentials{}, fmt.Errorf("profile %q: IAM Identity Center refused the cached token: %s", p.profile, login)
	}
	rc := v.RoleCredentials
	if status != http.StatusOK || rc.AccessKeyID == "" {
		return Credentials{}, fmt.Errorf("profile %q: sso GetRoleCredentials: HTTP %d %s", p.profile, status, v.Message)
	}
	return Credentials{AccessKeyID: rc.AccessKeyID, SecretAccessKey: rc.SecretAccessKey, SessionToken: rc.SessionToken,
		Expires: time.UnixMilli(rc.Expiration), Source: "sso profile " + p.profile}, nil
}
