package awssm

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sprawlsec/sprawl/internal/httpretry"
	"github.com/sprawlsec/sprawl/internal/sigv4"
)

// Client speaks the Secrets Manager API (AWS JSON 1.1: POST / with
// X-Amz-Target: secretsmanager.<Action>), signed with SigV4.
// https://docs.aws.amazon.com/secretsmanager/latest/apireference/CommonParameters.html
type Client struct {
	endpoint string
	region   string
	creds    CredentialsProvider
	hc       *http.Client
	retry    httpretry.Policy
	now      func() time.Time
}

// ClientConfig configures NewClient.
type ClientConfig struct {
	// Endpoint is the service's URL, e.g.
	// https://secretsmanager.eu-west-1.amazonaws.com.
	Endpoint string
	// Region is the signing region.
	Region string
	// Credentials sign each request.
	Credentials CredentialsProvider
	// HTTPClient defaults to one with bounded timeouts (DefaultHTTPClient).
	HTTPClient *http.Client
	// MaxAttempts per call (default 3, as the SDKs' standard retry mode).
	MaxAttempts int
	// MaxBackoff caps the wait between attempts (default 20s).
	MaxBackoff time.Duration
}

// NewClient returns a Secrets Manager client.
func NewClient(c ClientConfig) *Client {
	cl := &Client{endpoint: strings.TrimRight(c.Endpoint, "/"), region: c.Region, creds: c.Credentials, hc: c.HTTPClient, now: time.Now}
	if cl.hc == nil {
		cl.hc = DefaultHTTPClient()
	}
	attempts, maxBackoff := c.MaxAttempts, c.MaxBackoff
	if attempts <= 0 {
		attempts = 3
	}
	if maxBackoff <= 0 {
		maxBackoff = 20 * time.Second
	}
	// The SDKs' standard mode: full jitter over min(maxBackoff, 2^n s)
	// after failed try n.
	cl.retry = httpretry.Policy{Retries: attempts - 1, Base: time.Second, Max: maxBackoff, Doublings: 5, Jitter: httpretry.Full}
	return cl
}

var (
	defaultHC     *http.Client
	defaultHCOnce sync.Once
)

// DefaultHTTPClient bounds connecting (30s), the TLS handshake (10s), the
// response headers (1 min: a server that accepts and never answers) and
// each attempt as a whole (2 min).
func DefaultHTTPClient() *http.Client {
	defaultHCOnce.Do(func() {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.DialContext = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
		t.TLSHandshakeTimeout = 10 * time.Second
		t.ResponseHeaderTimeout = time.Minute
		defaultHC = &http.Client{Transport: t, Timeout: 2 * time.Minute}
	})
	return defaultHC
}

// APIError is an error the service answered: its __type (e.g.
// ResourceNotFoundException), message and HTTP status.
type APIError struct {
	Code    string
	Message string
	Status  int
}

func (e *APIError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("%s (HTTP %d)", e.Code, e.Status)
	}
	return e.Code + ": " + e.Message
}

// Timestamp is a JSON 1.1 timestamp: seconds since the epoch, with a
// fraction.
type Timestamp struct{ time.Time }

// UnmarshalJSON reads epoch seconds (number), or an RFC 3339 string.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" {
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		if v, err := time.Parse(time.RFC3339Nano, str); err == nil {
			t.Time = v
			return nil
		}
		s = str
	}
	sec, frac, _ := strings.Cut(s, ".")
	if strings.ContainsAny(frac, "eE") || strings.ContainsAny(sec, "eE") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("timestamp %q: %w", s, err)
		}
		t.Time = time.Unix(0, int64(f*1e9)).UTC()
		return nil
	}
	n, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return fmt.Errorf("timestamp %q: %w", s, err)
	}
	var ns int64
	if frac != "" {
		frac = (frac + "000000000")[:9]
		if ns, err = strconv.ParseInt(frac, 10, 64); err != nil {
			return fmt.Errorf("timestamp %q: %w", s, err)
		}
	}
	t.Time = time.Unix(n, ns).UTC()
	return nil
}

// Tag is a secret's tag.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// RotationRules are a secret's rotation schedule.
type RotationRules struct {
	AutomaticallyAfterDays int64  `json:"AutomaticallyAfterDays,omitempty"`
	ScheduleExpression     string `json:"ScheduleExpression,omitempty"`
	Duration               string `json:"Duration,omitempty"`
}

