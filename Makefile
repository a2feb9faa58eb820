# Quiesce. Every target first makes sure liburing-dev (the only external library) is installed:
# as root through apt-get, otherwise it prints the exact command and stops.
SWIFT ?= swift
SWIFT_FLAGS ?=
SEEDS ?= 100000
SEED ?=

.PHONY: all deps build test demo bench bench-smoke nop-instructions echo-instructions soak replay sanitize leaks service-check clean

all: build

deps:
	@./scripts/ensure-liburing.sh

build: deps
	$(SWIFT) build $(SWIFT_FLAGS)

# The whole test suite: unit tests, io_uring tests, a bounded seed sweep of the simulated driver,
# and the benchmark harness in smoke mode (no figures judged).
test: deps
	SWIFT_FLAGS="$(SWIFT_FLAGS)" ./scripts/test.sh

# Narrated io_uring cancellation demos.
demo: deps
	$(SWIFT) run $(SWIFT_FLAGS) QuiesceDemo

# Benchmarks (release build): writes Benchmarks/results/latest.{json,md,svg}.
bench: deps
	./scripts/bench.sh

bench-smoke: deps
	./scripts/bench.sh --smoke

# User-space instructions per NOP, Quiesce and the raw C loop at 1 and 32 in flight (valgrind;
# installs it as root when missing).
nop-instructions: deps
	SWIFT_FLAGS="$(SWIFT_FLAGS)" ./scripts/instructions.sh nop

# User-space instructions per echoed message, the composed connection and the hand-written one
# (valgrind; installs it as root when missing).
echo-instructions: deps
	SWIFT_FLAGS="$(SWIFT_FLAGS)" ./scripts/instructions.sh echo

# Long seed sweep of the simulated driver: make soak SEEDS=1000000
soak: deps
	QUIESCE_SEEDS=$(SEEDS) $(SWIFT) test $(SWIFT_FLAGS) --filter QuiesceSimTests

# Replays one seed exactly: make replay SEED=1234
replay: deps
	QUIESCE_SEED=$(SEED) $(SWIFT) test $(SWIFT_FLAGS) --filter QuiesceSimTests

# io_uring tests under AddressSanitizer (and ThreadSanitizer for the remote handle).
sanitize: deps
	./scripts/sanitize.sh

# Demo and tests under valgrind: no definite leaks.
leaks: deps
	./scripts/leaks.sh

# redis-cli and redis-benchmark against the example KV server (installs redis-tools).
service-check: deps
	./scripts/service-check.sh

clean:
	rm -rf .build .build-*
