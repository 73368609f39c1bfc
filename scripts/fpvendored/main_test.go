package main

import "testing"

func TestPathClasses(t *testing.T) {
	for _, tc := range []struct {
		path      string
		test, doc bool
	}{
		{"auth/scheme_id.go", false, false},
		{"config/shared_config_test.go", true, false},
		{"internal/testdata/key.pem", true, false},
		{"test-fixtures/keys/key.pem", true, false},
		{"testcerts/private.key", true, false},
		{"README.md", false, true},
		{"docs/API.md", false, true},
		{"api/swagger.yaml", false, true},
		{"pkg/credentials/config.json.sample", false, true},
		{"_examples/basic/main.go", false, true},
		{"example_client.go", false, true},
		{"latest/contest.go", false, false},
	} {
		if got := testPath(tc.path); got != tc.test {
			t.Errorf("testPath(%q) = %v, want %v", tc.path, got, tc.test)
		}
		if got := docPath(tc.path); got != tc.doc {
			t.Errorf("docPath(%q) = %v, want %v", tc.path, got, tc.doc)
		}
	}
}
