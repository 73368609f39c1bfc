# sprawl — build, test, benchmark. See README.md.
GO        ?= go
BIN       ?= bin/sprawl
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
GOROOT_SRC = $(shell $(GO) env GOROOT)/src
ACCURACY_DIR ?= $(CURDIR)/.cache/corpus

.PHONY: report-screenshot all build demo test lint vet staticcheck unit selfscan tidy-check bench bench-go test-postgres bench-repo bench-real-repo bench-git bench-org bench-image mem-tip accuracy fp-vendored fuzz fuzz-short clean mem-dense bench-org-workers

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/sprawl

## demo: build, scan this repository (clean), then build a demo organisation
## offline in .cache/demo: four repositories (one application's production,
## staging and development copies sharing a password, a second team's data
## platform) scanned on five dates, status decisions with reasons, a Vault and
## an AWS Secrets Manager index (in-process fakes) and GitHub Actions secret
## metadata; every secret is synthetic, generated on the spot. Then list the
## inventory with the CLI; the report is .cache/demo/report.html.
DEMO_DIR ?= $(CURDIR)/.cache/demo
demo: build
	$(BIN) scan dir .
	$(GO) run ./internal/demo/cmd/demo -dir $(DEMO_DIR)
	SPRAWL_FINGERPRINT_KEY_FILE=$(DEMO_DIR)/fingerprint.key $(BIN) inventory list --inventory $(DEMO_DIR)/inventory.db

## test: everything CI runs. `.ci/run` calls exactly this.
test: tidy-check vet staticcheck unit fuzz-short selfscan

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go') 2>/dev/null)" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

staticcheck:
	$(GO) tool staticcheck ./...

## unit: every test without the race detector, then the concurrent code
## again under -race (-short skips the catalogue-wide example sweeps,
## which are single-threaded and ten times slower under -race).
unit:
	$(GO) test -count=1 ./...
	$(GO) test -race -short -count=1 ./...

## selfscan: the working tree and the whole history must come out clean
## under the repository's own .sprawl.yaml.
selfscan:
	$(GO) run ./cmd/sprawl scan dir . --quiet
	@if git rev-parse --git-dir >/dev/null 2>&1; then $(GO) run ./cmd/sprawl scan git . --quiet; fi

tidy-check:
	@cp go.mod /tmp/sprawl-go.mod.bak; cp go.sum /tmp/sprawl-go.sum.bak
	@$(GO) mod tidy
	@if ! git diff --quiet -- go.mod go.sum; then git diff -- go.mod go.sum; echo "go mod tidy changed go.mod/go.sum"; cp /tmp/sprawl-go.mod.bak go.mod; cp /tmp/sprawl-go.sum.bak go.sum; exit 1; fi

## bench: the four speed figures, each against its floor, then all four
## again together: trees (Go's source tree against ripgrep's keyword
## count; ripgrep installed here if missing), staged (a pre-commit scan
## against git diff), history (bench-git: a full history against git
## cat-file) and the peak RSS of a 100,000-commit history ($(MEM_HISTORY)).
## A command that fails fails the bench.
BENCH_OUT   ?= $(CURDIR)/.cache/bench
MEM_HISTORY ?= mem-history
bench: SHELL := /bin/bash
bench: .SHELLFLAGS := -o pipefail -c
bench: build
	@command -v rg >/dev/null || { apt-get update -qq && apt-get install -y -qq ripgrep >/dev/null; }
	@mkdir -p $(BENCH_OUT)
	./scripts/bench-goroot.sh $(BIN) $(GOROOT_SRC) | tee $(BENCH_OUT)/trees.txt
	./scripts/bench-staged.sh $(BIN) | tee $(BENCH_OUT)/staged.txt
	$(MAKE) -f $(firstword $(MAKEFILE_LIST)) --no-print-directory bench-git | tee $(BENCH_OUT)/history.txt
	$(MAKE) -f $(firstword $(MAKEFILE_LIST)) --no-print-directory $(MEM_HISTORY) 2>&1 | tee $(BENCH_OUT)/rss.txt
	@echo; echo "sprawl bench ($$(git describe --always --dirty 2>/dev/null), $$(date -u +%FT%TZ)):"
	@grep -h '^ratio trees' $(BENCH_OUT)/trees.txt
	@grep -h '^ratio staged' $(BENCH_OUT)/staged.txt
	@grep -h '^ratio history' $(BENCH_OUT)/history.txt || { echo "bench: bench-git printed no 'ratio history' line" >&2; exit 1; }
	@grep -h -i 'peak RSS' $(BENCH_OUT)/rss.txt || { echo "bench: $(MEM_HISTORY) printed no peak RSS" >&2; exit 1; }

