package vault

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFields(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want map[string]string
	}{
		{"plain", map[string]string{"": "plain"}},
		{" {not json", map[string]string{"": " {not json"}},
		{`{"user":"u","password":"p","port":5432,"tls":true,"nested":{"k":"v"},"list":["a"],"nil":null}`,
			map[string]string{"user": "u", "password": "p", "port": "5432", "nested.k": "v", "list[0]": "a"}},
	} {
		if d := cmp.Diff(tt.want, Fields(tt.in)); d != "" {
			t.Errorf("Fields(%q) (-want +got):\n%s", tt.in, d)
		}
	}
}

func TestTruncate(t *testing.T) {
	if got := Truncate("aé", 2); got != "a" {
		t.Errorf("Truncate split a rune: %q", got)
	}
	if got := Truncate("abc", 5); got != "abc" {
		t.Errorf("Truncate = %q", got)
	}
}

// stub is an in-memory Adapter.
type stub struct {
	secrets []Secret
	values  map[string]Value
	fail    map[string]error
}

func (s *stub) Kind() string    { return "stub" }
func (s *stub) Store() string   { return "mem" }
func (s *stub) Scope() []string { return nil }
func (s *stub) List(ctx context.Context, fn func(Secret, error) error) error {
	for _, x := range s.secrets {
		if err := fn(x, s.fail["list "+x.Path]); err != nil {
			return err
		}
	}
	return nil
}
func (s *stub) Read(ctx context.Context, r Ref) (Value, error) {
	if err := s.fail[r.Path]; err != nil {
		return Value{}, err
	}
	return s.values[r.Path], nil
}
func (s *stub) Flag(context.Context, Ref, Mark) (Outcome, error) { return Outcome{}, nil }
func (s *stub) Clear(context.Context, Ref) (Outcome, error)      { return Outcome{}, nil }

func TestIndex(t *testing.T) {
	s := &stub{
		secrets: []Secret{{Ref: Ref{Path: "a"}}, {Ref: Ref{Path: "b"}}, {Ref: Ref{Path: "c"}}, {Ref: Ref{Path: "d"}}},
		values:  map[string]Value{"a": {Version: "1", Fields: map[string]string{"x": "one", "y": "", "": "two"}}, "d": {Version: "3", Fields: map[string]string{"": "three"}}},
		fail:    map[string]error{"b": ErrDenied, "list c": ErrThrottled},
	}
	res, err := Index(context.Background(), s, func(v string) string { return "fp-" + string(rune('0'+len(v))) })
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range res.Entries {
		got = append(got, e.Path+"#"+e.Field+"@"+e.Version+"="+e.Fingerprint)
	}
	if d := cmp.Diff([]string{"a#@1=fp-3", "a#x@1=fp-3", "d#@3=fp-5"}, got); d != "" {
		t.Errorf("entries (-want +got):\n%s", d)
	}
	if res.Complete() || len(res.Errors) != 2 || !errors.Is(res.Errors[0].Err, ErrDenied) || !errors.Is(res.Errors[1].Err, ErrThrottled) || res.Secrets != 2 {
		t.Errorf("result = %+v", res)
	}
	if len(s.values["a"].Fields) != 0 {
		t.Error("Index kept the values it read")
	}
}

func TestPlanFlag(t *testing.T) {
	for _, tt := range [][4]string{
		{"vault", EngineDatabase, "true", "rotate-role"},
		{"aws", EngineSecretsManager, "true", "RotateSecret"},
		{"aws", EngineSecretsManager, "", "not configured"},
	} {
		if got := PlanFlag(tt[0], tt[1], tt[2] == "true"); !strings.Contains(got, tt[3]) {
			t.Errorf("PlanFlag(%v) = %q", tt, got)
		}
	}
}
