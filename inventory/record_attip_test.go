package inventory

import (
	"context"
	"strings"
	"testing"

	"github.com/sprawlsec/sprawl/scanner"
)

// TestBuildScanSourceAtTip: a source that tells presence itself (an
// image) is recorded under its root as a name, not made a path, and its
// answer decides each location's present-at-tip mark.
func TestBuildScanSourceAtTip(t *testing.T) {
	atTip := func(f scanner.Finding) (bool, bool) {
		return !strings.HasPrefix(f.Message, "not in the final image"), true
	}
	res := scanner.Result{Findings: []scanner.Finding{
		{File: "image:r/app:1@sha256:ab/layer/0/a.env", Message: "not in the final image: deleted in layer 1"},
		{File: "image:r/app:1@sha256:ab/layer/2/b.env"},
	}}
	scan, err := BuildScan(context.Background(), "image", "image:r/app:1", res, RecordOptions{AtTip: atTip})
	if err != nil {
		t.Fatal(err)
	}
	if scan.Repository != "image:r/app:1" || scan.AtTip == nil || scan.HeadCommit != "" || !scan.Complete {
		t.Fatalf("scan = %+v, want the root as repository, the source's AtTip, no git head, complete", scan)
	}
	for i, want := range []bool{false, true} {
		if present, known := scan.AtTip(res.Findings[i]); present != want || !known {
			t.Errorf("finding %d: at tip %v (known %v), want %v", i, present, known, want)
		}
	}
}
