package verify

import (
	"context"
	"encoding/xml"
	"net/http"
	"strings"
	"time"

	"github.com/sprawlsec/sprawl/internal/sigv4"
	"github.com/sprawlsec/sprawl/scanner"
)

// AWS: sts:GetCallerIdentity, which needs no permission and answers for
// any valid key, signed with Signature Version 4.
// https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html
const (
	awsHost    = "sts.amazonaws.com"
	awsRegion  = "us-east-1"
	awsService = "sts"
	awsBody    = "Action=GetCallerIdentity&Version=2011-06-15"
	// awsKeyIDCapture is the capture holding the access key id paired
	// with a secret access key (set by Findings from the key id found
	// beside the secret, or by a rule that captures it).
	awsKeyIDCapture = "access_key_id"
)

var awsSTS = &program{
	hosts: []string{awsHost},
	docs:  "https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html",
	run:   runAWS,
}

var awsKeyIDRe = lazyRegexp(`^(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}$`)

// awsSecretRules are the rules whose secret is an AWS secret access key,
// and awsKeyIDRule the rule of its key id; Findings pairs them.
var awsSecretRules = map[string]bool{
	"aws-secret-access-key":             true,
	"aws-terraform-provider-secret-key": true,
	"aws-healthlake-secret-access-key":  true,
}

const awsKeyIDRule = "aws-access-key-id"

func runAWS(ctx context.Context, v *Verifier, c Candidate) scanner.Verification {
	id := c.Captures[awsKeyIDCapture]
	if c.Rule.ID == awsKeyIDRule {
		return unknown("no secret access key found beside the key id")
	}
	if id == "" {
		return unknown("no access key id found beside the secret")
	}
	if !awsKeyIDRe().MatchString(id) || len(c.Secret) != 40 {
		return unknown("not an access key pair")
	}
	if strings.HasPrefix(id, "ASIA") {
		// Temporary keys need their session token, which is not paired.
		return unknown("temporary key (ASIA) needs its session token")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "https://"+awsHost+"/", strings.NewReader(awsBody))
	if err != nil {
		return unknown("build request: %v", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	signAWS(req, []byte(awsBody), id, c.Secret, v.o.Now().UTC())
	r, fail := v.send(ctx, awsHost, req, c.Secret)
	if fail != nil {
		return *fail
	}
	if r.status == http.StatusOK {
		var ok struct {
			Result struct {
				Arn     string `xml:"Arn"`
				Account string `xml:"Account"`
			} `xml:"GetCallerIdentityResult"`
		}
		if xml.Unmarshal(r.body, &ok) != nil || ok.Result.Arn == "" {
			return unknown("unexpected response: status 200 without an identity")
		}
		id := map[string]string{"key_id": id}
		if a := clean(ok.Result.Arn); a != "" {
			id["user"] = a
		}
		if a := clean(ok.Result.Account); a != "" {
			id["account"] = a
		}
		return scanner.Verification{Status: scanner.VerifyLive, Identity: id}
	}
	var e struct {
		Code string `xml:"Error>Code"`
	}
	_ = xml.Unmarshal(r.body, &e)
	switch {
	case r.status == http.StatusForbidden && (e.Code == "InvalidClientTokenId" || e.Code == "SignatureDoesNotMatch"):
		// InvalidClientTokenId: no such key id (deleted). SignatureDoesNotMatch:
		// the key id exists but this secret is not its secret.
		return scanner.Verification{Status: scanner.VerifyRevoked}
	case e.Code != "":
		// ExpiredToken, Throttling, clock skew …: nothing said of the key.
		return unknown("unexpected response: status %d (%s)", r.status, clean(e.Code))
	}
	return unknown("unexpected response: status %d", r.status)
}

// signAWS signs req (whose body is body) with AWS Signature Version 4 for
// STS in us-east-1 (its host, content-type and x-amz-date headers).
func signAWS(req *http.Request, body []byte, keyID, secret string, now time.Time) {
	sigv4.Sign(req, body, sigv4.Credentials{AccessKeyID: keyID, SecretAccessKey: secret}, awsRegion, awsService, now)
}
