package vault

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

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

// slowStub answers each Read after a pause and records how many reads
// were in flight at once.
type slowStub struct {
	stub
	mu            sync.Mutex
	inFlight, max int
}

func (s *slowStub) Read(ctx context.Context, r Ref) (Value, error) {
	s.mu.Lock()
	s.inFlight++
	s.max = max(s.max, s.inFlight)
	s.mu.Unlock()
	time.Sleep(5 * time.Millisecond)
	s.mu.Lock()
	s.inFlight--
	s.mu.Unlock()
	return Value{Version: "1", Fields: map[string]string{"": "value-of-" + r.Path}}, nil
}

// Index reads several values at once, at most Readers, and still returns
// entries in listing order.
func TestIndexConcurrentReads(t *testing.T) {
	s := &slowStub{}
	var want []string
	for i := 0; i < 40; i++ {
		p := fmt.Sprintf("app/%02d", i)
		s.secrets = append(s.secrets, Secret{Ref: Ref{Path: p}})
		want = append(want, p)
	}
	res, err := Index(context.Background(), s, func(v string) string { return "fp:" + v[len(v)-2:] })
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range res.Entries {
		got = append(got, e.Path)
		if e.Fingerprint != "fp:"+e.Path[len(e.Path)-2:] {
			t.Errorf("%s has fingerprint %s", e.Path, e.Fingerprint)
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("entries out of listing order (-want +got):\n%s", d)
	}
	if s.max < 2 || s.max > Readers {
		t.Errorf("%d reads in flight at most, want 2..%d", s.max, Readers)
	}
	if res.Secrets != 40 || !res.Complete() {
		t.Errorf("result %+v", res)
	}
}