## bench-go: the Go benchmarks (BENCH= narrows them, e.g. BENCH=Staged), six
## runs each, summarised by benchstat (median and spread); the raw runs stay
## in $(BENCH_OUT)/go.txt for comparing two builds (`go tool benchstat
## old.txt new.txt`).
BENCH ?= .
bench-go: SHELL := /bin/bash
bench-go: .SHELLFLAGS := -o pipefail -c
bench-go:
	@mkdir -p $(BENCH_OUT)
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchmem -count 6 ./detectors/ ./scanner/ ./inventory/ | tee $(BENCH_OUT)/go.txt
	$(GO) tool benchstat $(BENCH_OUT)/go.txt

## test-postgres: the inventory suites against a throwaway PostgreSQL.
test-postgres:
	scripts/with-postgres.sh $(GO) test -race -count=1 -run 'Postgres|Inventory' ./inventory/ ./cmd/sprawl/

## accuracy: generate the labelled corpus, scan it, print recall/precision/F1 per family.
accuracy: build
	$(GO) run ./internal/corpus/cmd/accuracy -gen $(ACCURACY_DIR) >/dev/null
	$(BIN) scan dir $(ACCURACY_DIR) --format json --output $(ACCURACY_DIR).findings.json --quiet || test $$? -eq 1
	$(GO) run ./internal/corpus/cmd/accuracy -labels $(ACCURACY_DIR)/labels.json -findings $(ACCURACY_DIR).findings.json

## fp-vendored: false alarms on real third-party code. Downloads this
## module's dependencies (go mod download, through the module proxy only),
## scans them in the module cache and lists every non-test finding with
## the count per GB; findings in documentation and examples are marked
## "doc". EXTRA=module@version,… scans more modules the same way.
fp-vendored:
	$(GO) run ./scripts/fpvendored $(if $(EXTRA),-extra $(EXTRA))

## fuzz-short: each fuzz target for a few seconds (CI); fuzz: longer.
# Count-based budgets: a duration -fuzztime races the Go 1.26 fuzz
# coordinator (golang/go#75804) and fails with "context deadline exceeded".
FUZZ_EXECS ?= 20000x
FUZZ_TARGETS = FuzzMatch FuzzKeywords FuzzDecode FuzzBase64Runs
fuzz-short:
	@for f in $(FUZZ_TARGETS); do $(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZ_EXECS) ./detectors/ || exit 1; done