// SecretListEntry is one secret of ListSecrets (DescribeSecret answers the
// same fields).
type SecretListEntry struct {
	ARN                    string              `json:"ARN"`
	Name                   string              `json:"Name"`
	CreatedDate            Timestamp           `json:"CreatedDate"`
	LastChangedDate        Timestamp           `json:"LastChangedDate"`
	LastRotatedDate        Timestamp           `json:"LastRotatedDate"`
	LastAccessedDate       Timestamp           `json:"LastAccessedDate"`
	NextRotationDate       Timestamp           `json:"NextRotationDate"`
	RotationEnabled        bool                `json:"RotationEnabled"`
	RotationRules          *RotationRules      `json:"RotationRules"`
	SecretVersionsToStages map[string][]string `json:"SecretVersionsToStages"`
	Tags                   []Tag               `json:"Tags"`
}

// ListSecretsInput is ListSecrets' request.
type ListSecretsInput struct {
	NextToken  string `json:"NextToken,omitempty"`
	MaxResults int    `json:"MaxResults,omitempty"`
}

// ListSecretsOutput is one page.
type ListSecretsOutput struct {
	SecretList []SecretListEntry `json:"SecretList"`
	NextToken  string            `json:"NextToken"`
}

// SecretIDInput names a secret (DescribeSecret, GetSecretValue).
type SecretIDInput struct {
	SecretID string `json:"SecretId"`
}

// GetSecretValueOutput is a secret's AWSCURRENT version.
type GetSecretValueOutput struct {
	ARN          string    `json:"ARN"`
	Name         string    `json:"Name"`
	VersionID    string    `json:"VersionId"`
	SecretString *string   `json:"SecretString"`
	SecretBinary []byte    `json:"SecretBinary"`
	CreatedDate  Timestamp `json:"CreatedDate"`
}

// TagResourceInput adds or replaces tags.
type TagResourceInput struct {
	SecretID string `json:"SecretId"`
	Tags     []Tag  `json:"Tags"`
}

// UntagResourceInput removes tags.
type UntagResourceInput struct {
	SecretID string   `json:"SecretId"`
	TagKeys  []string `json:"TagKeys"`
}

// RotateSecretInput asks for a rotation now.
type RotateSecretInput struct {
	SecretID           string `json:"SecretId"`
	ClientRequestToken string `json:"ClientRequestToken,omitempty"`
	RotateImmediately  *bool  `json:"RotateImmediately,omitempty"`
}

// ListSecrets returns one page of the region's secrets.
func (c *Client) ListSecrets(ctx context.Context, in *ListSecretsInput) (*ListSecretsOutput, error) {
	out := &ListSecretsOutput{}
	return out, c.call(ctx, "ListSecrets", in, out)
}

// GetSecretValue reads a secret's AWSCURRENT version.
func (c *Client) GetSecretValue(ctx context.Context, id string) (*GetSecretValueOutput, error) {
	out := &GetSecretValueOutput{}
	return out, c.call(ctx, "GetSecretValue", &SecretIDInput{SecretID: id}, out)
}

// DescribeSecret returns a secret's metadata and tags.
func (c *Client) DescribeSecret(ctx context.Context, id string) (*SecretListEntry, error) {
	out := &SecretListEntry{}
	return out, c.call(ctx, "DescribeSecret", &SecretIDInput{SecretID: id}, out)
}

// TagResource adds or replaces tags of a secret.
func (c *Client) TagResource(ctx context.Context, in *TagResourceInput) error {
	return c.call(ctx, "TagResource", in, nil)
}

// UntagResource removes tags of a secret.
func (c *Client) UntagResource(ctx context.Context, in *UntagResourceInput) error {
	return c.call(ctx, "UntagResource", in, nil)
}

// RotateSecret starts a rotation; an empty ClientRequestToken gets a
// random UUID (the idempotency token the SDKs fill in), the same for
// every attempt.
func (c *Client) RotateSecret(ctx context.Context, in *RotateSecretInput) error {
	if in.ClientRequestToken == "" {
		cp := *in
		cp.ClientRequestToken = uuid4()
		in = &cp
	}
	return c.call(ctx, "RotateSecret", in, nil)
}

