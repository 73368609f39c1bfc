package awssm

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sprawlsec/sprawl/internal/httpretry"
	"github.com/sprawlsec/sprawl/internal/sigv4"
)

// Credentials are an access key pair, the session token of temporary
// ones, when they expire (zero: never) and where they came from.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expires         time.Time
	Source          string
}

// String names the source and key id, never the secret or the token.
func (c Credentials) String() string { return c.Source + " " + c.AccessKeyID }

// GoString is String: %#v prints no secret either.
func (c Credentials) GoString() string { return c.String() }

// CredentialsProvider returns credentials for a request.
type CredentialsProvider interface {
	Retrieve(context.Context) (Credentials, error)
}

// StaticCredentials are fixed credentials.
type StaticCredentials Credentials

// Retrieve returns c.
func (c StaticCredentials) Retrieve(context.Context) (Credentials, error) {
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return Credentials{}, errors.New("empty access key")
	}
	return Credentials(c), nil
}

// expiryWindow: temporary credentials are renewed this long before they
// expire.
const expiryWindow = 5 * time.Minute

// cache keeps a provider's temporary credentials until shortly before
// they expire; one caller fetches at a time.
type cache struct {
	p   CredentialsProvider
	now func() time.Time

	mu  sync.Mutex
	c   Credentials
	got bool
}

func newCache(p CredentialsProvider) *cache { return &cache{p: p, now: time.Now} }

func (c *cache) Retrieve(ctx context.Context) (Credentials, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.got && (c.c.Expires.IsZero() || c.now().Before(c.c.Expires.Add(-expiryWindow))) {
		return c.c, nil
	}
	cr, err := c.p.Retrieve(ctx)
	if err != nil {
		return Credentials{}, err
	}
	c.c, c.got = cr, true
	return cr, nil
}

// chain picks the credential provider as the SDKs' default chain does
// (https://docs.aws.amazon.com/sdkref/latest/guide/standardized-credentials.html):
//
//  1. AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (AWS_SESSION_TOKEN);
//  2. web identity from the environment: AWS_WEB_IDENTITY_TOKEN_FILE and
//     AWS_ROLE_ARN (AWS_ROLE_SESSION_NAME) → sts:AssumeRoleWithWebIdentity
//     (GitHub Actions OIDC, EKS IRSA); after the profile when AWS_PROFILE
//     names one, as the SDK for Go;
//  3. the profile: source_profile or credential_source then role_arn
//     (sts:AssumeRole), static keys, web_identity_token_file,
//     credential_process, IAM Identity Center (sso_session or
//     sso_start_url: the CLI's cached token and the portal's
//     GetRoleCredentials);
//  4. the container endpoint: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
//     (169.254.170.2) or AWS_CONTAINER_CREDENTIALS_FULL_URI with
//     AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE) (ECS, EKS Pod Identity);
//  5. the EC2 instance role by IMDSv2, unless AWS_EC2_METADATA_DISABLED=true.
//
// Temporary credentials are cached until five minutes before they expire.
func chain(sc *shared, region string) (CredentialsProvider, error) {
	if p := envStatic(); p != nil {
		return p, nil
	}
	if file, role := firstEnv("AWS_WEB_IDENTITY_TOKEN_FILE"), firstEnv("AWS_ROLE_ARN"); file != "" && !sc.explicit {
		if role == "" {
			return nil, errors.New("aws: AWS_WEB_IDENTITY_TOKEN_FILE is set without AWS_ROLE_ARN")
		}
		return newCache(&webIdentity{sts: newSTS(sc, region), tokenFile: file, roleARN: role, session: firstEnv("AWS_ROLE_SESSION_NAME")}), nil
	}
	p, err := sc.fromProfile(sc.name, region, map[string]bool{})
	if err != nil || p != nil {
		return p, err
	}
	if file, role := firstEnv("AWS_WEB_IDENTITY_TOKEN_FILE"), firstEnv("AWS_ROLE_ARN"); file != "" && role != "" {
		return newCache(&webIdentity{sts: newSTS(sc, region), tokenFile: file, roleARN: role, session: firstEnv("AWS_ROLE_SESSION_NAME")}), nil
	}
	if p, err := containerProvider(); err != nil || p != nil {
		return p, err
	}
	if p := sc.imds(); p != nil {
		return p, nil
	}
	return nil, fmt.Errorf("aws: no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or configure profile %q in the shared config or credentials file (the instance metadata service is disabled by AWS_EC2_METADATA_DISABLED)", sc.name)
}