fuzz:
	@for f in $(FUZZ_TARGETS); do $(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime 60s ./detectors/ || exit 1; done

clean:
	rm -rf bin .cache

## bench-repo: a 3,000-commit repository of Go source text in .cache/bench-repo.
BENCH_REPO ?= $(CURDIR)/.cache/bench-repo
bench-repo:
	rm -rf $(BENCH_REPO) && git init -q --bare $(BENCH_REPO)
	$(GO) run ./scripts/benchrepo -commits 3000 | git -C $(BENCH_REPO) fast-import --quiet
	git -C $(BENCH_REPO) symbolic-ref HEAD refs/heads/main
	git -C $(BENCH_REPO) gc -q

## bench-git: full-history scans against `git cat-file --batch-all-objects
## --batch` of the same repository: the generated 3,000-commit history and a
## real one (go-git, about 5,600 commits), cloned once from BENCH_REAL_URL
## into .cache/bench-real.git (offline, point BENCH_REAL_URL at a local
## mirror). GITLEAKS=path BETTERLEAKS=path time those scanners beside.
BENCH_REAL     ?= $(CURDIR)/.cache/bench-real.git
BENCH_REAL_URL ?= https://github.com/go-git/go-git.git
bench-real-repo:
	test -d $(BENCH_REAL) || { rm -rf $(BENCH_REAL).tmp && git clone -q --mirror $(BENCH_REAL_URL) $(BENCH_REAL).tmp && mv $(BENCH_REAL).tmp $(BENCH_REAL); }

bench-git: SHELL := /bin/bash
bench-git: .SHELLFLAGS := -o pipefail -c
bench-git: build bench-repo bench-real-repo
	@echo "== generated history: $(BENCH_REPO)"
	./scripts/bench-git.sh $(BIN) $(BENCH_REPO) | sed 's/^ratio history:/ratio history (generated, 3,000 commits):/'
	@echo "== real history: $(BENCH_REAL_URL)"
	./scripts/bench-git.sh $(BIN) $(BENCH_REAL) | sed "s/^ratio history:/ratio history (real, $$(git -C $(BENCH_REAL) rev-list --all --count) commits):/"

## mem-history: peak resident memory of the whole process tree (sprawl and
## its git children) scanning a generated 100,000-commit history
## (.cache/bench-100k, built on first use: minutes); under 300 MB.
BENCH_100K ?= $(CURDIR)/.cache/bench-100k
.PHONY: mem-history
mem-history: build
	test -d $(BENCH_100K) || { rm -rf $(BENCH_100K).tmp && git init -q --bare $(BENCH_100K).tmp && \
	  $(GO) run ./scripts/benchrepo -commits 100000 | git -C $(BENCH_100K).tmp fast-import --quiet && \
	  git -C $(BENCH_100K).tmp symbolic-ref HEAD refs/heads/main && git -C $(BENCH_100K).tmp gc -q && \
	  mv $(BENCH_100K).tmp $(BENCH_100K); }
	rc=0; $(GO) run ./scripts/treerss -v -limit-mb 300 -- $(BIN) scan git $(BENCH_100K) --quiet --format json --output /dev/null || rc=$$?; test $$rc -le 1

## report-screenshot: render the fixture inventory's HTML report in headless
## Chromium (the same test CI runs) and keep the picture the README shows.
report-screenshot:
	SPRAWL_REPORT_SCREENSHOT=$(CURDIR)/docs/report-inventory.png $(GO) test -count=1 -run 'TestInventoryReportHTMLInChromium$$' ./reports

## mem-tip: scan, with --inventory, a history whose HEAD holds a 1 GiB file;
## prints the scan's peak RSS with and without the inventory (under 300 MiB).
mem-tip:
	SPRAWL_MEM_TIP_MB=1024 $(GO) test -count=1 -timeout 30m -run '^TestTipCheckBigFileMemory$$' -v ./cmd/sprawl/ | grep -E 'peak RSS|^(ok|FAIL|---)'

## bench-org: 50 generated repositories (400 commits each) scanned 4 at a time
## through a fake GitHub API into an inventory; prints the peak RSS (VmHWM).
bench-org:
	SPRAWL_BENCH_ORG_COMMITS=400 $(GO) test -count=1 -run '^TestOrgScanFiftyRepos$$' -v ./cmd/sprawl/ | grep -E 'peak RSS|^(ok|FAIL|---)'

## bench-image: scan an OCI image of 10 layers / 50,000 files (BENCH_IMAGE_FROM:
## a tree whose files fill it, default /usr; "synthetic" for generated text)
## vs extracting its layers with tar into tmpfs; prints times and peak RSS.
BENCH_IMAGE_FROM ?= /usr
bench-image: build
	./scripts/bench-image.sh $(BIN) $(BENCH_IMAGE_FROM)

## mem-dense: scan a generated 100 MiB keyword-dense file (~750,000 findings)
## with the built binary and check its peak RSS stays under 300 MB (minutes).
mem-dense:
	SPRAWL_TEST_DENSE=1 $(GO) test -count=1 -timeout 60m -run '^TestDenseFilePeakRSS$$' -v ./cmd/sprawl/ | grep -E 'peak RSS|^(ok|FAIL|---)'

## bench-org-workers: 200 generated repositories (400 commits each)
## enqueued on a throwaway PostgreSQL and scanned by 1, 2 and 4 `sprawl
## worker` processes (2 jobs at once each); prints the wall time, jobs/s
## and each worker's peak RSS.
bench-org-workers: build
	./scripts/bench-org-workers.sh $(CURDIR)/$(BIN)