func uuid4() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// call sends action with in as its JSON body and decodes the answer into
// out (when not nil), retrying throttling, 5xx and transient network
// errors with capped exponential backoff and full jitter.
func (c *Client) call(ctx context.Context, action string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	var last error
	for attempt := 0; attempt <= c.retry.Retries; attempt++ {
		if attempt > 0 {
			if err := c.retry.Pause(ctx, attempt-1, nil); err != nil {
				return err
			}
		}
		resp, err := c.send(ctx, action, body)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			last = err
			var ce *credentialsError
			if errors.As(err, &ce) || !transient(err) {
				return err
			}
			continue
		}
		if resp.status/100 == 2 {
			if out == nil || len(bytes.TrimSpace(resp.body)) == 0 {
				return nil
			}
			if err := json.Unmarshal(resp.body, out); err != nil {
				return fmt.Errorf("%s: decode response: %w", action, err)
			}
			return nil
		}
		ae := parseError(resp)
		last = ae
		if !retryable(ae) {
			return ae
		}
	}
	return last
}

type response struct {
	status int
	header http.Header
	body   []byte
}

type credentialsError struct{ err error }

func (e *credentialsError) Error() string { return "aws credentials: " + e.err.Error() }
func (e *credentialsError) Unwrap() error { return e.err }

func (c *Client) send(ctx context.Context, action string, body []byte) (*response, error) {
	if c.creds == nil {
		return nil, &credentialsError{errors.New("no credentials")}
	}
	cr, err := c.creds.Retrieve(ctx)
	if err != nil {
		return nil, &credentialsError{err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint+"/", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "secretsmanager."+action)
	sigv4.Sign(req, body, sigv4.Credentials{AccessKeyID: cr.AccessKeyID, SecretAccessKey: cr.SecretAccessKey, SessionToken: cr.SessionToken},
		c.region, "secretsmanager", c.now())
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	b, err := httpretry.ReadBody(resp.Body, 64<<20)
	if err != nil {
		return nil, err
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// parseError reads a JSON 1.1 error: __type (possibly
// "namespace#Code:http://…") or the X-Amzn-ErrorType header, and message.
func parseError(r *response) *APIError {
	var e struct {
		Type     string `json:"__type"`
		Code     string `json:"code"`
		Message  string `json:"message"`
		MessageU string `json:"Message"`
	}
	_ = json.Unmarshal(r.body, &e)
	code := e.Type
	if code == "" {
		code = e.Code
	}
	if code == "" {
		code = r.header.Get("X-Amzn-ErrorType")
	}
	if i := strings.IndexByte(code, ':'); i >= 0 {
		code = code[:i]
	}
	if i := strings.LastIndexByte(code, '#'); i >= 0 {
		code = code[i+1:]
	}
	if code == "" {
		code = http.StatusText(r.status)
		if code == "" {
			code = "HTTP" + strconv.Itoa(r.status)
		}
		code = strings.ReplaceAll(code, " ", "")
	}
	msg := e.Message
	if msg == "" {
		msg = e.MessageU
	}
	return &APIError{Code: code, Message: msg, Status: r.status}
}

var throttleCodes = map[string]bool{
	"Throttling": true, "ThrottlingException": true, "ThrottledException": true, "RequestThrottledException": true,
	"TooManyRequestsException": true, "ProvisionedThroughputExceededException": true, "TransactionInProgressException": true,
	"RequestLimitExceeded": true, "BandwidthLimitExceeded": true, "RequestThrottled": true, "SlowDown": true,
	"PriorRequestNotComplete": true, "EC2ThrottledException": true,
}

func retryable(e *APIError) bool {
	if throttleCodes[e.Code] || e.Code == "RequestTimeout" || e.Code == "RequestTimeoutException" || e.Code == "InternalError" {
		return true
	}
	return e.Status == 429 || e.Status == 500 || e.Status == 502 || e.Status == 503 || e.Status == 504
}

// transient: a network failure worth another attempt (a timeout, a
// refused or reset connection, a cut answer), not a bad URL or a
// certificate that does not verify.
func transient(err error) bool {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return true
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "connection reset")
}
