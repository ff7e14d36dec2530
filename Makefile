# grasp-sync: `make run` runs the node, `make test` runs the whole test suite, `make bench`
# runs the benchmarks. Each installs what it needs on a fresh Debian machine first.

SHELL := /bin/bash
APT_PACKAGES := libsecp256k1-dev libssl-dev zlib1g-dev libsqlite3-dev pkg-config python3-venv chromium
VENV := .venv
PYTHON_PACKAGES := nostr-sdk==0.45.1 websockets==17.4
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
SWIFT_TEST_FLAGS ?=

.PHONY: run test bench bench-million soak deps apt venv build build-release clean

deps: apt venv

apt:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: Makefile
	@python3 -m venv $(VENV) || { rm -rf $(VENV); echo "python3 -m venv failed: install Debian's python3-venv (apt-get install python3-venv, part of 'make apt'); make downloads only from package registries" >&2; exit 1; }
	$(VENV)/bin/pip install --quiet --disable-pip-version-check $(PYTHON_PACKAGES)
	@touch $@

build: apt
	swift build

build-release: apt
	swift build -c release --product grasp-sync

run: build-release
	.build/release/grasp-sync $(ARGS)

# Interop tests find the venv's interpreter through GRASP_SYNC_TEST_PYTHON. The peer-profile
# sync scenarios (20,000 events per profile over real sockets) keep both cores busy, so they
# run on their own after the rest, whose socket tests have wall-clock connect timeouts.
# The WebSocket fault suite and the request-head bounds measure wall-clock seconds, and the hostile
# remote relay suite drives virtual time by yielding while work runs on other tasks, so they
# run on their own rather than beside 700 other tests.
HEAVY_SUITES := PeerProfileScenarioTests|LearnedRequestLimitTests
TIMING_SUITES := WebSocketFaultTests|HostileRemoteRelayTests|RequestHeadBoundsTests|StatusPageEndToEndTests
test: deps
	swift build --build-tests
	GRASP_SYNC_TEST_PYTHON=$(CURDIR)/$(VENV)/bin/python swift test --skip-build --skip '$(HEAVY_SUITES)|$(TIMING_SUITES)' $(SWIFT_TEST_FLAGS)
	GRASP_SYNC_TEST_PYTHON=$(CURDIR)/$(VENV)/bin/python swift test --skip-build --filter '$(TIMING_SUITES)' $(SWIFT_TEST_FLAGS)
	GRASP_SYNC_TEST_PYTHON=$(CURDIR)/$(VENV)/bin/python swift test --skip-build --filter '$(HEAVY_SUITES)' $(SWIFT_TEST_FLAGS)

bench: apt
	cd Benchmarks && swift build -c release --product SyncWorker && swift build -c release --product ReadLoadWorker && swift package --disable-sandbox benchmark --target GraspBench --no-progress
	Benchmarks/.build/release/ReadLoadWorker 20 20
	Benchmarks/.build/release/ReadLoadWorker storm 50 8
	Benchmarks/.build/release/ReadLoadWorker latency 20

# The 1,000,000-event store (issue 10), not part of `make bench` (the corpus takes a minute to
# generate and about three to ingest; it is cached in ~/.cache/grasp-sync-bench or
# $GRASP_BENCH_CACHE). See docs/benchmarks.md "1,000,000-event store".
bench-million: apt
	cd Benchmarks && swift build -c release --product SyncWorker && .build/release/SyncWorker million

# Soak test (issue 12), not part of CI: the release node under publishers, REQ readers,
# NIP-77 clients and a syncing peer for SOAK_SECONDS; prints RSS over time, publish+query
# latency and the acknowledged events it lost (must be 0). See docs/benchmarks.md "Soak".
SOAK_SECONDS ?= 300
soak: apt venv
	swift build -c release --product grasp-sync
	$(VENV)/bin/python Benchmarks/Scripts/soak.py .build/release/grasp-sync --seconds $(SOAK_SECONDS) $(SOAK_ARGS)

clean:
	rm -rf .build Benchmarks/.build $(VENV)
