# Kiln's tasks. `make help` lists them.
GOLANGCI_LINT_VERSION := v2.15.0
GOTESTSUM_VERSION := v1.13.0
BIN := $(CURDIR)/bin

# GOTEST runs `go test -json` (the flags after it) through gotestsum, which
# prints one line per package as it finishes (PASS/FAIL/SKIP, with its time),
# then every failed test's full output and a closing `DONE N tests` line, and
# exits non-zero when a test or a build fails. `go run` fetches the pinned
# version from the module proxy once and caches the binary.
GOTEST := go run gotest.tools/gotestsum@$(GOTESTSUM_VERSION) --format pkgname --format-icons text --format-hide-empty-pkg --

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the tasks
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# The admin UI is built with npm into ui/dist, which the kiln binary embeds.
# ui/dist is committed, so that `go build` and `go install` need no npm.
# ui/dist.sha256 records a checksum of the sources it was built from:
# `make ui` rebuilds only when the sources' checksum differs (a fresh clone
# gives every file the same new mtime, so mtimes cannot tell).
UI_SOURCES := ui/index.html ui/package.json ui/package-lock.json ui/tsconfig.json ui/vite.config.ts ui/public ui/src
SHA256 := $(shell command -v sha256sum >/dev/null 2>&1 && echo sha256sum || echo 'shasum -a 256')
ui_sources_sum = $(shell find $(UI_SOURCES) -type f | LC_ALL=C sort | xargs $(SHA256) | $(SHA256) | cut -c1-64)

ui/node_modules/.package-lock.json: ui/package-lock.json
	cd ui && npm ci --no-audit --no-fund

.PHONY: ui
ui: ## Rebuild the admin UI into ui/dist if its sources changed (commit both)
	@if [ "$$(cat ui/dist.sha256 2>/dev/null)" = "$(ui_sources_sum)" ]; then \
		echo "ui/dist is up to date with its sources"; \
	else $(MAKE) --no-print-directory ui-rebuild; fi

.PHONY: ui-rebuild
ui-rebuild: ui/node_modules/.package-lock.json ## Rebuild the admin UI into ui/dist even if its sources did not change
	cd ui && npm run build
	@echo "$(ui_sources_sum)" > ui/dist.sha256

.PHONY: ui-check
ui-check: ui-rebuild ## Fail if the committed ui/dist is not what its sources build to (CI)
	@untracked=$$(git ls-files --others -- ui/dist ui/dist.sha256); \
	if ! git diff --quiet -- ui/dist ui/dist.sha256 || [ -n "$$untracked" ]; then \
		git status --short -- ui/dist ui/dist.sha256; \
		echo "ui-check: the committed ui/dist is not what its sources build to (listed above; the rebuilt files are in the working tree): commit ui/dist and ui/dist.sha256 with the sources" >&2; \
		exit 1; \
	fi; echo "ui/dist matches its sources"

# `make build` stamps the version (see internal/version); a plain `go build`
# falls back to what the Go toolchain records.
VERSION_PKG := github.com/kiln-run/kiln/internal/version
GIT_VERSION = $(shell git describe --tags --always --dirty 2>/dev/null)
GIT_COMMIT = $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS = $(if $(GIT_COMMIT),-X $(VERSION_PKG).stampedVersion=$(GIT_VERSION) \
	-X $(VERSION_PKG).stampedCommit=$(GIT_COMMIT) \
	-X $(VERSION_PKG).stampedDirty=$(if $(filter %-dirty,$(GIT_VERSION)),true,false))

.PHONY: build
build: ui ## Build the kiln binary, admin UI included, into ./bin/kiln
	go build -ldflags "$(LDFLAGS)" -o $(BIN)/kiln ./cmd/kiln

.PHONY: run
run: build ## Run kiln serve on embedded defaults (127.0.0.1:8080, ./kiln-data)
	$(BIN)/kiln serve

.PHONY: example
example: build ## Run examples/hello.ts with kiln run
	$(BIN)/kiln run examples/hello.ts --input '{"name":"Ada"}'

.PHONY: test
test: build chromium ui/node_modules/.package-lock.json ## Every test: Go with the race detector, the latency and memory tests without it, the admin UI in Chromium (what CI runs)
	@echo "== Go tests with the race detector: one line per package as it finishes (several minutes)"
	$(GOTEST) -race -count=1 ./...
	@echo "== latency and memory tests without the race detector"
	go test -count=1 -run 'NoisyNeighbour' ./server/
	go test -count=1 -run 'TestMemoryNeighbour|TestMemoryBombsRSS' .
	@echo "== admin UI: typecheck, then the browser tests in Chromium"
	cd ui && npm run typecheck && KILN_BIN=$(BIN)/kiln npm test

.PHONY: test-ui
test-ui: build chromium ui/node_modules/.package-lock.json ## The admin UI's browser tests only
	cd ui && KILN_BIN=$(BIN)/kiln npm test

.PHONY: chromium
chromium: ## Install Debian's Chromium for the browser tests if it is missing
	@if command -v chromium >/dev/null 2>&1; then \
		echo "== chromium: found $$(command -v chromium) ($$(chromium --version 2>/dev/null || echo 'version unknown'))"; \
	else \
		log=$$(mktemp /tmp/kiln-chromium-install.XXXXXX); \
		echo "== chromium: not found; installing Debian's chromium package for the admin UI's browser tests"; \
		echo "   apt-get's output goes to $$log"; \
		echo "   refreshing the package lists (apt-get update)"; \
		{ apt-get update -q >>"$$log" 2>&1 && \
		  echo "   downloading and installing chromium and its libraries (about 150 MB; this can take minutes)" && \
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >>"$$log" 2>&1 && \
		  echo "== chromium: installed $$(chromium --version 2>/dev/null)"; } || \
		{ tail -n 20 "$$log" >&2; echo "chromium could not be installed (full log: $$log): run apt-get install chromium as root" >&2; exit 1; }; \
	fi

.PHONY: test-short
test-short: ## Run the Go tests without the race detector, one line per package
	$(GOTEST) -count=1 ./...

.PHONY: test-race
test-race: test ## Alias of test

.PHONY: lint
lint: $(BIN)/golangci-lint ## Run golangci-lint (pinned version) and check go.mod is tidy
	$(BIN)/golangci-lint run ./...
	go mod tidy -diff

$(BIN)/golangci-lint:
	GOBIN=$(BIN) go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)

.PHONY: bench
bench: ## Run the engine benchmarks (see docs/benchmarks.md)
	go test -run '^$$' -bench . -benchtime 3s ./engine/

.PHONY: fuzz
fuzz: ## Fuzz the sandbox and the URL parser for 30 s each
	go test -run '^$$' -fuzz FuzzSandbox -fuzztime 30s ./engine/
	go test -run '^$$' -fuzz FuzzURLParse -fuzztime 30s ./engine/internal/web/urlapi/
