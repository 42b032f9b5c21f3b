# The two commands the README promises: `make demo` and `make test`. Both install what they need.
SHELL := /bin/bash
SWIFT ?= swift
APT_PACKAGES := libyaml-dev libcurl4-openssl-dev pkg-config python3-venv openssl docker-registry
export PATH := $(CURDIR)/.tools/bin:$(PATH)

.PHONY: all build deps tools test demo bench clean

all: build

# System libraries (libyaml, libcurl) and the tools tests call; idempotent and quiet when present.
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi; \
	fi

tools: deps
	@./scripts/fetch-tools.sh
	@./scripts/fetch-charts.sh

build: deps
	$(SWIFT) build

test: tools
	$(SWIFT) build
	$(SWIFT) test

# Release builds link the Swift runtime statically: the binary runs on machines without Swift
# and starts in about half the time (fewer shared libraries to load).
RELEASE := -c release --static-swift-stdlib

demo: deps
	$(SWIFT) build $(RELEASE) --product slimctl
	./scripts/demo.sh

# Release build, then every figure against its peer (kubectl, helm) on the simulated cluster;
# a table on stdout and bench/results.json. BENCH_ARGS=--quick for fewer repetitions.
bench: tools
	$(SWIFT) build $(RELEASE) --product slimctl
	$(SWIFT) build $(RELEASE) --product slimctl-bench
	.build/release/slimctl-bench $(BENCH_ARGS)

clean:
	rm -rf .build .tools .slimctl
