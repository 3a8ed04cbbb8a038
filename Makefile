# rampart: the one front door.
#   make test   formatting, go vet, staticcheck and go test -race in every module
#   make demo   the storefront demo (about 40 s)
#   make bench  the side-by-side peer benchmarks, written to docs/benchmarks.md

GO          ?= go
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
# Every folder with a go.mod is a module; found afresh each run.
MODULES     := $(shell find . -name go.mod -not -path '*/testdata/*' -not -path '*/node_modules/*' -exec dirname {} \; | sort)

# No "Entering directory" lines on stdout when make runs inside another make.
MAKEFLAGS   += --no-print-directory

.PHONY: all test fmt vet staticcheck unit full-size demo bench sim

all: test

test: fmt vet staticcheck unit full-size

fmt:
	@echo "== gofmt"
	@out=$$(gofmt -l $$(find . -name '*.go' -not -path '*/testdata/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	@set -e; for m in $(MODULES); do echo "== go vet $$m"; (cd $$m && $(GO) vet ./...); done

staticcheck:
	@set -e; for m in $(MODULES); do echo "== staticcheck $$m"; (cd $$m && $(GO) run $(STATICCHECK) ./...); done

unit:
	@set -e; for m in $(MODULES); do echo "== go test -race $$m"; (cd $$m && $(GO) test -race -count=1 ./...); done

# demo and sim print only the command's own output on stdout (no echo of the
# recipe), so that `make demo ARGS=-json | jq .` reads pure JSON.
# Tests that the race detector makes too slow at full size run once more
# without it: a 1 GB body streamed through a retried request (about 1 s).
full-size:
	@echo "== go test (no race) ./ramparthttp: 1 GB streamed through a retry"
	@$(GO) test -count=1 -run 'TestStreamsALargeBodyThroughARetryWithBoundedMemory' ./ramparthttp/

demo:
	@$(GO) run ./cmd/rampart demo $(ARGS)

sim:
	@$(GO) run ./cmd/rampart sim -compare capacity-drop $(ARGS)

bench:
	cd bench && ./run.sh
