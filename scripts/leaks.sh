#!/usr/bin/env bash
# `make leaks`: the demo and the test binary under valgrind; any *definite* leak (or memory error)
# fails. Installs valgrind with apt-get when missing (as root; otherwise prints the command).
#
#   SEEDS=N ./scripts/leaks.sh     seeds for the simulated sweep inside the test binary (default 200)
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
SEEDS=${SEEDS:-200}

command -v valgrind >/dev/null 2>&1 || ./scripts/apt-install.sh valgrind "needed by make leaks"

"$SWIFT" build --build-tests
bin=$("$SWIFT" build --show-bin-path)
# Uninitialised-value reports are off: valgrind does not see memory the kernel fills through
# io_uring. Reachable memory (runtime caches, a driver kept on purpose) is not a leak.
VALGRIND=(valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite
          --undef-value-errors=no --error-exitcode=1 --suppressions=scripts/valgrind.supp)
status=0

echo "== valgrind: QuiesceDemo"
if ! timeout 600 "${VALGRIND[@]}" "$bin/QuiesceDemo" >/dev/null; then
  echo "leaks: QuiesceDemo has definite leaks or memory errors" >&2
  status=1
fi

echo "== valgrind: test binary (XCTest suites, ${SEEDS} simulated seeds)"
tests="$bin/QuiescePackageTests.xctest"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# The library's tests (io_uring and simulated), but not the ones with other threads talking to the
# loop (the remote handle, a concurrent reader, the KV server's client threads): valgrind runs one thread at a time
# and starves the others while one waits in io_uring_enter, so those never finish under it.
# ThreadSanitizer checks the remote handle in scripts/sanitize.sh.
threaded='Remote|ConcurrentReader'
suites=$("$tests" --list-tests 2>/dev/null | grep -E '^(QuiesceTests|QuiesceSimTests)\.[A-Za-z0-9_]+/' \
  | grep -vE "$threaded" | paste -sd, -)
if ! QUIESCE_UNDER_VALGRIND=1 QUIESCE_SEEDS="$SEEDS" timeout 1200 "${VALGRIND[@]}" "$tests" "$suites" >"$log"; then
  echo "leaks: the test binary has definite leaks, memory errors or failing tests" >&2
  status=1
fi
grep -E "Executed [0-9]+ tests?," "$log" | tail -1

# The Swift Testing tests (the parameterized ones) are not run under valgrind: valgrind 3.19 (this
# system's) stops with an internal SIGSEGV when the test binary starts its Swift Testing run
# (`--testing-library swift-testing`). scripts/sanitize.sh runs them under AddressSanitizer with
# LeakSanitizer on.
swift_testing=$("$tests" --testing-library swift-testing --list-tests 2>/dev/null \
  | grep -cE '^(QuiesceTests|QuiesceSimTests)\.' || true)
echo "leaks: $swift_testing Swift Testing tests of the library not run under valgrind (see scripts/leaks.sh)"

if [ "$status" -eq 0 ]; then echo "leaks: no definite leaks"; fi
exit "$status"
