package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/internal/testcert"
)

// ruleExample returns the first example line of a built-in rule.
func ruleExample(t *testing.T, id string) string {
	t.Helper()
	rules, err := detectors.BuiltinWithExamples()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		if r.ID == id {
			return r.Examples[0]
		}
	}
	t.Fatalf("no rule %s", id)
	return ""
}

// fakeProvider serves h over TLS under host and points the verification
// hooks at it for the test.
func fakeProvider(t *testing.T, host string, h http.Handler) {
	t.Helper()
	srv, pool := testcert.Server(t, h, host)
	verifyRootsHook = pool
	verifyDialHook = func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, srv.Listener.Addr().String())
	}
	t.Cleanup(func() { verifyRootsHook, verifyDialHook = nil, nil })
}

// scan --verify pairs an AWS key id and secret found in one file and asks
// STS once for both (the programmatic validator is on the scan's path).
func TestScanVerifyAWSKeyPair(t *testing.T) {
	idLine := ruleExample(t, "aws-access-key-id")
	keyID := strings.TrimSpace(idLine[strings.LastIndex(idLine, "=")+1:])
	dir := t.TempDir()
	content := idLine + "\n" + ruleExample(t, "aws-secret-access-key") + "\n"
	if err := os.WriteFile(filepath.Join(dir, "credentials"), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		status int
		code   string
		want   string
		exit   int
	}{
		{"live", 200, "", "live", exitFindings},
		{"revoked", 403, "InvalidClientTokenId", "revoked", exitClean},
		{"throttled", 400, "Throttling", "unknown", exitFindings},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var requests atomic.Int32
			fakeProvider(t, "sts.amazonaws.com", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				if !strings.Contains(r.Header.Get("Authorization"), "Credential="+keyID+"/") {
					w.WriteHeader(400)
					return
				}
				w.Header().Set("Content-Type", "text/xml")
				if tt.status != 200 {
					w.WriteHeader(tt.status)
					fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code></Error></ErrorResponse>`, tt.code)
					return
				}
				fmt.Fprint(w, `<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/ci</Arn>`+
					`<Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>`)
			}))
			var out, errb bytes.Buffer
			code := run([]string{"scan", "dir", dir, "-f", "json", "--quiet", "--verify", "--verify-cache", "off"}, strings.NewReader(""), &out, &errb)
			if code != tt.exit {
				t.Fatalf("exit %d, want %d\n%s", code, tt.exit, errb.String())
			}
			var recs []struct {
				RuleID       string `json:"rule_id"`
				Verification struct {
					Status string `json:"status"`
				} `json:"verification"`
			}
			if err := json.Unmarshal(out.Bytes(), &recs); err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			got := map[string]string{}
			for _, r := range recs {
				got[r.RuleID] = r.Verification.Status
			}
			// Both findings are listed (a revoked one is listed too, it
			// only leaves the exit code alone), with the pair's one answer.
			want := map[string]string{"aws-access-key-id": tt.want, "aws-secret-access-key": tt.want}
			if len(recs) != 2 {
				t.Errorf("%d findings, want 2", len(recs))
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
			if n := requests.Load(); n != 1 {
				t.Errorf("%d requests to STS, want 1", n)
			}
		})
	}
}
