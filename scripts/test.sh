#!/usr/bin/env bash
# `make test`: builds, runs the whole XCTest suite (unit, io_uring, simulated-driver seed sweep,
# example service), then the benchmark harness in smoke mode, and ends on one summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests ${SWIFT_FLAGS:-}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Only XCTest is used; without this flag Swift Testing would close the run on "0 tests".
swift test --skip-build --disable-swift-testing ${SWIFT_FLAGS:-} 2>&1 | tee "$log"
./scripts/bench.sh --smoke
summary=$(grep -E "^\s*Executed [0-9]+ tests?, with [0-9]+ failures?" "$log" | tail -1)
executed=$(echo "$summary" | sed -E 's/.*Executed ([0-9]+) tests?.*/\1/')
failed=$(echo "$summary" | sed -E 's/.*with ([0-9]+) failures?.*/\1/')
echo "tests: $((executed - failed)) passed, $failed failed"
