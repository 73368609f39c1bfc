package vaulttest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sprawlsec/sprawl/inventory/vault/awssm"
)

// AWS is a fake Secrets Manager speaking AWS JSON 1.1: the action is the
// X-Amz-Target header (secretsmanager.ListSecrets, …), errors are 400s
// with a __type.
type AWS struct {
	*httptest.Server
	// PageSize is ListSecrets' page size (default 2, so paging is used).
	PageSize int

	mu       sync.Mutex
	secrets  map[string]*SMSecret
	deny     map[string]bool // "Action" or "Action name"
	missing  map[string]bool
	throttle map[string]int
	log      []string
	seq      int
}

// SMSecret is one secret: versions (the last is AWSCURRENT) and tags.
type SMSecret struct {
	Name            string
	Versions        []SMVersion
	Tags            map[string]string
	RotationEnabled bool
	// Next makes the value a configured rotation puts.
	Next    func() string
	Created time.Time
	// LastRotated, LastAccessed and NextRotation are reported as
	// LastRotatedDate, LastAccessedDate and NextRotationDate when set;
	// RotationDays as RotationRules.AutomaticallyAfterDays.
	LastRotated, LastAccessed, NextRotation time.Time
	RotationDays                            int64
}

// SMVersion is one version of a secret.
type SMVersion struct {
	ID      string
	String  string
	Created time.Time
}

// NewAWS starts a fake Secrets Manager, closed when t ends.
func NewAWS(t testing.TB) *AWS {
	a := &AWS{PageSize: 2, secrets: map[string]*SMSecret{}, deny: map[string]bool{}, missing: map[string]bool{}, throttle: map[string]int{}}
	a.Server = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.Close)
	return a
}

// Client returns the adapter's client pointed at the fake with static
// credentials and at most maxAttempts attempts per call (tiny backoff).
func (a *AWS) Client(maxAttempts int) *awssm.Client {
	return awssm.NewClient(awssm.ClientConfig{Endpoint: a.URL, Region: "us-east-1", MaxAttempts: maxAttempts, MaxBackoff: time.Millisecond,
		Credentials: awssm.StaticCredentials{AccessKeyID: "AKIDFAKE", SecretAccessKey: "fake-secret-key"}})
}

// Put stores a new AWSCURRENT version of name.
func (a *AWS) Put(name, value string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.put(name, value)
}

func (a *AWS) put(name, value string) {
	s := a.secrets[name]
	if s == nil {
		s = &SMSecret{Name: name, Tags: map[string]string{}, Created: time.Now().UTC()}
		a.secrets[name] = s
	}
	a.seq++
	s.Versions = append(s.Versions, SMVersion{ID: fmt.Sprintf("v%04d-%s", a.seq, strings.Repeat("0", 8)), String: value, Created: time.Now().UTC().Add(time.Duration(a.seq) * time.Millisecond)})
}

// PutAt stores a new AWSCURRENT version of name created at at (a new
// secret's CreatedDate too).
func (a *AWS) PutAt(name, value string, at time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	fresh := a.secrets[name] == nil
	a.put(name, value)
	s := a.secrets[name]
	s.Versions[len(s.Versions)-1].Created = at.UTC()
	if fresh {
		s.Created = at.UTC()
	}
}

// Update changes name's metadata with fn (dates, rotation rules).
func (a *AWS) Update(name string, fn func(*SMSecret)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	fn(a.secrets[name])
}

// EnableRotation configures rotation of name: RotateSecret puts next().
func (a *AWS) EnableRotation(name string, next func() string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.secrets[name].RotationEnabled = true
	a.secrets[name].Next = next
}

// Tags returns a copy of name's tags.
func (a *AWS) Tags(name string) map[string]string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := map[string]string{}
	for k, v := range a.secrets[name].Tags {
		out[k] = v
	}
	return out
}

// Deny answers AccessDeniedException to action ("GetSecretValue") or to
// action on one secret ("GetSecretValue prod/db").
func (a *AWS) Deny(what string) { a.mu.Lock(); a.deny[what] = true; a.mu.Unlock() }

// Missing answers ResourceNotFoundException, as Deny.
func (a *AWS) Missing(what string) { a.mu.Lock(); a.missing[what] = true; a.mu.Unlock() }

// Throttle answers ThrottlingException to the next n calls of action.
func (a *AWS) Throttle(action string, n int) { a.mu.Lock(); a.throttle[action] = n; a.mu.Unlock() }

// Log returns "Action SecretId" per request.
func (a *AWS) Log() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.log...)
}

func awsErr(w http.ResponseWriter, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(http.StatusBadRequest)
	json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
}

