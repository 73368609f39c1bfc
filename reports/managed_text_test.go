package reports

import (
	"bytes"
	"encoding/csv"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/inventory"
)

// testManaged are managed secrets of every kind, with hostile store names
// and paths (a terminal escape, a spreadsheet formula, a tab).
func testManaged() []inventory.ManagedSecret {
	t0 := time.Date(2024, 3, 4, 5, 6, 7, 0, time.UTC)
	yes, no := true, false
	days := func(n int) inventory.Duration { return inventory.Duration(time.Duration(n) * 24 * time.Hour) }
	var ms []inventory.ManagedSecret

	var m inventory.ManagedSecret
	m.Kind, m.Store, m.Engine, m.Mount, m.Path, m.Field = "vault", "https://vault:8200", "kv", "secret", "payments/stripe", "api_key"
	m.Fingerprint, m.Version, m.Class, m.ClassFrom = "abcdef0123456789", "3", inventory.ClassAPIKey, "name"
	m.Created, m.Changed, m.Age, m.MaxAge, m.MaxAgeFrom = t0, t0.Add(time.Hour), days(400), days(90), "class api-key"
	m.Enabled, m.Versions, m.MaxVersions, m.DeleteVersionAfter = &yes, 3, 5, 48*time.Hour
	m.Overdue, m.NeverRotated, m.RotationDisabled = true, true, true
	m.States = []inventory.ManagedState{inventory.StateOverdue, inventory.StateNeverRotated, inventory.StateRotationDisabled}
	ms = append(ms, m)

	m = inventory.ManagedSecret{}
	m.Kind, m.Store, m.Path = "aws", "us-east-1\x1b[31m", "=cmd|' /C calc'!A0"
	m.Class, m.ClassFrom, m.Age, m.MaxAge, m.MaxAgeFrom = inventory.ClassPassword, "default", days(3), days(30), "path prod/*"
	m.AccessRecorded, m.LastAccessed, m.UnusedFor = true, t0, days(120)
	m.AutoRotation, m.LastRotated, m.NextRotation = true, t0, t0.Add(720*time.Hour)
	m.RotationPeriod, m.RotationSchedule, m.Enabled = 30*24*time.Hour, "rate(30 days)", &no
	m.Unused, m.Leaked = true, true
	m.States = []inventory.ManagedState{inventory.StateUnused, inventory.StateLeaked}
	ms = append(ms, m)

	m = inventory.ManagedSecret{}
	m.Kind, m.Store, m.Path = "azure", "kv", "tls\tcert"
	m.AccessRecorded, m.ExpirySupported, m.Expires, m.NotBefore = true, true, t0, t0.Add(-time.Hour)
	m.Age, m.MaxAge = inventory.Duration(5*time.Hour), days(365)
	m.NoExpiry, m.ExpiredEnabled = true, true
	m.States = []inventory.ManagedState{inventory.StateNoExpiry, inventory.StateExpiredEnabled}
	ms = append(ms, m)

	m = inventory.ManagedSecret{}
	m.Kind, m.Store, m.Path, m.Field = inventory.KindCI, "github:acme", "repo/acme/api", "DEPLOY_KEY"
	m.Age, m.MaxAge = inventory.Duration(40*time.Minute), days(90)
	return append(ms, m)
}

// The managed table at full width, on a narrow terminal and empty; the
// LAST READ column says "-" where the store records no reads and "never"
// where it recorded none.
func TestWriteManagedTable(t *testing.T) {
	var b bytes.Buffer
	for _, width := range []int{0, 50, 80} {
		for _, ms := range [][]inventory.ManagedSecret{testManaged(), nil} {
			if err := WriteManagedTable(&b, width, ms); err != nil {
				t.Fatal(err)
			}
		}
	}
	if bytes.Contains(b.Bytes(), []byte("\x1b")) {
		t.Errorf("a control character reached the table:\n%s", b.String())
	}
	checkGolden(t, "managed_table.golden.txt", b.Bytes())
}

