# rewind: build, generate, test, bench, demo.
# `make test` is what CI runs (.ci/run); it installs what it needs.

GO        ?= go
TAGS      := duckdb_arrow
BIN       := bin
FUZZTIME  ?= 10s

.PHONY: all build record replay generate generate-check deps test unit lint fuzz bench demo samples schema-doc clean

all: build

build: record replay

# The recorder stays cgo-free; replay links DuckDB (cgo).
record:
	CGO_ENABLED=0 $(GO) build -o $(BIN)/rewind-record ./cmd/record

replay:
	$(GO) build -tags $(TAGS) -o $(BIN)/rewind-replay ./cmd/replay

# Tools the tests need: clang/llvm/libbpf/bpftool to regenerate the eBPF
# objects (CI fails if the committed ones are stale). Installed from
# Debian when missing and we are root.
deps:
	@if ! command -v clang-14 >/dev/null || ! test -e /usr/include/bpf/bpf_helpers.h || ! command -v bpftool >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing clang-14, llvm-14, libbpf-dev, bpftool"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang-14 llvm-14 libbpf-dev bpftool >/dev/null; \
		else \
			echo "deps: clang-14/libbpf-dev/bpftool missing and not root; eBPF generation check will fail" >&2; \
		fi; \
	fi

generate: deps
	$(GO) generate ./bpf/...

# Regenerate the bpf2go outputs and the schema doc, and fail when the
# committed ones differ.
generate-check: generate schema-doc
	@git diff --exit-code --stat -- bpf docs || { echo "generated files are stale: run 'make generate schema-doc' and commit" >&2; exit 1; }

schema-doc:
	$(GO) run -tags $(TAGS) ./cmd/replay schema --output markdown > docs/schema.md

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed" >&2; exit 1; }
	$(GO) vet -tags $(TAGS) ./...
	$(GO) tool staticcheck -tags $(TAGS) ./...

unit:
	$(GO) test -tags $(TAGS) -count=1 ./...

# Each Fuzz* target runs for FUZZTIME (scripts/fuzz.sh finds them).
fuzz:
	GO=$(GO) TAGS=$(TAGS) FUZZTIME=$(FUZZTIME) ./scripts/fuzz.sh

test: deps lint generate-check unit fuzz

bench: build
	./scripts/bench.sh

demo: build
	./scripts/demo.sh

samples: build
	./samples/make-samples.sh

clean:
	rm -rf $(BIN)
