package detectors

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

func percentAll(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02X", s[i])
	}
	return b.String()
}

func synthToken(seed string) string {
	body := (seed + "Zk9Qx2Lm4Np6Rt8Vw0Yb3Dc5Fg7Hj1")[:30]
	return "ghp_" + body + crc62(body)
}

// TestDecoders: a secret hidden by each encoding is still found, once,
// at the line of the encoded text.
func TestDecoders(t *testing.T) {
	m := testMatcher(t)
	tok := synthToken("dec")
	b64 := base64.StdEncoding.EncodeToString([]byte("GITHUB_TOKEN=" + tok + "\n"))
	for _, tc := range []struct {
		name, data, enc string
		line            int
	}{
		{"plain", "x\nGITHUB_TOKEN=" + tok + "\n", "", 2},
		{"notebook escaped quotes", `{"cells": [` + "\n" + `  {"source": ["token = \"` + tok + `\"\n"]}]}`, "", 2},
		{"kubernetes secret", "kind: Secret\ndata:\n  env: " + b64 + "\n", "base64", 3},
		{"basic auth header", "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("x-access-token:"+tok)) + "\n", "base64", 1},
		{"percent-encoded", "url=https://h/?t=" + percentAll("t="+tok) + "\n", "percent", 1},
		{"base64 inside JSON string", `{"k": "x\n` + b64 + `"}`, "json-string+base64", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []Match
			for _, mt := range m.Match([]byte(tc.data)) {
				if mt.Rule.ID == "github-pat" {
					got = append(got, mt)
				}
			}
			if len(got) != 1 {
				t.Fatalf("got %d github-pat matches, want 1: %+v", len(got), got)
			}
			if got[0].Secret != tok || got[0].Line != tc.line || got[0].Encoding != tc.enc {
				t.Errorf("got secret %q line %d encoding %q; want line %d encoding %q", got[0].Secret, got[0].Line, got[0].Encoding, tc.line, tc.enc)
			}
		})
	}
}

// TestDecodeLimits: nesting deeper than MaxDecodeDepth is not undone, and
// a huge input cannot make decoding produce unbounded output.
func TestDecodeLimits(t *testing.T) {
	m := testMatcher(t)
	tok := synthToken("deep")
	s := "GITHUB_TOKEN=" + tok
	for i := 0; i < MaxDecodeDepth+1; i++ {
		s = base64.StdEncoding.EncodeToString([]byte(s))
	}
	for _, mt := range m.Match([]byte("v: " + s + "\n")) {
		if mt.Rule.ID == "github-pat" {
			t.Errorf("found a secret %d encodings deep; limit is %d", MaxDecodeDepth+1, MaxDecodeDepth)
		}
	}
	big := strings.Repeat("k: "+base64.StdEncoding.EncodeToString([]byte(strings.Repeat("printable text ", 10)))+"\n", 200000)
	total := 0
	for _, sg := range decodeAll([]byte(big)) {
		total += len(sg.data)
	}
	if total > maxDecodedPerInput {
		t.Errorf("decoded %d bytes, cap is %d", total, maxDecodedPerInput)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`"a\"b\\n\u0041"`))
	f.Add([]byte("dGhpcyBpcyBhIHRlc3Qgb2YgYmFzZTY0IGRlY29kaW5n"))
	f.Add([]byte("a%20b%zz%4"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, sg := range decodeAll(data) {
			if sg.start < 0 || sg.end > len(data) || sg.start > sg.end {
				t.Fatalf("segment span %d..%d outside %d bytes", sg.start, sg.end, len(data))
			}
		}
	})
}

// naiveBase64Runs is the obvious byte-by-byte scan that base64Runs's
// leaping scan must agree with.
func naiveBase64Runs(data []byte) []segment {
	var out []segment
	for i := 0; i < len(data); {
		if !b64[data[i]] {
			i++
			continue
		}
		j := i
		for j < len(data) && b64[data[j]] {
			j++
		}
		end := j
		for end < len(data) && end-j < 2 && data[end] == '=' {
			end++
		}
		if j-i >= minBase64Run && j-i <= maxSegment && (i == 0 || !isWordByte(data[i-1])) {
			if dec := decodeBase64Text(data[i:j]); dec != nil {
				out = append(out, segment{data: dec, start: i, end: end, kind: "base64"})
			}
		}
		i = j + 1
	}
	return out
}

func FuzzBase64Runs(f *testing.F) {
	f.Add([]byte("x " + base64.StdEncoding.EncodeToString([]byte("user:a-long-enough-password")) + " y"))
	f.Add([]byte("aaaaaaaaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, want := base64Runs(data), naiveBase64Runs(data)
		if len(got) != len(want) {
			t.Fatalf("got %d segments, want %d", len(got), len(want))
		}
		for i := range got {
			if got[i].start != want[i].start || got[i].end != want[i].end || string(got[i].data) != string(want[i].data) {
				t.Fatalf("segment %d: got %d..%d, want %d..%d", i, got[i].start, got[i].end, want[i].start, want[i].end)
			}
		}
	})
}

// TestContainerGivesWay: a Kubernetes Secret's data value is reported as
// the token decoded from it, not twice.
func TestContainerGivesWay(t *testing.T) {
	m := testMatcher(t)
	tok := synthToken("k8s")
	b64 := base64.StdEncoding.EncodeToString([]byte(tok))
	var ids []string
	for _, mt := range m.Match([]byte("apiVersion: v1\nkind: Secret\ndata:\n  token: " + b64 + "\n")) {
		ids = append(ids, mt.Rule.ID)
	}
	if len(ids) != 1 || ids[0] != "github-pat" {
		t.Errorf("rules = %v, want just github-pat", ids)
	}
}
