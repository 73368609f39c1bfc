package forge

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode"

	"github.com/sprawlsec/sprawl/scanner"
)

// getJSON fetches u and decodes a 200 answer into out, returning the
// response headers (continuation tokens travel there). Other answers are
// errors: 401/403 (and Azure DevOps' 203, its sign-in page for a token it
// does not accept) wrap ErrForbidden, 404 wraps ErrNotFound; each carries
// the start of the server's own message, which names what is missing.
func getJSON(ctx context.Context, hc *http.Client, what, u string, out any) (http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		msg := serverMessage(body)
		switch resp.StatusCode {
		case http.StatusNotFound:
			return nil, fmt.Errorf("%s: %w (HTTP 404%s)", what, ErrNotFound, msg)
		case http.StatusUnauthorized, http.StatusForbidden:
			return nil, fmt.Errorf("%s: %w (HTTP %d%s)", what, ErrForbidden, resp.StatusCode, msg)
		case http.StatusNonAuthoritativeInfo:
			return nil, fmt.Errorf("%s: %w (HTTP 203: a sign-in page; the token is missing or not accepted)", what, ErrForbidden)
		}
		return nil, fmt.Errorf("%s: HTTP %d%s", what, resp.StatusCode, msg)
	}
	// The transport bounds the body (Limits): an endless page fails with
	// ErrResponseTooLarge rather than being cut into bad JSON.
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return nil, fmt.Errorf("%s: bad response: %w", what, err)
	}
	return resp.Header, nil
}

// serverMessage is ": " and the first 160 printable characters of an
// error body's message (Azure DevOps: {"message": …}; Bitbucket:
// {"error": {"message": …}}), or "" when there is none. The body is the
// server's, so it is cut short and stripped of control characters before
// it reaches a terminal.
func serverMessage(body []byte) string {
	var e struct {
		Message string `json:"message"`
		Error   struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	m := e.Message
	if m == "" {
		m = e.Error.Message
	}
	m = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.TrimSpace(m))
	if m == "" {
		return ""
	}
	if r := []rune(m); len(r) > 160 {
		m = string(r[:160]) + "…"
	}
	return ": " + m
}

// stripUserinfo drops the user name some APIs put in clone URLs
// ("https://acme@dev.azure.com/…"): git gets its credentials from the
// scan's header, and a name in the URL would only make it prompt.
func stripUserinfo(raw string) string {
	i := strings.Index(raw, "://")
	if i < 0 {
		return raw
	}
	rest := raw[i+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
		return raw[:i+3] + rest[at+1:]
	}
	return raw
}

// CIListing is what one owner's CI stores yielded: variables whose values
// are scanned as content, the store's own secrets as metadata (never a
// value), and the stores that could not be read, each with its reason.
type CIListing struct {
	Vars     []scanner.CIVariable
	Secrets  []SecretMeta
	Problems []string
}

// Complete reports whether every store was read: only then does a secret
// missing from the listing mean it is gone.
func (l *CIListing) Complete() bool { return len(l.Problems) == 0 }

// Add appends another listing's contents.
func (l *CIListing) Add(o CIListing) {
	l.Vars = append(l.Vars, o.Vars...)
	l.Secrets = append(l.Secrets, o.Secrets...)
	l.Problems = append(l.Problems, o.Problems...)
}

func (l *CIListing) problem(err error) {
	l.Problems = append(l.Problems, err.Error())
}