func TestWriteManagedCSV(t *testing.T) {
	var b bytes.Buffer
	if err := WriteManagedCSV(&b, testManaged()); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "managed.golden.csv", b.Bytes())

	recs, err := csv.NewReader(bytes.NewReader(b.Bytes())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	// The cells that say the most, by column name, so a reordering of the
	// header shows here as well as in the golden file.
	got := make([]map[string]string, 0, len(recs)-1)
	for _, r := range recs[1:] {
		got = append(got, map[string]string{"path": r[col["path"]], "enabled": r[col["enabled"]], "age_days": r[col["age_days"]],
			"last_accessed": r[col["last_accessed"]], "rotation_period": r[col["rotation_period"]], "states": r[col["states"]]})
	}
	want := []map[string]string{
		{"path": "payments/stripe", "enabled": "true", "age_days": "400", "last_accessed": "", "rotation_period": "", "states": "overdue never-rotated rotation-disabled"},
		{"path": "'=cmd|' /C calc'!A0", "enabled": "false", "age_days": "3", "last_accessed": "2024-03-04T05:06:07Z", "rotation_period": "30d", "states": "unused leaked"},
		{"path": "tls\tcert", "enabled": "", "age_days": "0", "last_accessed": "", "rotation_period": "", "states": "no-expiry expired-enabled"},
		{"path": "repo/acme/api", "enabled": "", "age_days": "0", "last_accessed": "", "rotation_period": "", "states": ""},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("managed CSV cells (-want +got):\n%s", d)
	}
}

func TestWriteManagedStatsText(t *testing.T) {
	var b bytes.Buffer
	for _, sum := range []inventory.ManagedSummary{inventory.SummarizeManaged(testManaged()), {}} {
		if err := WriteManagedStatsText(&b, sum); err != nil {
			t.Fatal(err)
		}
	}
	if bytes.Contains(b.Bytes(), []byte("\x1b")) {
		t.Errorf("a control character reached the stats:\n%s", b.String())
	}
	if !strings.Contains(b.String(), "managed secrets      4 (25% rotated automatically)\n") {
		t.Errorf("stats lack the total and the share rotated automatically:\n%s", b.String())
	}
	checkGolden(t, "managed_stats.golden.txt", b.Bytes())
}

func TestManagedWriteErrors(t *testing.T) {
	ms := testManaged()
	for name, write := range map[string]func() error{
		"table": func() error { return WriteManagedTable(&failingWriter{n: 10}, 0, ms) },
		"csv":   func() error { return WriteManagedCSV(&failingWriter{n: 10}, ms) },
		"stats": func() error { return WriteManagedStatsText(&failingWriter{n: 10}, inventory.SummarizeManaged(ms)) },
	} {
		if err := write(); !errors.Is(err, errWrite) {
			t.Errorf("%s on a failing writer: got %v, want %v", name, err, errWrite)
		}
	}
}

func TestManagedLine(t *testing.T) {
	var one, many inventory.ManagedSummary
	one.Total, one.Overdue, one.AutoRotationShare = 1, 1, 1
	many.Total, many.Overdue, many.NeverRotated, many.NoExpiry, many.Unused, many.Leaked, many.AutoRotationShare = 12, 5, 4, 3, 2, 1, 0.3333
	for _, tc := range []struct {
		sum  inventory.ManagedSummary
		want string
	}{
		{inventory.ManagedSummary{}, "sprawl: 0 managed secrets: 0 overdue, 0 never rotated, 0 without expiry, 0 unused, 0 leaked; 0% rotated automatically"},
		{one, "sprawl: 1 managed secret: 1 overdue, 0 never rotated, 0 without expiry, 0 unused, 0 leaked; 100% rotated automatically"},
		{many, "sprawl: 12 managed secrets: 5 overdue, 4 never rotated, 3 without expiry, 2 unused, 1 leaked; 33% rotated automatically"},
	} {
		if got := ManagedLine(tc.sum); got != tc.want {
			t.Errorf("got  %q\nwant %q", got, tc.want)
		}
	}
}
