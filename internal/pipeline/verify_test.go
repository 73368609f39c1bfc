package pipeline

import "testing"

// --results takes live, unknown and revoked; "verified" is answered with
// what sprawl calls it, anything else with the list.
func TestCheckResults(t *testing.T) {
	for _, tc := range []struct {
		in      []string
		wantErr string
	}{
		{nil, ""},
		{[]string{"live", "unknown", "revoked"}, ""},
		{[]string{"live", "verified"}, `"verified": sprawl calls it live (want a list of live, unknown, revoked)`},
		{[]string{"bogus", "verified"}, `"bogus": want a list of live, unknown, revoked`},
		{[]string{"LIVE"}, `"LIVE": want a list of live, unknown, revoked`},
		{[]string{""}, `"": want a list of live, unknown, revoked`},
	} {
		err := CheckResults(tc.in)
		if got := errText(err); got != tc.wantErr {
			t.Errorf("%q: error %q, want %q", tc.in, got, tc.wantErr)
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