func envStatic() CredentialsProvider {
	id := firstEnv("AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY")
	secret := firstEnv("AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY")
	if id == "" || secret == "" {
		return nil
	}
	return StaticCredentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: firstEnv("AWS_SESSION_TOKEN"), Source: "environment"}
}

// fromProfile is the provider a profile configures, nil when it
// configures none (the chain goes on to the container and instance).
func (sc *shared) fromProfile(name, region string, seen map[string]bool) (CredentialsProvider, error) {
	if seen[name] {
		return nil, fmt.Errorf("aws: profile %q: source_profile loop", name)
	}
	seen[name] = true
	prof := sc.profile(name)
	static := func() CredentialsProvider {
		if prof["aws_access_key_id"] == "" || prof["aws_secret_access_key"] == "" {
			return nil
		}
		return StaticCredentials{AccessKeyID: prof["aws_access_key_id"], SecretAccessKey: prof["aws_secret_access_key"],
			SessionToken: prof["aws_session_token"], Source: "profile " + name}
	}
	if r := prof["region"]; r != "" && region == "" {
		region = r
	}
	role := prof["role_arn"]
	var base CredentialsProvider
	var err error
	switch {
	case role != "" && prof["source_profile"] != "":
		src := prof["source_profile"]
		if src == name {
			// A profile that is its own source uses its static keys.
			base = static()
		} else {
			if !sc.exists(src) {
				return nil, fmt.Errorf("aws: profile %q: source_profile %q not found", name, src)
			}
			base, err = sc.fromProfile(src, region, seen)
		}
		if err == nil && base == nil {
			err = fmt.Errorf("aws: profile %q: source_profile %q has no credentials", name, src)
		}
	case static() != nil:
		base = static()
	case role != "" && prof["credential_source"] != "":
		switch src := prof["credential_source"]; src {
		case "Environment":
			if base = envStatic(); base == nil {
				err = fmt.Errorf("aws: profile %q: credential_source Environment but no AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY", name)
			}
		case "Ec2InstanceMetadata":
			if base = sc.imds(); base == nil {
				err = fmt.Errorf("aws: profile %q: credential_source Ec2InstanceMetadata but AWS_EC2_METADATA_DISABLED is set", name)
			}
		case "EcsContainer":
			base, err = containerProvider()
			if err == nil && base == nil {
				err = fmt.Errorf("aws: profile %q: credential_source EcsContainer but no AWS_CONTAINER_CREDENTIALS_*_URI", name)
			}
		default:
			err = fmt.Errorf("aws: profile %q: unknown credential_source %q", name, src)
		}
	case prof["web_identity_token_file"] != "":
		if role == "" {
			return nil, fmt.Errorf("aws: profile %q: web_identity_token_file without role_arn", name)
		}
		return newCache(&webIdentity{sts: newSTS(sc, region), tokenFile: prof["web_identity_token_file"], roleARN: role,
			session: firstNonEmpty(prof["role_session_name"], firstEnv("AWS_ROLE_SESSION_NAME")), duration: prof["duration_seconds"]}), nil
	case prof["sso_session"] != "" || prof["sso_start_url"] != "":
		base, err = sc.ssoProvider(name, prof)
	case prof["credential_process"] != "":
		base = newCache(&process{command: prof["credential_process"], profile: name})
	case role != "":
		err = fmt.Errorf("aws: profile %q: role_arn needs source_profile, credential_source or web_identity_token_file", name)
	}
	if err != nil || base == nil {
		return nil, err
	}
	if role == "" {
		return base, nil
	}
	if prof["mfa_serial"] != "" {
		return nil, fmt.Errorf("aws: profile %q assumes its role with MFA (mfa_serial), which sprawl cannot prompt for: export temporary credentials instead (eval \"$(aws configure export-credentials --profile %s --format env)\")", name, name)
	}
	return newCache(&assumeRole{sts: newSTS(sc, region), base: base, roleARN: role,
		session:    firstNonEmpty(prof["role_session_name"], firstEnv("AWS_ROLE_SESSION_NAME")),
		externalID: prof["external_id"], duration: prof["duration_seconds"]}), nil
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

func sessionName(s string) string {
	if s != "" {
		return s
	}
	return "sprawl-" + strconv.FormatInt(time.Now().UnixNano(), 10)
}

// stsClient speaks the STS query API (form POST, XML answer).
type stsClient struct {
	endpoint string
	region   string
	hc       *http.Client
}

func newSTS(sc *shared, region string) *stsClient {
	signing := region
	if signing == "" {
		signing = "us-east-1"
	}
	ep := sc.endpoint("sts", "STS", signing)
	return &stsClient{endpoint: strings.TrimRight(ep, "/"), region: signing, hc: sc.hc}
}

type stsCredentials struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

// call posts form (Action=…) signed by signer when not nil, retrying
// throttling and 5xx twice, and returns the answer's credentials.
func (s *stsClient) call(ctx context.Context, form url.Values, signer CredentialsProvider) (Credentials, error) {
	form.Set("Version", "2011-06-15")
	body := []byte(form.Encode())
	action := form.Get("Action")
	var last error
	for attempt := 0; attempt < 3; attempt++ {
		if attempt > 0 {
			if err := httpretry.Sleep(ctx, time.Duration(attempt)*200*time.Millisecond); err != nil {
				return Credentials{}, err
			}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint+"/", bytes.NewReader(body))
		if err != nil {
			return Credentials{}, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		if signer != nil {
			c, err := signer.Retrieve(ctx)
			if err != nil {
				return Credentials{}, err
			}
			sigv4.Sign(req, body, sigv4.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}, s.region, "sts", time.Now())
		}
		resp, err := s.hc.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return Credentials{}, ctx.Err()
			}
			last = fmt.Errorf("sts %s: %w", action, err)
			continue
		}
		b, err := httpretry.ReadBody(resp.Body, 1<<20)
		if err != nil {
			last = fmt.Errorf("sts %s: %w", action, err)
			continue
		}
		if resp.StatusCode == http.StatusOK {
			var ok struct {
				A stsCredentials `xml:"AssumeRoleResult>Credentials"`
				W stsCredentials `xml:"AssumeRoleWithWebIdentityResult>Credentials"`
			}
			if err := xml.Unmarshal(b, &ok); err != nil {
				return Credentials{}, fmt.Errorf("sts %s: %w", action, err)
			}
			c := ok.A
			if c.AccessKeyID == "" {
				c = ok.W
			}
			if c.AccessKeyID == "" || c.SecretAccessKey == "" {
				return Credentials{}, fmt.Errorf("sts %s: no credentials in the answer", action)
			}
			exp, _ := time.Parse(time.RFC3339, strings.TrimSpace(c.Expiration))
			return Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken, Expires: exp,
				Source: "sts:" + action + " " + form.Get("RoleArn")}, nil
		}
		var e struct {
			Code    string `xml:"Error>Code"`
			Message string `xml:"Error>Message"`
		}
		_ = xml.Unmarshal(b, &e)
		ae := &APIError{Code: e.Code, Message: e.Message, Status: resp.StatusCode}
		if ae.Code == "" {
			ae.Code = strings.ReplaceAll(http.StatusText(resp.StatusCode), " ", "")
		}
		last = fmt.Errorf("sts %s %s: %w", action, form.Get("RoleArn"), ae)
		if !retryable(ae) && ae.Code != "IDPCommunicationError" {
			return Credentials{}, last
		}
	}
	return Credentials{}, last
}

