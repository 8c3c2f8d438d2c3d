# Kiln's tasks. `make help` lists them.
GOLANGCI_LINT_VERSION := v2.15.0
BIN := $(CURDIR)/bin

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the tasks
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

.PHONY: build
build: ## Build the kiln binary into ./bin/kiln
	go build -o $(BIN)/kiln ./cmd/kiln

.PHONY: run
run: build ## Run kiln serve on embedded defaults (127.0.0.1:8080, ./kiln-data)
	$(BIN)/kiln serve

.PHONY: example
example: build ## Run examples/hello.ts with kiln run
	$(BIN)/kiln run examples/hello.ts --input '{"name":"Ada"}'

.PHONY: test
test: ## Run every test with the race detector, then the latency tests without it (what CI runs)
	go test -race -count=1 ./...
	go test -count=1 -run 'NoisyNeighbour' ./server/

.PHONY: test-short
test-short: ## Run the tests without the race detector
	go test -count=1 ./...

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
	go test -run '^$$' -fuzz FuzzURLParse -fuzztime 30s ./engine/web/urlapi/