func epoch(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

func (a *AWS) arn(name string) string {
	return "arn:aws:secretsmanager:us-east-1:000000000000:secret:" + name + "-AbCdEf"
}

// lookup finds a secret by name or ARN.
func (a *AWS) lookup(id string) *SMSecret {
	if s := a.secrets[id]; s != nil {
		return s
	}
	for _, s := range a.secrets {
		if a.arn(s.Name) == id {
			return s
		}
	}
	return nil
}

func (a *AWS) serve(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	target := r.Header.Get("X-Amz-Target")
	action, ok := strings.CutPrefix(target, "secretsmanager.")
	if r.Method != http.MethodPost || !ok || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-amz-json-1.1") {
		awsErr(w, "UnknownOperationException", "bad request")
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		awsErr(w, "MissingAuthenticationTokenException", "request is not signed")
		return
	}
	var in map[string]any
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		awsErr(w, "SerializationException", err.Error())
		return
	}
	id, _ := in["SecretId"].(string)
	a.log = append(a.log, strings.TrimSpace(action+" "+id))
	if a.throttle[action] > 0 {
		a.throttle[action]--
		awsErr(w, "ThrottlingException", "Rate exceeded")
		return
	}
	if a.deny[action] || a.deny[action+" "+id] {
		awsErr(w, "AccessDeniedException", "User: arn:aws:iam::000000000000:user/test is not authorized to perform: secretsmanager:"+action)
		return
	}
	if a.missing[action] || a.missing[action+" "+id] {
		awsErr(w, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
		return
	}
	out := map[string]any{}
	var s *SMSecret
	if action != "ListSecrets" {
		if s = a.lookup(id); s == nil {
			awsErr(w, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
			return
		}
	}
	switch action {
	case "ListSecrets":
		names := make([]string, 0, len(a.secrets))
		for n := range a.secrets {
			names = append(names, n)
		}
		sort.Strings(names)
		start := 0
		if tok, _ := in["NextToken"].(string); tok != "" {
			start, _ = strconv.Atoi(tok)
		}
		end := min(start+a.PageSize, len(names))
		list := []any{}
		for _, n := range names[start:end] {
			list = append(list, a.describe(a.secrets[n]))
		}
		out["SecretList"] = list
		if end < len(names) {
			out["NextToken"] = strconv.Itoa(end)
		}
	case "DescribeSecret":
		out = a.describe(s)
	case "GetSecretValue":
		v := s.Versions[len(s.Versions)-1]
		out = map[string]any{"ARN": a.arn(s.Name), "Name": s.Name, "VersionId": v.ID, "SecretString": v.String,
			"VersionStages": []string{"AWSCURRENT"}, "CreatedDate": epoch(v.Created)}
	case "TagResource":
		tags, _ := in["Tags"].([]any)
		for _, t := range tags {
			m, _ := t.(map[string]any)
			k, _ := m["Key"].(string)
			v, _ := m["Value"].(string)
			if strings.HasPrefix(k, "aws:") || len(k) > 127 || len([]rune(v)) > 255 {
				awsErr(w, "ValidationException", "invalid tag")
				return
			}
			s.Tags[k] = v
		}
		if len(s.Tags) > 50 {
			awsErr(w, "LimitExceededException", "too many tags")
			return
		}
	case "UntagResource":
		keys, _ := in["TagKeys"].([]any)
		for _, k := range keys {
			ks, _ := k.(string)
			delete(s.Tags, ks)
		}
	case "RotateSecret":
		if !s.RotationEnabled && in["RotationLambdaARN"] == nil {
			awsErr(w, "InvalidRequestException", "No Lambda rotation function ARN is associated with this secret.")
			return
		}
		if s.Next != nil {
			a.put(s.Name, s.Next())
		}
		s.LastRotated = time.Now().UTC()
		out = map[string]any{"ARN": a.arn(s.Name), "Name": s.Name, "VersionId": s.Versions[len(s.Versions)-1].ID}
	default:
		awsErr(w, "UnknownOperationException", "unknown operation "+action)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(out)
}

func (a *AWS) describe(s *SMSecret) map[string]any {
	tags := []any{}
	keys := make([]string, 0, len(s.Tags))
	for k := range s.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		tags = append(tags, map[string]string{"Key": k, "Value": s.Tags[k]})
	}
	cur := s.Versions[len(s.Versions)-1]
	// Secrets Manager keeps the versions with a staging label: AWSCURRENT
	// and AWSPREVIOUS.
	stages := map[string][]string{cur.ID: {"AWSCURRENT"}}
	if n := len(s.Versions); n > 1 {
		stages[s.Versions[n-2].ID] = []string{"AWSPREVIOUS"}
	}
	d := map[string]any{"ARN": a.arn(s.Name), "Name": s.Name, "CreatedDate": epoch(s.Created), "LastChangedDate": epoch(cur.Created),
		"RotationEnabled": s.RotationEnabled, "Tags": tags, "SecretVersionsToStages": stages}
	for k, t := range map[string]time.Time{"LastRotatedDate": s.LastRotated, "LastAccessedDate": s.LastAccessed, "NextRotationDate": s.NextRotation} {
		if !t.IsZero() {
			d[k] = epoch(t)
		}
	}
	if s.RotationDays > 0 {
		d["RotationRules"] = map[string]any{"AutomaticallyAfterDays": s.RotationDays}
	}
	return d
}