// webIdentity exchanges a token file's OIDC token for a role's
// credentials (sts:AssumeRoleWithWebIdentity, unsigned). The file is read
// at every renewal: its issuer rotates it.
type webIdentity struct {
	sts       *stsClient
	tokenFile string
	roleARN   string
	session   string
	duration  string
}

func (w *webIdentity) Retrieve(ctx context.Context) (Credentials, error) {
	tok, err := os.ReadFile(w.tokenFile)
	if err != nil {
		return Credentials{}, fmt.Errorf("web identity token: %w", err)
	}
	form := url.Values{"Action": {"AssumeRoleWithWebIdentity"}, "RoleArn": {w.roleARN}, "RoleSessionName": {sessionName(w.session)},
		"WebIdentityToken": {strings.TrimSpace(string(tok))}}
	if w.duration != "" {
		form.Set("DurationSeconds", w.duration)
	}
	return w.sts.call(ctx, form, nil)
}

// assumeRole assumes a role with base credentials (sts:AssumeRole).
type assumeRole struct {
	sts        *stsClient
	base       CredentialsProvider
	roleARN    string
	session    string
	externalID string
	duration   string
}

func (a *assumeRole) Retrieve(ctx context.Context) (Credentials, error) {
	form := url.Values{"Action": {"AssumeRole"}, "RoleArn": {a.roleARN}, "RoleSessionName": {sessionName(a.session)},
		"DurationSeconds": {firstNonEmpty(a.duration, "900")}}
	if a.externalID != "" {
		form.Set("ExternalId", a.externalID)
	}
	return a.sts.call(ctx, form, a.base)
}

