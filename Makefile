# Partner Portal. `make run` and `make test` need Go 1.26+, Java 17+ and Node.js/npm
# (npm fetches DynamoDB Local into the user cache on first use).
GO ?= go

# Deployment (docs/DEPLOY.md): STAGE is dev or prod, STACK the CloudFormation stack.
STAGE ?= dev
STACK ?= partner-portal-$(STAGE)
# The CDK CLI is installed into .cdk/ (a dot directory, so that go ./... does
# not walk the Go files npm packages carry).
CDK_DIR = .cdk
CDK = $(CDK_DIR)/node_modules/.bin/cdk

.PHONY: run test build bench template synth deploy destroy sam-build vet fmt clean

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

## synth: the CDK stack of STAGE into cdk.out/, offline (no AWS credentials needed)
synth: build
	$(GO) run ./infra -out cdk.out -stage $(STAGE) -stack $(STACK) -dist dist

# The CDK CLI, pinned in infra/package-lock.json.
$(CDK): infra/package.json infra/package-lock.json
	mkdir -p $(CDK_DIR)
	cp infra/package.json infra/package-lock.json $(CDK_DIR)/
	npm ci --prefix $(CDK_DIR) --no-audit --no-fund
	touch $@

## deploy: synth, then deploy cdk.out with the pinned CDK CLI (AWS credentials; first time CURSOR_SECRET=…; ALARM_EMAIL=… optional)
deploy: synth $(CDK)
	$(CDK) bootstrap --app cdk.out
	@$(CDK) deploy --app cdk.out \
		$${CURSOR_SECRET:+--parameters CursorSecret="$$CURSOR_SECRET"} \
		$${ALARM_EMAIL:+--parameters AlarmEmail="$$ALARM_EMAIL"} \
		--outputs-file cdk.out/outputs.json

## destroy: delete the STAGE stack (a prod table and the reports bucket are kept)
destroy: synth $(CDK)
	$(CDK) destroy --app cdk.out

## sam-build: template.yaml built by the SAM CLI (install it first), the bootstraps of make build copied as they are
sam-build: build
	sam build --template-file template.yaml

fmt:
	gofmt -w .

clean:
	rm -rf dist .devstack cdk.out .cdk
