#!/usr/bin/env bash
# `make test`: builds, runs the whole test suite (unit, io_uring, simulated-driver seed sweep, example
# service) in both frameworks it uses: XCTest, then Swift Testing (the parameterized tests), each in
# its own run. Then the benchmark harness in smoke mode, and one summary line counting both:
#
#   tests: N passed, M failed
#
# N and M count XCTest test methods and Swift Testing test functions (a parameterized function is one
# test, however many arguments it takes; its argument cases are reported on the line above). The
# script exits non-zero when either run fails, and a run that ends without its closing line (a crash)
# or that finds no tests at all counts as a failed test, so neither can end on a passing summary.
set -uo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests ${SWIFT_FLAGS:-} || exit 1
xctest_log=$(mktemp)
testing_log=$(mktemp)
trap 'rm -f "$xctest_log" "$testing_log"' EXIT

swift test --skip-build --disable-swift-testing ${SWIFT_FLAGS:-} 2>&1 | tee "$xctest_log"
xctest_status=${PIPESTATUS[0]}
swift test --skip-build --disable-xctest ${SWIFT_FLAGS:-} 2>&1 | tee "$testing_log"
testing_status=${PIPESTATUS[0]}

./scripts/bench.sh --smoke
bench_status=$?

problems=()
# Colours, where a framework prints them, would hide the lines parsed below.
sed -i -E 's/\x1b\[[0-9;]*m//g' "$xctest_log" "$testing_log"

# XCTest closes with the line of its outermost suite ('All tests', or 'Selected tests' under a
# filter) and "Executed N tests, with M failures (...)" (inner suites print such lines too, so a run
# that stops early still has some). M counts failed assertions, so the failed tests are counted from
# their own lines.
x_summary=$(grep -A1 -E "^Test Suite '(All|Selected) tests' (passed|failed)" "$xctest_log" \
  | grep -E "^\s*Executed [0-9]+ tests?, with [0-9]+ failures?" | tail -1)
x_failed=$(grep -cE "^Test Case '.*' failed \(" "$xctest_log")
if [ -n "$x_summary" ]; then
  x_total=$(sed -E 's/.*Executed ([0-9]+) tests?.*/\1/' <<<"$x_summary")
  x_assertions=$(sed -E 's/.*with ([0-9]+) failures?.*/\1/' <<<"$x_summary")
  if [ "$x_assertions" -gt 0 ] && [ "$x_failed" -eq 0 ]; then x_failed=1; fi
else
  x_total=$(( $(grep -cE "^Test Case '.*' passed \(" "$xctest_log") + x_failed ))
  problems+=("XCTest ended without its summary line (crashed?)")
  x_total=$((x_total + 1)); x_failed=$((x_failed + 1))
fi
if [ "$x_total" -eq 0 ]; then
  problems+=("XCTest ran no tests")
  x_total=1; x_failed=1
fi
if [ "$xctest_status" -ne 0 ] && [ "$x_failed" -eq 0 ]; then
  problems+=("the XCTest run exited with status $xctest_status")
  x_failed=1
fi

# Swift Testing closes with "✔ Test run with N tests in K suites passed after ..." or
# "✘ Test run with N tests in K suites failed after ... with I issues"; each failed test has its own
# "✘ Test name(...) ... failed after ..." line (apart from the lines of its argument cases and issues).
t_summary=$(grep -E "Test run with [0-9]+ tests? in [0-9]+ suites? (passed|failed)" "$testing_log" | tail -1)
t_failed=$(grep -E "^✘ Test .* failed after" "$testing_log" | grep -cvE "^✘ Test (run with|case passing)")
t_cases=$(grep -E "^(✔|✘) Test .* with [0-9]+ test cases? (passed|failed)" "$testing_log" \
  | sed -E 's/.* with ([0-9]+) test cases? (passed|failed).*/\1/' | awk '{ n += $1 } END { print n + 0 }')
if [ -n "$t_summary" ]; then
  t_total=$(sed -E 's/.*Test run with ([0-9]+) tests?.*/\1/' <<<"$t_summary")
  if grep -qE "Test run with .* failed" <<<"$t_summary" && [ "$t_failed" -eq 0 ]; then t_failed=1; fi
else
  t_total=$t_failed
  problems+=("Swift Testing ended without its closing line (crashed?)")
  t_total=$((t_total + 1)); t_failed=$((t_failed + 1))
fi
if [ "$t_total" -eq 0 ]; then
  problems+=("Swift Testing ran no tests")
  t_total=1; t_failed=1
fi
if [ "$testing_status" -ne 0 ] && [ "$t_failed" -eq 0 ]; then
  problems+=("the Swift Testing run exited with status $testing_status")
  t_failed=1
fi

for problem in "${problems[@]}"; do echo "test.sh: $problem" >&2; done
echo "XCTest: $x_total tests, $x_failed failed; Swift Testing: $t_total tests (${t_cases:-0} argument cases), $t_failed failed"
total=$((x_total + t_total))
failed=$((x_failed + t_failed))
echo "tests: $((total - failed)) passed, $failed failed"
if [ "$failed" -ne 0 ] || [ "$xctest_status" -ne 0 ] || [ "$testing_status" -ne 0 ] || [ "$bench_status" -ne 0 ]; then
  exit 1
fi