// process runs a profile's credential_process and reads its documented
// JSON (Version 1, AccessKeyId, SecretAccessKey, SessionToken, Expiration).
// https://docs.aws.amazon.com/sdkref/latest/guide/feature-process-credentials.html
type process struct {
	command string
	profile string
}

func (p *process) Retrieve(ctx context.Context) (Credentials, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var cmd *exec.Cmd
	if runtime.GOOS == "windows" {
		cmd = exec.CommandContext(ctx, "cmd.exe", "/C", p.command)
	} else {
		cmd = exec.CommandContext(ctx, "sh", "-c", p.command)
	}
	cmd.Stderr = os.Stderr
	cmd.Stdin = os.Stdin
	out, err := cmd.Output()
	if err != nil {
		return Credentials{}, fmt.Errorf("profile %q: credential_process: %w", p.profile, err)
	}
	var v struct {
		Version         int
		AccessKeyID     string `json:"AccessKeyId"`
		SecretAccessKey string
		SessionToken    string
		Expiration      string
	}
	if err := json.Unmarshal(out, &v); err != nil {
		return Credentials{}, fmt.Errorf("profile %q: credential_process printed no credentials JSON", p.profile)
	}
	if v.Version != 1 {
		return Credentials{}, fmt.Errorf("profile %q: credential_process: Version %d, want 1", p.profile, v.Version)
	}
	if v.AccessKeyID == "" || v.SecretAccessKey == "" {
		return Credentials{}, fmt.Errorf("profile %q: credential_process: no AccessKeyId or SecretAccessKey", p.profile)
	}
	c := Credentials{AccessKeyID: v.AccessKeyID, SecretAccessKey: v.SecretAccessKey, SessionToken: v.SessionToken,
		Source: "credential_process of profile " + p.profile}
	if v.Expiration != "" {
		if c.Expires, err = time.Parse(time.RFC3339, v.Expiration); err != nil {
			return Credentials{}, fmt.Errorf("profile %q: credential_process: Expiration %q: %w", p.profile, v.Expiration, err)
		}
	}
	return c, nil
}

// localClient talks to link-local and loopback credential endpoints:
// never through a proxy, with short timeouts.
func localClient(total time.Duration) *http.Client {
	return &http.Client{Timeout: total, Transport: &http.Transport{
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: time.Second}).DialContext,
		ResponseHeaderTimeout: total,
	}}
}

// container reads credentials from the container credentials endpoint.
// https://docs.aws.amazon.com/sdkref/latest/guide/feature-container-credentials.html
type container struct {
	url       string
	token     string
	tokenFile string
	hc        *http.Client
}

func containerProvider() (CredentialsProvider, error) {
	c := &container{token: firstEnv("AWS_CONTAINER_AUTHORIZATION_TOKEN"), tokenFile: firstEnv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"), hc: localClient(5 * time.Second)}
	if rel := firstEnv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"); rel != "" {
		c.url = "http://169.254.170.2" + rel
		return newCache(c), nil
	}
	full := firstEnv("AWS_CONTAINER_CREDENTIALS_FULL_URI")
	if full == "" {
		return nil, nil
	}
	u, err := url.Parse(full)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("aws: AWS_CONTAINER_CREDENTIALS_FULL_URI %q is not a URL", full)
	}
	if u.Scheme != "https" && !allowedContainerHost(u.Hostname()) {
		return nil, fmt.Errorf("aws: AWS_CONTAINER_CREDENTIALS_FULL_URI: plain http only to a loopback or the ECS/EKS address, not %q", u.Hostname())
	}
	c.url = full
	return newCache(c), nil
}

func allowedContainerHost(h string) bool {
	if h == "localhost" || h == "169.254.170.2" || h == "169.254.170.23" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && (ip.IsLoopback() || ip.Equal(net.ParseIP("fd00:ec2::23")))
}

