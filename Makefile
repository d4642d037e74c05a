# Amend: `make run` serves the app with demo data; `make test` runs every test.
GO        ?= go
NPM       ?= npm
BIN       := bin/amend
FRONTEND  := frontend
WEB_SRC   := $(shell find $(FRONTEND)/src $(FRONTEND)/index.html $(FRONTEND)/vite.config.ts $(FRONTEND)/public -type f 2>/dev/null)
# Fuzz budgets count executions: with a duration, Go 1.26's fuzzing coordinator can fail a target
# with "context deadline exceeded" as its time runs out, having found nothing.
FUZZTIME  ?= 5000x

.PHONY: run build test test-api test-go test-fuzz test-web test-e2e bench soak deps-postgres deps-chromium deps-pdftotext web clean

run: build deps-postgres
	./$(BIN) serve --demo

build: web
	$(GO) build -o bin/amend-bench ./cmd/amend-bench
	$(GO) build -o $(BIN) ./cmd/amend

web: $(FRONTEND)/dist/index.html

$(FRONTEND)/node_modules/.package-lock.json: $(FRONTEND)/package.json $(FRONTEND)/package-lock.json
	cd $(FRONTEND) && $(NPM) ci --no-audit --no-fund
	touch $@

$(FRONTEND)/dist/index.html: $(FRONTEND)/node_modules/.package-lock.json $(WEB_SRC)
	cd $(FRONTEND) && $(NPM) run build

deps-postgres:
	@.ci/ensure-deps postgres

deps-chromium:
	@.ci/ensure-deps chromium

# pdftotext reads superbills and signed forms back in the server tests.
deps-pdftotext:
	@.ci/ensure-deps pdftotext

test: deps-postgres deps-pdftotext test-api test-go test-fuzz test-web test-e2e

# mailpit, the SMTP server the mail tests send to, built from the Go module proxy.
MAILPIT_VERSION := v1.33.1
bin/mailpit:
	GOBIN=$(CURDIR)/bin $(GO) install github.com/axllent/mailpit@$(MAILPIT_VERSION)

test-go: web bin/mailpit
	$(GO) vet ./...
	@test -z "$$(gofmt -l cmd server realtime media policy migrations frontend/*.go)" || { gofmt -l cmd server realtime media policy migrations frontend/*.go; echo "gofmt needed"; exit 1; }
	$(GO) test -count=1 -timeout 30m ./...

# Each fuzz target runs a bounded number of executions on top of its committed corpus.
test-fuzz:
	@.ci/fuzz $(FUZZTIME)

# docs/api.yaml must be a valid OpenAPI description with no lint problem (redocly.yaml says which
# rules; .redocly.lint-ignore.yaml lists the reasoned exceptions), and the web app's types
# generated from it (frontend/src/lib/api.gen.ts, `npm run gen:api`) must be up to date.
test-api: $(FRONTEND)/node_modules/.package-lock.json
	cd $(FRONTEND) && $(NPM) run check:api

test-web: $(FRONTEND)/node_modules/.package-lock.json
	cd $(FRONTEND) && $(NPM) run check && $(NPM) test

test-e2e: build deps-chromium deps-pdftotext
	.ci/e2e

bench: build deps-postgres
	.ci/bench

soak: build deps-postgres
	.ci/soak

clean:
	rm -rf bin $(FRONTEND)/dist/assets $(FRONTEND)/dist/index.html
