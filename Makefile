# The two commands the README promises: `make demo` and `make test`. Both install what they need.
SHELL := /bin/bash
SWIFT ?= swift
APT_PACKAGES := libyaml-dev libcurl4-openssl-dev pkg-config python3-venv openssl docker-registry iproute2 man-db
export PATH := $(CURDIR)/.tools/bin:$(PATH)

.PHONY: all build deps tools test demo bench fuzz e2e clean install dist man man-check lint format

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
	$(MAKE) lint
	$(SWIFT) build
	$(SWIFT) test
	$(MAKE) man-check
	.build/debug/slimctl-fuzz Tests/Fuzz/seeds Tests/Fuzz/regressions
	$(MAKE) fuzz FUZZ_SECONDS=20
	$(MAKE) e2e

# swift-format, from the Swift toolchain, with the rules in .swift-format (swift-nio's, with
# longer lines and the multi-declaration and closure-argument styles this code uses). `lint`
# (run by `make test`) fails on any file `format` would change or any rule it breaks.
SWIFT_FORMAT_PATHS := Package.swift Sources Tests
lint:
	$(SWIFT) format lint --strict --recursive --parallel $(SWIFT_FORMAT_PATHS)

format:
	$(SWIFT) format --in-place --recursive --parallel $(SWIFT_FORMAT_PATHS)

# The parsers of user input (YAML, strategies, --set) under libFuzzer with AddressSanitizer, in a
# build folder of their own. A crash leaves its input in Tests/Fuzz/regressions/: commit it, and
# every `make test` replays it. FUZZ_SECONDS bounds the run. Leak detection is off: the Swift
# runtime's one-time globals (lazily made statics) are reported as leaks at exit.
FUZZ_SECONDS ?= 300
fuzz: deps
	$(SWIFT) build --scratch-path .build-fuzz --product slimctl-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING
	mkdir -p .build-fuzz/corpus
	ASAN_OPTIONS=detect_leaks=0 .build-fuzz/debug/slimctl-fuzz -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=4096 -detect_leaks=0 \
	  -artifact_prefix=Tests/Fuzz/regressions/ .build-fuzz/corpus Tests/Fuzz/seeds

# slimctl(1) from the command definitions (swift-argument-parser's GenerateManual plugin on the
# debug build), committed as Docs/man/slimctl.1 and installed by `make install`/`make dist`.
# `man`: regenerate it after changing a command, option or help text. `man-check` (run by `make
# test`, after `swift test`: the plugin builds the package, and a build inside `swift test` would
# wait on its lock) fails when the committed page is not what the definitions give, dates aside.
man: deps
	SWIFT=$(SWIFT) ./scripts/man-page.sh

man-check: deps
	SWIFT=$(SWIFT) ./scripts/man-page.sh --check

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

# `make install` (PREFIX=/usr/local, DESTDIR honoured): the stripped release binary to
# $(PREFIX)/bin and the built-in strategies, values, manifests, runtime/ and images/ to
# $(PREFIX)/share/slimctl, where the binary looks for them; the man page to share/man/man1 and the
# bash, zsh and fish completions to share/bash-completion, share/zsh and share/fish. `make dist`:
# the same layout (bin/, share/) as dist/slimctl-<version>-linux-x86_64.tar.gz, to unpack into a
# prefix.
PREFIX ?= /usr/local
VERSION := $(shell sed -n 's/.*static let version = "\(.*\)".*/\1/p' Sources/SlimCLI/Slimctl.swift)
SLIMCTL_COMMIT ?= $(shell git rev-parse --short HEAD 2>/dev/null)
DIST := dist/slimctl-$(VERSION)-linux-x86_64

install: deps
	$(SWIFT) build $(RELEASE) --product slimctl
	STRIP=1 COMMIT="$(SLIMCTL_COMMIT)" ./scripts/install-tree.sh .build/release/slimctl "$(DESTDIR)$(PREFIX)"

dist: deps
	$(SWIFT) build $(RELEASE) --product slimctl
	rm -rf $(DIST) $(DIST).tar.gz
	STRIP=1 COMMIT="$(SLIMCTL_COMMIT)" ./scripts/install-tree.sh .build/release/slimctl $(DIST)
	tar -C $(DIST) -czf $(DIST).tar.gz --owner=0 --group=0 bin share
	rm -rf $(DIST)
	@echo $(DIST).tar.gz

clean:
	rm -rf .build .build-fuzz .tools .slimctl dist

# The cluster path end to end: the real slimctl, helm and released charts against the simulated
# cluster whose kubelet runs real SLIM nodes and the real example apps (root: network
# namespaces per pod). `make test` runs it too.
E2E_STRATEGIES ?=
e2e: tools
	$(SWIFT) build --product slimctl
	$(SWIFT) build --product slimctl-e2e
	.build/debug/slimctl-e2e $(E2E_STRATEGIES)