func (c *container) Retrieve(ctx context.Context) (Credentials, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return Credentials{}, err
	}
	tok := c.token
	if c.tokenFile != "" {
		b, err := os.ReadFile(c.tokenFile)
		if err != nil {
			return Credentials{}, fmt.Errorf("container credentials: %w", err)
		}
		tok = strings.TrimSpace(string(b))
	}
	if tok != "" {
		req.Header.Set("Authorization", tok)
	}
	req.Header.Set("Accept", "application/json")
	var v struct {
		AccessKeyID     string `json:"AccessKeyId"`
		SecretAccessKey string
		Token           string
		Expiration      string
		Code, Message   string
	}
	status, err := getJSON(c.hc, req, &v)
	if err != nil {
		return Credentials{}, fmt.Errorf("container credentials: %w", err)
	}
	if status != http.StatusOK || v.AccessKeyID == "" {
		return Credentials{}, fmt.Errorf("container credentials: HTTP %d %s %s", status, v.Code, v.Message)
	}
	exp, _ := time.Parse(time.RFC3339, v.Expiration)
	return Credentials{AccessKeyID: v.AccessKeyID, SecretAccessKey: v.SecretAccessKey, SessionToken: v.Token, Expires: exp, Source: "container"}, nil
}

func getJSON(hc *http.Client, req *http.Request, v any) (int, error) {
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, err
	}
	_ = json.Unmarshal(b, v)
	return resp.StatusCode, nil
}

// imdsProvider reads the instance role's credentials by IMDSv2 (a PUT
// for a session token, then GETs), unless AWS_EC2_METADATA_DISABLED.
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-metadata-security-credentials.html
type imdsProvider struct {
	endpoint string
	hc       *http.Client
}

func (sc *shared) imds() CredentialsProvider {
	if strings.EqualFold(firstEnv("AWS_EC2_METADATA_DISABLED"), "true") {
		return nil
	}
	prof := sc.profile(sc.name)
	ep := firstNonEmpty(firstEnv("AWS_EC2_METADATA_SERVICE_ENDPOINT"), prof["ec2_metadata_service_endpoint"])
	if ep == "" {
		ep = "http://169.254.169.254"
		if strings.EqualFold(firstNonEmpty(firstEnv("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE"), prof["ec2_metadata_service_endpoint_mode"]), "IPv6") {
			ep = "http://[fd00:ec2::254]"
		}
	}
	return newCache(&imdsProvider{endpoint: strings.TrimRight(ep, "/"), hc: localClient(5 * time.Second)})
}

func (p *imdsProvider) Retrieve(ctx context.Context) (Credentials, error) {
	fail := func(err error) (Credentials, error) {
		return Credentials{}, fmt.Errorf("no credentials in the environment or shared files, and the EC2 instance metadata service: %w (set AWS_EC2_METADATA_DISABLED=true off EC2)", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, p.endpoint+"/latest/api/token", nil)
	if err != nil {
		return fail(err)
	}
	req.Header.Set("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", "21600")
	tok, status, err := p.text(req)
	if err != nil || status != http.StatusOK {
		return fail(fmt.Errorf("token: HTTP %d %v", status, err))
	}
	get := func(path string) (*http.Request, error) {
		r, err := http.NewRequestWithContext(ctx, http.MethodGet, p.endpoint+path, nil)
		if err == nil {
			r.Header.Set("X-Aws-Ec2-Metadata-Token", tok)
		}
		return r, err
	}
	req, err = get("/latest/meta-data/iam/security-credentials/")
	if err != nil {
		return fail(err)
	}
	role, status, err := p.text(req)
	if role, _, _ = strings.Cut(strings.TrimSpace(role), "\n"); err != nil || status != http.StatusOK || role == "" {
		return fail(fmt.Errorf("no instance role (HTTP %d %v)", status, err))
	}
	if req, err = get("/latest/meta-data/iam/security-credentials/" + url.PathEscape(role)); err != nil {
		return fail(err)
	}
	var v struct {
		Code            string
		AccessKeyID     string `json:"AccessKeyId"`
		SecretAccessKey string
		Token           string
		Expiration      string
	}
	if status, err = getJSON(p.hc, req, &v); err != nil || status != http.StatusOK || v.Code != "Success" || v.AccessKeyID == "" {
		return fail(fmt.Errorf("role %s: HTTP %d %s %v", role, status, v.Code, err))
	}
	exp, _ := time.Parse(time.RFC3339, v.Expiration)
	return Credentials{AccessKeyID: v.AccessKeyID, SecretAccessKey: v.SecretAccessKey, SessionToken: v.Token, Expires: exp, Source: "ec2 instance role " + role}, nil
}

func (p *imdsProvider) text(req *http.Request) (string, int, error) {
	resp, err := p.hc.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return strings.TrimSpace(string(b)), resp.StatusCode, err
}
