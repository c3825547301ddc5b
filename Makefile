# Partner Portal. `make run` and `make test` need Go 1.26+, Java 17+ and Node.js/npm
# (npm fetches DynamoDB Local into the user cache on first use).
GO ?= go

.PHONY: run test build bench template vet fmt clean

## run: the whole app on http://127.0.0.1:3000 with DynamoDB Local (data in .devstack/); ARGS=--fast-clock for schedules that fire within seconds
run:
	$(GO) run ./cmd/devserver $(ARGS)

## test: every test, against one DynamoDB Local started for the whole run
test:
	$(GO) vet ./...
	$(GO) run ./cmd/withddb -- $(GO) test -count=1 ./...

## build: stripped linux/arm64 bootstrap binaries and zips in dist/
build:
	$(GO) run ./cmd/build

## bench: request overhead against the raw SDK floor; rewrites docs/PERFORMANCE.md
bench: build
	$(GO) run ./cmd/withddb -- $(GO) run ./cmd/bench -doc docs/PERFORMANCE.md

## template: regenerate template.yaml from the app declaration
template:
	$(GO) run ./cmd/gentemplate

fmt:
	gofmt -w .

clean:
	rm -rf dist .devstack
