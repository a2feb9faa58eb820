#!/usr/bin/env bash
# User-space instruction counts, by valgrind's cachegrind on the release QuiesceBench.
#   ./scripts/instructions.sh nop    per NOP, Quiesce against the raw C liburing loop (the benchmark's
#                                    NOP reference, RingSetup.best), at 1 and 32 in flight, and their
#                                    ratio (raw C / Quiesce: 1 when Quiesce executes as few per NOP);
#                                    `QuiesceBench --nop-instructions` runs `--only nop1|nop32|rawnop1|
#                                    rawnop32 --count N` under valgrind.
#   ./scripts/instructions.sh echo   per echoed message of the in-process echo server (50 connections,
#                                    64 B), the composed connection against the hand-written one;
#                                    `QuiesceBench --echo-instructions` runs `--only echoserver|
#                                    echoservercomposed` under valgrind and sends the load itself.
# Each count is the difference of two runs of different lengths divided by the difference, so
# start-up cancels out; valgrind runs a copy of the binary without debug info. valgrind is installed
# through apt-get when missing (as root; otherwise the command to run is printed and the script stops).
# SWIFT_FLAGS is passed to swift build (e.g. SWIFT_FLAGS="--scratch-path .build-mine").
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT="${SWIFT:-swift}"
case "${1:-}" in
nop | echo) what="$1" ;;
*) echo "usage: $0 nop|echo" >&2; exit 2 ;;
esac
# Word splitting is wanted: several flags may be given.
read -r -a flags <<<"${SWIFT_FLAGS:-}"
if ! command -v valgrind >/dev/null; then
    ./scripts/apt-install.sh valgrind "counts the instructions per operation"
fi
"$SWIFT" build "${flags[@]}" -c release --product QuiesceBench
bin="$("$SWIFT" build "${flags[@]}" -c release --show-bin-path)/QuiesceBench"
"$bin" "--$what-instructions"
